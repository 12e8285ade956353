"""An analyst's earlier classification of the incident, as the alerting product carries it.

Defender XDR incidents and alerts carry `classification` / `determination`, Sentinel incidents
`Classification` / `ClassificationReason`, Splunk ES notables `disposition_label`. When a person
has already closed the incident as expected activity or a false positive (an approved red-team
engagement, a line-of-business tool), that is the strongest context triage can get; when they
confirmed it as a true positive, likewise. These fields are written in the security product's
console, not by whoever produced the telemetry, so they are read from alert and incident records
only, never from log lines or mail.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from triage.models import Record, RecordRef
from triage.models.report import Classification

# Record sources the vendor-alert ingest gives to incidents and alerts.
ALERT_SOURCES = frozenset({"incident", "alert"})
FIELDS = ("classification", "disposition_label", "disposition")
# A product's incident or alert always carries its own identifier; an application event that
# merely has a `severity`, a `name` and a `classification` field is not one of them.
IDENTITY_FIELDS = frozenset({
    "incidentid", "incidentnumber", "incidentname", "incident_id", "alertid", "systemalertid",
    "provideralertid", "alert_id", "event_id",
})  # fmt: skip
REASON_FIELDS = ("determination", "classificationreason", "classification_reason")
# A person's documented classification moves the odds this many times: strong, not absolute,
# so that a malicious intelligence verdict on the same incident still speaks.
LIKELIHOOD_RATIO = 100.0
_LETTERS = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Disposition:
    classification: Classification
    label: str  # the product's own words, e.g. "InformationalExpectedActivity (SecurityTesting)"
    ref: RecordRef
    value: str  # the field value as it appears in the record, for the citation's quote


def _kind(value: str) -> Classification | None:
    word = _LETTERS.sub("", value.lower())
    if word.startswith("truepositive") or word in {"disposition1", "malicious"}:
        return "true_positive"
    if word.startswith(("benignpositive", "informationalexpectedactivity")) or word in {
        "disposition2"
    }:
        return "benign_positive"
    if word.startswith("falsepositive") or word in {"disposition3", "disposition4"}:
        return "false_positive"
    return None  # Unknown, Undetermined, Other, empty


def _field(record: Record, names: Iterable[str]) -> str | None:
    lowered = {k.lower(): v for k, v in record.fields.items() if "." not in k}
    for name in names:
        value = lowered.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:80]
    return None


def _has_identity(record: Record) -> bool:
    return any(
        k.lower() in IDENTITY_FIELDS and v not in (None, "") for k, v in record.fields.items()
    )


def prior_disposition(records: Iterable[Record]) -> Disposition | None:
    """The classification a person already gave this incident, or None. A confirmed true
    positive anywhere wins over benign ones; benign ones must all agree on a kind to count."""
    found: list[Disposition] = []
    for record in records:
        if record.source not in ALERT_SOURCES or not _has_identity(record):
            continue
        value = _field(record, FIELDS)
        kind = _kind(value) if value else None
        if kind is None or value is None:
            continue
        reason = _field(record, REASON_FIELDS)
        label = f"{value} ({reason})" if reason and _kind(reason) is None else value
        ref = RecordRef(artifact_id=record.artifact_id, locator=record.locator)
        found.append(Disposition(kind, label, ref, value))
    if not found:
        return None
    confirmed = [d for d in found if d.classification == "true_positive"]
    if confirmed:
        return confirmed[0]
    kinds = {d.classification for d in found}
    return found[0] if len(kinds) == 1 else None


def adjusted_probability(p: float, disposition: Disposition) -> float:
    """The scoring model's probability with the person's classification taken into account."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    odds = math.log(p / (1 - p))
    shift = math.log(LIKELIHOOD_RATIO)
    odds += shift if disposition.classification == "true_positive" else -shift
    return round(1 / (1 + math.exp(-odds)), 3)
