"""The report models: frozen, strict, and a lossless JSON round trip valid against the schema."""

from datetime import UTC, datetime

import jsonschema
import pytest
from pydantic import ValidationError

from triage.models import (
    Action,
    Artifact,
    Evidence,
    Finding,
    IncidentSummary,
    ReportEnrichment,
    ReportObservable,
    RunInfo,
    Technique,
    TimelineEntry,
    TriageReport,
    Verdict,
)

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def full_report() -> TriageReport:
    return TriageReport(
        report_id="TR-1",
        generated_at=WHEN,
        incident=IncidentSummary(id="INC-1", title="t", first_seen=WHEN, last_seen=WHEN),
        artifacts=(
            Artifact(id="A1", path="a.evtx", sha256="0" * 64, format="evtx", size=3, records=1),
        ),
        verdict=Verdict(
            classification="true_positive",
            determination="malicious",
            severity="high",
            confidence=0.8,
            needs_human=False,
            rationale="r",
        ),
        summary="s",
        findings=(Finding(id="F1", statement="x", evidence_ids=("E1",), technique_ids=("T1003",)),),
        techniques=(
            Technique(
                id="T1003.001",
                name="LSASS Memory",
                tactic="credential-access",
                evidence_ids=("E1",),
            ),
        ),
        observables=(
            ReportObservable(
                type="domain",
                value="evil.example",
                defanged="evil[.]example",
                enrichments=(ReportEnrichment(provider="intel", status="ok", verdict="malicious"),),
            ),
        ),
        timeline=(TimelineEntry(time=WHEN, description="d", evidence_ids=("E1",)),),
        actions=(
            Action(
                id="AC1",
                text="isolate",
                priority="high",
                playbook_ref="p#containment",
                evidence_ids=("E2",),
            ),
        ),
        evidence=(
            Evidence(id="E1", kind="artifact", artifact_id="A1", locator="record:1", quote="q"),
            Evidence(id="E2", kind="playbook", playbook_ref="p#containment", quote="isolate"),
        ),
        run=RunInfo(engine="rules", input_digest="d", triage_version="0"),
    )


def test_report_round_trips_through_json() -> None:
    report = full_report()
    assert TriageReport.model_validate_json(report.model_dump_json()) == report


def test_dumped_report_is_valid_against_the_published_schema() -> None:
    schema = TriageReport.model_json_schema()
    jsonschema.validate(full_report().model_dump(mode="json"), schema)


def test_models_are_frozen_and_reject_unknown_fields() -> None:
    report = full_report()
    with pytest.raises(ValidationError):
        report.verdict.confidence = 0.1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Verdict.model_validate({**report.verdict.model_dump(), "colour": "red"})


def test_technique_ids_and_confidence_are_validated() -> None:
    with pytest.raises(ValidationError):
        Technique(id="T10", name="x", tactic="y", evidence_ids=())
    with pytest.raises(ValidationError):
        Verdict(
            classification="undetermined",
            determination="",
            severity="low",
            confidence=1.5,
            needs_human=True,
            rationale="",
        )
