"""A small approval flow in the shape of seed 004's human tasks: it waits for `approve` /
`reject` signals (collecting `comment` signals meanwhile), gives up after a deadline, and when
cancelled records why in a cleanup that cannot be cancelled."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def record_outcome(outcome: str) -> str:
    return outcome


@workflow.defn
class ApprovalWorkflow:
    def __init__(self) -> None:
        self.comments: list[str] = []
        self.decision: str | None = None

    @workflow.signal
    def comment(self, text: str) -> None:
        self.comments.append(text)

    @workflow.signal
    def approve(self) -> None:
        self.decision = "approved"

    @workflow.signal
    def reject(self) -> None:
        self.decision = "rejected"

    @workflow.query
    def status(self) -> dict:
        return {"decision": self.decision, "comments": len(self.comments)}

    @workflow.run
    async def run(self, wait_s: float) -> dict:
        try:
            await workflow.wait_condition(lambda: self.decision is not None,
                                          timeout=timedelta(seconds=wait_s))
        except asyncio.TimeoutError:
            self.decision = "expired"
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.ensure_future(workflow.execute_activity(
                record_outcome, "cancelled", start_to_close_timeout=timedelta(seconds=5))))
            raise
        return {"decision": self.decision, "comments": self.comments}
