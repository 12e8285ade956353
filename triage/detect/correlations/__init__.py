"""Detections that need more than one record: thresholds, fail-then-succeed sequences, event
sequences and periodic (beacon-like) connections, each declared as data over a Sigma-style
selection (docs/detections.md lists them)."""

from triage.detect.correlations.bursts import burst_correlations
from triage.detect.correlations.engine import (
    Correlation,
    EventSequence,
    FailThenSucceed,
    Periodic,
    Threshold,
    selection,
)
from triage.detect.correlations.generic import generic_correlations
from triage.detect.correlations.windows import windows_correlations
from triage.detect.correlations.windows_tokens import token_correlations

__all__ = [
    "Correlation",
    "EventSequence",
    "FailThenSucceed",
    "Periodic",
    "Threshold",
    "builtin_correlations",
    "selection",
]


def builtin_correlations() -> tuple[Correlation, ...]:
    """The correlations shipped with triage."""
    return (
        *generic_correlations(),
        *windows_correlations(),
        *token_correlations(),
        *burst_correlations(),
    )
