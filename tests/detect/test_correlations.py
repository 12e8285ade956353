"""Built-in correlations: thresholds in a window, fail-then-succeed, and periodic connections."""

from datetime import UTC, datetime, timedelta

from triage.detect import SigmaDetector
from triage.detect.correlations import builtin_correlations
from triage.detect.rules import RuleSet, RuleStats
from triage.models import Detection, Record, Scalar

START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def event(number: int, seconds: float, source: str, **fields: Scalar) -> Record:
    return Record(
        artifact_id="A1",
        locator=f"line:{number}",
        source=source,
        raw=str(fields),
        fields=fields,
        timestamp=START + timedelta(seconds=seconds),
    )


def logon(number: int, seconds: float, event_id: int, user: str, ip: str) -> Record:
    return event(
        number,
        seconds,
        "Security",
        Channel="Security",
        EventID=event_id,
        TargetUserName=user,
        IpAddress=ip,
    )


def correlate(records: list[Record]) -> dict[str, Detection]:
    detector = SigmaDetector(
        RuleSet(rules=(), stats=RuleStats()), correlations=builtin_correlations()
    )
    return {d.rule_id: d for d in detector.detect_records(records)}


def test_five_failures_from_one_address_fire_four_do_not() -> None:
    five = [logon(n, n * 30, 4625, f"user{n}", "203.0.113.5") for n in range(5)]
    found = correlate(five)
    assert "triage-corr-brute-force-source" in found
    assert found["triage-corr-brute-force-source"].matched_fields == {"IpAddress": "203.0.113.5"}
    assert found["triage-corr-brute-force-source"].techniques == ("T1110",)
    assert "triage-corr-brute-force-source" not in correlate(five[:4])


def test_failures_spread_beyond_the_window_do_not_fire() -> None:
    slow = [logon(n, n * 600, 4625, "alice", "203.0.113.5") for n in range(6)]
    assert not correlate(slow)


def test_failures_then_success_for_the_account_is_high() -> None:
    records = [logon(n, n * 10, 4625, "alice", "203.0.113.5") for n in range(3)]
    records.append(logon(9, 60, 4624, "alice", "203.0.113.5"))
    found = correlate(records)["triage-corr-brute-force-success"]
    assert found.level == "high"
    assert [ref.locator for ref in found.records][-1] == "line:9"
    other_account = [*records[:3], logon(9, 60, 4624, "bob", "203.0.113.5")]
    assert "triage-corr-brute-force-success" not in correlate(other_account)


def test_regular_connections_look_like_a_beacon_jittery_ones_do_not() -> None:
    def conn(number: int, seconds: float) -> Record:
        return event(
            number,
            seconds,
            "zeek.conn",
            **{"id.orig_h": "10.0.0.5", "id.resp_h": "198.51.100.9", "id.resp_p": 443},
        )

    regular = [conn(n, n * 60 + (n % 2)) for n in range(10)]
    jittery = [conn(n, n * 60 + (n % 3) * 25) for n in range(10)]
    assert "triage-corr-zeek-beacon" in correlate(regular)
    assert "triage-corr-zeek-beacon" not in correlate(jittery)
    assert "triage-corr-zeek-beacon" not in correlate(regular[:5])


def test_many_distinct_missing_paths_from_one_client_is_scanning() -> None:
    def request(number: int, path: str) -> Record:
        return event(
            number, number, "web.access", client_ip="192.0.2.1", uri=path, status=404, method="GET"
        )

    distinct = [request(n, f"/probe{n}.php") for n in range(20)]
    repeated = [request(n, "/favicon.ico") for n in range(40)]
    assert correlate(distinct)["triage-corr-web-scan-404"].techniques == ("T1595.003",)
    assert "triage-corr-web-scan-404" not in correlate(repeated)


def test_records_without_timestamps_are_ignored() -> None:
    untimed = [
        Record(
            artifact_id="A1",
            locator=f"record:{n}",
            source="Security",
            raw="",
            fields={"Channel": "Security", "EventID": 4625, "IpAddress": "203.0.113.5"},
        )
        for n in range(10)
    ]
    assert not correlate(untimed)


def test_regular_netflow_records_look_like_a_beacon() -> None:
    def flow(number: int, seconds: float) -> Record:
        return event(
            number, seconds, "netflow", src_ip="10.0.0.5", dst_ip="198.51.100.9", dst_port=443
        )

    regular = [flow(n, n * 300 + (n % 2) * 3) for n in range(9)]
    jittery = [flow(n, n * 300 + (n % 3) * 120) for n in range(9)]
    assert "triage-corr-netflow-beacon" in correlate(regular)
    assert "triage-corr-netflow-beacon" not in correlate(jittery)


def test_many_ports_of_one_host_is_a_port_scan_in_zeek_and_flows() -> None:
    def conn(number: int, port: int) -> Record:
        ids = {"id.orig_h": "10.0.0.5", "id.resp_h": "10.0.0.20", "id.resp_p": port}
        return event(number, number, "zeek.conn", **ids)

    def flow(number: int, port: int) -> Record:
        return event(
            number, number, "netflow", src_ip="10.0.0.5", dst_ip="10.0.0.20", dst_port=port
        )

    found = correlate([conn(n, 1000 + n) for n in range(25)])
    assert found["triage-corr-zeek-port-scan"].techniques == ("T1046",)
    assert "triage-corr-netflow-port-scan" in correlate([flow(n, 1000 + n) for n in range(25)])
    same_port = [flow(n, 443) for n in range(40)]
    assert "triage-corr-netflow-port-scan" not in correlate(same_port)
    assert "triage-corr-zeek-port-scan" not in correlate([conn(n, 1000 + n) for n in range(24)])
