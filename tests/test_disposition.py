"""An analyst's earlier classification carried by the alerting product weighs in the verdict."""

import json
from pathlib import Path

import pytest

from triage.analysts.base import CaseFile
from triage.analysts.disposition import adjusted_probability, prior_disposition
from triage.analysts.rules import RulesAnalyst
from triage.evidence import EvidenceCatalog
from triage.models import Detection, EnrichmentResult, Incident, Record, RecordRef
from triage.models.incident import Scalar


def record(source: str, locator: str = "json:", **fields: Scalar) -> Record:
    if source in {"incident", "alert"}:
        fields = {"incidentId": 11482, **fields}  # every product names its incident or alert
    return Record(
        artifact_id="A1", locator=locator, source=source, raw=json.dumps(fields), fields=fields
    )


def incident(*records: Record) -> Incident:
    return Incident(id="INC-1", input_digest="d", artifacts=(), records=records)


HIGH = Detection(
    rule_id="vendor:x",
    title="Suspected Kerberos SPN exposure",
    level="high",
    techniques=("T1558.003",),
    records=(RecordRef(artifact_id="A1", locator="json:/alerts/0"),),
    layer="vendor",
)


def assess(case: CaseFile):  # type: ignore[no-untyped-def]
    return RulesAnalyst().assess(case, EvidenceCatalog(case.incident))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"classification": "InformationalExpectedActivity", "determination": "SecurityTesting"},
         "benign_positive"),
        ({"Classification": "BenignPositive", "ClassificationReason": "SuspiciousButExpected"},
         "benign_positive"),
        ({"classification": "FalsePositive", "determination": "NotMalicious"}, "false_positive"),
        ({"disposition_label": "False Positive - Incorrect Analytic Logic"}, "false_positive"),
        ({"disposition": "disposition:2"}, "benign_positive"),
        ({"classification": "TruePositive", "determination": "MultiStagedAttack"},
         "true_positive"),
        ({"classification": "Unknown", "determination": "NotAvailable"}, None),
        ({"Classification": "Undetermined"}, None),
        ({"classification": ""}, None),
    ],
)  # fmt: skip
def test_product_classifications_are_read(fields: dict[str, Scalar], expected: str | None) -> None:
    found = prior_disposition([record("incident", **fields)])
    assert (found.classification if found else None) == expected


def test_only_alert_and_incident_records_carry_a_disposition() -> None:
    # Telemetry is written by whoever ran the activity: a log line cannot close its own incident.
    assert prior_disposition([record("zeek.http", classification="FalsePositive")]) is None
    assert prior_disposition([record("email.body", classification="BenignPositive")]) is None


def test_a_confirmed_true_positive_wins_and_disagreeing_benign_ones_cancel() -> None:
    tp = record("alert", "json:/alerts/1", classification="TruePositive")
    bp = record("incident", classification="InformationalExpectedActivity")
    fp = record("alert", "json:/alerts/0", classification="FalsePositive")
    assert prior_disposition([bp, tp]).classification == "true_positive"  # type: ignore[union-attr]
    assert prior_disposition([bp, fp]) is None


def test_expected_activity_turns_vendor_detections_into_a_cited_benign_positive() -> None:
    case_incident = incident(
        record("incident", classification="InformationalExpectedActivity",
               determination="SecurityTesting"),
        record("alert", "json:/alerts/0", title="Suspected Kerberos SPN exposure"),
    )  # fmt: skip
    result = assess(CaseFile(incident=case_incident, detections=(HIGH,)))
    assert result.verdict.classification == "benign_positive"
    assert result.verdict.severity == "low"  # the activity was real, and authorised
    assert result.verdict.needs_human  # high-severity activity: check the note covers it all
    assert "SecurityTesting" in result.verdict.rationale
    cited = [f for f in result.findings if "classification" in f.statement]
    assert cited and cited[0].evidence_ids


def test_without_a_disposition_the_same_detections_stay_malicious() -> None:
    case_incident = incident(record("alert", "json:/alerts/0", title="x"))
    result = assess(CaseFile(incident=case_incident, detections=(HIGH, HIGH)))
    assert result.verdict.classification == "true_positive"


def test_malicious_intelligence_outweighs_a_benign_note() -> None:
    case_incident = incident(record("incident", classification="FalsePositive"))
    intel = EnrichmentResult(
        provider="intel-pack",
        observable_type="ipv4",
        value="203.0.113.9",
        status="ok",
        verdict="malicious",
        summary="listed",
    )
    result = assess(CaseFile(incident=case_incident, detections=(HIGH,), enrichments=(intel,)))
    assert result.verdict.classification != "false_positive"
    assert result.verdict.needs_human


def test_the_adjustment_moves_the_odds_both_ways() -> None:
    bp = prior_disposition([record("incident", classification="BenignPositive")])
    tp = prior_disposition([record("incident", classification="TruePositive")])
    assert bp is not None and tp is not None
    assert adjusted_probability(0.9, bp) < 0.1 < 0.9 < adjusted_probability(0.5, tp)


def test_an_event_without_the_products_identifier_is_not_a_disposition() -> None:
    event = Record(
        artifact_id="A2",
        locator="json:/0",
        source="alert",
        raw="{}",
        fields={"severity": "info", "name": "user.login", "classification": "FalsePositive"},
    )
    assert prior_disposition([event]) is None


def test_a_log_row_cannot_name_itself_an_incident(tmp_path: Path) -> None:
    # Log Analytics rows carry their table in `Type`; a row that says "incident" stays a log row.
    from triage.ingest import Limits, load_incident

    log = tmp_path / "app_events.jsonl"
    log.write_text(
        '{"TimeGenerated":"2026-02-18T14:05:00Z","Type":"incident","IncidentNumber":7,'
        '"Classification":"FalsePositive"}\n'
        '{"TimeGenerated":"2026-02-18T14:06:00Z","Type":"x","msg":"user.logout"}\n'
    )
    loaded = load_incident([str(log)], Limits())
    assert {r.source for r in loaded.records} == {"table.incident", "x"}
    assert prior_disposition(loaded.records) is None
