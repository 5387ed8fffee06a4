"""Seed 003's eight-phase test cycle, run by the official Python SDK against Sandglass: phases 3
and 4 in parallel, retry strategies per activity kind, heartbeats that a retry resumes from,
compensation in reverse order, and versioning with `workflow.patched`."""

from __future__ import annotations

import json
import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

import journal
from seed003 import activities
from seed003.model import TestCycleWorkflowInput
from seed003.workflow import PHASES, TRACKING_PATCH, EnhancedTestCycleWorkflow, EnhancedTestCycleWorkflowV1
from sglib import RUN_TIMEOUT_S, bounded, history_events, names, of_type, replay, running_worker

PHASE_NAMES = [PHASES[n][0] for n in range(1, 9)]


def cycle_input(**kwargs) -> TestCycleWorkflowInput:
    return TestCycleWorkflowInput(cycle_id=f"cycle-{uuid.uuid4().hex[:8]}", report_ids=[1, 2, 3], **kwargs)


async def run_cycle(client, worker, inp, workflow_run=EnhancedTestCycleWorkflow.run):
    handle = await bounded(client.start_workflow(workflow_run, inp, id=f"test-cycle-{inp.cycle_id}",
                                                 task_queue=worker.task_queue), 10, "start_workflow")
    return handle


def phases_run(inp) -> list[str]:
    return [detail for name, _, detail in journal.calls(inp.cycle_id)
            if name.endswith("_activity") and isinstance(detail, str)]


async def test_eight_phases_with_3_and_4_in_parallel(client):
    inp = cycle_input()
    async with running_worker(client, workflows=[EnhancedTestCycleWorkflow], activities=activities.ALL) as worker:
        handle = await run_cycle(client, worker, inp)
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")

    assert result["status"] == "completed" and result["version"] == 2
    assert sorted(result["phases"]) == sorted(PHASE_NAMES)
    assert result["phases"][:2] == PHASE_NAMES[:2] and result["phases"][4:] == PHASE_NAMES[4:]
    assert set(result["phases"][2:4]) == {"Sample Selection", "Data Owner Identification"}

    events = await history_events(handle)
    # Phases 3 and 4 are scheduled by the same workflow task completion, next to each other;
    # Sample Selection could only finish because Data Owner Identification ran at the same time.
    sched = {e.activity_task_scheduled_event_attributes.activity_type.name: e
             for e in of_type(events, "ACTIVITY_TASK_SCHEDULED")}
    s3 = sched["sample_selection_activity"].event_id
    s4 = sched["data_owner_identification_activity"].event_id
    assert s4 == s3 + 1
    assert names(events)[s3 - 2] == "WORKFLOW_TASK_COMPLETED"  # event ids are 1-based
    # Retry strategies travel with each activity.
    assert sched["planning_activity"].activity_task_scheduled_event_attributes.retry_policy.backoff_coefficient == 2.0
    assert sched["scoping_activity"].activity_task_scheduled_event_attributes.retry_policy.backoff_coefficient == 1.5
    rfi = sched["request_for_information_activity"].activity_task_scheduled_event_attributes
    assert rfi.retry_policy.backoff_coefficient == 1.0 and rfi.retry_policy.maximum_attempts == 3
    assert sched["test_execution_activity"].activity_task_scheduled_event_attributes.heartbeat_timeout.ToSeconds() == 10

    # Tracking (version 2): one step record per phase, after it completed.
    tracked = [d for name, _, d in journal.calls(inp.cycle_id, "record_workflow_step_activity")]
    # Phases 3 and 4 may finish in one workflow task; their two record activities then run at
    # once and reach the journal in either order.
    order = [p for p, _, _ in tracked]
    assert order[:2] == result["phases"][:2] and order[4:] == result["phases"][4:]
    assert set(order[2:4]) == set(result["phases"][2:4])
    assert all(status == "completed" and took >= 0 for _, status, took in tracked)

    # workflow.patched left its marker in history.
    markers = of_type(events, "MARKER_RECORDED")
    assert [m.marker_recorded_event_attributes.marker_name for m in markers] == ["core_patch"]
    patch = json.loads(markers[0].marker_recorded_event_attributes.details["patch-data"].payloads[0].data)
    assert patch == {"id": TRACKING_PATCH, "deprecated": False}
    await replay(handle, [EnhancedTestCycleWorkflow])


async def test_retry_strategy_recovers_a_flaky_llm_call(client):
    inp = cycle_input(skip_phases=["Sample Selection", "Data Owner Identification"])
    journal.FAULTS[inp.cycle_id]["planning_activity"] = ["transient", "ok"]
    async with running_worker(client, workflows=[EnhancedTestCycleWorkflow], activities=activities.ALL) as worker:
        handle = await run_cycle(client, worker, inp)
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
    assert result["status"] == "completed"
    assert "Sample Selection" not in result["phases"]
    assert [a for _, a, _ in journal.calls(inp.cycle_id, "planning_activity")] == [1, 2]
    await replay(handle, [EnhancedTestCycleWorkflow])


async def test_heartbeats_let_a_retry_resume_where_the_crash_left_off(client):
    inp = cycle_input(test_cases=5)
    journal.FAULTS[inp.cycle_id]["test_execution_activity"] = ["crash-after-3", "ok"]
    async with running_worker(client, workflows=[EnhancedTestCycleWorkflow], activities=activities.ALL) as worker:
        handle = await run_cycle(client, worker, inp)
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
    assert result["status"] == "completed"
    runs = journal.calls(inp.cycle_id, "test_execution_activity")
    # The first attempt heartbeated cases 1..3 and crashed; the server handed the last heartbeat
    # to the second attempt, which went on from case 4.
    assert [(a, d["resumed_after"]) for _, a, d in runs] == [(1, 0), (2, 3)]
    await replay(handle, [EnhancedTestCycleWorkflow])


async def test_failure_compensates_completed_phases_in_reverse_order(client):
    inp = cycle_input()
    journal.FAULTS[inp.cycle_id]["test_execution_activity"] = ["permanent"]
    async with running_worker(client, workflows=[EnhancedTestCycleWorkflow], activities=activities.ALL) as worker:
        handle = await run_cycle(client, worker, inp)
        with pytest.raises(WorkflowFailureError) as exc:
            await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")

    err = exc.value.cause
    assert isinstance(err, ApplicationError) and err.type == "TestCycleFailed" and err.non_retryable
    completed_before = [p for p, _, _ in (d for _, _, d in journal.calls(inp.cycle_id, "record_workflow_step_activity"))]
    assert completed_before[:2] == PHASE_NAMES[:2] and len(completed_before) == 5
    # The failure's cause chain reached the client intact: workflow error <- activity <- application error.
    assert isinstance(err.cause, ActivityError)
    assert isinstance(err.cause.cause, ApplicationError) and err.cause.cause.type == "EnvironmentGone"
    # Phases 3 and 4 run in parallel: the workflow's completion order is the order their results
    # reached it, while the journal records the order the worker happened to start the two
    # record-step activities scheduled in one task. Only the sequential phases have a fixed place.
    (undone,) = err.details
    assert sorted(undone) == sorted(completed_before)
    assert undone[-2:] == list(reversed(PHASE_NAMES[:2])) and undone[0] == completed_before[-1]

    # Compensations run one after another, so their journal order is exactly the workflow's.
    comps = [d for _, _, d in journal.calls(inp.cycle_id, "compensate_phase_activity")]
    assert [p for p, _ in comps] == undone
    strategies = {name: s for name, _, _, s in PHASES.values()}
    assert all(s == strategies[p] for p, s in comps)
    assert "observation_management_activity" not in [n for n, _, _ in journal.calls(inp.cycle_id)]

    events = await history_events(handle)
    assert names(events)[-1] == "WORKFLOW_EXECUTION_FAILED"
    await replay(handle, [EnhancedTestCycleWorkflow])


async def test_versioning_old_histories_replay_with_new_code(client):
    """A run made by version 1 (no patch) finishes, and its stored history replays under version 2:
    `patched` answers False there because the history has no marker."""
    inp = cycle_input()
    async with running_worker(client, workflows=[EnhancedTestCycleWorkflowV1], activities=activities.ALL) as worker:
        handle = await run_cycle(client, worker, inp, EnhancedTestCycleWorkflowV1.run)
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
    assert result["version"] == 1
    assert not journal.calls(inp.cycle_id, "record_workflow_step_activity")
    events = await history_events(handle)
    assert not of_type(events, "MARKER_RECORDED")
    await replay(handle, [EnhancedTestCycleWorkflow])
