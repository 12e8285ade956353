"""Alerts that an EDR or SIEM already raised, as Detections: Microsoft Defender XDR and
Defender for Endpoint, Microsoft Sentinel (SecurityAlert), CrowdStrike Falcon (streaming
DetectionSummaryEvent), Elastic Security (`kibana.alert.*`), Splunk ES notables, Wazuh, and
generic alert JSON.

The vendor's alert is a claim, not proof: it enters at the vendor's own severity, with the
techniques the vendor tagged, and cites the alert record so the analyst can weigh it. Field
names are the products' documented ones, as the JSON loaders flatten them (`a.b.0`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from triage.detect import Detector
from triage.ingest.base import small_int
from triage.models import Detection, Incident, Record, RecordRef
from triage.models.base import Severity

ALERT_SOURCES = frozenset({"alert", "SecurityAlert", "AlertInfo"})
TITLE_FIELDS = (
    "title",  # Defender XDR / MDE alerts API
    "AlertName",  # Sentinel SecurityAlert, Defender AlertInfo
    "alertDisplayName",
    "displayName",
    "Title",
    "kibana.alert.rule.name",  # Elastic Security
    "rule_title",  # Splunk ES notable: the rendered title
    "rule_name",
    "search_name",
    "event.DetectName",  # CrowdStrike DetectionSummaryEvent
    "rule.description",  # Wazuh
    "name",
    "rule.name",
)
SEVERITY_FIELDS = (
    "severity",
    "AlertSeverity",
    "Severity",
    "kibana.alert.severity",
    "event.SeverityName",
    "level",
    "event.severity",
)
# Numeric severities on a documented scale: (field, top of the scale).
SCALED_SEVERITY_FIELDS = (
    ("event.Severity", 5),  # CrowdStrike: 1 informational … 5 critical
    ("Severity", 5),
    ("rule.level", 15),  # Wazuh rule levels 0–15
    ("kibana.alert.risk_score", 100),  # Elastic risk score 0–100
    ("event.severity", 100),  # ECS
    ("severity", 100),
    ("level", 100),
)
SOURCE_FIELDS = ("detectionSource", "ProductName", "serviceSource", "ProviderName", "vendor")
TECHNIQUE_KEYS = re.compile(
    r"(^|\.)("
    r"mitreTechniques|techniques?|subtechniques?|attackTechniques|TechniqueId"  # MDE, Sentinel
    r"|mitre_attack(\.mitre_technique_id)?"  # Splunk ES annotations
    r"|mitre\.id"  # Wazuh rule.mitre.id
    r"|(threat(\.\d+)?\.)?technique(\.\d+)?(\.subtechnique(\.\d+)?)?\.id"  # ECS / Elastic
    r")(\.\d+)?$",
    re.I,
)
TECHNIQUE_ID = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
SEVERITY_WORDS: dict[str, Severity] = {
    "informational": "informational",
    "info": "informational",
    "low": "low",
    "medium": "medium",
    "moderate": "medium",
    "high": "high",
    "critical": "critical",
    "severe": "critical",
}
# Which product an alert row is, by fields only that product's schema has.
PRODUCT_MARKERS: tuple[tuple[str, str], ...] = (
    ("kibana.alert.rule.name", "Elastic Security"),
    ("kibana.alert.rule.uuid", "Elastic Security"),
    ("event.DetectName", "CrowdStrike Falcon"),
    ("rule.level", "Wazuh"),
    ("security_domain", "Splunk ES"),
    ("search_name", "Splunk ES"),
)


def _first(record: Record, names: Sequence[str]) -> str | None:
    for name in names:
        value = record.fields.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _from_scale(value: float, top: int) -> Severity:
    if top <= 5:
        # 1 informational, 2 low, 3 medium, 4 high, 5 critical (Falcon's documented names).
        levels: tuple[Severity, ...] = ("informational", "low", "medium", "high", "critical")
        return levels[min(max(round(value), 1), 5) - 1]
    if top == 15:
        # Wazuh: 0–3 routine, 4–6 low, 7–11 noteworthy, 12–14 high importance, 15 severe attack.
        if value >= 15:
            return "critical"
        if value >= 12:
            return "high"
        if value >= 7:
            return "medium"
        return "low" if value >= 4 else "informational"
    share = value / top * 100
    if share >= 90:
        return "critical"
    if share >= 70:
        return "high"
    return "medium" if share >= 40 else "low"


def _level(record: Record) -> Severity:
    raw = _first(record, SEVERITY_FIELDS)
    if raw is not None and raw.lower() in SEVERITY_WORDS:
        return SEVERITY_WORDS[raw.lower()]
    for name, top in SCALED_SEVERITY_FIELDS:
        value = record.fields.get(name)
        if isinstance(value, str):
            value = small_int(value.strip())  # not int(): "²" and 5,000 digits make it raise
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _from_scale(float(value), top)
    return "medium"


def _techniques(record: Record) -> tuple[str, ...]:
    found: list[str] = []
    for key, value in record.fields.items():
        if isinstance(value, str) and TECHNIQUE_KEYS.search(key):
            found += TECHNIQUE_ID.findall(value.upper())
    return tuple(dict.fromkeys(found))


def _product(record: Record) -> str | None:
    named = _first(record, SOURCE_FIELDS)
    if named:
        return named
    return next((name for key, name in PRODUCT_MARKERS if key in record.fields), None)


@dataclass(frozen=True)
class VendorAlertDetector:
    """One Detection per alert record that names what it detected."""

    def detect(self, incident: Incident) -> Sequence[Detection]:
        detections = []
        for record in incident.records:
            if record.source not in ALERT_SOURCES:
                continue
            title = _first(record, TITLE_FIELDS)
            if title is None:
                continue
            product = _product(record)
            severity = _first(record, SEVERITY_FIELDS)
            matched = {"title": title} | ({"severity": severity} if severity else {})
            detections.append(
                Detection(
                    rule_id=f"vendor-alert:{record.artifact_id}:{record.locator}",
                    title=f"{product}: {title}" if product else title,
                    level=_level(record),
                    techniques=_techniques(record),
                    records=(RecordRef(artifact_id=record.artifact_id, locator=record.locator),),
                    matched_fields=matched,
                    description="Alert raised by the source product; its severity and techniques "
                    "are the vendor's.",
                    rule_source="vendor alert",
                    layer="vendor",
                )
            )
        return detections


@dataclass(frozen=True)
class CombinedDetector:
    """Runs several detectors and keeps their detections in one stable order."""

    detectors: tuple[Detector, ...]

    def detect(self, incident: Incident) -> Sequence[Detection]:
        from triage.detect.engine import sort_detections

        return sort_detections(
            [d for detector in self.detectors for d in detector.detect(incident)]
        )
