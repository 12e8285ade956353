"""Alerts that an EDR or SIEM already raised (Defender, Sentinel, generic JSON) as Detections.

The vendor's alert is a claim, not proof: it enters at the vendor's own severity, with the
techniques the vendor tagged, and cites the alert record so the analyst can weigh it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from triage.detect import Detector
from triage.models import Detection, Incident, Record, RecordRef
from triage.models.base import Severity

ALERT_SOURCES = frozenset({"alert", "SecurityAlert", "AlertInfo"})
TITLE_FIELDS = (
    "title",
    "AlertName",
    "alertDisplayName",
    "displayName",
    "Title",
    "name",
    "rule.name",
)
SEVERITY_FIELDS = ("severity", "AlertSeverity", "Severity", "level", "event.severity")
SOURCE_FIELDS = ("detectionSource", "ProductName", "serviceSource", "ProviderName", "vendor")
TECHNIQUE_KEYS = re.compile(
    r"(^|\.)(mitreTechniques|techniques?|attackTechniques|threat\.technique\.id)(\.\d+)?$", re.I
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


def _first(record: Record, names: Sequence[str]) -> str | None:
    for name in names:
        value = record.fields.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _level(record: Record) -> Severity:
    raw = _first(record, SEVERITY_FIELDS)
    if raw is None:
        numeric = next(
            (v for k in SEVERITY_FIELDS if isinstance(v := record.fields.get(k), int | float)), None
        )
        if isinstance(numeric, int | float) and not isinstance(numeric, bool):
            # ECS event.severity and similar 0–100 scales.
            return (
                "critical"
                if numeric >= 90
                else "high"
                if numeric >= 70
                else "medium"
                if numeric >= 40
                else "low"
            )
        return "medium"
    return SEVERITY_WORDS.get(raw.lower(), "medium")


def _techniques(record: Record) -> tuple[str, ...]:
    found: list[str] = []
    for key, value in record.fields.items():
        if isinstance(value, str) and TECHNIQUE_KEYS.search(key):
            found += TECHNIQUE_ID.findall(value.upper())
    return tuple(dict.fromkeys(found))


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
            product = _first(record, SOURCE_FIELDS)
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
