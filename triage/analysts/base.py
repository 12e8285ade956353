"""What an analyst engine receives (the case file) and returns (an assessment)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from triage.evidence import EvidenceCatalog
from triage.knowledge.playbook import Playbook
from triage.models import (
    Action,
    Coverage,
    Detection,
    EnrichmentResult,
    Finding,
    Incident,
    Observable,
    PlaybookHit,
    Technique,
    TimelineEntry,
    Verdict,
)

# (name, tactic) of an ATT&CK technique id, or None when the id is unknown.
TechniqueNamer = Callable[[str], tuple[str, str] | None]
# Meaning of a Windows event (channel, event id), or None when unknown.
EventDescriber = Callable[[str, int], str | None]


@dataclass(frozen=True, kw_only=True)
class CaseFile:
    """Everything the upstream stages found, ready for an analyst engine."""

    incident: Incident
    observables: tuple[Observable, ...] = ()
    detections: tuple[Detection, ...] = ()
    enrichments: tuple[EnrichmentResult, ...] = ()
    playbook_hits: tuple[PlaybookHit, ...] = ()
    playbooks: Mapping[str, Playbook] = field(default_factory=dict)
    coverage: Coverage | None = None


@dataclass(frozen=True, kw_only=True)
class Assessment:
    verdict: Verdict
    title: str
    summary: str
    findings: tuple[Finding, ...] = ()
    techniques: tuple[Technique, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()


class Analyst(Protocol):
    @property
    def name(self) -> str: ...

    def assess(self, case: CaseFile, catalog: EvidenceCatalog) -> Assessment: ...
