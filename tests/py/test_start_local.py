"""`WorkflowEnvironment.start_local` of the Python SDK's testing module launches Sandglass through
its existing-path option, the way seed 003 tests its workflow, and stops it afterwards."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from seed003 import activities
from seed003.model import TestCycleWorkflowInput
from seed003.workflow import EnhancedTestCycleWorkflow
from sglib import RUN_TIMEOUT_S, SANDGLASS_BIN, bounded, running_worker, sandglass_pids


async def test_start_local_runs_seed003_on_sandglass():
    env = await bounded(WorkflowEnvironment.start_local(
        dev_server_existing_path=SANDGLASS_BIN,
        namespace="synapse",
        search_attributes=[SearchAttributeKey.for_keyword("CycleId")],
        dev_server_startup_timeout=timedelta(seconds=10),
    ), 20, "WorkflowEnvironment.start_local")
    port = int(env.client.service_client.config.target_host.rsplit(":", 1)[1])
    try:
        # It is our binary that answers, in the namespace the environment asked for.
        assert len(sandglass_pids(port)) == 1
        assert env.client.namespace == "synapse"
        attrs = await bounded(env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="synapse")), 10, "ListSearchAttributes")
        assert "CycleId" in attrs.custom_attributes

        async with running_worker(env.client, workflows=[EnhancedTestCycleWorkflow], activities=activities.ALL,
                                  task_queue_name="test-queue"):
            result = await bounded(env.client.execute_workflow(
                EnhancedTestCycleWorkflow.run,
                TestCycleWorkflowInput(cycle_id="local-1", report_ids=[1, 2, 3]),
                id="test-workflow-1",
                task_queue="test-queue",
            ), RUN_TIMEOUT_S, "execute_workflow")
        assert result["status"] == "completed"
    finally:
        await bounded(env.shutdown(), 15, "WorkflowEnvironment.shutdown")

    deadline = time.monotonic() + 5
    while sandglass_pids(port) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert sandglass_pids(port) == [], "the environment's shutdown must stop the server"
