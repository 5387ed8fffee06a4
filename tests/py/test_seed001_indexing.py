"""Seed 001's repository-indexing pipeline, run by the official Python SDK against Sandglass:
sequential activities, per-activity retry policies and timeouts, cleanup in `finally`,
deterministic workflow ids, and a permanent failure that is not retried."""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.enums.v1 import RetryState
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

import journal
from seed001 import activities
from seed001.workflow import TIMEOUTS, RepoIndexingWorkflow, workflow_id_for
from sglib import (RUN_TIMEOUT_S, bounded, history_events, names, of_type, replay, running_worker,
                   scheduled_activity_types)

PIPELINE = ["clone_repo_activity", "parse_repo_activity", "persist_metadata_activity", "persist_kg_activity",
            "cleanup_stale_kg_nodes_activity", "cleanup_repo_activity"]


def repo_request() -> dict:
    repo_id = f"repo-{uuid.uuid4().hex[:8]}"
    return {"installation_id": 123, "github_repo_name": f"acme/{repo_id}", "repo_id": repo_id,
            "default_branch": "main", "repo_url": f"https://github.com/acme/{repo_id}.git"}


async def start(client, worker, req, **kwargs):
    return await bounded(client.start_workflow(RepoIndexingWorkflow.run, req, id=workflow_id_for(req),
                                               task_queue=worker.task_queue, **kwargs), 10, "start_workflow")


def called(req) -> list[str]:
    return [name for name, _, _ in journal.calls(req["repo_id"])]


async def test_pipeline_runs_every_activity_in_order(client):
    req = repo_request()
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        handle = await start(client, worker, req)
        assert handle.id == f"repo-index-{req['repo_id']}-main"
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")

        assert result["status"] == "success"
        assert result["repo"] == req["github_repo_name"]
        assert len(result["commit_sha"]) == 40
        assert result["stats"]["total_symbols"] == 1500
        assert result["stale_nodes_deleted"] == 50
        assert called(req) == PIPELINE

        events = await history_events(handle)
        assert names(events)[0] == "WORKFLOW_EXECUTION_STARTED"
        assert names(events)[-1] == "WORKFLOW_EXECUTION_COMPLETED"
        assert scheduled_activity_types(events) == PIPELINE
        # Sequential: each activity is scheduled only after the previous one completed.
        scheduled = of_type(events, "ACTIVITY_TASK_SCHEDULED")
        completed = of_type(events, "ACTIVITY_TASK_COMPLETED")
        assert len(completed) == len(PIPELINE)
        for prev_done, nxt in zip(completed, scheduled[1:]):
            assert nxt.event_id > prev_done.event_id
        # Per-activity timeouts and retry policies are stored as the workflow asked.
        for ev in scheduled:
            attrs = ev.activity_task_scheduled_event_attributes
            name = attrs.activity_type.name
            assert attrs.start_to_close_timeout.ToTimedelta() == TIMEOUTS[name], name
            expected_attempts = 1 if name == "cleanup_stale_kg_nodes_activity" else 3
            assert attrs.retry_policy.maximum_attempts == expected_attempts, name
            if expected_attempts == 3:
                assert attrs.retry_policy.backoff_coefficient == 2.0
                assert attrs.retry_policy.initial_interval.ToMilliseconds() == 200
                assert attrs.retry_policy.maximum_interval.ToMilliseconds() == 600
        await replay(handle, [RepoIndexingWorkflow])


async def test_transient_failures_are_retried_with_the_policy(client):
    req = repo_request()
    journal.FAULTS[req["repo_id"]]["parse_repo_activity"] = ["transient", "transient", "ok"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        handle = await start(client, worker, req)
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
        assert result["status"] == "success"
        assert [a for _, a, _ in journal.calls(req["repo_id"], "parse_repo_activity")] == [1, 2, 3]

        events = await history_events(handle)
        # Retries are the server's: one Scheduled, one Started (the last attempt), no failure event.
        assert scheduled_activity_types(events).count("parse_repo_activity") == 1
        assert not of_type(events, "ACTIVITY_TASK_FAILED")
        parse_sched = next(e for e in of_type(events, "ACTIVITY_TASK_SCHEDULED")
                           if e.activity_task_scheduled_event_attributes.activity_type.name == "parse_repo_activity")
        started = next(e for e in of_type(events, "ACTIVITY_TASK_STARTED")
                       if e.activity_task_started_event_attributes.scheduled_event_id == parse_sched.event_id)
        assert started.activity_task_started_event_attributes.attempt == 3
        assert "transient failure on attempt 2" in started.activity_task_started_event_attributes.last_failure.message
        await replay(handle, [RepoIndexingWorkflow])


async def test_retries_exhausted_fail_the_workflow_and_cleanup_still_runs(client):
    req = repo_request()
    journal.FAULTS[req["repo_id"]]["persist_kg_activity"] = ["transient"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        handle = await start(client, worker, req)
        with pytest.raises(WorkflowFailureError) as exc:
            await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
        assert isinstance(exc.value.cause, ActivityError)
        assert exc.value.cause.retry_state == RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
        assert isinstance(exc.value.cause.cause, ApplicationError)
        assert exc.value.cause.cause.type == "Transient"

        assert [a for _, a, _ in journal.calls(req["repo_id"], "persist_kg_activity")] == [1, 2, 3]
        # The finally block ran after the failure; nothing after the failed step did.
        assert called(req)[-1] == "cleanup_repo_activity"
        assert "cleanup_stale_kg_nodes_activity" not in called(req)

        events = await history_events(handle)
        failed = of_type(events, "ACTIVITY_TASK_FAILED")
        assert len(failed) == 1
        assert failed[0].activity_task_failed_event_attributes.retry_state == \
            RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
        assert names(events)[-1] == "WORKFLOW_EXECUTION_FAILED"
        await replay(handle, [RepoIndexingWorkflow])


async def test_permanent_failure_is_not_retried(client):
    req = repo_request()
    journal.FAULTS[req["repo_id"]]["clone_repo_activity"] = ["permanent"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        handle = await start(client, worker, req)
        with pytest.raises(WorkflowFailureError) as exc:
            await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
        cause = exc.value.cause
        assert isinstance(cause, ActivityError)
        assert cause.retry_state == RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE
        assert isinstance(cause.cause, ApplicationError) and cause.cause.non_retryable
        assert cause.cause.type == "RepoNotFound"
        # One attempt despite maximum_attempts=3; no clone, so no cleanup.
        assert called(req) == ["clone_repo_activity"]
        events = await history_events(handle)
        assert of_type(events, "ACTIVITY_TASK_FAILED")[0].activity_task_failed_event_attributes.retry_state == \
            RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE
        await replay(handle, [RepoIndexingWorkflow])


async def test_no_retry_policy_means_one_attempt(client):
    req = repo_request()
    journal.FAULTS[req["repo_id"]]["cleanup_stale_kg_nodes_activity"] = ["transient"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        handle = await start(client, worker, req)
        with pytest.raises(WorkflowFailureError) as exc:
            await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
        assert exc.value.cause.retry_state == RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
        assert [a for _, a, _ in journal.calls(req["repo_id"], "cleanup_stale_kg_nodes_activity")] == [1]
        assert called(req)[-1] == "cleanup_repo_activity"


async def test_deterministic_id_prevents_duplicate_runs(client):
    req = repo_request()
    journal.FAULTS[req["repo_id"]]["clone_repo_activity"] = ["gate"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        first = await start(client, worker, req)
        # The same repo and branch while the first run is open: refused, as Temporal does.
        with pytest.raises(WorkflowAlreadyStartedError) as exc:
            await start(client, worker, req)
        assert exc.value.workflow_id == first.id
        journal.GATES[req["repo_id"]].set()
        assert (await bounded(first.result(), RUN_TIMEOUT_S, "first result"))["status"] == "success"

        # Once it has closed, the default reuse policy allows a new run; REJECT_DUPLICATE does not.
        with pytest.raises(WorkflowAlreadyStartedError):
            await start(client, worker, req, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        second = await start(client, worker, req)
        assert second.result_run_id != first.result_run_id
        assert (await bounded(second.result(), RUN_TIMEOUT_S, "second result"))["status"] == "success"
        desc = await bounded(client.get_workflow_handle(first.id).describe(), 10, "describe")
        assert desc.run_id == second.result_run_id
