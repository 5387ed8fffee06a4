"""Seed 003's EnhancedTestCycleWorkflow: eight phases, 3 and 4 in parallel, a retry strategy per
kind of activity, step tracking, compensation in reverse order, and versioning with
`workflow.patched` (tracking arrived in version 2; EnhancedTestCycleWorkflowV1 is the code before it,
under the same workflow type, to check that old histories still replay).

Retry intervals are short so the suite stays quick. Temporal has no linear backoff: the seed's
"linear" database strategy is the gentlest exponential one here (coefficient 1.5).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from seed003 import activities as acts
    from seed003.model import Compensation, PhaseInput, PhaseResult, StepRecord, TestCycleWorkflowInput

LLM_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(milliseconds=100), backoff_coefficient=2.0)
DB_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.5)
EMAIL_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0)

# (phase, activity, retry strategy, compensation strategy)
PHASES = {
    1: ("Planning", acts.planning_activity, LLM_RETRY, "Rollback"),
    2: ("Scoping", acts.scoping_activity, DB_RETRY, "Rollback"),
    3: ("Sample Selection", acts.sample_selection_activity, DB_RETRY, "Partial Rollback"),
    4: ("Data Owner Identification", acts.data_owner_identification_activity, DB_RETRY, "Notify"),
    5: ("Request for Information", acts.request_for_information_activity, EMAIL_RETRY, "Notify"),
    6: ("Test Execution", acts.test_execution_activity, DB_RETRY, "Skip"),
    7: ("Observation Management", acts.observation_management_activity, DB_RETRY, "Rollback"),
    8: ("Finalize Test Report", acts.finalize_test_report_activity, DB_RETRY, "Rollback"),
}
TRACKING_PATCH = "enhanced-tracking-v2"


class _TestCycle:
    """The phases, shared by both versions; `tracking` says whether steps are recorded."""

    def __init__(self) -> None:
        self.completed: list[str] = []

    def tracking(self) -> bool:
        return False

    async def _run_phase(self, inp: TestCycleWorkflowInput, number: int) -> PhaseResult | None:
        name, activity, retry, _ = PHASES[number]
        if name in inp.skip_phases:
            return None
        began = workflow.now()
        result = await workflow.execute_activity(
            activity,
            PhaseInput(cycle_id=inp.cycle_id, phase=name, report_ids=inp.report_ids, test_cases=inp.test_cases),
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=10) if number == 6 else None,
            retry_policy=retry,
        )
        self.completed.append(name)
        if self.tracking():
            took = int((workflow.now() - began).total_seconds() * 1000)
            await workflow.execute_activity(
                acts.record_workflow_step_activity, StepRecord(inp.cycle_id, name, "completed", took),
                start_to_close_timeout=timedelta(seconds=30))
        return result

    async def _compensate(self, inp: TestCycleWorkflowInput) -> list[str]:
        strategies = {name: strategy for name, _, _, strategy in PHASES.values()}
        undone = []
        for name in reversed(self.completed):
            await workflow.execute_activity(
                acts.compensate_phase_activity, Compensation(inp.cycle_id, name, strategies[name]),
                start_to_close_timeout=timedelta(minutes=1), retry_policy=DB_RETRY)
            undone.append(name)
        return undone

    async def _cycle(self, inp: TestCycleWorkflowInput) -> dict:
        try:
            await self._run_phase(inp, 1)
            await self._run_phase(inp, 2)
            await asyncio.gather(self._run_phase(inp, 3), self._run_phase(inp, 4))
            for number in (5, 6, 7, 8):
                await self._run_phase(inp, number)
        except ActivityError as err:
            undone = await self._compensate(inp)
            raise ApplicationError(f"test cycle {inp.cycle_id} failed; compensated {', '.join(undone)}",
                                   undone, type="TestCycleFailed", non_retryable=True) from err
        return {"status": "completed", "cycle_id": inp.cycle_id, "phases": self.completed}


@workflow.defn(name="EnhancedTestCycleWorkflow")
class EnhancedTestCycleWorkflow(_TestCycle):
    def tracking(self) -> bool:
        return workflow.patched(TRACKING_PATCH)

    @workflow.run
    async def run(self, inp: TestCycleWorkflowInput) -> dict:
        result = await self._cycle(inp)
        result["version"] = 2 if self.tracking() else 1
        return result


@workflow.defn(name="EnhancedTestCycleWorkflow")
class EnhancedTestCycleWorkflowV1(_TestCycle):
    @workflow.run
    async def run(self, inp: TestCycleWorkflowInput) -> dict:
        result = await self._cycle(inp)
        result["version"] = 1
        return result
