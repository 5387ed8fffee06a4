"""Seed 000's self-healing sync, as its team wrote it: the sync's schedules (regular, minute-level
and daily cleanup) start `run_sync`; a run that finds its sync deleted (the deletion's own
schedule cleanup was queued and not awaited) deletes every schedule of the sync from an activity,
idempotently, and exits gracefully instead of failing.

The "database" is a set of live sync ids in this process (the worker runs in the test's process).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.service import RPCError, RPCStatusCode

LIVE_SYNCS: set[str] = set()
CLEANUPS: dict[str, list[str]] = {}


def schedule_ids(sync_id: str) -> list[str]:
    """The three schedules a sync has."""
    return [f"sync-{sync_id}", f"sync-{sync_id}-minute", f"sync-{sync_id}-cleanup"]


@activity.defn
async def create_sync_job_activity(sync_id: str) -> dict:
    """A sentinel, not an error, when the sync is gone (logged at INFO in the seed)."""
    if sync_id not in LIVE_SYNCS:
        return {"_orphaned": True, "sync_id": sync_id}
    return {"sync_id": sync_id, "job_id": f"job-{activity.info().workflow_id}"}


@activity.defn
async def self_destruct_orphaned_sync_activity(sync_id: str) -> list[str]:
    """Deletes every schedule of the sync; one already gone counts as deleted (idempotent)."""
    client = activity.client()
    outcome = []
    for schedule_id in schedule_ids(sync_id):
        try:
            await client.get_schedule_handle(schedule_id).delete()
            outcome.append(f"deleted {schedule_id}")
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            outcome.append(f"already gone {schedule_id}")
    CLEANUPS.setdefault(sync_id, []).append(activity.info().workflow_id)
    return outcome


@workflow.defn
class RunSyncWorkflow:
    @workflow.run
    async def run(self, sync_id: str) -> dict:
        job = await workflow.execute_activity(create_sync_job_activity, sync_id,
                                              start_to_close_timeout=timedelta(seconds=10))
        if job.get("_orphaned"):
            # Self-destruct, then exit gracefully: the run completes, it does not fail.
            cleanup = await workflow.execute_activity(
                self_destruct_orphaned_sync_activity, sync_id,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RetryPolicy(maximum_attempts=3))
            return {"orphaned": True, "cleanup": cleanup}
        return {"orphaned": False, "job": job}


ACTIVITIES = [create_sync_job_activity, self_destruct_orphaned_sync_activity]
