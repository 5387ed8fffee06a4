"""Schedules through the official Python SDK's schedule API, the way seed 000's team drives the
schedules of a sync: client.create_schedule (interval spec, memo, typed search attributes on the
schedule and on the action), ScheduleHandle.describe / pause / unpause / trigger / backfill /
update / delete and client.list_schedules.

Every expectation is what Temporal answers (service/worker/scheduler/workflow.go and
service/frontend/workflow_handler.go of temporalio/temporal; the schedule tests of
temporalio/sdk-python tests/test_client.py): describe shows the policies with their defaults
filled in (overlap SKIP, catch-up window 365 days), the schedule's own memo and search attributes
without the scheduler's internal ones, the next 10 action times (none once limited actions run
out), no update time until an update; a started run's id is "<action id>-<nominal time, RFC 3339
to the second>" and it carries TemporalScheduledById / TemporalScheduledStartTime; triggers and
backfills ignore pause; a backfill takes both ends of its range.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from temporalio import workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import (Client, Schedule, ScheduleActionExecutionStartWorkflow,
                               ScheduleActionStartWorkflow, ScheduleAlreadyRunningError,
                               ScheduleBackfill, ScheduleIntervalSpec, ScheduleOverlapPolicy,
                               SchedulePolicy, ScheduleSpec, ScheduleState, ScheduleUpdate,
                               ScheduleUpdateInput, WorkflowExecutionStatus)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

# The worker's sandbox re-imports this module to validate ScheduledSync: the test machinery is
# passed through (sglib resolves the binary's path at import, which the sandbox forbids).
with workflow.unsafe.imports_passed_through():
    import pytest
    import pytest_asyncio

    from sglib import RUN_TIMEOUT_S, bounded, running_worker

# A custom Keyword attribute the team puts on its schedules (and on the runs they start).
TEAM = SearchAttributeKey.for_keyword("SyncTeam")
SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")

# Temporal's defaults, filled in eagerly so that describe shows them (scheduler ensureFields).
DEFAULT_POLICY = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=365),
                                pause_on_failure=False)

HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@workflow.defn
class ScheduledSync:
    @workflow.run
    async def run(self, sync_id: str) -> str:
        return f"synced {sync_id}"


@pytest_asyncio.fixture(scope="module")
async def team_key(client: Client) -> SearchAttributeKey:
    """Registers SyncTeam (Keyword) in the namespace once, as a team would with the operator API."""
    listed = await bounded(client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)), 10, "list_search_attributes")
    if TEAM.name not in listed.custom_attributes:
        await bounded(client.operator_service.add_search_attributes(AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={TEAM.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD})), 10,
            "add_search_attributes")
    return TEAM


def short_id() -> str:
    return uuid.uuid4().hex[:10]


def rfc3339(t: datetime) -> str:
    """Go's time.RFC3339 of a UTC time truncated to the second, as the scheduler appends it."""
    return t.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_second(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(microsecond=0)


def next_grid_times(after: datetime, every: timedelta, count: int, offset: timedelta = timedelta()) -> list[datetime]:
    """The first `count` times epoch + n*every + offset strictly after `after` (an interval spec)."""
    n = (after - EPOCH - offset) // every + 1
    return [EPOCH + offset + (n + i) * every for i in range(count)]


def sync_action(sync_id: str, action_id: str, task_queue: str, **kwargs) -> ScheduleActionStartWorkflow:
    return ScheduleActionStartWorkflow(ScheduledSync.run, sync_id, id=action_id, task_queue=task_queue, **kwargs)


async def describe(handle):
    return await bounded(handle.describe(), 10, f"describe {handle.id}")


async def eventually(probe, ok, seconds: float, label: str):
    """Polls `probe()` until `ok(value)`, for at most `seconds`; returns the last value."""
    async def loop():
        while True:
            value = await probe()
            if ok(value):
                return value
            await asyncio.sleep(0.1)
    return await bounded(loop(), seconds, label)


async def runs_of(client: Client, schedule_id: str) -> list:
    return [w async for w in client.list_workflows(f"TemporalScheduledById = '{schedule_id}'")]


async def listed_schedules(client: Client, query: str | None = None) -> dict:
    return {s.id: s async for s in await client.list_schedules(query)}


async def test_create_and_describe_an_interval_schedule(client, team_key):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    action_attrs = TypedSearchAttributes([SearchAttributePair(team_key, "ingest-runs")])
    schedule = Schedule(
        action=sync_action(sync_id, f"run-sync-{sync_id}", "sync-queue", typed_search_attributes=action_attrs),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)]),
    )
    memo = {"sync_id": sync_id, "source": {"kind": "postgres", "tables": 3}}
    before = datetime.now(timezone.utc)
    handle = await bounded(client.create_schedule(
        sid, schedule, memo=memo,
        search_attributes=TypedSearchAttributes([SearchAttributePair(team_key, "ingest")])), 10, "create_schedule")
    assert handle.id == sid
    desc = await describe(handle)
    after = datetime.now(timezone.utc)

    assert desc.id == sid
    assert desc.schedule.spec == ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR, offset=None)])
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id, action.task_queue) == ("ScheduledSync", f"run-sync-{sync_id}", "sync-queue")
    assert list(action.args) == await DataConverter.default.encode([sync_id])
    assert await DataConverter.default.decode(list(action.args)) == [sync_id]
    assert (action.execution_timeout, action.run_timeout, action.task_timeout, action.retry_policy) == (None,) * 4
    assert action.memo is None and action.headers is None
    # Temporal (>= 1.24) gives the action's attributes their types on describe.
    assert action.typed_search_attributes == action_attrs
    assert desc.schedule.policy == DEFAULT_POLICY
    assert desc.schedule.state == ScheduleState(note=None, paused=False, limited_actions=False, remaining_actions=0)
    # The schedule's own memo and attributes, none of the scheduler's internal ones.
    assert await desc.memo() == memo
    assert await desc.memo_value("source") == {"kind": "postgres", "tables": 3}
    assert desc.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(team_key, "ingest")])
    assert desc.search_attributes == {"SyncTeam": ["ingest"]}

    info = desc.info
    assert before - timedelta(milliseconds=1) <= info.created_at <= after
    assert info.last_updated_at is None
    assert (info.num_actions, info.num_actions_missed_catchup_window, info.num_actions_skipped_overlap) == (0, 0, 0)
    assert list(info.running_actions) == [] and list(info.recent_actions) == []
    # The next 10 times on the hourly grid (epoch + n * 1h) after the schedule was created.
    assert list(info.next_action_times) == next_grid_times(info.created_at, HOUR, 10)

    # As the SDK's own test_schedule_basics compares it: what was sent, with args encoded and
    # the policy defaults filled in.
    expected = Schedule(
        action=sync_action(sync_id, f"run-sync-{sync_id}", "sync-queue", typed_search_attributes=action_attrs),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)]),
        policy=DEFAULT_POLICY,
    )
    expected.action.args = await DataConverter.default.encode([sync_id])
    assert desc.schedule == expected
    await bounded(handle.delete(), 10, "delete")


async def test_creating_the_same_schedule_id_again_raises_already_running(client):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)])
    handle = await bounded(client.create_schedule(
        sid, Schedule(action=sync_action(sync_id, f"run-sync-{sync_id}", "q1"), spec=spec)), 10, "create")
    with pytest.raises(ScheduleAlreadyRunningError):
        await bounded(client.create_schedule(
            sid, Schedule(action=sync_action("other", "run-other", "q2"), spec=spec)), 10, "create again")
    desc = await describe(handle)
    assert isinstance(desc.schedule.action, ScheduleActionStartWorkflow)
    assert (desc.schedule.action.id, desc.schedule.action.task_queue) == (f"run-sync-{sync_id}", "q1"), \
        "the refused create changed nothing"
    await bounded(handle.delete(), 10, "delete")


async def test_pause_and_unpause_with_notes(client):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    handle = await bounded(client.create_schedule(sid, Schedule(
        action=sync_action(sync_id, f"run-sync-{sync_id}", "q"),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)]))), 10, "create")

    await bounded(handle.pause(note="source connection under maintenance"), 10, "pause")
    desc = await describe(handle)
    assert desc.schedule.state == ScheduleState(note="source connection under maintenance", paused=True)
    # A paused schedule still lists its next times (Temporal's getFutureActionTimes ignores pause),
    # and a pause is a patch, not an update.
    assert list(desc.info.next_action_times) == next_grid_times(desc.info.created_at, HOUR, 10)
    assert desc.info.last_updated_at is None

    await bounded(handle.unpause(note="maintenance done"), 10, "unpause")
    desc = await describe(handle)
    assert desc.schedule.state == ScheduleState(note="maintenance done", paused=False)

    # Without a note the SDK sends its own.
    await bounded(handle.pause(), 10, "pause without note")
    assert (await describe(handle)).schedule.state == ScheduleState(note="Paused via Python SDK", paused=True)
    await bounded(handle.unpause(), 10, "unpause without note")
    assert (await describe(handle)).schedule.state == ScheduleState(note="Unpaused via Python SDK", paused=False)
    assert (await describe(handle)).info.num_actions == 0
    await bounded(handle.delete(), 10, "delete")


async def test_trigger_starts_a_run_at_once_even_while_paused(client, team_key):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    action_id = f"run-sync-{sync_id}"
    async with running_worker(client, workflows=[ScheduledSync]) as worker:
        handle = await bounded(client.create_schedule(sid, Schedule(
            action=sync_action(sync_id, action_id, worker.task_queue,
                               typed_search_attributes=TypedSearchAttributes([SearchAttributePair(team_key, "ingest")])),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)]),
            state=ScheduleState(paused=True, note="manual runs only"))), 10, "create")

        before = datetime.now(timezone.utc)
        await bounded(handle.trigger(), 10, "trigger")
        desc = await eventually(lambda: describe(handle), lambda d: d.info.num_actions >= 1, 5, "the trigger's run")
        after = datetime.now(timezone.utc)
        assert desc.info.num_actions == 1
        assert desc.schedule.state == ScheduleState(note="manual runs only", paused=True), "trigger does not unpause"
        [recent] = desc.info.recent_actions
        assert before - timedelta(milliseconds=1) <= recent.scheduled_at <= after
        assert recent.scheduled_at <= recent.started_at <= after
        assert isinstance(recent.action, ScheduleActionExecutionStartWorkflow)
        wid = recent.action.workflow_id
        assert wid == f"{action_id}-{rfc3339(recent.scheduled_at)}"

        run = client.get_workflow_handle(wid, run_id=recent.action.first_execution_run_id)
        assert await bounded(run.result(), RUN_TIMEOUT_S, "triggered run") == f"synced {sync_id}"
        wdesc = await bounded(run.describe(), 10, "describe run")
        assert wdesc.workflow_type == "ScheduledSync" and wdesc.task_queue == worker.task_queue
        assert wdesc.status == WorkflowExecutionStatus.COMPLETED
        assert wdesc.typed_search_attributes.get(SCHEDULED_BY) == sid
        assert wdesc.typed_search_attributes.get(SCHEDULED_START) == to_second(recent.scheduled_at)
        assert wdesc.typed_search_attributes.get(team_key) == "ingest"
        runs = await eventually(lambda: runs_of(client, sid), lambda r: len(r) >= 1, 5, "the run in visibility")
        assert [w.id for w in runs] == [wid]
        # Describe reports only runs still running (Temporal checks each one at describe time).
        assert list((await describe(handle)).info.running_actions) == []
        await bounded(handle.delete(), 10, "delete")


async def test_backfill_a_past_range_starts_one_run_per_minute_inclusive(client):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    action_id = f"run-sync-{sync_id}"
    minute = timedelta(minutes=1)
    base = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=10)
    expected_times = [base + i * minute for i in range(4)]
    expected_ids = [f"{action_id}-{rfc3339(t)}" for t in expected_times]
    async with running_worker(client, workflows=[ScheduledSync]) as worker:
        handle = await bounded(client.create_schedule(sid, Schedule(
            action=sync_action(sync_id, action_id, worker.task_queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=minute)]),
            state=ScheduleState(paused=True, note="backfill only"))), 10, "create")

        # Both ends are taken (Temporal >= 1.24): base, +1, +2, +3 minutes.
        await bounded(handle.backfill(ScheduleBackfill(start_at=base, end_at=base + 3 * minute,
                                                       overlap=ScheduleOverlapPolicy.ALLOW_ALL)), 10, "backfill")
        desc = await eventually(lambda: describe(handle), lambda d: d.info.num_actions >= 4, 5, "4 backfilled runs")
        assert desc.info.num_actions == 4
        assert [r.scheduled_at for r in desc.info.recent_actions] == expected_times
        assert [r.action.workflow_id for r in desc.info.recent_actions] == expected_ids
        assert desc.schedule.state == ScheduleState(note="backfill only", paused=True), "backfill does not unpause"

        for r in desc.info.recent_actions:
            run = client.get_workflow_handle(r.action.workflow_id, run_id=r.action.first_execution_run_id)
            assert await bounded(run.result(), RUN_TIMEOUT_S, f"backfilled run {run.id}") == f"synced {sync_id}"
        # Visibility is eventually consistent on Temporal: wait (bounded) for the closed runs.
        runs = await eventually(lambda: runs_of(client, sid), lambda r: len(r) >= 4 and all(
            w.status != WorkflowExecutionStatus.RUNNING for w in r), 5, "4 closed runs in visibility")
        assert sorted(w.id for w in runs) == expected_ids
        assert all(w.status == WorkflowExecutionStatus.COMPLETED for w in runs)
        starts = {w.id: w.typed_search_attributes.get(SCHEDULED_START) for w in runs}
        assert starts == dict(zip(expected_ids, expected_times))
        await asyncio.sleep(0.5)
        assert (await describe(handle)).info.num_actions == 4, "nothing else ran"
        await bounded(handle.delete(), 10, "delete")


async def test_update_changes_spec_action_args_and_search_attributes(client, team_key):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    action_id = f"run-sync-{sync_id}"
    handle = await bounded(client.create_schedule(
        sid, Schedule(action=sync_action(sync_id, action_id, "q"),
                      spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)])),
        search_attributes=TypedSearchAttributes([SearchAttributePair(team_key, "ingest")])), 10, "create")
    created = (await describe(handle)).info.created_at

    new_spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=2), offset=timedelta(minutes=15))])
    seen: list[ScheduleUpdateInput] = []

    def updater(input: ScheduleUpdateInput) -> ScheduleUpdate:
        seen.append(input)
        sched = input.description.schedule
        assert isinstance(sched.action, ScheduleActionStartWorkflow)
        sched.spec = new_spec
        sched.action.args = [f"{sync_id}-full"]
        return ScheduleUpdate(schedule=sched, search_attributes=TypedSearchAttributes(
            [SearchAttributePair(team_key, "platform")]))

    before = datetime.now(timezone.utc)
    await bounded(handle.update(updater), 10, "update")
    after = datetime.now(timezone.utc)
    # The callback saw the current description.
    [first] = seen
    assert first.description.id == sid
    assert first.description.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(team_key, "ingest")])

    desc = await describe(handle)
    assert desc.schedule.spec == new_spec
    assert isinstance(desc.schedule.action, ScheduleActionStartWorkflow)
    assert await DataConverter.default.decode(list(desc.schedule.action.args)) == [f"{sync_id}-full"]
    assert (desc.schedule.action.workflow, desc.schedule.action.id) == ("ScheduledSync", action_id)
    assert desc.schedule.policy == DEFAULT_POLICY
    assert desc.schedule.state == ScheduleState()
    assert desc.info.created_at == created
    updated_at = desc.info.last_updated_at
    assert updated_at is not None and before - timedelta(milliseconds=1) <= updated_at <= after
    # Next times follow the new spec: every 2 hours at a quarter past, after the update.
    assert list(desc.info.next_action_times) == next_grid_times(updated_at, timedelta(hours=2), 10,
                                                                offset=timedelta(minutes=15))

    # Temporal upserts the schedule's search attributes from its scheduler workflow, so they show
    # eventually (the SDK's test_schedule_search_attribute_update waits for them too).
    desc = await eventually(lambda: describe(handle), lambda d: d.typed_search_attributes.get(team_key) != "ingest",
                            5, "the updated search attribute")
    assert desc.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(team_key, "platform")])
    found = await eventually(lambda: listed_schedules(client, f"SyncTeam = 'platform' AND ScheduleId = '{sid}'"),
                             lambda d: len(d) >= 1, 5, "list by the updated search attribute")
    assert sorted(found) == [sid]

    # An updater that returns None sends no update.
    await bounded(handle.update(lambda input: None), 10, "no-op update")
    assert (await describe(handle)).info.last_updated_at == updated_at

    # search_attributes=None leaves the schedule's attributes alone; an empty set clears them.
    def add_note(input: ScheduleUpdateInput) -> ScheduleUpdate:
        input.description.schedule.state.note = "full resync weekly"
        return ScheduleUpdate(schedule=input.description.schedule)
    await bounded(handle.update(add_note), 10, "update the note only")
    desc = await describe(handle)
    assert desc.schedule.state == ScheduleState(note="full resync weekly")
    assert desc.schedule.spec == new_spec
    assert desc.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(team_key, "platform")])
    await bounded(handle.update(lambda input: ScheduleUpdate(schedule=input.description.schedule,
                                                             search_attributes=TypedSearchAttributes.empty)),
                  10, "update clearing the search attributes")
    desc = await eventually(lambda: describe(handle), lambda d: len(d.typed_search_attributes) == 0, 5,
                            "the search attributes cleared")
    assert desc.search_attributes == {}
    await bounded(handle.delete(), 10, "delete")


async def test_remaining_actions_run_out(client):
    sync_id, sid = short_id(), f"sync-{short_id()}"
    second = timedelta(seconds=1)
    async with running_worker(client, workflows=[ScheduledSync]) as worker:
        # Create early in a second, so that describe comes before the first tick (a whole second).
        frac = datetime.now(timezone.utc).microsecond / 1e6
        if frac > 0.5:
            await asyncio.sleep(1.02 - frac)
        handle = await bounded(client.create_schedule(sid, Schedule(
            action=sync_action(sync_id, f"run-sync-{sync_id}", worker.task_queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=second)]),
            state=ScheduleState(limited_actions=True, remaining_actions=2))), 10, "create")
        desc = await describe(handle)
        assert desc.schedule.state == ScheduleState(limited_actions=True, remaining_actions=2)
        # Temporal lists no more future times than actions remain.
        assert list(desc.info.next_action_times) == next_grid_times(desc.info.created_at, second, 2)

        desc = await eventually(lambda: describe(handle), lambda d: d.info.num_actions >= 2, 6, "2 scheduled runs")
        assert desc.schedule.state == ScheduleState(limited_actions=True, remaining_actions=0)
        assert list(desc.info.next_action_times) == []
        await asyncio.sleep(2.0)
        desc = await describe(handle)
        assert desc.info.num_actions == 2, "no start after the remaining actions ran out"
        assert desc.schedule.state == ScheduleState(limited_actions=True, remaining_actions=0)
        runs = await eventually(lambda: runs_of(client, sid), lambda r: len(r) >= 2, 5, "2 runs in visibility")
        assert sorted(w.id for w in runs) == sorted(r.action.workflow_id for r in desc.info.recent_actions)
        assert len(runs) == 2
        for w in runs:
            # Each scheduled start was a whole second of the 1 s grid.
            start = w.typed_search_attributes.get(SCHEDULED_START)
            assert w.id == f"run-sync-{sync_id}-{rfc3339(start)}"
        await bounded(handle.delete(), 10, "delete")


async def test_list_by_search_attribute_then_delete(client, team_key):
    team = f"team-{short_id()}"
    active, held = f"sync-{short_id()}", f"sync-{short_id()}"
    spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=HOUR)])
    memo = {"owner": team}
    for sid, state in ((active, ScheduleState()), (held, ScheduleState(paused=True, note="held"))):
        await bounded(client.create_schedule(
            sid, Schedule(action=sync_action(sid, f"run-{sid}", "q"), spec=spec, state=state), memo=memo,
            search_attributes=TypedSearchAttributes([SearchAttributePair(team_key, team)])), 10, f"create {sid}")

    # Listing is eventually consistent on Temporal: wait (bounded) for both to show.
    everything = await eventually(lambda: listed_schedules(client), lambda d: {active, held} <= d.keys(), 5,
                                  "both in list_schedules()")
    entry = everything[held]
    assert entry.schedule is not None and entry.info is not None
    assert entry.schedule.action.workflow == "ScheduledSync"
    assert entry.schedule.spec == spec
    assert (entry.schedule.state.paused, entry.schedule.state.note) == (True, "held")
    assert entry.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(team_key, team)])
    assert await entry.memo() == memo
    assert list(entry.info.recent_actions) == []
    # Temporal's list entry carries the next 5 times.
    times = list(entry.info.next_action_times)
    assert len(times) == 5 and all(b - a == HOUR for a, b in zip(times, times[1:]))
    assert all((t - EPOCH) % HOUR == timedelta() for t in times)

    by_team = await listed_schedules(client, f"SyncTeam = '{team}'")
    assert sorted(by_team) == sorted([active, held])
    paused = await eventually(lambda: listed_schedules(client, f"SyncTeam = '{team}' AND TemporalSchedulePaused = true"),
                              lambda d: len(d) >= 1, 5, "the paused one by TemporalSchedulePaused")
    assert sorted(paused) == [held]

    handle = client.get_schedule_handle(held)
    await bounded(handle.delete(), 10, "delete")
    with pytest.raises(RPCError) as err:
        await bounded(handle.describe(), 10, "describe deleted")
    assert err.value.status == RPCStatusCode.NOT_FOUND
    with pytest.raises(RPCError) as err:
        await bounded(handle.delete(), 10, "delete again")
    assert err.value.status == RPCStatusCode.NOT_FOUND
    remaining = await eventually(lambda: listed_schedules(client, f"SyncTeam = '{team}'"),
                                 lambda d: held not in d, 5, "deleted schedule gone from the list")
    assert sorted(remaining) == [active]
    await bounded(client.get_schedule_handle(active).delete(), 10, "delete active")
