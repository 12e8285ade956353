"""What triage could see in an incident: which kinds of record it examined and how many rules
read each kind. The verdict only lets the absence of a detection count where this is good."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from triage.detect.logsources import RecordLogsource, route
from triage.detect.notable import NotableKind, event_id_of, notable_kinds
from triage.detect.rules import CompiledRule
from triage.models import Coverage, Incident, LogsourceCoverage, Record
from triage.models.report import CoverageStatus

# A kind of record counts as covered when at least this many rules read it (or a notable-event
# kind names its event). Below it, "nothing found" says little about that telemetry.
MIN_RULES = 5
WELL_COVERED_SHARE = 0.8
PARTLY_COVERED_SHARE = 0.3
# Records read by built-in checks that are not Sigma rules: the e-mail content checks read every
# message, the vendor-alert reader every alert.
CONTENT_CHECKED = ("email.", "alert")
MAX_LISTED = 30
UNREAD_FORMATS = frozenset({"binary"})


def _label(logsource: RecordLogsource) -> str:
    parts = [logsource.product or "any"]
    parts += sorted(logsource.services)
    parts += sorted(logsource.categories)
    return "/".join(parts)


def _status(share: float) -> CoverageStatus:
    if share >= WELL_COVERED_SHARE:
        return "well_covered"
    if share >= PARTLY_COVERED_SHARE:
        return "partly_covered"
    return "not_covered"


@dataclass(frozen=True)
class CoverageMeter:
    """Measures an incident's coverage against a rule set and the notable-event table."""

    rules: tuple[CompiledRule, ...]
    notable: tuple[NotableKind, ...] = ()

    @classmethod
    def for_rules(cls, rules: Sequence[CompiledRule]) -> "CoverageMeter":
        return cls(rules=tuple(rules), notable=notable_kinds())

    @staticmethod
    def _reads(
        record: Record,
        logsource: RecordLogsource,
        applicable: tuple[CompiledRule, ...],
        notable_events: set[tuple[str, int]],
        readers: dict[tuple[object, ...], bool],
    ) -> bool:
        """Whether some rule reads this kind of record. A Windows event counts when a rule names
        its event id, or reads its category (process creation, script blocks…), or a notable
        event kind names it; other records when enough rules read their logsource."""
        event = _windows_event(record)
        if event is None:
            return len(applicable) >= MIN_RULES
        key = (logsource.product, logsource.services, logsource.categories, event)
        known = readers.get(key)
        if known is None:
            known = readers[key] = event in notable_events or any(
                event[1] in rule.event_ids or (rule.category is not None and not rule.event_ids)
                for rule in applicable
            )
        return known

    def measure(self, incident: Incident) -> Coverage:
        records: Counter[str] = Counter()
        rule_counts: dict[str, int] = {}
        covered_records = 0
        not_understood = 0
        notable_events = {
            (channel, event_id)
            for kind in self.notable
            for channel in kind.channels
            for event_id in kind.event_ids
        }
        routed_rules: dict[tuple[object, ...], tuple[CompiledRule, ...]] = {}
        readers: dict[tuple[object, ...], bool] = {}
        for record in incident.records:
            if record.source.startswith(CONTENT_CHECKED):
                label = record.source.split(".", 1)[0] + " content checks"
                records[label] += 1
                rule_counts.setdefault(label, MIN_RULES)
                covered_records += 1
                continue
            logsource = route(record)
            if logsource is None:
                not_understood += 1
                records["not understood"] += 1
                rule_counts.setdefault("not understood", 0)
                continue
            key = (logsource.product, logsource.services, logsource.categories)
            applicable = routed_rules.get(key)
            if applicable is None:
                applicable = routed_rules[key] = tuple(
                    r for r in self.rules if r.applies_to(logsource)
                )
            label = _label(logsource)
            records[label] += 1
            rule_counts[label] = len(applicable)
            if self._reads(record, logsource, applicable, notable_events, readers):
                covered_records += 1
            else:
                not_understood += 1
        unread = [a for a in incident.artifacts if a.format in UNREAD_FORMATS or a.records == 0]
        total = sum(records.values()) + len(unread)
        share = covered_records / total if total else 0.0
        listed = [
            LogsourceCoverage(
                logsource=label,
                records=count,
                rules=rule_counts[label],
                status="well_covered" if rule_counts[label] >= MIN_RULES else "not_covered",
            )
            for label, count in records.most_common(MAX_LISTED)
        ]
        listed += [
            LogsourceCoverage(
                logsource=f"{a.format} artifact {a.id} (not parsed)",
                records=0,
                rules=0,
                status="not_covered",
            )
            for a in unread[: max(0, MAX_LISTED - len(listed))]
        ]
        return Coverage(
            status=_status(share),
            share_covered=round(share, 3),
            records_examined=sum(records.values()),
            records_not_understood=not_understood + len(unread),
            logsources=tuple(listed),
        )


def _windows_event(record: Record) -> tuple[str, int] | None:
    channel = record.fields.get("Channel")
    event_id = event_id_of(record.fields.get("EventID"))
    if not isinstance(channel, str) or event_id is None:
        return None
    return channel.lower(), event_id
