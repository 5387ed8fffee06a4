"""A workflow that waits a week of workflow time (time-skipping tests)."""

from __future__ import annotations

import asyncio

from temporalio import workflow

WEEK_S = 7 * 24 * 3600


@workflow.defn
class WeekSleeper:
    @workflow.run
    async def run(self) -> float:
        t0 = workflow.now()
        await asyncio.sleep(WEEK_S)
        return (workflow.now() - t0).total_seconds()
