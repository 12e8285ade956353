"""OCSF, STIX 2.1 and TheHive exports, each checked by its own validator: py-ocsf-models for
OCSF's Detection Finding, OASIS's stix2-validator, and TheHive's alert model as JSON Schema."""

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from py_ocsf_models.events.findings.severity_id import SeverityID
from stix2validator import ValidationOptions, validate_string

from tests.render.conftest import ATTACHMENT, SAMPLE_REPORTS, sample_report
from tests.test_models import full_report
from triage.models import ReportEnrichment, ReportObservable, TriageReport, Verdict
from triage.render import render_text
from triage.render.safety import UNSAFE

# Strict: warnings are errors. strict_types stays off: in stix2-validator 3.x it flags every
# top-level cyber-observable (domain-name, url, …) as a custom type, which STIX 2.1 is not.
STIX_OPTIONS = ValidationOptions(
    version="2.1", strict=True, strict_properties=True, enforce_refs=True
)
THEHIVE_SCHEMA = json.loads(
    files("triage").joinpath("data/schemas/thehive5-alert.schema.json").read_text()
)


def reports(hostile: TriageReport) -> list[TriageReport]:
    return [full_report(), hostile, *(sample_report(p) for p in SAMPLE_REPORTS)]


@pytest.fixture(scope="module")
def every_report(hostile_report: TriageReport) -> list[TriageReport]:
    return reports(hostile_report)


def _loads(text: str) -> Any:
    assert UNSAFE.search(text) is None, "raw control or bidi character in JSON output"
    return json.loads(text)


def test_sample_reports_are_present() -> None:
    assert len(SAMPLE_REPORTS) >= 3


# --- OCSF ---------------------------------------------------------------------------------


def test_ocsf_detection_finding_validates_and_loses_nothing(
    every_report: list[TriageReport],
) -> None:
    for report in every_report:
        doc = _loads(render_text(report, "ocsf"))
        finding = DetectionFinding.model_validate(doc)
        # The models ignore unknown fields: a round trip that drops or coerces one fails here.
        assert finding.model_dump(mode="json", exclude_unset=True) == doc
        assert doc["class_uid"] == 2004 and doc["category_uid"] == 2
        assert doc["type_uid"] == doc["class_uid"] * 100 + doc["activity_id"]
        assert SeverityID(doc["severity_id"]).name == doc["severity"]
        attacks = doc["finding_info"].get("attacks", [])
        ids = [a.get("sub_technique", a["technique"])["uid"] for a in attacks]
        assert ids == [t.id for t in report.techniques]
        assert [o["value"] for o in doc.get("observables", [])] == [
            o.value for o in report.observables
        ]
        assert doc["confidence_score"] == round(report.verdict.confidence * 100)


def test_ocsf_keeps_hostile_values_exact_but_escaped(hostile_report: TriageReport) -> None:
    text = render_text(hostile_report, "ocsf")
    assert "\\u202e" in text
    values = [o["value"] for o in _loads(text)["observables"]]
    assert ATTACHMENT in values


# --- STIX 2.1 -----------------------------------------------------------------------------


def _stix(report: TriageReport) -> dict[str, Any]:
    text = render_text(report, "stix")
    result = validate_string(text, STIX_OPTIONS)
    problems = [e.message for e in result.errors] + [w.message for w in result.warnings]
    assert result.is_valid and not problems, problems
    bundle: dict[str, Any] = _loads(text)
    return bundle


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == kind]


def test_stix_bundle_is_valid_strict_with_attack_patterns_and_report(
    every_report: list[TriageReport],
) -> None:
    for report in every_report:
        bundle = _stix(report)
        patterns = _by_type(bundle, "attack-pattern")
        assert [p["external_references"][0]["external_id"] for p in patterns] == [
            t.id for t in report.techniques
        ]
        assert all(p["external_references"][0]["source_name"] == "mitre-attack" for p in patterns)
        (stix_report,) = _by_type(bundle, "report")
        assert stix_report["confidence"] == round(report.verdict.confidence * 100)
        ids = {o["id"] for o in bundle["objects"]}
        assert set(stix_report["object_refs"]) <= ids
        assert len(_by_type(bundle, "identity")) == 1
        if report.verdict.classification == "true_positive" and _by_type(bundle, "url"):
            assert _by_type(bundle, "indicator") and _by_type(bundle, "observed-data")


def test_stix_patterns_escape_quotes_and_backslashes() -> None:
    tricky = "http://evil.test/a'b\\c"
    report = full_report().model_copy(
        update={
            "observables": (
                ReportObservable(type="url", value=tricky, defanged="hxxp://evil[.]test/a'b\\c"),
            )
        }
    )
    (indicator,) = _by_type(_stix(report), "indicator")
    assert indicator["pattern"] == "[url:value = 'http://evil.test/a\\'b%5Cc']"


def test_stix_benign_report_publishes_no_indicators_unless_enrichment_flags_one() -> None:
    base = full_report()
    benign = base.model_copy(
        update={
            "verdict": Verdict(
                classification="benign_positive",
                determination="patch window",
                severity="low",
                confidence=0.9,
                needs_human=False,
                rationale="r",
            ),
            "observables": (
                ReportObservable(type="domain", value="update.vendor.example", defanged="x"),
                ReportObservable(
                    type="ipv4",
                    value="198.51.100.7",
                    defanged="y",
                    enrichments=(
                        ReportEnrichment(provider="intel", status="ok", verdict="malicious"),
                    ),
                ),
            ),
        }
    )
    indicators = _by_type(_stix(benign), "indicator")
    assert [i["pattern"] for i in indicators] == ["[ipv4-addr:value = '198.51.100.7']"]


def test_stix_render_is_deterministic() -> None:
    assert render_text(full_report(), "stix") == render_text(full_report(), "stix")


# --- TheHive 5 ----------------------------------------------------------------------------


def test_thehive_alert_validates_against_the_documented_model(
    every_report: list[TriageReport],
) -> None:
    validator = jsonschema.Draft202012Validator(THEHIVE_SCHEMA)
    for report in every_report:
        alert = _loads(render_text(report, "thehive"))
        validator.validate(alert)
        assert alert["severity"] == {"informational": 1, "low": 1, "medium": 2, "high": 3}.get(
            report.verdict.severity, 4
        )
        assert [p["patternId"] for p in alert["procedures"]] == [t.id for t in report.techniques]
        assert "http://" not in alert["description"] and "https://" not in alert["description"]


def test_thehive_schema_refuses_what_thehive_does_not_know() -> None:
    validator = jsonschema.Draft202012Validator(THEHIVE_SCHEMA)
    alert = json.loads(render_text(full_report(), "thehive"))
    assert validator.is_valid(alert)
    for broken in (
        {**alert, "severity": 5},
        {**alert, "colour": "red"},
        {**alert, "observables": [{"dataType": "ipv4", "data": "1.2.3.4"}]},
        {**alert, "procedures": [{"patternId": "T1059", "tactic": "Execution"}]},
        {k: v for k, v in alert.items() if k != "sourceRef"},
    ):
        assert not validator.is_valid(broken)


def test_thehive_observables_keep_exact_values(hostile_report: TriageReport) -> None:
    alert = _loads(render_text(hostile_report, "thehive"))
    data = {o["dataType"]: o["data"] for o in alert["observables"]}
    assert data.get("filename") == ATTACHMENT


def test_exports_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import run_cli

    saved = tmp_path / "report.json"
    saved.write_text(render_text(full_report(), "json"), encoding="utf-8")
    for fmt in ("ocsf", "stix", "thehive"):
        code, out, err = run_cli(["render", str(saved), "-f", fmt], capsys)
        assert code == 0, err
        assert json.loads(out) == json.loads(render_text(full_report(), fmt))
    page = tmp_path / "case.html"
    code, _, err = run_cli(["render", str(saved), "-o", str(page)], capsys)  # suffix → html
    assert code == 0, err
    assert page.read_text(encoding="utf-8") == render_text(full_report(), "html")
    code, _, err = run_cli(["render", str(saved), "-f", "pdf"], capsys)
    assert code == 2 and "unknown format" in err


def test_indicators_skip_benign_values_and_internal_addresses() -> None:
    benign = (ReportEnrichment(provider="domain-analysis", status="ok", verdict="benign"),)
    report = full_report().model_copy(
        update={
            "observables": (
                ReportObservable(type="ipv4", value="10.1.2.3", defanged="a"),
                ReportObservable(type="ipv4", value="203.0.113.9", defanged="b"),
                ReportObservable(
                    type="domain", value="protection.outlook.com", defanged="c", enrichments=benign
                ),
                ReportObservable(type="domain", value="evil.example", defanged="d"),
            )
        }
    )
    bundle = _stix(report)
    assert [i["pattern"] for i in _by_type(bundle, "indicator")] == [
        "[ipv4-addr:value = '203.0.113.9']",
        "[domain-name:value = 'evil.example']",
    ]
    assert len(_by_type(bundle, "observed-data")[0]["object_refs"]) == 4  # all still observed
    alert = json.loads(render_text(report, "thehive"))
    assert [o["ioc"] for o in alert["observables"]] == [False, True, False, True]
