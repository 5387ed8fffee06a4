"""Seed 003's data classes, shared by its workflow and activities."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TestCycleWorkflowInput:
    __test__ = False  # not a pytest test class

    cycle_id: str
    report_ids: list[int]
    skip_phases: list[str] = field(default_factory=list)
    test_cases: int = 5


@dataclass
class PhaseInput:
    cycle_id: str
    phase: str
    report_ids: list[int]
    test_cases: int = 0


@dataclass
class PhaseResult:
    phase: str
    status: str
    items: int


@dataclass
class StepRecord:
    cycle_id: str
    phase: str
    status: str
    duration_ms: int


@dataclass
class Compensation:
    cycle_id: str
    phase: str
    strategy: str
