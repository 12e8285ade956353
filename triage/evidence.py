"""The evidence catalogue: every citable fact gets an id (E1, …) and an exact, checkable quote."""

import html
import json
from collections.abc import Iterable

from triage.models import (
    Detection,
    EnrichmentResult,
    Evidence,
    Incident,
    Record,
    RecordRef,
)

MAX_QUOTE = 300


def quote_in(raw: str, value: str) -> str | None:
    """The form of `value` as it is written in `raw` (plain, JSON- or XML-escaped), if present."""
    if not value:
        return None
    forms = (value, json.dumps(value)[1:-1], html.escape(value, quote=False), html.escape(value))
    for form in forms:
        if len(form) <= MAX_QUOTE and form in raw:
            return form
        if len(form) > MAX_QUOTE and form[:MAX_QUOTE] in raw:
            return form[:MAX_QUOTE]
    # Case-insensitive match, only where lower-casing keeps every index in place.
    lowered_raw = raw.lower()
    if len(lowered_raw) == len(raw):
        at = lowered_raw.find(value.lower())
        if at >= 0:
            return raw[at : at + min(len(value), MAX_QUOTE)]
    return None


def record_quote(record: Record, values: Iterable[str] = ()) -> str:
    """An exact substring of the record that shows why it is cited: the first cited value found
    in it, else the record's opening text."""
    for value in values:
        quoted = quote_in(record.raw, str(value))
        if quoted:
            return quoted
    return record.raw[:MAX_QUOTE]


class EvidenceCatalog:
    """Builds the report's evidence list; the same source and quote always get the same id."""

    def __init__(self, incident: Incident) -> None:
        self._records = {(r.artifact_id, r.locator): r for r in incident.records}
        self._entries: list[Evidence] = []
        self._index: dict[tuple[str | None, ...], str] = {}

    def record(self, ref: RecordRef) -> Record | None:
        return self._records.get((ref.artifact_id, ref.locator))

    def _add(self, **fields: str | None) -> str:
        key = tuple(fields.get(k) for k in sorted(fields))
        if key in self._index:
            return self._index[key]
        evidence_id = f"E{len(self._entries) + 1}"
        self._entries.append(Evidence.model_validate({"id": evidence_id, **fields}))
        self._index[key] = evidence_id
        return evidence_id

    def cite_record(
        self, ref: RecordRef, *, values: Iterable[str] = (), kind: str = "artifact"
    ) -> str | None:
        record = self.record(ref)
        if record is None:
            return None
        return self._add(
            kind=kind,
            artifact_id=record.artifact_id,
            locator=record.locator,
            quote=record_quote(record, values),
        )

    def cite_detection(self, detection: Detection, *, max_records: int = 5) -> tuple[str, ...]:
        ids = [
            self.cite_record(ref, values=detection.matched_fields.values(), kind="detection")
            for ref in detection.records[:max_records]
        ]
        return tuple(i for i in ids if i)

    def cite_enrichment(self, result: EnrichmentResult) -> str:
        return self._add(
            kind="enrichment",
            provider=result.provider,
            query=f"{result.observable_type}:{result.value}",
            quote=result.summary[:MAX_QUOTE] or result.status,
        )

    def cite_playbook_step(self, *, playbook_id: str, section: str, step: str) -> str:
        return self._add(
            kind="playbook", playbook_ref=f"{playbook_id}#{section}", quote=step[:MAX_QUOTE]
        )

    def entries(self) -> tuple[Evidence, ...]:
        return tuple(self._entries)
