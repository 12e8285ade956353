"""Typed, frozen data that flows between the pipeline stages (ingest → … → report)."""

from triage.models.base import Frozen
from triage.models.incident import Artifact, Incident, Record, Scalar
from triage.models.intel import (
    Detection,
    EnrichmentResult,
    Observable,
    PlaybookHit,
    RecordRef,
    Sighting,
)
from triage.models.report import (
    Action,
    Evidence,
    Finding,
    Guardrails,
    IncidentSummary,
    ProviderHealth,
    ReportDetection,
    ReportEnrichment,
    ReportObservable,
    RunInfo,
    Technique,
    TimelineEntry,
    TokenUsage,
    TriageReport,
    Verdict,
)

__all__ = [
    "Action",
    "Artifact",
    "Detection",
    "EnrichmentResult",
    "Evidence",
    "Finding",
    "Frozen",
    "Guardrails",
    "Incident",
    "IncidentSummary",
    "Observable",
    "PlaybookHit",
    "ProviderHealth",
    "Record",
    "RecordRef",
    "ReportDetection",
    "ReportEnrichment",
    "ReportObservable",
    "RunInfo",
    "Scalar",
    "Sighting",
    "Technique",
    "TimelineEntry",
    "TokenUsage",
    "TriageReport",
    "Verdict",
]
