"""Scorecard gates such as `malicious_recall>=0.9` or `brier<=0.12`: parse them, then check."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from triage.errors import UsageError
from triage.eval.metrics import METRICS, Totals

_GATE = re.compile(r"^\s*([a-z0-9_]+)\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True, kw_only=True)
class Gate:
    metric: str
    op: Literal[">=", "<="]
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.threshold:g}"

    def holds(self, totals: Totals) -> bool:
        value = getattr(totals, self.metric)
        if value is None:  # nothing to measure is never a pass
            return False
        return bool(value >= self.threshold if self.op == ">=" else value <= self.threshold)


def parse_gate(text: str) -> Gate:
    match = _GATE.match(text)
    if match is None:
        raise UsageError(f"bad --gate {text!r}: write METRIC>=X or METRIC<=X")
    metric, op, threshold = match.groups()
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r} in --gate; known: {', '.join(METRICS)}")
    return Gate(metric=metric, op=">=" if op == ">=" else "<=", threshold=float(threshold))


def failed_gates(gates: Sequence[Gate], totals: Totals) -> list[str]:
    """One line per gate that does not hold, with the measured value."""
    failed = []
    for gate in gates:
        if not gate.holds(totals):
            value = getattr(totals, gate.metric)
            got = "undefined" if value is None else f"{value:.4g}"
            failed.append(f"{gate} (got {got})")
    return failed
