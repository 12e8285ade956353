"""What the analysis stages derive from an incident: observables, detections, enrichments,
playbook hits. Each keeps the references an evidence citation needs."""

from typing import Literal

from pydantic import Field

from triage.models.base import Frozen, Severity
from triage.models.incident import Scalar

ObservableType = Literal[
    "ipv4",
    "ipv6",
    "domain",
    "url",
    "email",
    "md5",
    "sha1",
    "sha256",
    "file_path",
    "user",
    "host",
    "process",
    "command_line",
    "registry_key",
    "cve",
]


class RecordRef(Frozen):
    artifact_id: str
    locator: str


class Sighting(Frozen):
    """Where an observable appears: the record, and the field when it came from one."""

    artifact_id: str
    locator: str
    field: str | None = None


class Observable(Frozen):
    type: ObservableType
    value: str = Field(description="Normalised, refanged value.")
    sightings: tuple[Sighting, ...] = ()


EnrichmentStatus = Literal["ok", "not_found", "error", "rate_limited", "skipped"]
EnrichmentVerdict = Literal["malicious", "suspicious", "benign", "unknown"]


class EnrichmentResult(Frozen):
    provider: str
    observable_type: str
    value: str
    status: EnrichmentStatus
    verdict: EnrichmentVerdict | None = None
    score: float | None = Field(default=None, ge=0, le=100)
    summary: str = ""
    details: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    data_age: str | None = None


DetectionLayer = Literal["rule", "notable", "correlation", "vendor"]


class Detection(Frozen):
    rule_id: str
    title: str
    level: Severity
    techniques: tuple[str, ...] = ()
    records: tuple[RecordRef, ...] = ()
    matched_fields: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    falsepositives: tuple[str, ...] = ()
    rule_source: str = "builtin"
    # "rule" (a Sigma rule or built-in check that names a behaviour), "notable" (a high-value
    # event worth a look on its own, weighed lower), "correlation", "vendor" (the product's alert).
    layer: DetectionLayer = "rule"
    # The Sigma rule's status (stable, test, experimental…) and the pack it came from
    # ("builtin", an installed pack's name, or a --rules folder) with the pack's version.
    status: str | None = None
    pack: str | None = None
    pack_version: str | None = None


class PlaybookHit(Frozen):
    playbook_id: str
    section: str
    title: str
    text: str
    score: float
    techniques: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.playbook_id}#{self.section}"
