"""`WorkflowEnvironment.start_time_skipping` of the Python SDK launches Sandglass as its test
server (existing-path): a workflow's week-long sleep passes on the server's virtual clock, and
`env.sleep` moves that clock."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from sglib import RUN_TIMEOUT_S, SANDGLASS_BIN, bounded, running_worker, task_queue
from timeskip.workflow import WEEK_S, WeekSleeper


async def test_start_time_skipping_skips_a_week():
    env = await bounded(WorkflowEnvironment.start_time_skipping(test_server_existing_path=SANDGLASS_BIN),
                        20, "WorkflowEnvironment.start_time_skipping")
    try:
        assert env.supports_time_skipping
        t0 = await env.get_current_time()
        async with running_worker(env.client, workflows=[WeekSleeper]) as worker:
            slept = await bounded(env.client.execute_workflow(
                WeekSleeper.run, id=f"week-{task_queue()}", task_queue=worker.task_queue,
            ), RUN_TIMEOUT_S, "execute_workflow")
        assert slept >= WEEK_S
        t1 = await env.get_current_time()
        assert (t1 - t0).total_seconds() >= WEEK_S
        await bounded(env.sleep(timedelta(days=1)), 10, "env.sleep(1 day)")
        t2 = await env.get_current_time()
        assert timedelta(days=1) <= t2 - t1 < timedelta(days=1, minutes=1)
    finally:
        await bounded(env.shutdown(), 15, "WorkflowEnvironment.shutdown")
