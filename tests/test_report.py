"""Report assembly: claims without a resolvable citation are dropped and counted."""

from triage.analysts.base import Assessment, CaseFile
from triage.evidence import EvidenceCatalog
from triage.models import (
    Finding,
    Incident,
    Record,
    RecordRef,
    RunInfo,
    Technique,
    Verdict,
)
from triage.report import assemble_report

INCIDENT = Incident(
    id="INC-1",
    input_digest="d",
    artifacts=(),
    records=(
        Record(
            artifact_id="A1",
            locator="line:3",
            source="syslog",
            raw="Mar  3 10:00:01 web01 sshd[411]: Failed password for root from 203.0.113.9",
        ),
    ),
)
VERDICT = Verdict(
    classification="undetermined",
    determination="x",
    severity="low",
    confidence=0.5,
    needs_human=True,
    rationale="r",
)


def test_uncited_claims_are_dropped_and_counted() -> None:
    catalog = EvidenceCatalog(INCIDENT)
    cited = catalog.cite_record(RecordRef(artifact_id="A1", locator="line:3"), values=["root"])
    assert cited == "E1"
    assessment = Assessment(
        verdict=VERDICT,
        title="t",
        summary="s",
        findings=(
            Finding(id="F1", statement="cited", evidence_ids=("E1",)),
            Finding(id="F2", statement="invented", evidence_ids=("E99",)),
            Finding(id="F3", statement="half", evidence_ids=("E1", "E42")),
        ),
        techniques=(Technique(id="T1110", name="Brute Force", tactic="x", evidence_ids=("E7",)),),
    )
    report = assemble_report(
        case=CaseFile(incident=INCIDENT),
        assessment=assessment,
        catalog=catalog,
        run=RunInfo(engine="rules", input_digest="d", triage_version="0"),
    )
    assert [f.statement for f in report.findings] == ["cited", "half"]
    assert [f.id for f in report.findings] == ["F1", "F2"]
    assert report.findings[1].evidence_ids == ("E1",)
    assert report.techniques == ()
    assert report.guardrails.unverified_claims_dropped == 2
    assert report.evidence[0].quote == "root"


def test_unknown_record_is_not_citable() -> None:
    catalog = EvidenceCatalog(INCIDENT)
    assert catalog.cite_record(RecordRef(artifact_id="A1", locator="line:4")) is None
    assert catalog.entries() == ()
