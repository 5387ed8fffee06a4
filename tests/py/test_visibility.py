"""Visibility from the Python SDK: `client.list_workflows` and `client.count_workflows` (seed 002's
runbook lists running workflows by `ExecutionStatus = 'Running'` and finds a run by its id)."""

from __future__ import annotations

import uuid

import pytest
from temporalio.service import RPCError, RPCStatusCode

import journal
from seed001 import activities
from seed001.workflow import RepoIndexingWorkflow, workflow_id_for
from sglib import RUN_TIMEOUT_S, bounded, running_worker


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
