"""Seed 000 with the Python SDK: a sync runs from three schedules (every second, every minute by
cron, daily cleanup at 03:00 in a named zone); its source is deleted; the runs already started
by the schedule find the sync gone and, several at once, delete the sync's schedules from an
activity, idempotently. Afterwards every schedule is gone (describe: NOT_FOUND, list: absent),
no run failed, and no run starts any more."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.client import (Schedule, ScheduleActionStartWorkflow, ScheduleIntervalSpec,
                               ScheduleOverlapPolicy, SchedulePolicy, ScheduleSpec,
                               WorkflowExecutionStatus)
from temporalio.service import RPCError, RPCStatusCode

from seed000 import cleanup
from seed000.cleanup import RunSyncWorkflow, schedule_ids
from sglib import bounded, running_worker


async def runs_of(client, schedule_id: str) -> list:
    return [w async for w in client.list_workflows(f"TemporalScheduledById = '{schedule_id}'")]


async def test_orphaned_runs_delete_their_schedules_idempotently(client):
    sync_id = uuid.uuid4().hex[:8]
    cleanup.LIVE_SYNCS.add(sync_id)
    async with running_worker(client, workflows=[RunSyncWorkflow], activities=cleanup.ACTIVITIES) as worker:
        regular, minute, daily = schedule_ids(sync_id)
        action = ScheduleActionStartWorkflow(RunSyncWorkflow.run, sync_id, id=f"run-sync-{sync_id}",
                                             task_queue=worker.task_queue)
        # ALLOW_ALL: runs overlap, so several find the sync gone at once (the seed's concurrent case).
        policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
        await bounded(client.create_schedule(regular, Schedule(
            action=action, spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))]),
            policy=policy)), 10, "create regular")
        await bounded(client.create_schedule(minute, Schedule(
            action=action, spec=ScheduleSpec(cron_expressions=["* * * * *"]), policy=policy)), 10, "create minute")
        await bounded(client.create_schedule(daily, Schedule(
            action=action, spec=ScheduleSpec(cron_expressions=["0 3 * * *"], time_zone_name="Europe/Berlin"),
            policy=policy)), 10, "create daily")
        desc = await bounded(client.get_schedule_handle(daily).describe(), 10, "describe daily")
        assert desc.schedule.spec.time_zone_name == "Europe/Berlin"
        assert desc.info.next_action_times, "the daily cleanup has a next time"

        # Healthy runs first.
        async def completed_runs():
            return [w for w in await runs_of(client, regular) if w.status == WorkflowExecutionStatus.COMPLETED]
        for _ in range(100):
            if len(await completed_runs()) >= 2:
                break
            await asyncio.sleep(0.1)
        assert len(await completed_runs()) >= 2

        # The source connection is deleted; its schedule cleanup is "queued", never awaited.
        cleanup.LIVE_SYNCS.discard(sync_id)
        for _ in range(150):
            if sync_id in cleanup.CLEANUPS:
                break
            await asyncio.sleep(0.1)
        assert sync_id in cleanup.CLEANUPS, "an orphaned run cleaned up"

        for schedule_id in (regular, minute, daily):
            try:
                await bounded(client.get_schedule_handle(schedule_id).describe(), 10, "describe")
                raise AssertionError(f"{schedule_id} still exists")
            except RPCError as err:
                assert err.status == RPCStatusCode.NOT_FOUND
        listed = [s.id async for s in await client.list_schedules()]
        assert not set(schedule_ids(sync_id)) & set(listed)

        # Let any run started before the deletion finish; none failed, all orphans completed.
        for _ in range(100):
            runs = await runs_of(client, regular)
            if all(w.status != WorkflowExecutionStatus.RUNNING for w in runs):
                break
            await asyncio.sleep(0.1)
        runs = await runs_of(client, regular)
        assert runs and all(w.status == WorkflowExecutionStatus.COMPLETED for w in runs), \
            [(w.id, w.status) for w in runs]
        count = len(runs)
        await asyncio.sleep(2.5)
        assert len(await runs_of(client, regular)) == count, "no run after the schedules were deleted"
