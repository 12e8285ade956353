"""Assemble the TriageReport from an assessment and check that every claim cites evidence."""

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from triage import __version__
from triage.analysts.base import Assessment, CaseFile
from triage.evidence import EvidenceCatalog
from triage.models import (
    Action,
    Finding,
    Guardrails,
    IncidentSummary,
    ProviderHealth,
    RecordRef,
    ReportDetection,
    ReportEnrichment,
    ReportObservable,
    RunInfo,
    Technique,
    TimelineEntry,
    TriageReport,
)
from triage.observables import defang

MAX_OBSERVABLE_CITES = 1
_Numbered = TypeVar("_Numbered", Finding, Action)
_Claim = TypeVar("_Claim", Finding, Technique, TimelineEntry, Action)


def generated_at() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so that reports can be reproduced byte for byte."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def report_id(input_digest: str, engine: str, model: str | None) -> str:
    seed = f"{input_digest}|{engine}|{model or ''}|{__version__}"
    return "TR-" + hashlib.sha256(seed.encode()).hexdigest()[:16]


class _Citations:
    """Keeps only citations that resolve; counts the claims left with none."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.dropped = 0

    def kept(self, claims: Sequence[_Claim]) -> list[_Claim]:
        """The claims with their resolvable citations; a claim left with none is dropped."""
        result = []
        for claim in claims:
            ids = tuple(i for i in claim.evidence_ids if i in self.known)
            if ids:
                result.append(claim.model_copy(update={"evidence_ids": ids}))
            else:
                self.dropped += 1
        return result


def assemble_report(
    *,
    case: CaseFile,
    assessment: Assessment,
    catalog: EvidenceCatalog,
    run: RunInfo,
    health: Sequence[ProviderHealth] = (),
    notes: Sequence[str] = (),
) -> TriageReport:
    incident = case.incident
    observables = _observables(case, catalog)
    detections = tuple(
        ReportDetection(
            rule_id=d.rule_id,
            title=d.title,
            level=d.level,
            technique_ids=d.techniques,
            evidence_ids=catalog.cite_detection(d),
            layer=d.layer,
            status=d.status,
            pack=d.pack,
            pack_version=d.pack_version,
        )
        for d in case.detections
    )
    evidence = catalog.entries()
    citations = _Citations({e.id for e in evidence})
    findings = citations.kept(assessment.findings)
    techniques = citations.kept(assessment.techniques)
    timeline = citations.kept(assessment.timeline)
    actions = citations.kept(assessment.actions)
    times = sorted(r.timestamp for r in incident.records if r.timestamp is not None)
    return TriageReport(
        report_id=report_id(incident.input_digest, run.engine, run.model),
        generated_at=generated_at(),
        incident=IncidentSummary(
            id=incident.id,
            title=assessment.title,
            first_seen=times[0] if times else None,
            last_seen=times[-1] if times else None,
        ),
        artifacts=incident.artifacts,
        verdict=assessment.verdict,
        summary=assessment.summary,
        findings=_renumber(findings, "F"),
        techniques=tuple(techniques),
        observables=observables,
        timeline=tuple(timeline),
        actions=_renumber(actions, "AC"),
        detections=detections,
        evidence=evidence,
        guardrails=Guardrails(
            unverified_claims_dropped=citations.dropped,
            notes=tuple(notes) + assessment.notes,
        ),
        coverage=case.coverage,
        enrichment_health=tuple(health),
        run=run,
    )


def _renumber(items: Sequence[_Numbered], prefix: str) -> tuple[_Numbered, ...]:
    return tuple(
        item.model_copy(update={"id": f"{prefix}{number}"})
        for number, item in enumerate(items, start=1)
    )


def _observables(case: CaseFile, catalog: EvidenceCatalog) -> tuple[ReportObservable, ...]:
    by_value: dict[tuple[str, str], list[ReportEnrichment]] = {}
    for result in case.enrichments:
        by_value.setdefault((result.observable_type, result.value), []).append(
            ReportEnrichment(
                provider=result.provider,
                status=result.status,
                verdict=result.verdict,
                score=result.score,
                summary=result.summary,
            )
        )
    rows = []
    for observable in case.observables:
        cited = (
            catalog.cite_record(
                RecordRef(artifact_id=s.artifact_id, locator=s.locator), values=(observable.value,)
            )
            for s in observable.sightings[:MAX_OBSERVABLE_CITES]
        )
        rows.append(
            ReportObservable(
                type=observable.type,
                value=observable.value,
                defanged=defang(observable.value, observable.type),
                evidence_ids=tuple(dict.fromkeys(i for i in cited if i)),
                enrichments=tuple(by_value.get((observable.type, observable.value), ())),
            )
        )
    # Message-level results (e.g. email authentication) name a value no record field held.
    listed = {(o.type, o.value) for o in case.observables}
    rows += [
        ReportObservable(
            type=kind, value=value, defanged=defang(value, kind), enrichments=tuple(results)
        )
        for (kind, value), results in by_value.items()
        if (kind, value) not in listed
    ]
    return tuple(rows)
