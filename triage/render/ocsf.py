"""OCSF 1.5 Detection Finding (class 2004): the report as one finding for a SIEM or data lake.

The verdict maps to severity, confidence and the finding's types; techniques to
`finding_info.attacks`; detections to `finding_info.related_analytics`; observables and
evidence to `observables` and `evidences`. What OCSF has no place for (classification,
needs_human, rationale, citations) goes in `unmapped`. Values are exact (machine output);
JSON escapes keep control and bidi characters inert.
"""

import json
from datetime import datetime
from typing import Any

from triage.models import TriageReport
from triage.models.base import Severity
from triage.render.safety import escape_json

OCSF_VERSION = "1.5.0"
DETECTION_FINDING = 2004
FINDINGS_CATEGORY = 2
ACTIVITY_CREATE = 1
STATUS_NEW = 1

SEVERITY_IDS: dict[Severity, tuple[int, str]] = {
    "informational": (1, "Informational"),
    "low": (2, "Low"),
    "medium": (3, "Medium"),
    "high": (4, "High"),
    "critical": (5, "Critical"),
}
# OCSF observable type_id by triage observable type; anything else is Other (99).
OBSERVABLE_TYPE_IDS: dict[str, tuple[int, str]] = {
    "host": (1, "Hostname"),
    "domain": (1, "Hostname"),
    "ipv4": (2, "IP Address"),
    "ipv6": (2, "IP Address"),
    "user": (4, "User Name"),
    "email": (5, "Email Address"),
    "url": (6, "URL String"),
    "file_path": (7, "File Name"),
    "md5": (8, "Hash"),
    "sha1": (8, "Hash"),
    "sha256": (8, "Hash"),
    "process": (9, "Process Name"),
    "registry_key": (28, "Registry Key"),
}
ANALYTIC_RULE = 1


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _confidence(confidence: float) -> tuple[int, str]:
    if confidence >= 0.8:
        return 3, "High"
    if confidence >= 0.5:
        return 2, "Medium"
    return 1, "Low"


def _attacks(report: TriageReport) -> list[dict[str, Any]]:
    attacks = []
    for t in report.techniques:
        attack: dict[str, Any] = {}
        parent, _, sub = t.id.partition(".")
        if sub:
            attack["sub_technique"] = {"uid": t.id, "name": t.name}
            attack["technique"] = {"uid": parent, "name": t.name.split(":")[0]}
        else:
            attack["technique"] = {"uid": t.id, "name": t.name}
        if t.tactic:
            attack["tactic"] = {"name": t.tactic}
        if report.run.attack_version:
            attack["version"] = report.run.attack_version
        attacks.append(attack)
    return attacks


def ocsf_finding(report: TriageReport) -> dict[str, Any]:
    """The report as an OCSF Detection Finding event (a plain JSON-ready dict)."""
    v = report.verdict
    severity_id, severity = SEVERITY_IDS[v.severity]
    confidence_id, confidence = _confidence(v.confidence)
    finding_info: dict[str, Any] = {
        "uid": report.report_id,
        "title": report.incident.title,
        "desc": report.summary,
        "types": [v.classification, v.determination],
        "created_time": _ms(report.generated_at),
        "data_sources": sorted({a.format for a in report.artifacts}),
    }
    if report.incident.first_seen:
        finding_info["first_seen_time"] = _ms(report.incident.first_seen)
    if report.incident.last_seen:
        finding_info["last_seen_time"] = _ms(report.incident.last_seen)
    if report.techniques:
        finding_info["attacks"] = _attacks(report)
    if report.detections:
        finding_info["related_analytics"] = [
            {"uid": d.rule_id, "name": d.title, "type_id": ANALYTIC_RULE, "type": "Rule"}
            for d in report.detections
        ]
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "class_uid": DETECTION_FINDING,
        "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "time": _ms(report.generated_at),
        "severity_id": severity_id,
        "severity": severity,
        "confidence_id": confidence_id,
        "confidence": confidence,
        "confidence_score": round(v.confidence * 100),
        "status_id": STATUS_NEW,
        "status": "New",
        "message": report.summary,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": report.report_id,
            "correlation_uid": report.incident.id,
            "product": {
                "name": "triage",
                "vendor_name": "triage",
                "version": report.run.triage_version,
            },
        },
        "finding_info": finding_info,
    }
    if report.incident.first_seen:
        event["start_time"] = _ms(report.incident.first_seen)
    if report.incident.last_seen:
        event["end_time"] = _ms(report.incident.last_seen)
    if report.observables:
        event["observables"] = [
            {
                "name": o.type,
                "type_id": OBSERVABLE_TYPE_IDS.get(o.type, (99, "Other"))[0],
                "type": OBSERVABLE_TYPE_IDS.get(o.type, (99, "Other"))[1],
                "value": o.value,
            }
            for o in report.observables
        ]
    if report.evidence:
        event["evidences"] = [
            {
                "name": e.id,
                "data": {
                    k: val for k, val in e.model_dump(exclude={"id"}).items() if val is not None
                },
            }
            for e in report.evidence
        ]
    if report.actions:
        event["remediation"] = {
            "desc": "\n".join(f"[{a.priority}] {a.text}" for a in report.actions)
        }
    event["unmapped"] = {
        "triage": {
            "schema_version": report.schema_version,
            "incident_id": report.incident.id,
            "classification": v.classification,
            "needs_human": v.needs_human,
            "rationale": v.rationale,
            "findings": [f.model_dump(mode="json") for f in report.findings],
            "engine": report.run.engine,
        }
    }
    return event


def render_ocsf(report: TriageReport) -> str:
    return escape_json(json.dumps(ocsf_finding(report), indent=2, ensure_ascii=False)) + "\n"
