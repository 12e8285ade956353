"""SigmaDetector: runs compiled Sigma rules and the built-in correlations over an incident."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from triage.detect.correlations import Correlation, builtin_correlations
from triage.detect.logsources import RecordLogsource, RoutedRecord, route_all
from triage.detect.rules import CompiledRule, RuleSet, RuleSource, RuleStats, load_rule_set
from triage.models import Detection, Incident, Record, RecordRef
from triage.models.base import severity_rank
from triage.models.report import RulePackUse

log = logging.getLogger(__name__)

MAX_RECORDS_PER_DETECTION = 50
MAX_MATCHED_FIELDS = 20
MAX_FIELD_VALUE_CHARS = 300
TIME_BUDGET_SECONDS = 60.0


@dataclass
class _Hits:
    """Matches of one rule during one run (local to `detect`, never shared)."""

    rule: CompiledRule
    records: list[RecordRef] = field(default_factory=list)
    matched_fields: dict[str, str] = field(default_factory=dict)
    total: int = 0


def _capped(value: str) -> str:
    if len(value) <= MAX_FIELD_VALUE_CHARS:
        return value
    return value[: MAX_FIELD_VALUE_CHARS - 1] + "…"


def sort_detections(detections: Sequence[Detection]) -> tuple[Detection, ...]:
    """Most severe first, then by rule id, so output is stable from run to run."""
    return tuple(sorted(detections, key=lambda d: (-severity_rank(d.level), d.rule_id)))


class SigmaDetector:
    """Sigma rules (built-in and user folders) plus built-in correlations → Detections."""

    def __init__(
        self,
        rule_set: RuleSet,
        *,
        correlations: Sequence[Correlation] = (),
        max_records_per_detection: int = MAX_RECORDS_PER_DETECTION,
        time_budget_seconds: float = TIME_BUDGET_SECONDS,
    ) -> None:
        self._rules = rule_set.rules
        self._stats = rule_set.stats
        self._correlations = tuple(correlations)
        self._max_records = max_records_per_detection
        self._time_budget = time_budget_seconds

    @classmethod
    def from_rule_dirs(
        cls,
        extra_dirs: Sequence[Path] = (),
        *,
        builtin: bool = True,
        packs: Sequence[RuleSource] = (),
        cache_dir: Path | None = None,
        max_records_per_detection: int = MAX_RECORDS_PER_DETECTION,
        time_budget_seconds: float = TIME_BUDGET_SECONDS,
    ) -> "SigmaDetector":
        """Built-in rules, installed packs and extra folders; `cache_dir` keeps their compiled
        form on disk (TRIAGE_HOME/cache) so that the next process skips compiling them."""
        return cls(
            load_rule_set(extra_dirs, builtin=builtin, packs=packs, cache_dir=cache_dir),
            correlations=builtin_correlations() if builtin else (),
            max_records_per_detection=max_records_per_detection,
            time_budget_seconds=time_budget_seconds,
        )

    @property
    def stats(self) -> RuleStats:
        return self._stats

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return self._rules

    @property
    def rule_packs(self) -> tuple[RulePackUse, ...]:
        """Every set of rules loaded (built-in, each pack, each extra folder) and its version."""
        return tuple(
            RulePackUse(name=p.name, version=p.version, rules=p.rules) for p in self._stats.packs
        )

    def detect(self, incident: Incident) -> Sequence[Detection]:
        return self.detect_records(incident.records)

    def detect_records(self, records: Sequence[Record]) -> tuple[Detection, ...]:
        routed = self._route(records)
        hits = self._match(routed)
        detections = [self._detection(hit) for hit in hits.values()]
        for correlation in self._correlations:
            found = correlation.detect(routed, max_records=self._max_records)
            if found:
                detections.append(found)
        return sort_detections(detections)

    def _route(self, records: Sequence[Record]) -> list[RoutedRecord]:
        """Route records until the time budget runs out; later records are left unexamined."""
        routed: list[RoutedRecord] = []
        deadline = time.monotonic() + self._time_budget / 4
        for number, item in enumerate(route_all(records)):
            if number % 1024 == 0 and time.monotonic() > deadline:
                log.warning(
                    "detection routed only %d of %d records (time budget)", number, len(records)
                )
                break
            routed.append(item)
        return routed

    def _match(self, routed: Sequence[RoutedRecord]) -> dict[str, _Hits]:
        hits: dict[str, _Hits] = {}
        rules_by_logsource: dict[tuple[object, ...], tuple[CompiledRule, ...]] = {}
        deadline = time.monotonic() + self._time_budget
        for number, (record, logsource, view) in enumerate(routed):
            if number % 512 == 0 and time.monotonic() > deadline:
                log.warning(
                    "detection stopped at record %d of %d (time budget of %.0fs)",
                    number,
                    len(routed),
                    self._time_budget,
                )
                break
            for rule in self._rules_for(logsource, rules_by_logsource):
                condition = rule.first_match(view)
                if condition is None:
                    continue
                hit = hits.get(rule.rule_id)
                if hit is None:
                    hit = hits[rule.rule_id] = _Hits(rule)
                hit.total += 1
                if len(hit.records) < self._max_records:
                    ref = RecordRef(artifact_id=record.artifact_id, locator=record.locator)
                    hit.records.append(ref)
                if len(hit.matched_fields) < MAX_MATCHED_FIELDS:
                    for name, value in condition.matched_fields(view).items():
                        hit.matched_fields.setdefault(name, _capped(value))
        return hits

    def _rules_for(
        self,
        logsource: RecordLogsource,
        routed: dict[tuple[object, ...], tuple[CompiledRule, ...]],
    ) -> tuple[CompiledRule, ...]:
        key = (logsource.product, logsource.services, logsource.categories)
        if key not in routed:
            routed[key] = tuple(rule for rule in self._rules if rule.applies_to(logsource))
        return routed[key]

    @staticmethod
    def _describe(hit: _Hits) -> str:
        if hit.total <= len(hit.records):
            return hit.rule.description
        kept = f"{hit.total} matching records; the first {len(hit.records)} are listed."
        return f"{hit.rule.description} ({kept})".strip()

    def _detection(self, hit: _Hits) -> Detection:
        rule = hit.rule
        return Detection(
            rule_id=rule.rule_id,
            title=rule.title,
            level=rule.level,
            techniques=rule.techniques,
            records=tuple(hit.records),
            matched_fields=dict(list(hit.matched_fields.items())[:MAX_MATCHED_FIELDS]),
            description=self._describe(hit),
            falsepositives=rule.falsepositives,
            rule_source=rule.source,
            status=rule.status,
            pack=rule.pack,
            pack_version=rule.pack_version,
        )


def rule_packs_used(detector: object) -> tuple[RulePackUse, ...]:
    """The rule packs inside a detection layer (a SigmaDetector, or one combining several)."""
    parts = getattr(detector, "detectors", (detector,))
    return tuple(
        use for part in parts if isinstance(part, SigmaDetector) for use in part.rule_packs
    )
