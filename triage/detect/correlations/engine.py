"""The kinds of correlation: thresholds, fail-then-succeed, sequences tied by a key, and
periodic (beacon-like) events, each over a Sigma-style selection."""

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from triage.detect.logsources import RoutedRecord
from triage.detect.matcher import FieldView
from triage.detect.rules import CompiledRule, compile_rule
from triage.models import Detection, Record, RecordRef
from triage.models.base import Severity

Match = tuple[datetime, Record, FieldView]


def selection(logsource: Mapping[str, str], detection: Mapping[str, Any]) -> CompiledRule:
    """A Sigma selection (same syntax and field mapping as rule files) used as a filter."""
    document = {"title": "selection", "logsource": dict(logsource), "detection": dict(detection)}
    return compile_rule(document, source="builtin", fallback_id="selection")


@dataclass(frozen=True, kw_only=True)
class Correlation:
    """What every correlation reports; `find` returns the records behind each group that fired."""

    rule_id: str
    title: str
    level: Severity
    techniques: tuple[str, ...]
    description: str
    falsepositives: tuple[str, ...] = ()
    group_by: tuple[str, ...]
    window: timedelta = timedelta(minutes=10)

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        raise NotImplementedError

    def detect(self, routed: Sequence[RoutedRecord], *, max_records: int) -> Detection | None:
        groups = self.find(routed)
        if not groups:
            return None
        keys, first = groups[0]
        refs: list[RecordRef] = []
        for _, members in groups:
            for record in members:
                if len(refs) < max_records:
                    refs.append(RecordRef(artifact_id=record.artifact_id, locator=record.locator))
        summary = f" Fired for {len(groups)} group(s); first: {len(first)} records."
        return Detection(
            rule_id=self.rule_id,
            title=self.title,
            level=self.level,
            techniques=self.techniques,
            records=tuple(refs),
            matched_fields=keys,
            description=self.description + summary,
            falsepositives=self.falsepositives,
            rule_source="builtin",
            layer="correlation",
        )

    def _group(
        self,
        routed: Iterable[RoutedRecord],
        rule: CompiledRule,
        fields: tuple[str, ...] | None = None,
    ) -> dict[tuple[str, ...], list[Match]]:
        """Matching records by their values of `fields` (default `group_by`), in time order;
        records missing any of them (absent, empty or `-`) are left out."""
        groups: dict[tuple[str, ...], list[Match]] = defaultdict(list)
        for record, logsource, view in routed:
            if record.timestamp is None or not rule.applies_to(logsource):
                continue
            if rule.first_match(view) is None:
                continue
            key = tuple(view.folded(name) or "" for name in fields or self.group_by)
            if all(part and part != "-" for part in key):
                groups[key].append((record.timestamp, record, view))
        for members in groups.values():
            members.sort(key=lambda match: match[0])
        return groups

    def _keys(self, first: Match) -> dict[str, str]:
        """The group's values as the first record of the group spells them."""
        return {name: first[2].text(name) or "" for name in self.group_by}


@dataclass(frozen=True, kw_only=True)
class Threshold(Correlation):
    """At least `count` matching records (or distinct values of `distinct`) within `window`."""

    match: CompiledRule
    count: int
    distinct: str | None = None

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        fired: list[tuple[dict[str, str], list[Record]]] = []
        for _, members in sorted(self._group(routed, self.match).items()):
            burst = self._burst(members)
            if burst:
                fired.append((self._keys(members[0]), burst))
        return fired

    def _burst(self, members: list[Match]) -> list[Record]:
        start = 0
        values: Counter[str] = Counter()
        for end, (time, _record, _view) in enumerate(members):
            values[self._counted(members, end)] += 1
            while time - members[start][0] > self.window:
                old_value = self._counted(members, start)
                values[old_value] -= 1
                if not values[old_value]:
                    del values[old_value]
                start += 1
            if len(values) >= self.count:
                return [record for _, record, _ in members[start : end + 1]]
        return []

    def _counted(self, members: list[Match], index: int) -> str:
        """What one event adds to the count: itself, or its value of the distinct field."""
        if self.distinct is None:
            return str(index)
        return members[index][2].folded(self.distinct) or ""


@dataclass(frozen=True, kw_only=True)
class FailThenSucceed(Correlation):
    """At least `failures` failures, then a success for the same group within `window`.

    With `distinct`, the failures must name that many distinct values of the field (accounts
    of a password spray) and the success must name one of them."""

    failure: CompiledRule
    success: CompiledRule
    failures: int
    distinct: str | None = None

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        failed = self._group(routed, self.failure)
        succeeded = self._group(routed, self.success)
        fired: list[tuple[dict[str, str], list[Record]]] = []
        for key, failures in sorted(failed.items()):
            for time, record, view in succeeded.get(key, []):
                recent = [m for m in failures if timedelta(0) <= time - m[0] <= self.window]
                if self._enough(recent, view):
                    fired.append((self._keys(failures[0]), [*(r for _, r, _ in recent), record]))
                    break
        return fired

    def _enough(self, recent: list[Match], success: FieldView) -> bool:
        if self.distinct is None:
            return len(recent) >= self.failures
        values = {view.folded(self.distinct) for _, _, view in recent} - {None, "", "-"}
        return len(values) >= self.failures and success.folded(self.distinct) in values


@dataclass(frozen=True, kw_only=True)
class EventSequence(Correlation):
    """A `first` record, then a `then` record within `window` whose `then_key` fields hold the
    values of the first record's `group_by` fields (the same account, session or SID)."""

    first: CompiledRule
    then: CompiledRule
    then_key: tuple[str, ...]

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        earlier = self._group(routed, self.first)
        later = self._group(routed, self.then, self.then_key)
        fired: list[tuple[dict[str, str], list[Record]]] = []
        for key, firsts in sorted(earlier.items()):
            for time, record, _ in later.get(key, []):
                opened = [r for t, r, _ in firsts if timedelta(0) <= time - t <= self.window]
                if opened:
                    fired.append((self._keys(firsts[0]), [opened[-1], record]))
                    break
        return fired


@dataclass(frozen=True, kw_only=True)
class Periodic(Correlation):
    """Regular connections: at least `count` events whose gaps vary by under `max_jitter`."""

    match: CompiledRule
    count: int
    max_jitter: float
    min_interval: timedelta = timedelta(seconds=5)

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        fired: list[tuple[dict[str, str], list[Record]]] = []
        for _, members in sorted(self._group(routed, self.match).items()):
            if len(members) < self.count:
                continue
            times = [time for time, _, _ in members]
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
            mean = statistics.fmean(gaps)
            if mean < self.min_interval.total_seconds():
                continue
            if statistics.pstdev(gaps) / mean <= self.max_jitter:
                fired.append((self._keys(members[0]), [record for _, record, _ in members]))
        return fired
