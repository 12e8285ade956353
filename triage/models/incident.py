"""What ingestion produces: artifacts, the records parsed from them, and the incident."""

from datetime import datetime

from pydantic import Field

from triage.models.base import Frozen

Scalar = str | int | float | bool | None


class Artifact(Frozen):
    """One input file (or stdin), identified as A1, A2, … in citation order."""

    id: str
    path: str
    sha256: str
    format: str
    size: int
    records: int
    records_lost: int = 0
    notes: tuple[str, ...] = ()


class Record(Frozen):
    """One parsed record, with a locator back into its artifact.

    Locator grammar (stable, used in citations and by `triage verify`):
    ``line:N`` (1-based line of a text or JSON Lines file), ``record:N`` (EVTX EventRecordID),
    ``json:/a/0/b`` (RFC 6901 pointer into a JSON document), ``header:Name#K`` and ``part:1.2``
    (email header occurrence and MIME part), ``packet:N/<log>`` (the Zeek-shaped record a
    capture's frame N starts, e.g. ``packet:12/dce_rpc``), ``file`` (the artifact as a whole).
    """

    artifact_id: str
    locator: str
    source: str = Field(
        description="Log or table the record came from, e.g. 'Security', 'zeek.conn'."
    )
    raw: str = Field(description="Exact source text of the record (capped); quotes cite it.")
    fields: dict[str, Scalar] = Field(default_factory=dict)
    timestamp: datetime | None = None


class Incident(Frozen):
    id: str
    input_digest: str
    artifacts: tuple[Artifact, ...]
    records: tuple[Record, ...]
