"""Vendor alert shapes: each product's documented export loads as alert records, and the
detector reads the product's own title, severity scale and ATT&CK tags from it."""

import json
from pathlib import Path
from typing import Any

import pytest

from triage.detect.alerts import VendorAlertDetector
from triage.ingest import Limits, load_incident
from triage.models import Detection, Incident


def _load(tmp_path: Path, name: str, content: str) -> Incident:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return load_incident([str(path)], Limits())


def _lines(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def _detections(incident: Incident) -> list[Detection]:
    return list(VendorAlertDetector().detect(incident))


def test_defender_xdr_incident_alerts_and_entities(tmp_path: Path) -> None:
    incident = {
        "incidentId": 7,
        "incidentName": "Credential access incident",
        "severity": "High",
        "alerts": [
            {
                "alertId": "da1",
                "serviceSource": "MicrosoftDefenderForIdentity",
                "detectionSource": "AzureATP",
                "title": "Suspected Kerberos SPN exposure",
                "severity": "Low",
                "mitreTechniques": ["T1558.003"],
                "entities": [{"entityType": "User", "accountName": "svc_a"}],
            }
        ],
    }
    loaded = _load(tmp_path, "incident.json", json.dumps(incident))
    sources = {r.locator: r.source for r in loaded.records}
    assert sources["json:/alerts/0"] == "alert"
    assert sources["json:/alerts/0/entities/0"] == "alert.evidence"
    (found,) = _detections(loaded)
    assert found.title == "AzureATP: Suspected Kerberos SPN exposure"
    assert found.level == "low"
    assert found.techniques == ("T1558.003",)
    assert found.records[0].locator == "json:/alerts/0"


def test_sentinel_security_alert_rows(tmp_path: Path) -> None:
    alert = {
        "Type": "SecurityAlert",
        "TimeGenerated": "2026-02-26T16:12:40Z",
        "AlertName": "Remote service installed on several servers",
        "AlertSeverity": "Medium",
        "ProductName": "Azure Sentinel",
        "Techniques": '["T1021"]',
        "SubTechniques": '["T1021.002"]',
    }
    incident_row = {"Type": "SecurityIncident", "Title": "Lateral movement", "Severity": "High"}
    loaded = _load(tmp_path, "export.jsonl", _lines(incident_row, alert))
    (found,) = _detections(loaded)  # the incident row is the container, not a second alert
    assert found.title == "Azure Sentinel: Remote service installed on several servers"
    assert found.level == "medium"
    assert found.techniques == ("T1021", "T1021.002")


def _falcon(severity: int, name: str) -> dict[str, Any]:
    return {
        "metadata": {"eventType": "DetectionSummaryEvent", "offset": 1, "version": "1.0"},
        "event": {
            "DetectName": "ShadowCopyDeletion",
            "Severity": severity,
            "SeverityName": name,
            "TechniqueId": "T1490",
            "Technique": "Inhibit System Recovery",
            "CommandLine": "vssadmin.exe delete shadows /all /quiet",
        },
    }


def test_crowdstrike_detection_summary_event(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "falcon.jsonl", _lines(_falcon(5, "Critical"), _falcon(2, "")))
    assert {r.source for r in loaded.records} == {"alert"}
    named, numeric = _detections(loaded)
    assert named.title == "CrowdStrike Falcon: ShadowCopyDeletion"
    assert named.level == "critical"
    assert named.techniques == ("T1490",)
    # Without a SeverityName the 1–5 number is read on Falcon's scale, not as 2 out of 100.
    assert numeric.level == "low"


def test_crowdstrike_shape_needs_the_event_type(tmp_path: Path) -> None:
    row = _falcon(5, "Critical") | {"metadata": {"eventType": "UserActivityAuditEvent"}}
    loaded = _load(tmp_path, "falcon.jsonl", _lines(row, row))
    assert _detections(loaded) == []


def _elastic(severity: str) -> dict[str, Any]:
    return {
        "@timestamp": "2026-02-26T15:41:22.771Z",
        "kibana.alert.rule.name": "AdFind enumeration",
        "kibana.alert.severity": severity,
        "kibana.alert.risk_score": 73,
        "kibana.alert.workflow_status": "open",
        "kibana.alert.rule.threat": [
            {
                "framework": "MITRE ATT&CK",
                "tactic": {"id": "TA0007", "name": "Discovery"},
                "technique": [
                    {"id": "T1087", "subtechnique": [{"id": "T1087.002"}]},
                    {"id": "T1482", "name": "Domain Trust Discovery"},
                ],
            }
        ],
        "process.command_line": "AdFind.exe -sc trustdmp",
    }


def test_elastic_security_alert_documents(tmp_path: Path) -> None:
    nested = {"kibana": {"alert": {"rule": {"name": "Nested form"}, "risk_score": 95}}}
    loaded = _load(tmp_path, "alerts.ndjson", _lines(_elastic("high"), nested))
    flat, deep = _detections(loaded)
    assert flat.title == "Elastic Security: AdFind enumeration"
    assert flat.level == "high"
    assert flat.techniques == ("T1087", "T1087.002", "T1482")
    assert deep.title == "Elastic Security: Nested form"
    assert deep.level == "critical"  # risk score 95 of 100


def test_elastic_alerts_as_a_json_array(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "alerts.json", json.dumps([_elastic("low")]))
    (found,) = _detections(loaded)
    assert found.level == "low"
    assert found.records[0].locator == "json:/0"


def test_splunk_es_notables_from_the_rest_api(tmp_path: Path) -> None:
    notable = {
        "_time": "2026-05-19T18:42:07.000+00:00",
        "search_name": "Endpoint - Rclone Copy To Cloud Remote - Rule",
        "rule_name": "Rclone Copy To Cloud Remote",
        "rule_title": "rclone copied a file share on KF-WS-0931",
        "security_domain": "endpoint",
        "severity": "high",
        "urgency": "critical",
        "annotations.mitre_attack": ["T1567.002"],
    }
    document = {"preview": False, "init_offset": 0, "results": [notable]}
    loaded = _load(tmp_path, "notables.json", json.dumps(document))
    (found,) = _detections(loaded)
    assert found.title == "Splunk ES: rclone copied a file share on KF-WS-0931"
    assert found.level == "high"
    assert found.techniques == ("T1567.002",)
    assert found.records[0].locator == "json:/results/0"


@pytest.mark.parametrize(
    ("level", "expected"),
    [(3, "informational"), (5, "low"), (10, "medium"), (12, "high"), (15, "critical")],
)
def test_wazuh_alert_levels(tmp_path: Path, level: int, expected: str) -> None:
    row = {
        "timestamp": "2026-04-27T09:17:12.044+0000",
        "rule": {
            "level": level,
            "description": "Audit: systemctl stop auditd executed as root.",
            "id": "80792",
            "mitre": {"id": ["T1562.012"], "technique": ["Disable or Modify Linux Audit"]},
        },
        "agent": {"id": "014", "name": "kf-web-03"},
        "full_log": "type=EXECVE ...",
    }
    loaded = _load(tmp_path, "alerts.json", _lines(row, row))
    found = _detections(loaded)[0]
    assert found.title == "Wazuh: Audit: systemctl stop auditd executed as root."
    assert found.level == expected
    assert found.techniques == ("T1562.012",)


def test_ordinary_rows_are_not_alerts(tmp_path: Path) -> None:
    rows = [
        {"rule": {"level": 3}, "host": "a"},  # a rule with a level but no agent: not Wazuh
        {"search_name": "saved search"},  # a Splunk row without the ES notable fields
        {"kibana": {"version": "8.14.1"}},  # Kibana metadata, no alert
    ]
    loaded = _load(tmp_path, "rows.jsonl", _lines(*rows))
    assert {r.source for r in loaded.records} == {"jsonl"}
    assert _detections(loaded) == []
