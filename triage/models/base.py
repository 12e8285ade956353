"""The base of every model: frozen, strict about unknown fields, JSON round-trippable."""

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Severity = Literal["informational", "low", "medium", "high", "critical"]
SEVERITY_ORDER: tuple[Severity, ...] = ("informational", "low", "medium", "high", "critical")


def severity_rank(severity: Severity) -> int:
    return SEVERITY_ORDER.index(severity)
