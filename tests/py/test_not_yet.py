"""Calls of the Python SDK that Sandglass does not serve yet fail cleanly, as UNIMPLEMENTED with a
message naming the RPC, and never break a running worker (docs/compatibility.md lists them).
When one of these RPCs is built, move its case into the suite that tests it."""

from __future__ import annotations

import uuid

import pytest
from temporalio.service import RPCError, RPCStatusCode

import journal
from seed001 import activities
from seed001.workflow import RepoIndexingWorkflow, workflow_id_for
from sglib import RUN_TIMEOUT_S, bounded, running_worker

NOT_YET = {
    "GetWorkerBuildIdCompatibility": lambda client, h: client.get_worker_build_id_compatibility("any-queue"),
}


@pytest.mark.parametrize("rpc", sorted(NOT_YET))
async def test_unserved_call_is_unimplemented_and_the_worker_goes_on(client, rpc):
    repo_id = f"repo-{uuid.uuid4().hex[:8]}"
    req = {"installation_id": 1, "github_repo_name": f"acme/{repo_id}", "repo_id": repo_id,
           "default_branch": "main", "repo_url": ""}
    journal.FAULTS[repo_id]["parse_repo_activity"] = ["gate"]
    async with running_worker(client, workflows=[RepoIndexingWorkflow], activities=activities.ALL) as worker:
        handle = await bounded(client.start_workflow(RepoIndexingWorkflow.run, req, id=workflow_id_for(req),
                                                     task_queue=worker.task_queue), 10, "start_workflow")
        with pytest.raises(RPCError) as exc:
            await bounded(NOT_YET[rpc](client, handle), 10, rpc)
        assert exc.value.status == RPCStatusCode.UNIMPLEMENTED
        assert f"{rpc} is not implemented by Sandglass yet" in exc.value.message

        journal.GATES[repo_id].set()
        result = await bounded(handle.result(), RUN_TIMEOUT_S, "workflow result")
        assert result["status"] == "success"
