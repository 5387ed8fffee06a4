"""Visibility from the Python SDK: `client.list_workflows` and `client.count_workflows` (seed 002's
runbook lists running workflows by `ExecutionStatus = 'Running'` and finds a run by its id), and
custom search attributes as a Python team uses them: registered through the operator service, set
with TypedSearchAttributes and a memo at start, upserted by the workflow (orders/workflow.py),
filtered with Temporal's list filter language, counted by status, paged in Temporal's order.

Assertions follow Temporal's own behaviour (temporalio/temporal: common/persistence/visibility,
common/searchattribute, service/frontend/operator_handler.go). One difference is deliberate: a
run is read right after the call or workflow task that changed it, which Sandglass guarantees and
Temporal (whose visibility rows are written by a queue) only approaches. The tests at the end
check the points where Sandglass once answered differently (nil upserts, a running run's history
length, ExecutionDuration forms, system attributes at a start)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

import journal
from orders.workflow import (ALL_KEYS, AMOUNT, CUSTOMER_ID, DUE_AT, NOTES, PACKED_DUE_AT, SCORE, STAGE,
                             TAGS, VIP, ClearWorkflow, FulfilmentWorkflow, OrderWorkflow, ShipmentWorkflow)
from seed001 import activities
from seed001.workflow import RepoIndexingWorkflow, workflow_id_for
from sglib import RUN_TIMEOUT_S, bounded, history_events, of_type, running_worker, task_queue


async def test_list_and_count_running_and_by_id(client):
    repo_id = f"repo-{uuid.uuid4().hex[:8]}"
    req = {"installation_id": 1, "github_repo_name": f"acme/{repo_id}", "repo_id": repo_id,
           "default_branch": "main", "repo_url": ""}
    journal.FAULTS[repo_id]["parse_repo_activity"] = ["gate"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        wid = workflow_id_for(req)
        handle = await bounded(client.start_workflow(RepoIndexingWorkflow.run, req, id=wid,
                                                     task_queue=worker.task_queue), 10, "start_workflow")
        running = [w.id async for w in client.list_workflows(f"ExecutionStatus = 'Running' AND WorkflowId = '{wid}'")]
        assert running == [wid]
        count = await bounded(client.count_workflows(f"WorkflowId = '{wid}'"), 10, "count_workflows")
        assert count.count == 1
        journal.GATES[repo_id].set()
        await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
        done = [w async for w in client.list_workflows(f"WorkflowId = '{wid}'")]
        assert [w.status.name for w in done] == ["COMPLETED"]
        assert done[0].workflow_type == "RepoIndexingWorkflow"
        # ORDER BY, one run per page: the page token carries the sort key.
        ordered = [w.id async for w in client.list_workflows("ORDER BY WorkflowId DESC", page_size=1)]
        assert wid in ordered and ordered == sorted(ordered, reverse=True)
        grouped = await bounded(client.count_workflows("GROUP BY ExecutionStatus"), 10, "count grouped")
        assert sum(g.count for g in grouped.groups) == grouped.count

    with pytest.raises(RPCError) as exc:
        await bounded(client.count_workflows("NoSuchAttribute = 'x'"), 10, "bad query")
    assert exc.value.status == RPCStatusCode.INVALID_ARGUMENT
    assert "unknown search attribute 'NoSuchAttribute'" in exc.value.message


# ---------------------------------------------------------------------------------------------
# Custom search attributes through the Python SDK, as a Python team uses them: registered with
# the operator service, set at start with TypedSearchAttributes and a memo, upserted by the
# workflow, read back from client.list_workflows, filtered with Temporal's list filter language.
# Every query is scoped to the test's own task queue: the module's tests share one server.
# ---------------------------------------------------------------------------------------------

KEY_TYPES = {key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_KEYS}
MY_KEYS = {key.name for key in ALL_KEYS}
LIST_S = 10  # bound for one list / count


def uid() -> str:
    return uuid.uuid4().hex[:10]


@pytest_asyncio.fixture(scope="module")
async def search_attributes(client):
    """The team's attributes, one of every type, registered as sdk-python's own tests do."""
    await bounded(client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace=client.namespace, search_attributes=KEY_TYPES)),
        LIST_S, "add_search_attributes")
    return ALL_KEYS


async def list_all(client: Client, query: str, **kwargs) -> list[WorkflowExecution]:
    async def collect():
        return [w async for w in client.list_workflows(query, **kwargs)]
    return await bounded(collect(), LIST_S, f"list_workflows({query!r})")


async def list_ids(client: Client, query: str, **kwargs) -> list[str]:
    return [w.id for w in await list_all(client, query, **kwargs)]


async def count(client: Client, query: str) -> int:
    return (await bounded(client.count_workflows(query), LIST_S, f"count_workflows({query!r})")).count


def mine(w: WorkflowExecution) -> dict:
    """The run's custom attributes of this module (Temporal may add its own, e.g. BuildIds)."""
    return {pair.key.name: pair.value for pair in w.typed_search_attributes if pair.key.name in MY_KEYS}


async def wait_for_events(handle, name: str, n: int = 1):
    """Polls the history until it holds n events of type `name` (bounded by the caller)."""
    while True:
        events = await history_events(handle)
        if len(of_type(events, name)) >= n:
            return events
        await asyncio.sleep(0.02)


async def test_register_custom_search_attributes_of_every_type(client, search_attributes):
    async def listed():
        return await bounded(client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)), LIST_S, "list_search_attributes")

    resp = await listed()
    assert {name: resp.custom_attributes[name] for name in MY_KEYS if name in resp.custom_attributes} == KEY_TYPES
    assert resp.custom_attributes["Notes"] == IndexedValueType.INDEXED_VALUE_TYPE_TEXT
    assert resp.custom_attributes["DueAt"] == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
    assert resp.custom_attributes["Tags"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST
    # System attributes are listed apart, typed, and never among the custom ones.
    for name, typ in {"WorkflowId": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
                      "WorkflowType": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
                      "ExecutionStatus": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
                      "StartTime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
                      "CloseTime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
                      "ExecutionDuration": IndexedValueType.INDEXED_VALUE_TYPE_INT,
                      "HistoryLength": IndexedValueType.INDEXED_VALUE_TYPE_INT}.items():
        assert resp.system_attributes[name] == typ, name
        assert name not in resp.custom_attributes

    # Adding attributes that exist is a no-op, as Temporal's operator handler does (it logs
    # "Search attribute X already exists." and skips them) — even with another type: the
    # registered type stays. A new name in the same request is added.
    await bounded(client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={"CustomerId": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
                           "Amount": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
                           "Channel": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD})), LIST_S, "add again")
    resp = await listed()
    assert resp.custom_attributes["CustomerId"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    assert resp.custom_attributes["Amount"] == IndexedValueType.INDEXED_VALUE_TYPE_INT
    assert resp.custom_attributes["Channel"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

    # A system attribute's name is reserved; an unknown type is refused.
    for attrs, fragments in [({"WorkflowId": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
                              ["Search attribute WorkflowId is reserved by system."]),
                             ({"Weird": 99}, ["Unknown search attribute type", "99"])]:
        with pytest.raises(RPCError) as exc:
            await bounded(client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=attrs)), LIST_S, "add bad")
        assert exc.value.status == RPCStatusCode.INVALID_ARGUMENT
        assert all(f in exc.value.message for f in fragments), exc.value.message
    assert "Weird" not in (await listed()).custom_attributes


START_ATTRS = TypedSearchAttributes([
    SearchAttributePair(CUSTOMER_ID, "acme-42"),
    SearchAttributePair(NOTES, "Rush order for ACME, gift wrapped"),
    SearchAttributePair(AMOUNT, 100),
    SearchAttributePair(SCORE, 4.5),
    SearchAttributePair(VIP, True),
    SearchAttributePair(DUE_AT, datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)),
    SearchAttributePair(TAGS, ["new", "web"]),
])
START_MEMO = {"customer": {"name": "Ada", "tier": "gold"}, "coupon": "SPRING", "priority": 2}


async def test_typed_attributes_and_memo_at_start_upserts_seen_after_their_task(client, search_attributes):
    tq = task_queue("vis-order")
    wid = f"order-{uid()}"
    # Started before any worker polls the queue: the list shows the run as started.
    handle = await bounded(client.start_workflow(
        OrderWorkflow.run, 250, id=wid, task_queue=tq, search_attributes=START_ATTRS, memo=START_MEMO),
        LIST_S, "start_workflow")
    [w] = await list_all(client, f"WorkflowId = '{wid}'")
    described = await bounded(handle.describe(), LIST_S, "describe")
    assert (w.id, w.run_id, w.namespace) == (wid, handle.result_run_id, client.namespace)
    assert w.workflow_type == "OrderWorkflow" and w.task_queue == tq
    assert w.status == WorkflowExecutionStatus.RUNNING
    assert w.start_time == described.start_time
    assert abs(w.start_time - datetime.now(timezone.utc)) < timedelta(seconds=30)
    assert w.execution_time == w.start_time  # no start delay
    assert w.close_time is None
    assert w.parent_id is None and w.parent_run_id is None
    assert (w.root_id, w.root_run_id) == (wid, handle.result_run_id)  # a top-level run is its own root
    assert mine(w) == {"CustomerId": "acme-42", "Notes": "Rush order for ACME, gift wrapped", "Amount": 100,
                       "Score": 4.5, "Vip": True, "DueAt": datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc),
                       "Tags": ["new", "web"]}
    assert w.typed_search_attributes.get(DUE_AT) == datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    assert await w.memo() == START_MEMO
    assert await w.memo_value("priority") == 2
    assert await list_ids(client, f"TaskQueue = '{tq}' AND Stage IS NULL AND Amount = 100") == [wid]

    async with running_worker(client, workflows=[OrderWorkflow], task_queue_name=tq):
        # The first workflow task upserts the attributes, then the memo (its last command); the
        # list right after that task sees every change.
        await bounded(wait_for_events(handle, "WORKFLOW_PROPERTIES_MODIFIED"), RUN_TIMEOUT_S, "first task's upserts")
        [w] = await list_all(client, f"WorkflowId = '{wid}'")
        assert mine(w) == {"CustomerId": "acme-42", "Notes": "Rush order for ACME, gift wrapped", "Amount": 250,
                           "Vip": True, "DueAt": datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc),
                           "Stage": "placed", "Tags": ["paid", "gift"]}
        assert SCORE not in w.typed_search_attributes
        assert await w.memo() == {"customer": {"name": "Ada", "tier": "gold"}, "coupon": "SPRING", "priority": 1,
                                  "stage": "placed"}
        scope = f"TaskQueue = '{tq}'"
        assert await list_ids(client, f"{scope} AND Stage = 'placed' AND Amount = 250 AND Score IS NULL") == [wid]
        assert await list_ids(client, f"{scope} AND Tags = 'gift'") == [wid]
        assert await list_ids(client, f"{scope} AND (Tags = 'new' OR Amount = 100)") == []

        # An update's handler upserts; once execute_update returns, its task is complete.
        assert await bounded(handle.execute_update(OrderWorkflow.advance, "packed"), RUN_TIMEOUT_S, "update") == "packed"
        [w] = await list_all(client, f"WorkflowId = '{wid}'")
        assert (w.typed_search_attributes.get(STAGE), w.typed_search_attributes.get(DUE_AT)) == ("packed", PACKED_DUE_AT)
        assert VIP not in w.typed_search_attributes
        assert await list_ids(client, f"{scope} AND Stage = 'packed' AND Vip IS NULL") == [wid]
        assert await list_ids(client, f"{scope} AND Stage = 'placed'") == []
        assert await list_ids(client, f"{scope} AND DueAt = '{PACKED_DUE_AT.isoformat()}'") == [wid]

        await bounded(handle.signal(OrderWorkflow.finish), LIST_S, "signal finish")
        assert await bounded(handle.result(), RUN_TIMEOUT_S, "result") == "packed"

    [w] = await list_all(client, f"WorkflowId = '{wid}'")
    described = await bounded(handle.describe(), LIST_S, "describe")
    events = await history_events(handle)
    assert w.status == WorkflowExecutionStatus.COMPLETED
    assert w.close_time is not None and w.close_time == described.close_time and w.close_time >= w.start_time
    assert w.history_length == len(events) == events[-1].event_id
    assert mine(w) == {"CustomerId": "acme-42", "Notes": "Rush order for ACME, gift wrapped", "Amount": 250,
                       "DueAt": PACKED_DUE_AT, "Stage": "packed", "Tags": ["paid", "gift"]}
    assert await w.memo() == {"customer": {"name": "Ada", "tier": "gold"}, "coupon": "SPRING", "priority": 1,
                              "stage": "placed"}
    assert await list_ids(client, f"TaskQueue = '{tq}' AND ExecutionStatus = 'Completed' AND Stage = 'packed'") == [wid]


async def test_parent_and_root_of_a_child_in_the_list(client, search_attributes):
    pid = f"fulfil-{uid()}"
    async with running_worker(client, workflows=[FulfilmentWorkflow, ShipmentWorkflow]) as worker:
        handle = await bounded(client.start_workflow(FulfilmentWorkflow.run, args=["o-7", "acme-7"], id=pid,
                                                     task_queue=worker.task_queue), LIST_S, "start parent")
        assert await bounded(handle.result(), RUN_TIMEOUT_S, "parent result") == "shipped o-7"
    prun = handle.result_run_id
    [child] = await list_all(client, f"WorkflowId = '{pid}-shipment'")
    assert child.workflow_type == "ShipmentWorkflow" and child.task_queue == worker.task_queue
    assert child.status == WorkflowExecutionStatus.COMPLETED
    assert (child.parent_id, child.parent_run_id) == (pid, prun)
    assert (child.root_id, child.root_run_id) == (pid, prun)
    assert mine(child) == {"CustomerId": "acme-7"}
    assert await child.memo() == {"order": "o-7"}
    [parent] = await list_all(client, f"WorkflowId = '{pid}'")
    assert parent.parent_id is None and (parent.root_id, parent.root_run_id) == (pid, prun)
    assert await list_ids(client, f"ParentWorkflowId = '{pid}'") == [f"{pid}-shipment"]
    assert sorted(await list_ids(client, f"RootWorkflowId = '{pid}'")) == sorted([pid, f"{pid}-shipment"])


def _attrs(**values) -> TypedSearchAttributes:
    keys = {k.name: k for k in ALL_KEYS}
    return TypedSearchAttributes([SearchAttributePair(keys[name], v) for name, v in values.items()])


async def test_one_query_per_operator_and_attribute_type(client, search_attributes):
    tq = task_queue("vis-ops")
    p = uid()
    runs = {}

    async def start(n: int, wf_type: str, **attrs):
        h = await bounded(client.start_workflow(wf_type, id=f"{p}-{n}", task_queue=tq,
                                                search_attributes=_attrs(**attrs)), LIST_S, "start")
        runs[n] = h

    utc = timezone.utc
    # Run 4 runs longest: it is terminated after more than a second (ExecutionDuration).
    await start(4, "Refund", CustomerId="initech", Amount=5, Score=0.25,
                DueAt=datetime(2026, 3, 1, 12, 0, tzinfo=utc), Tags=["green"])
    t4 = time.monotonic()
    await start(1, "Invoice", CustomerId="acme-1", Amount=10, Score=1.5, Vip=True,
                DueAt=datetime(2026, 1, 1, tzinfo=utc), Tags=["red", "blue"], Notes="Urgent invoice for ACME")
    await start(2, "Invoice", CustomerId="acme-2", Amount=20, Score=2.5, Vip=False,
                DueAt=datetime(2026, 6, 1, tzinfo=utc), Tags=["blue"], Notes="Quarterly statement")
    await bounded(runs[2].terminate(reason="duplicate"), LIST_S, "terminate 2")
    await start(3, "Refund", CustomerId="globex-3", Amount=30)
    await asyncio.sleep(max(0.0, 1.2 - (time.monotonic() - t4)))
    await bounded(runs[4].terminate(reason="expired"), LIST_S, "terminate 4")
    listed = {int(w.id.rsplit("-", 1)[1]): w for w in await list_all(client, f"TaskQueue = '{tq}'")}
    assert sorted(listed) == [1, 2, 3, 4]

    s1, s3 = listed[1].start_time.isoformat(), listed[3].start_time.isoformat()
    cases = [
        # Keyword
        ("CustomerId = 'acme-1'", {1}),
        ("CustomerId != 'acme-1'", {2, 3, 4}),
        ("CustomerId IN ('acme-1', 'globex-3')", {1, 3}),
        ("CustomerId NOT IN ('acme-1', 'globex-3')", {2, 4}),
        ("CustomerId STARTS_WITH 'acme-'", {1, 2}),
        ("CustomerId NOT STARTS_WITH 'acme-'", {3, 4}),
        ("CustomerId >= 'globex'", {3, 4}),
        ("CustomerId < 'acme-2'", {1}),
        ("CustomerId BETWEEN 'acme-2' AND 'globex-3'", {2, 3}),
        ("Stage IS NULL", {1, 2, 3, 4}),
        # Int
        ("Amount = 20", {2}),
        ("Amount != 10", {2, 3, 4}),
        ("Amount > 10", {2, 3}),
        ("Amount >= 10", {1, 2, 3}),
        ("Amount < 10", {4}),
        ("Amount <= 20", {1, 2, 4}),
        ("Amount IN (10, 30)", {1, 3}),
        ("Amount NOT IN (10, 30)", {2, 4}),
        ("Amount BETWEEN 15 AND 30", {2, 3}),
        # Double
        ("Score = 2.5", {2}),
        ("Score < 2", {1, 4}),
        ("Score >= 1.5", {1, 2}),
        ("Score BETWEEN 0.2 AND 1.5", {1, 4}),
        ("Score IS NULL", {3}),
        ("Score IS NOT NULL", {1, 2, 4}),
        # Bool (only = and !=; a run without the attribute is left out explicitly, as SQL would)
        ("Vip = true", {1}),
        ("Vip = false", {2}),
        ("Vip != true AND Vip IS NOT NULL", {2}),
        ("Vip IS NULL", {3, 4}),
        # Datetime: RFC 3339, any offset
        ("DueAt = '2026-01-01T00:00:00Z'", {1}),
        ("DueAt = '2026-03-01T13:00:00+01:00'", {4}),
        ("DueAt > '2026-02-01T00:00:00Z'", {2, 4}),
        ("DueAt <= '2026-03-01T12:00:00Z'", {1, 4}),
        ("DueAt BETWEEN '2026-02-01T00:00:00Z' AND '2026-12-31T00:00:00Z'", {2, 4}),
        ("DueAt IS NULL", {3}),
        # KeywordList: = is "contains"
        ("Tags = 'blue'", {1, 2}),
        ("Tags IN ('red', 'green')", {1, 4}),
        ("Tags = 'red' AND Tags = 'blue'", {1}),
        ("Tags != 'blue' AND Tags IS NOT NULL", {4}),
        ("Tags NOT IN ('red', 'green') AND Tags IS NOT NULL", {2}),
        ("Tags IS NULL", {3}),
        # Text: a word of the text, in any case; not a prefix of one
        ("Notes = 'invoice'", {1}),
        ("Notes = 'URGENT'", {1}),
        ("Notes = 'invoi'", set()),
        ("Notes != 'invoice' AND Notes IS NOT NULL", {2}),
        ("Notes IS NULL", {3, 4}),
        # System attributes
        (f"WorkflowId = '{p}-3'", {3}),
        (f"WorkflowId STARTS_WITH '{p}-'", {1, 2, 3, 4}),
        (f"RunId = '{listed[3].run_id}'", {3}),
        ("WorkflowType = 'Invoice'", {1, 2}),
        ("WorkflowType != 'Invoice'", {3, 4}),
        ("ExecutionStatus = 'Running'", {1, 3}),
        ("ExecutionStatus = 'Terminated'", {2, 4}),
        ("ExecutionStatus != 'Running'", {2, 4}),
        ("ExecutionStatus IN ('Completed', 'Terminated')", {2, 4}),
        (f"StartTime >= '{s3}'", {3}),
        (f"StartTime < '{s1}'", {4}),
        ("CloseTime IS NULL", {1, 3}),
        ("CloseTime IS NOT NULL", {2, 4}),
        ("ExecutionDuration > '1s'", {4}),
        ("ExecutionDuration < '500ms'", {2}),
        ("ExecutionDuration >= 1000000000", {4}),
        # Combinations
        ("(WorkflowType = 'Refund' OR Vip = true) AND NOT Amount > 10", {1, 4}),
        ("NOT (CustomerId STARTS_WITH 'acme-' OR ExecutionStatus = 'Terminated')", {3}),
        ("Amount >= 10 AND Tags = 'blue' AND Vip = false", {2}),
        ("CustomerId = 'acme-1' OR CustomerId = 'initech'", {1, 4}),
        ("Amount between 15 and 25 or Vip = true", {1, 2}),
        # Backquoted names
        ("`CustomerId` = 'acme-2'", {2}),
        ("`ExecutionStatus` = 'Running' AND `Amount` > 20", {3}),
    ]
    wrong = []
    for query, expected in cases:
        want = sorted(f"{p}-{n}" for n in expected)
        scoped = f"TaskQueue = '{tq}' AND ({query})"
        try:
            got = sorted(await list_ids(client, scoped))
            counted = await count(client, scoped)
        except RPCError as err:
            wrong.append(f"{query}: {err.status.name} {err.message}")
            continue
        if got != want or counted != len(want):
            wrong.append(f"{query}: listed {got}, counted {counted}, expected {want}")
    assert not wrong, "\n".join(wrong)


async def test_count_group_by_execution_status(client, search_attributes):
    async with running_worker(client, workflows=[OrderWorkflow]) as worker:
        tq = worker.task_queue
        handles = [await bounded(client.start_workflow(
            OrderWorkflow.run, 10 * i, id=f"count-{uid()}", task_queue=tq,
            search_attributes=TypedSearchAttributes([SearchAttributePair(AMOUNT, 10 * i)])), LIST_S, "start")
            for i in range(5)]
        for h in handles[:2]:
            await bounded(h.signal(OrderWorkflow.finish), LIST_S, "finish")
            await bounded(h.result(), RUN_TIMEOUT_S, "result")
        await bounded(handles[2].terminate(reason="cancelled by customer"), LIST_S, "terminate")

        grouped = await bounded(client.count_workflows(f"TaskQueue = '{tq}' GROUP BY ExecutionStatus"),
                                LIST_S, "count grouped")
        by_status = {tuple(g.group_values): g.count for g in grouped.groups}
        assert by_status == {("Running",): 2, ("Completed",): 2, ("Terminated",): 1}
        assert grouped.count == 5
        assert await count(client, f"TaskQueue = '{tq}'") == 5
        assert await count(client, f"TaskQueue = '{tq}' AND ExecutionStatus = 'Running'") == 2
        assert (await bounded(client.count_workflows(f"TaskQueue = '{tq}'"), LIST_S, "count")).groups == []
        filtered = await bounded(client.count_workflows(
            f"TaskQueue = '{tq}' AND Amount >= 20 GROUP BY ExecutionStatus"), LIST_S, "count filtered grouped")
        assert {tuple(g.group_values): g.count for g in filtered.groups} == {("Running",): 2, ("Terminated",): 1}
        for h in handles[3:]:
            await bounded(h.terminate(reason="test over"), LIST_S, "terminate")


async def test_pages_of_three_in_temporals_default_order(client, search_attributes):
    tq = task_queue("vis-page")
    p = uid()
    handles = []
    for i in range(10):
        handles.append(await bounded(client.start_workflow("Invoice", id=f"{p}-{i}", task_queue=tq), LIST_S, "start"))
        await asyncio.sleep(0.005)
    for i in (1, 4, 6, 8):
        await bounded(handles[i].terminate(reason="closed"), LIST_S, "terminate")
        await asyncio.sleep(0.005)
    # Running runs first, latest start first; then closed runs, latest close first.
    expected = [f"{p}-{i}" for i in (9, 7, 5, 3, 2, 0, 8, 6, 4, 1)]

    it = client.list_workflows(f"TaskQueue = '{tq}'", page_size=3)
    pages = []
    while True:
        await bounded(it.fetch_next_page(), LIST_S, "fetch_next_page")
        pages.append([w.id for w in it.current_page])
        if not it.next_page_token:
            break
        assert len(pages) < 10, "the pages never end"
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert [wid for page in pages for wid in page] == expected
    # The same through the ordinary iterator, and with a limit.
    runs = await list_all(client, f"TaskQueue = '{tq}'", page_size=3)
    assert [w.id for w in runs] == expected
    running = [w for w in runs if w.status == WorkflowExecutionStatus.RUNNING]
    closed = [w for w in runs if w.status == WorkflowExecutionStatus.TERMINATED]
    assert runs == running + closed
    assert all(a.start_time > b.start_time for a, b in zip(running, running[1:]))
    assert all(a.close_time > b.close_time for a, b in zip(closed, closed[1:]))
    assert await list_ids(client, f"TaskQueue = '{tq}'", page_size=3, limit=5) == expected[:5]
    for h in handles:
        if h.id in {w.id for w in running}:
            await bounded(h.terminate(reason="test over"), LIST_S, "terminate")


async def test_start_with_unregistered_or_mistyped_attribute_is_invalid_argument(client, search_attributes):
    tq = task_queue("vis-bad")
    cases = [
        (SearchAttributeKey.for_keyword("NoSuchAttr"), "x", "NoSuchAttr"),
        (SearchAttributeKey.for_keyword("Amount"), "ten", "invalid value for search attribute Amount of type Int"),
        (SearchAttributeKey.for_int("CustomerId"), 7, "invalid value for search attribute CustomerId of type Keyword"),
        (SearchAttributeKey.for_keyword("DueAt"), "tomorrow", "invalid value for search attribute DueAt of type Datetime"),
    ]
    for key, value, message in cases:
        wid = f"bad-{uid()}"
        with pytest.raises(RPCError) as exc:
            await bounded(client.start_workflow(
                "Invoice", id=wid, task_queue=tq,
                search_attributes=TypedSearchAttributes([SearchAttributePair(key, value)])), LIST_S, "bad start")
        assert exc.value.status == RPCStatusCode.INVALID_ARGUMENT, (key.name, exc.value.status, exc.value.message)
        assert message in exc.value.message
        with pytest.raises(RPCError) as exc:
            await bounded(client.get_workflow_handle(wid).describe(), LIST_S, "describe refused run")
        assert exc.value.status == RPCStatusCode.NOT_FOUND
    assert await list_ids(client, f"TaskQueue = '{tq}'") == []


async def test_bad_queries_are_invalid_argument_with_a_readable_message(client, search_attributes):
    # Each fragment is in Sandglass's message and in Temporal's ("invalid query: ...").
    cases = [
        ("Foo = 'x'", ["'Foo'"]),
        ("CustomerId = 'acme' AND", ["position"]),
        ("Amount = 'ten'", ["Amount", "Int"]),
        ("ExecutionStatus = 'Sleeping'", ["ExecutionStatus", "Sleeping"]),
        ("Notes STARTS_WITH 'Urg'", ["Notes"]),
        ("DueAt > 'next tuesday'", ["datetime"]),
        ("ExecutionDuration > 'forever'", ["ExecutionDuration"]),
    ]
    for query, fragments in cases:
        for what, call in [("list", lambda: list_ids(client, query)), ("count", lambda: count(client, query))]:
            with pytest.raises(RPCError) as exc:
                await call()
            err = exc.value
            assert err.status == RPCStatusCode.INVALID_ARGUMENT, (what, query, err.status, err.message)
            for fragment in fragments:
                assert fragment.lower() in err.message.lower(), (what, query, err.message)


# ---------------------------------------------------------------------------------------------
# Where Sandglass once answered differently from Temporal (each test asserts Temporal's behaviour).
# ---------------------------------------------------------------------------------------------

async def test_unset_attribute_and_removed_memo_key_leave_the_run(client, search_attributes):
    # Temporal merges upserted search attributes and memo with payload.MergeMapOfPayload, which
    # deletes every key whose payload's data is empty, "null" or "[]" (common/payload/payload.go).
    async with running_worker(client, workflows=[ClearWorkflow]) as worker:
        handle = await bounded(client.start_workflow(
            ClearWorkflow.run, id=f"clear-{uid()}", task_queue=worker.task_queue,
            search_attributes=TypedSearchAttributes([SearchAttributePair(SCORE, 1.5), SearchAttributePair(AMOUNT, 3)]),
            memo={"coupon": "SPRING", "priority": 2}), LIST_S, "start")
        await bounded(wait_for_events(handle, "WORKFLOW_PROPERTIES_MODIFIED"), RUN_TIMEOUT_S, "upserts")
        [w] = await list_all(client, f"WorkflowId = '{handle.id}'")
        await bounded(handle.terminate(reason="test over"), LIST_S, "terminate")
    assert await w.memo() == {"priority": 2}
    assert {k: v for k, v in w.search_attributes.items() if k in MY_KEYS} == {"Amount": [3]}
    assert set(w.raw_info.search_attributes.indexed_fields) & MY_KEYS == {"Amount"}


async def test_history_length_of_a_running_run_is_zero_in_the_list(client, search_attributes):
    # Temporal's visibility manager copies HistoryLength (and ExecutionDuration, CloseTime) into
    # the list's WorkflowExecutionInfo only for closed runs (convertToWorkflowExecutionInfo in
    # common/persistence/visibility/visibility_manager_impl.go).
    handle = await bounded(client.start_workflow("Invoice", id=f"hl-{uid()}", task_queue=task_queue("vis-hl")),
                           LIST_S, "start")
    try:
        [w] = await list_all(client, f"WorkflowId = '{handle.id}'")
        assert w.status == WorkflowExecutionStatus.RUNNING
        assert w.history_length == 0
    finally:
        await bounded(handle.terminate(reason="test over"), LIST_S, "terminate")


async def test_execution_duration_in_days_or_hh_mm_ss(client, search_attributes):
    # Temporal parses an ExecutionDuration literal as nanoseconds, a Go duration ('1h30m', with
    # 'd' for days) or 'HH:MM:SS' (ParseExecutionDurationStr in visibility/store/query/util.go).
    handle = await bounded(client.start_workflow("Invoice", id=f"dur-{uid()}", task_queue=task_queue("vis-dur")),
                           LIST_S, "start")
    await bounded(handle.terminate(reason="done"), LIST_S, "terminate")
    wrong = []
    for literal in ("'1d'", "'00:01:00'"):
        try:
            if await list_ids(client, f"WorkflowId = '{handle.id}' AND ExecutionDuration < {literal}") != [handle.id]:
                wrong.append(f"{literal}: not found")
        except RPCError as err:
            wrong.append(f"{literal}: {err.status.name} {err.message}")
    assert not wrong, wrong


async def test_start_setting_a_system_attribute_is_refused_as_temporal_words_it(client, search_attributes):
    # common/searchattribute/validator.go: "%s attribute can't be set in SearchAttributes".
    with pytest.raises(RPCError) as exc:
        await bounded(client.start_workflow(
            "Invoice", id=f"sys-{uid()}", task_queue=task_queue("vis-sys"),
            search_attributes=TypedSearchAttributes([SearchAttributePair(SearchAttributeKey.for_keyword("WorkflowId"), "w")])),
            LIST_S, "start")
    assert exc.value.status == RPCStatusCode.INVALID_ARGUMENT
    assert "WorkflowId attribute can't be set in SearchAttributes" in exc.value.message
