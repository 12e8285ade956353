"""`--fail-on` conditions: e.g. "severity>=high", "classification=true_positive,confidence>=0.8",
"needs_human" (short for needs_human=true).

Conditions separated by commas; the run fails (exit 1) when ANY of them holds.
"""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triage.errors import UsageError
from triage.models import TriageReport
from triage.models.base import SEVERITY_ORDER

_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|!=|=|==|>|<)\s*([A-Za-z0-9_.]+)\s*$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
_CLASSIFICATIONS = ("true_positive", "benign_positive", "false_positive", "undetermined")


@dataclass(frozen=True)
class Condition:
    text: str
    field: str
    op: str
    value: object

    def holds(self, report: TriageReport) -> bool:
        verdict = report.verdict
        actual: object = {
            "severity": SEVERITY_ORDER.index(verdict.severity),
            "classification": verdict.classification,
            "confidence": verdict.confidence,
            "needs_human": verdict.needs_human,
        }[self.field]
        return _OPERATORS[self.op](actual, self.value)


def parse_fail_on(expression: str) -> tuple[Condition, ...]:
    conditions = []
    for part in expression.split(","):
        if part.strip() == "needs_human":  # the bare flag reads as needs_human=true
            part = "needs_human=true"
        match = _CONDITION.match(part)
        if not match:
            raise UsageError(f"--fail-on: cannot parse {part.strip()!r} (e.g. 'severity>=high')")
        field, op, raw = match.groups()
        value: object
        if field == "severity" and raw in SEVERITY_ORDER:
            value = SEVERITY_ORDER.index(raw)
        elif field == "classification" and raw in _CLASSIFICATIONS and op in {"=", "==", "!="}:
            value = raw
        elif field == "confidence" and re.fullmatch(r"[01](\.\d+)?", raw):
            value = float(raw)
        elif field == "needs_human" and raw in {"true", "false"} and op in {"=", "==", "!="}:
            value = raw == "true"
        else:
            raise UsageError(
                f"--fail-on: {part.strip()!r}: use severity (informational…critical), "
                "classification (=, !=), confidence (0..1) or needs_human (true/false)"
            )
        conditions.append(Condition(part.strip(), field, op, value))
    return tuple(conditions)


def failed_conditions(report: TriageReport, conditions: tuple[Condition, ...]) -> list[str]:
    return [c.text for c in conditions if c.holds(report)]
