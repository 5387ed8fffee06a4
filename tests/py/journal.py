"""What the suite's activities did, and what they should do: a journal of calls per business key
(repo id, cycle id) and a per-attempt fault plan. Activities run in the test process, on the same
event loop as the tests, so both are plain module state."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from temporalio import activity
from temporalio.exceptions import ApplicationError

# key -> [(activity name, attempt, detail)]
JOURNAL: dict[str, list[tuple[str, int, object]]] = defaultdict(list)
# key -> activity name -> one action per attempt (the last one repeats):
#   "ok", "transient" (retryable error), "permanent" (non-retryable error), "gate" (wait for GATES[key])
FAULTS: dict[str, dict[str, list[str]]] = defaultdict(dict)
GATES: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
GATE_TIMEOUT_S = 20.0


def calls(key: str, name: str | None = None) -> list[tuple[str, int, object]]:
    return [c for c in JOURNAL[key] if name is None or c[0] == name]


def planned(key: str) -> str:
    """The action the plan gives the running activity's current attempt."""
    info = activity.info()
    plan = FAULTS[key].get(info.activity_type) or ["ok"]
    return plan[min(info.attempt, len(plan)) - 1]


async def step(key: str, detail: object = None) -> None:
    """Records this call, then does what the plan says for this attempt."""
    info = activity.info()
    JOURNAL[key].append((info.activity_type, info.attempt, detail))
    action = planned(key)
    if action == "transient":
        raise ApplicationError(f"{info.activity_type}: transient failure on attempt {info.attempt}", type="Transient")
    if action == "permanent":
        raise ApplicationError(f"{info.activity_type}: repository not found (404)", type="RepoNotFound",
                               non_retryable=True)
    if action == "gate":
        await asyncio.wait_for(GATES[key].wait(), GATE_TIMEOUT_S)
