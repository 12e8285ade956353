"""Notable events: high-value records (accounts changed, services and tasks created, logging
changed, replication rights used, LSASS opened, Kerberos anomalies…) that no single rule calls
malicious but an analyst would want to see. Each kind becomes one Detection with layer "notable",
which the verdict weighs lower than a rule. The table is data: triage/data/notable_events.yaml."""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from triage.models import Detection, Incident, Record, RecordRef
from triage.models.base import SEVERITY_ORDER, Severity

# libyaml parses the packaged table several times faster; same safe constructors.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NOTABLE_TABLE = Path(__file__).resolve().parent.parent / "data" / "notable_events.yaml"
MAX_RECORDS = 50
MAX_FIELD_CHARS = 300


@dataclass(frozen=True)
class NotableKind:
    key: str
    title: str
    level: Severity
    techniques: tuple[str, ...]
    why: str
    channels: frozenset[str] = frozenset()
    event_ids: frozenset[int] = frozenset()
    sources: frozenset[str] = frozenset()
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    equals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, record: Record) -> bool:
        fields = record.fields
        if self.sources:
            if record.source not in self.sources:
                return False
        else:
            channel = fields.get("Channel")
            if not isinstance(channel, str) or channel.lower() not in self.channels:
                return False
            if event_id_of(fields.get("EventID")) not in self.event_ids:
                return False
        for name, needles in self.where.items():
            value = _text(fields.get(name))
            if not any(needle in value for needle in needles):
                return False
        for name, allowed in self.equals.items():
            if _text(fields.get(name)) not in allowed:
                return False
        for name, needles in self.unless.items():
            value = _text(fields.get(name))
            if any(needle in value for needle in needles):
                return False
        return True

    def shown_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.where, *self.equals)))


def event_id_of(value: object) -> int | None:
    """A Windows event id as an int; None for anything that is not a short ASCII number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        # isdigit() accepts "²" and fullwidth digits; event ids are short ASCII numbers.
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value).lower()


def _lowered(table: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        return {}
    return {str(k): tuple(str(v).lower() for v in values) for k, values in table.items()}


def _kind(entry: Mapping[str, Any]) -> NotableKind:
    level = str(entry.get("level", "informational"))
    if level not in SEVERITY_ORDER:
        raise ValueError(f"notable event {entry.get('key')}: unknown level {level!r}")
    return NotableKind(
        key=str(entry["key"]),
        title=str(entry["title"]),
        level=level,
        techniques=tuple(str(t) for t in entry.get("techniques", ())),
        why=str(entry.get("why", "")),
        channels=frozenset(str(c).lower() for c in entry.get("channels", ())),
        event_ids=frozenset(int(i) for i in entry.get("event_ids", ())),
        sources=frozenset(str(s) for s in entry.get("sources", ())),
        where=_lowered(entry.get("where")),
        equals=_lowered(entry.get("equals")),
        unless=_lowered(entry.get("unless")),
    )


@functools.cache
def notable_kinds(path: Path = NOTABLE_TABLE) -> tuple[NotableKind, ...]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    return tuple(_kind(entry) for group in document.values() for entry in group)


@dataclass(frozen=True)
class NotableEventDetector:
    """One Detection per kind of notable event present in the incident."""

    kinds: tuple[NotableKind, ...] = field(default_factory=notable_kinds)

    def detect(self, incident: Incident) -> Sequence[Detection]:
        return self.detect_records(incident.records)

    def detect_records(self, records: Sequence[Record]) -> list[Detection]:
        by_event: dict[tuple[str, int], list[NotableKind]] = {}
        by_source: dict[str, list[NotableKind]] = {}
        for kind in self.kinds:
            for source in kind.sources:
                by_source.setdefault(source, []).append(kind)
            for channel in kind.channels:
                for event_id in kind.event_ids:
                    by_event.setdefault((channel, event_id), []).append(kind)
        found: dict[str, list[Record]] = {}
        totals: dict[str, int] = {}
        for record in records:
            channel_name = record.fields.get("Channel")
            if isinstance(channel_name, str):
                event = (channel_name.lower(), event_id_of(record.fields.get("EventID")) or -1)
                candidates = by_event.get(event, ())
            else:
                candidates = by_source.get(record.source, ())
            for kind in candidates:
                if kind.matches(record):
                    totals[kind.key] = totals.get(kind.key, 0) + 1
                    kept = found.setdefault(kind.key, [])
                    if len(kept) < MAX_RECORDS:
                        kept.append(record)
        by_key = {k.key: k for k in self.kinds}
        return [_detection(by_key[key], kept, totals[key]) for key, kept in found.items()]


def _detection(kind: NotableKind, records: list[Record], total: int) -> Detection:
    matched: dict[str, str] = {}
    for name in kind.shown_fields():
        value = records[0].fields.get(name)
        if value is not None:
            matched[name] = str(value)[:MAX_FIELD_CHARS]
    event_id = records[0].fields.get("EventID")
    if event_id is not None and not kind.sources:
        matched.setdefault("EventID", str(event_id))
    count = (
        f" {total} record(s)."
        if total <= len(records)
        else f" {total} records; first {len(records)} listed."
    )
    return Detection(
        rule_id=f"notable:{kind.key}",
        title=kind.title,
        level=kind.level,
        techniques=kind.techniques,
        records=tuple(RecordRef(artifact_id=r.artifact_id, locator=r.locator) for r in records),
        matched_fields=matched,
        description=kind.why + count,
        rule_source="builtin notable events",
        layer="notable",
    )
