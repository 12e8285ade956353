"""The triage report: the one document every renderer, `verify` and downstream tool reads.

Field names are a public contract (see ARCHITECTURE.md); add fields, do not rename them.
"""

from datetime import datetime
from typing import Literal

from pydantic import Field

from triage.models.base import Frozen, Severity
from triage.models.incident import Artifact

SCHEMA_VERSION = "1.0"

Classification = Literal["true_positive", "benign_positive", "false_positive", "undetermined"]
EvidenceKind = Literal["artifact", "detection", "enrichment", "playbook"]


class IncidentSummary(Frozen):
    id: str
    title: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class Verdict(Frozen):
    classification: Classification
    determination: str
    severity: Severity
    confidence: float = Field(ge=0, le=1)
    needs_human: bool
    rationale: str
    malicious_probability: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The scoring model's probability that the incident is malicious.",
    )


class Finding(Frozen):
    id: str
    statement: str
    evidence_ids: tuple[str, ...]
    technique_ids: tuple[str, ...] = ()


class Technique(Frozen):
    id: str = Field(pattern=r"^T\d{4}(\.\d{3})?$")
    name: str
    tactic: str
    evidence_ids: tuple[str, ...]


class ReportEnrichment(Frozen):
    provider: str
    status: str
    verdict: str | None = None
    score: float | None = None
    summary: str = ""


class ReportObservable(Frozen):
    type: str
    value: str
    defanged: str
    evidence_ids: tuple[str, ...] = ()
    enrichments: tuple[ReportEnrichment, ...] = ()


class TimelineEntry(Frozen):
    time: datetime
    description: str
    evidence_ids: tuple[str, ...]


Priority = Literal["immediate", "high", "medium", "low"]


class Action(Frozen):
    id: str
    text: str
    priority: Priority
    playbook_ref: str | None = None
    evidence_ids: tuple[str, ...] = ()


class ReportDetection(Frozen):
    rule_id: str
    title: str
    level: Severity
    technique_ids: tuple[str, ...]
    evidence_ids: tuple[str, ...]
    layer: str = "rule"
    status: str | None = None
    pack: str | None = None
    pack_version: str | None = None


CoverageStatus = Literal["well_covered", "partly_covered", "not_covered"]


class LogsourceCoverage(Frozen):
    """One kind of record triage examined, and how many shipped or installed rules read it."""

    logsource: str
    records: int
    rules: int
    status: CoverageStatus


class Coverage(Frozen):
    """What triage could see: the absence of a detection only counts where coverage is good."""

    status: CoverageStatus
    share_covered: float = Field(ge=0, le=1)
    records_examined: int
    records_not_understood: int
    logsources: tuple[LogsourceCoverage, ...] = ()


class Evidence(Frozen):
    id: str
    kind: EvidenceKind
    quote: str
    artifact_id: str | None = None
    locator: str | None = None
    provider: str | None = None
    query: str | None = None
    playbook_ref: str | None = None


class Guardrails(Frozen):
    prompt_injection_suspected: bool = False
    redactions: int = 0
    unverified_claims_dropped: int = 0
    notes: tuple[str, ...] = ()


class ProviderHealth(Frozen):
    provider: str
    status: Literal["ok", "degraded", "unavailable", "skipped"]
    detail: str = ""


class TokenUsage(Frozen):
    input: int = 0
    output: int = 0


class RulePackUse(Frozen):
    """A set of Sigma rules the run used: `builtin`, an installed pack, or a --rules folder."""

    name: str
    version: str | None = None
    rules: int = 0


class RunInfo(Frozen):
    engine: Literal["rules", "agent"]
    model: str | None = None
    fallback_reason: str | None = None
    llm_calls: int = 0
    tool_calls: int = 0
    tokens: TokenUsage = TokenUsage()
    duration_ms: int = 0
    input_digest: str
    triage_version: str
    attack_version: str | None = None
    rule_packs: tuple[RulePackUse, ...] = ()


class TriageReport(Frozen):
    schema_version: str = SCHEMA_VERSION
    report_id: str
    generated_at: datetime
    incident: IncidentSummary
    artifacts: tuple[Artifact, ...]
    verdict: Verdict
    summary: str
    findings: tuple[Finding, ...] = ()
    techniques: tuple[Technique, ...] = ()
    observables: tuple[ReportObservable, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    actions: tuple[Action, ...] = ()
    detections: tuple[ReportDetection, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    guardrails: Guardrails = Guardrails()
    coverage: Coverage | None = None
    enrichment_health: tuple[ProviderHealth, ...] = ()
    run: RunInfo
