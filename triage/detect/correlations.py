"""Detections that need more than one record: thresholds, fail-then-succeed sequences and
periodic (beacon-like) connections. Each is declared as data over a Sigma-style selection."""

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
        self, routed: Iterable[RoutedRecord], rule: CompiledRule
    ) -> dict[tuple[str, ...], list[Match]]:
        groups: dict[tuple[str, ...], list[Match]] = defaultdict(list)
        for record, logsource, view in routed:
            if record.timestamp is None or not rule.applies_to(logsource):
                continue
            if rule.first_match(view) is None:
                continue
            key = tuple(view.text(name) or "" for name in self.group_by)
            if all(part and part != "-" for part in key):
                groups[key].append((record.timestamp, record, view))
        for members in groups.values():
            members.sort(key=lambda match: match[0])
        return groups

    def _keys(self, key: tuple[str, ...]) -> dict[str, str]:
        return dict(zip(self.group_by, key, strict=True))


@dataclass(frozen=True, kw_only=True)
class Threshold(Correlation):
    """At least `count` matching records (or distinct values of `distinct`) within `window`."""

    match: CompiledRule
    count: int
    distinct: str | None = None

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        fired: list[tuple[dict[str, str], list[Record]]] = []
        for key, members in sorted(self._group(routed, self.match).items()):
            burst = self._burst(members)
            if burst:
                fired.append((self._keys(key), burst))
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
    """At least `failures` failures, then a success for the same group within `window`."""

    failure: CompiledRule
    success: CompiledRule
    failures: int

    def find(self, routed: Sequence[RoutedRecord]) -> list[tuple[dict[str, str], list[Record]]]:
        failed = self._group(routed, self.failure)
        succeeded = self._group(routed, self.success)
        fired: list[tuple[dict[str, str], list[Record]]] = []
        for key, failures in sorted(failed.items()):
            for time, record, _ in succeeded.get(key, []):
                recent = [r for t, r, _ in failures if timedelta(0) <= time - t <= self.window]
                if len(recent) >= self.failures:
                    fired.append((self._keys(key), [*recent, record]))
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
        for key, members in sorted(self._group(routed, self.match).items()):
            if len(members) < self.count:
                continue
            times = [time for time, _, _ in members]
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
            mean = statistics.fmean(gaps)
            if mean < self.min_interval.total_seconds():
                continue
            if statistics.pstdev(gaps) / mean <= self.max_jitter:
                fired.append((self._keys(key), [record for _, record, _ in members]))
        return fired


WINDOWS_SECURITY = {"product": "windows", "service": "security"}
BRUTE_FORCE = ("T1110",)
BRUTE_FORCE_FALSE_POSITIVES = ("Users mistyping passwords", "Expired service-account credentials")


def builtin_correlations() -> tuple[Correlation, ...]:
    """The correlations shipped with triage (docs/detections.md lists them)."""
    failed_logon = selection(WINDOWS_SECURITY, {"sel": {"EventID": 4625}, "condition": "sel"})
    good_logon = selection(WINDOWS_SECURITY, {"sel": {"EventID": 4624}, "condition": "sel"})
    ssh_failure = selection(
        {"product": "linux"},
        {
            "sel": {
                "message|contains": [
                    "Failed password",
                    "authentication failure",
                    "Invalid user",
                    "Failed publickey",
                ]
            },
            "condition": "sel",
        },
    )
    web_not_found = selection(
        {"category": "webserver"}, {"sel": {"sc-status": 404}, "condition": "sel"}
    )
    zeek_conn = selection(
        {"product": "zeek", "service": "conn"},
        {"sel": {"id.resp_h|exists": True}, "condition": "sel"},
    )
    flow = selection(
        {"product": "network", "service": "netflow"},
        {"sel": {"dst_ip|exists": True}, "condition": "sel"},
    )
    return (
        Threshold(
            rule_id="triage-corr-brute-force-source",
            title="Many failed Windows logons from one source address",
            level="medium",
            description="Ten minutes or less saw at least 5 failed logons (4625) from one address.",
            group_by=("IpAddress",),
            match=failed_logon,
            count=5,
            techniques=BRUTE_FORCE,
            falsepositives=BRUTE_FORCE_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-brute-force-account",
            title="Many failed Windows logons for one account",
            level="medium",
            description="Ten minutes or less saw at least 5 failed logons (4625) for one account.",
            group_by=("TargetUserName",),
            match=failed_logon,
            count=5,
            techniques=BRUTE_FORCE,
            falsepositives=BRUTE_FORCE_FALSE_POSITIVES,
        ),
        FailThenSucceed(
            rule_id="triage-corr-brute-force-success",
            title="Failed Windows logons followed by a successful logon",
            level="high",
            description="At least 3 failed logons (4625) for an account, then a successful logon "
            "(4624) for it within ten minutes: a password guess may have succeeded.",
            group_by=("TargetUserName",),
            failure=failed_logon,
            success=good_logon,
            failures=3,
            techniques=BRUTE_FORCE,
            falsepositives=BRUTE_FORCE_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-linux-auth-failures",
            title="Many authentication failures on one Linux host",
            level="medium",
            description="Ten minutes or less saw at least 10 authentication failures on one host.",
            group_by=("host",),
            match=ssh_failure,
            count=10,
            techniques=BRUTE_FORCE,
            falsepositives=BRUTE_FORCE_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-web-scan-404",
            title="One client requested many missing web paths",
            level="medium",
            techniques=("T1595.003",),
            description="Ten minutes or less saw at least 20 distinct paths answered 404 to one "
            "client: content discovery or vulnerability scanning.",
            falsepositives=("Broken links crawled by a search engine", "Authorised scans"),
            group_by=("c-ip",),
            match=web_not_found,
            count=20,
            distinct="cs-uri-stem",
        ),
        Periodic(
            rule_id="triage-corr-zeek-beacon",
            title="Regular, beacon-like connections from one host to one destination",
            level="medium",
            techniques=("T1071",),
            description="At least 8 connections between the same hosts and port at near-constant "
            "intervals (jitter under 10%), as command-and-control implants often make.",
            falsepositives=("Update checks, monitoring agents, NTP and other scheduled clients",),
            group_by=("id.orig_h", "id.resp_h", "id.resp_p"),
            match=zeek_conn,
            count=8,
            max_jitter=0.1,
        ),
        Periodic(
            rule_id="triage-corr-netflow-beacon",
            title="Regular, beacon-like flows from one host to one destination",
            level="medium",
            techniques=("T1071",),
            description="At least 8 flows between the same hosts and port at near-constant "
            "intervals (jitter under 10%), as command-and-control implants often make.",
            falsepositives=("Update checks, monitoring agents, NTP and other scheduled clients",),
            group_by=("src_ip", "dst_ip", "dst_port"),
            match=flow,
            count=8,
            max_jitter=0.1,
        ),
        Threshold(
            rule_id="triage-corr-zeek-port-scan",
            title="One host connected to many ports of another (Zeek)",
            level="medium",
            techniques=("T1046",),
            description="Ten minutes or less saw connections from one host to at least 25 "
            "distinct ports of another: a port scan.",
            falsepositives=("Vulnerability scanners and inventory tools", "Passive FTP, RPC"),
            group_by=("id.orig_h", "id.resp_h"),
            match=zeek_conn,
            count=25,
            distinct="id.resp_p",
        ),
        Threshold(
            rule_id="triage-corr-netflow-port-scan",
            title="One host sent flows to many ports of another",
            level="medium",
            techniques=("T1046",),
            description="Ten minutes or less saw flows from one host to at least 25 distinct "
            "ports of another: a port scan.",
            falsepositives=("Vulnerability scanners and inventory tools", "Passive FTP, RPC"),
            group_by=("src_ip", "dst_ip"),
            match=flow,
            count=25,
            distinct="dst_port",
        ),
    )
