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
            key = tuple(_same_value(view.folded(name)) for name in fields or self.group_by)
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
        """What one event adds to the count: itself, or its value of the distinct field (a
        missing value counts as one shared value, so many blanks are not many accounts)."""
        if self.distinct is None:
            return str(index)
        return _same_value(members[index][2].folded(self.distinct))


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
            window = _Window(failures, self.window, self.distinct)
            for time, record, view in succeeded.get(key, []):
                window.move_to(time)
                if self._enough(window, view):
                    recent = [r for _, r, _ in window.current()]
                    fired.append((self._keys(failures[0]), [*recent, record]))
                    break
        return fired

    def _enough(self, window: "_Window", success: FieldView) -> bool:
        if self.distinct is None:
            return window.size >= self.failures
        return (
            len(window.values) >= self.failures
            and _same_value(success.folded(self.distinct)) in window.values
        )


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
            window = _Window(firsts, self.window, None)
            for time, record, _ in later.get(key, []):
                window.move_to(time)
                if window.size:
                    fired.append((self._keys(firsts[0]), [window.latest()[1], record]))
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


class _Window:
    """The members of a group (in time order) from `span` before a moment up to it, moved
    forward as the moments advance: each member enters and leaves once, so matching thousands
    of records on each side stays linear, not quadratic. With `distinct`, it also counts the
    distinct values of that field inside the window."""

    def __init__(self, members: list[Match], span: timedelta, distinct: str | None) -> None:
        self.members, self.span, self.distinct = members, span, distinct
        self.start = self.end = 0
        self.values: Counter[str] = Counter()

    @property
    def size(self) -> int:
        return self.end - self.start

    def move_to(self, time: datetime) -> None:
        while self.end < len(self.members) and self.members[self.end][0] <= time:
            self._count(self.end, 1)
            self.end += 1
        while self.start < self.end and time - self.members[self.start][0] > self.span:
            self._count(self.start, -1)
            self.start += 1

    def current(self) -> list[Match]:
        return self.members[self.start : self.end]

    def latest(self) -> Match:
        return self.members[self.end - 1]

    def _count(self, index: int, step: int) -> None:
        if self.distinct is None:
            return
        value = _same_value(self.members[index][2].folded(self.distinct))
        if value and value != "-":
            self.values[value] += step
            if not self.values[value]:
                del self.values[value]


def _same_value(value: str | None) -> str:
    """A field value as grouping compares it: lower case (done by the view), and an IPv4 address
    written IPv4-mapped (::ffff:10.1.1.1) the same as written plainly."""
    if not value or value == "-":
        return value or ""
    if value.startswith("::ffff:") and value.count(".") == 3:
        return value[7:]
    return value
