"""Talking to running workflows with the official Python SDK: signals (in order, while the worker
is busy), signal-with-start, cancellation caught by the workflow, termination, and NOT_FOUND for
runs that are gone. Each history replays."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError, TerminatedError
from temporalio.service import RPCError, RPCStatusCode

from approval.workflow import ApprovalWorkflow, record_outcome
from sglib import RUN_TIMEOUT_S, bounded, history_events, replay, running_worker


def wid(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


async def test_signals_arrive_in_order_and_the_decision_ends_it(client):
    async with running_worker(client, workflows=[ApprovalWorkflow], activities=[record_outcome]) as w:
        handle = await client.start_workflow(ApprovalWorkflow.run, 30.0, id=wid("approval"),
                                             task_queue=w.task_queue)
        for i in range(30):
            await handle.signal(ApprovalWorkflow.comment, f"c{i}")
        await handle.signal(ApprovalWorkflow.approve)
        out = await bounded(handle.result(), RUN_TIMEOUT_S, "result")
        assert out == {"decision": "approved", "comments": [f"c{i}" for i in range(30)]}
        signaled = [e for e in await history_events(handle) if e.HasField("workflow_execution_signaled_event_attributes")]
        assert len(signaled) == 31
        await replay(handle, [ApprovalWorkflow])


async def test_signal_with_start_then_signal_the_running_run(client):
    async with running_worker(client, workflows=[ApprovalWorkflow], activities=[record_outcome]) as w:
        workflow_id = wid("sws")
        h1 = await client.start_workflow(ApprovalWorkflow.run, 30.0, id=workflow_id, task_queue=w.task_queue,
                                         start_signal="comment", start_signal_args=["first"])
        h2 = await client.start_workflow(ApprovalWorkflow.run, 30.0, id=workflow_id, task_queue=w.task_queue,
                                         start_signal="comment", start_signal_args=["second"])
        assert h2.result_run_id == h1.result_run_id
        await h1.signal(ApprovalWorkflow.reject)
        out = await bounded(h1.result(), RUN_TIMEOUT_S, "result")
        assert out == {"decision": "rejected", "comments": ["first", "second"]}
        await replay(h1, [ApprovalWorkflow])


async def test_cancel_runs_the_cleanup_and_ends_cancelled(client):
    async with running_worker(client, workflows=[ApprovalWorkflow], activities=[record_outcome]) as w:
        handle = await client.start_workflow(ApprovalWorkflow.run, 600.0, id=wid("cancel"),
                                             task_queue=w.task_queue)
        await handle.signal(ApprovalWorkflow.comment, "looking")
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as exc:
            await bounded(handle.result(), RUN_TIMEOUT_S, "result")
        assert isinstance(exc.value.cause, CancelledError)
        desc = await handle.describe()
        assert desc.status.name == "CANCELED"
        types = [e.event_type for e in await history_events(handle)]
        from temporalio.api.enums.v1 import EventType
        assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED in types
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types  # the cleanup ran
        assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
        await replay(handle, [ApprovalWorkflow])
        with pytest.raises(RPCError) as gone:
            await handle.signal(ApprovalWorkflow.approve)
        assert gone.value.status == RPCStatusCode.NOT_FOUND


async def test_terminate_and_not_found_after(client):
    async with running_worker(client, workflows=[ApprovalWorkflow], activities=[record_outcome]) as w:
        handle = await client.start_workflow(ApprovalWorkflow.run, 600.0, id=wid("term"),
                                             task_queue=w.task_queue)
        await handle.terminate("operator says so")
        with pytest.raises(WorkflowFailureError) as exc:
            await bounded(handle.result(), RUN_TIMEOUT_S, "result")
        assert isinstance(exc.value.cause, TerminatedError)
        assert (await handle.describe()).status.name == "TERMINATED"
        with pytest.raises(RPCError) as again:
            await handle.terminate("twice")
        assert again.value.status == RPCStatusCode.NOT_FOUND
        with pytest.raises(RPCError) as missing:
            await client.get_workflow_handle(wid("never")).cancel()
        assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_query_while_waiting_and_after_the_end(client):
    async with running_worker(client, workflows=[ApprovalWorkflow], activities=[record_outcome]) as w:
        handle = await client.start_workflow(ApprovalWorkflow.run, 30.0, id=wid("query"),
                                             task_queue=w.task_queue)
        await handle.signal(ApprovalWorkflow.comment, "first")
        status = await bounded(handle.query(ApprovalWorkflow.status), 10, "query")
        assert status == {"decision": None, "comments": 1}
        await handle.signal(ApprovalWorkflow.approve)
        await bounded(handle.result(), RUN_TIMEOUT_S, "result")
        status = await bounded(handle.query(ApprovalWorkflow.status), 10, "query after close")
        assert status == {"decision": "approved", "comments": 1}
        from temporalio.client import WorkflowQueryFailedError
        with pytest.raises(WorkflowQueryFailedError):
            await bounded(handle.query("no_such_query"), 10, "unknown query")
