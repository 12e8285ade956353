"""`triage verify`: re-open the artifacts of a saved report and re-check every citation."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from triage.errors import InputError, TriageError
from triage.ingest import check_regular_file, read_capped
from triage.ingest.base import ArtifactSource
from triage.ingest.limits import Limits
from triage.ingest.registry import loader_for
from triage.models import Artifact, Record, TriageReport


@dataclass(frozen=True, kw_only=True)
class Mismatch:
    evidence_id: str
    problem: str

    def __str__(self) -> str:
        return f"{self.evidence_id}: {self.problem}"


@dataclass(frozen=True, kw_only=True)
class VerifyResult:
    checked: int
    skipped: int
    mismatches: tuple[Mismatch, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.mismatches


def read_report(path: Path) -> TriageReport:
    try:
        return TriageReport.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read report: {exc.strerror or exc}", source=str(path)) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise InputError(f"not a triage report: {detail}", source=str(path)) from exc


def _records(artifact: Artifact, base: Path, limits: Limits) -> dict[str, Record]:
    path = Path(artifact.path)
    if not path.is_absolute():
        path = base / path
    check_regular_file(path)  # the report names the path: it is as untrusted as the artifact
    data = read_capped(str(path), limits)
    if hashlib.sha256(data).hexdigest() != artifact.sha256:
        raise InputError("sha256 differs from the report: the artifact changed", source=str(path))
    source = ArtifactSource(artifact_id=artifact.id, path=str(path), data=data)
    loaded = loader_for(artifact.format).load(source, limits)
    return {r.locator: r for r in loaded.records}


def _dangling_citations(report: TriageReport) -> list[Mismatch]:
    known = {e.id for e in report.evidence}
    cited: list[tuple[str, tuple[str, ...]]] = [
        *((f.id, f.evidence_ids) for f in report.findings),
        *((t.id, t.evidence_ids) for t in report.techniques),
        *((f"timeline {t.time.isoformat()}", t.evidence_ids) for t in report.timeline),
        *((a.id, a.evidence_ids) for a in report.actions),
        *((f"detection {d.rule_id}", d.evidence_ids) for d in report.detections),
        *((f"observable {o.value}", o.evidence_ids) for o in report.observables),
    ]
    return [
        Mismatch(evidence_id=missing, problem=f"cited by {claim} but not in the evidence list")
        for claim, ids in cited
        for missing in ids
        if missing not in known
    ]


def verify_report(report: TriageReport, *, base: Path, limits: Limits) -> VerifyResult:
    """Check each artifact's hash, then each artifact citation's locator and exact quote."""
    mismatches = _dangling_citations(report)
    records: dict[str, dict[str, Record] | TriageError] = {}
    for artifact in report.artifacts:
        try:
            records[artifact.id] = _records(artifact, base, limits)
        except TriageError as exc:
            records[artifact.id] = exc
    checked = skipped = 0
    for evidence in report.evidence:
        if evidence.artifact_id is None or evidence.locator is None:
            skipped += 1
            continue
        checked += 1
        located = records.get(evidence.artifact_id)
        if located is None:
            problem = f"artifact {evidence.artifact_id} is not in the report"
        elif isinstance(located, TriageError):
            problem = f"artifact {evidence.artifact_id}: {located}"
        elif (record := located.get(evidence.locator)) is None:
            problem = f"{evidence.artifact_id} {evidence.locator}: no such record"
        elif evidence.quote not in record.raw:
            problem = f"{evidence.artifact_id} {evidence.locator}: quote not found in the record"
        else:
            continue
        mismatches.append(Mismatch(evidence_id=evidence.id, problem=problem))
    return VerifyResult(checked=checked, skipped=skipped, mismatches=tuple(mismatches))
