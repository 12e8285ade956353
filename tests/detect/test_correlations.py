"""Built-in correlations: thresholds in a window, fail-then-succeed, and periodic connections."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

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
    records = [logon(n, n * 10, 4625, "alice", "203.0.113.5") for n in range(8)]
    records.append(logon(99, 100, 4624, "alice", "203.0.113.5"))
    found = correlate(records)["triage-corr-brute-force-success"]
    assert found.level == "high"
    assert [ref.locator for ref in found.records][-1] == "line:99"
    other_account = [*records[:8], logon(99, 100, 4624, "bob", "203.0.113.5")]
    assert "triage-corr-brute-force-success" not in correlate(other_account)
    # A person mistyping three times, or a phone with a stale password and a desktop that
    # then signs in from another address, is not a guessed password.
    typo = [*records[:3], logon(99, 40, 4624, "alice", "203.0.113.5")]
    assert "triage-corr-brute-force-success" not in correlate(typo)
    phone = [*(logon(n, n * 10, 4625, "alice", "10.9.9.9") for n in range(8))]
    assert "triage-corr-brute-force-success" not in correlate(
        [*phone, logon(99, 100, 4624, "alice", "10.1.1.1")]
    )


def test_many_successes_before_many_failures_stay_linear() -> None:
    import time

    wins = [logon(n, n * 0.01, 4624, "alice", "203.0.113.5") for n in range(6000)]
    losses = [logon(10_000 + n, 100 + n * 0.01, 4625, "alice", "203.0.113.5") for n in range(6000)]
    start = time.perf_counter()
    correlate([*wins, *losses])
    assert time.perf_counter() - start < 10


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


def test_many_pipes_opened_over_the_network_within_seconds_is_a_sweep() -> None:
    pipes = ["lsass", "srvsvc", "wkssvc", "atsvc", "epmapper", "eventlog", "ntsvcs", "browser"]
    pipes += ["scerpc", "trkwks", "tapsrv", "InitShutdown", "ROUTER", "LSM_API_service"]

    def pipe(number: int, name: str, seconds: float, image: str = "System") -> Record:
        fields: dict[str, Scalar] = {"Channel": "Microsoft-Windows-Sysmon/Operational"}
        fields |= {"EventID": 18, "Computer": "dc1", "Image": image, "PipeName": f"\\{name}"}
        return event(number, seconds, "Sysmon", **fields)

    sweep = [pipe(n, name, n * 0.1) for n, name in enumerate(pipes)]
    assert correlate(sweep)["triage-corr-remote-pipe-sweep"].techniques == ("T1046",)
    # A logon's handful of pipes, repeated all day, and local clients are not a sweep.
    logons = [pipe(n, pipes[n % 4], n * 0.1) for n in range(40)]
    local = [pipe(n, name, n * 0.1, image="C:\\Windows\\mmc.exe") for n, name in enumerate(pipes)]
    slow = [pipe(n, name, n * 2.0) for n, name in enumerate(pipes)]
    # Many clients logging on to a domain controller at once open its logon and policy pipes.
    common = ["lsarpc", "lsass", "samr", "netlogon", "srvsvc", "wkssvc", "winreg", "spoolss"]
    storm = [pipe(n, name, n * 0.1) for n, name in enumerate([*common, "atsvc", "epmapper"])]
    for quiet in (logons, local, slow, storm):
        assert "triage-corr-remote-pipe-sweep" not in correlate(quiet)


def sec(number: int, seconds: float, event_id: int, **fields: Scalar) -> Record:
    return event(number, seconds, "Security", Channel="Security", EventID=event_id, **fields)


def rdp_auth(number: int, seconds: float, user: str, ip: str, host: str) -> Record:
    channel = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
    return event(
        number,
        seconds,
        channel,
        Channel=channel,
        EventID=1149,
        Param1=user,
        Param3=ip,
        Computer=host,
    )


def many(count: int, make: Callable[[int], Record]) -> list[Record]:
    return [make(n) for n in range(count)]


def spray(count: int, event_id: int, **fields: Scalar) -> list[Record]:
    """`count` events from one address, each for another account."""
    return many(count, lambda n: sec(n, n * 20, event_id, TargetUserName=f"user{n}", **fields))


def repeated(count: int, event_id: int, **fields: Scalar) -> list[Record]:
    """`count` events from one address, all for the same account."""
    return many(count, lambda n: sec(n, n * 20, event_id, TargetUserName="alice", **fields))


IP = {"IpAddress": "10.0.0.66"}
HOUND = {"Status": "0x0", "TargetUserName": "eve@CORP.EXAMPLE", "IpAddress": "::ffff:10.0.0.66"}
RC4 = {"Status": "0x0", "TicketEncryptionType": "0x17", "TargetUserName": "eve@CORP.EXAMPLE"}


def tgs(count: int, service: Callable[[int], str], **fields: Scalar) -> list[Record]:
    return many(count, lambda n: sec(n, n * 5, 4769, ServiceName=service(n), **fields))


def by_host(count: int, event_id: int, **fields: Scalar) -> list[Record]:
    """`count` events, each logged by another host."""
    return many(count, lambda n: sec(n, n * 10, event_id, Computer=f"HOST{n}", **fields))


RDP = {"LogonType": "10", "IpAddress": "10.0.0.66"}
NETWORK = {"LogonType": "3", "TargetUserName": "eve", "IpAddress": "10.0.0.66"}
SHARE = {"ShareName": "\\\\*\\ADMIN$", "SubjectUserName": "eve", "IpAddress": "10.0.0.66"}
OUTBOUND = {"Computer": "WS1", "Application": "\\device\\x\\tool.exe", "Direction": "%%14593"}

# (rule id, records that must fire it, the nearest look-alike that must not)
WINDOWS_CASES: list[tuple[str, list[Record], list[Record]]] = [
    ("triage-corr-password-spray-source", spray(10, 4625, **IP), repeated(30, 4625, **IP)),
    (
        "triage-corr-ntlm-spray-workstation",
        spray(10, 4776, Workstation="KALI", Status="0xc000006a"),
        spray(10, 4776, Workstation="WS1", Status="0x0"),
    ),
    (
        "triage-corr-kerberos-spray-source",
        spray(10, 4771, Status="0x18", **IP),
        spray(10, 4771, Status="0x12", **IP),
    ),
    (
        "triage-corr-kerberos-user-enumeration",
        spray(10, 4768, Status="0x6", **IP),
        spray(9, 4768, Status="0x6", **IP),
    ),
    (
        "triage-corr-spray-then-success",
        [
            *spray(10, 4625, SubStatus="0xC000006A", **IP),
            sec(99, 300, 4624, TargetUserName="user3", LogonType="3", **IP),
        ],
        [
            *spray(10, 4625, SubStatus="0xC000006A", **IP),
            sec(99, 300, 4624, TargetUserName="bob", LogonType="3", **IP),
        ],
    ),
    (
        "triage-corr-kerberoast-burst",
        tgs(5, lambda n: f"svc_app{n}", **RC4),
        tgs(10, lambda n: f"SRV{n}$", **RC4),
    ),
    (
        "triage-corr-service-ticket-sweep",
        tgs(20, lambda n: f"svc_app{n}", Status="0x0", TargetUserName="eve@CORP"),
        tgs(40, lambda n: "krbtgt", Status="0x0", TargetUserName="eve@CORP"),
    ),
    (
        "triage-corr-computer-ticket-sweep",
        many(10, lambda n: sec(n, n, 4769, ServiceName=f"SRV{n}$", **HOUND)),
        # The same ten hosts over ten minutes, and a computer's own tickets in a burst.
        [
            *many(10, lambda n: sec(n, n * 60, 4769, ServiceName=f"SRV{n}$", **HOUND)),
            *many(
                10,
                lambda n: sec(
                    n, n, 4769, ServiceName=f"SRV{n}$", **{**HOUND, "TargetUserName": "WS1$@CORP"}
                ),
            ),
        ],
    ),
    (
        "triage-corr-sam-enumeration-burst",
        many(
            20,
            lambda n: sec(
                n,
                n,
                4661,
                ObjectServer="Security Account Manager",
                SubjectUserName="eve",
                ObjectName=f"S-1-5-21-1-2-3-{1100 + n}",
            ),
        ),
        many(
            20,
            lambda n: sec(
                n,
                n,
                4661,
                ObjectServer="Security Account Manager",
                SubjectUserName="DC2$",
                ObjectName=f"S-1-5-21-1-2-3-{1100 + n}",
            ),
        ),
    ),
    (
        "triage-corr-directory-object-sweep",
        many(
            100,
            lambda n: sec(
                n, n, 4662, ObjectServer="DS", SubjectUserName="eve", ObjectName=f"%{{guid-{n}}}"
            ),
        ),
        many(
            100,
            lambda n: sec(
                n, n, 4662, ObjectServer="DS", SubjectUserName="eve", ObjectName="%{guid-1}"
            ),
        ),
    ),
    (
        "triage-corr-local-group-enumeration",
        many(
            10,
            lambda n: sec(
                n,
                n,
                4799,
                Computer="WS1",
                SubjectUserName="eve",
                TargetUserName=f"Group{n}",
                CallerProcessName="C:\\x\\net.exe",
            ),
        ),
        many(
            10,
            lambda n: sec(
                n,
                n,
                4799,
                Computer="WS1",
                SubjectUserName="eve",
                TargetUserName=f"Group{n}",
                CallerProcessName="C:\\W\\mmc.exe",
            ),
        ),
    ),
    ("triage-corr-rdp-many-accounts-one-source", spray(3, 4624, **RDP), repeated(6, 4624, **RDP)),
    (
        "triage-corr-rdp-fan-out-account",
        by_host(3, 4624, TargetUserName="eve", **RDP),
        by_host(2, 4624, TargetUserName="eve", **RDP),
    ),
    (
        "triage-corr-rdp-auth-many-accounts-one-source",
        many(3, lambda n: rdp_auth(n, n, f"user{n}", "10.0.0.66", "WS1")),
        many(3, lambda n: rdp_auth(n, n, "alice", "10.0.0.66", "WS1")),
    ),
    (
        "triage-corr-rdp-auth-fan-out-account",
        many(3, lambda n: rdp_auth(n, n, "eve", "10.0.0.66", f"HOST{n}")),
        many(3, lambda n: rdp_auth(n, n, "eve", "10.0.0.66", "WS1")),
    ),
    (
        "triage-corr-network-logon-fan-out",
        by_host(10, 4624, **NETWORK),
        by_host(10, 4624, **{**NETWORK, "TargetUserName": "SCCM01$"}),
    ),
    (
        "triage-corr-failed-logon-fan-out",
        by_host(5, 4625, TargetUserName="eve", **IP),
        by_host(5, 4625, TargetUserName="eve", IpAddress="127.0.0.1"),
    ),
    (
        "triage-corr-explicit-credential-fan-out",
        many(
            5,
            lambda n: sec(
                n, n, 4648, Computer="WS1", SubjectUserName="eve", TargetServerName=f"SRV{n}"
            ),
        ),
        many(
            5,
            lambda n: sec(
                n, n, 4648, Computer="WS1", SubjectUserName="eve", TargetServerName="localhost"
            ),
        ),
    ),
    (
        "triage-corr-admin-share-sweep",
        by_host(5, 5140, **SHARE),
        by_host(5, 5140, **{**SHARE, "ShareName": "\\\\*\\IPC$"}),
    ),
    (
        "triage-corr-wfp-outbound-sweep",
        many(20, lambda n: sec(n, n, 5156, DestAddress=f"10.0.1.{n}", DestPort="445", **OUTBOUND)),
        many(20, lambda n: sec(n, n, 5156, DestAddress=f"10.0.1.{n}", DestPort="443", **OUTBOUND)),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "firing", "quiet"), WINDOWS_CASES, ids=[case[0] for case in WINDOWS_CASES]
)
def test_windows_threshold_correlations(
    rule_id: str, firing: list[Record], quiet: list[Record]
) -> None:
    assert rule_id in correlate(firing)
    assert rule_id not in correlate(quiet)


def test_windows_sprays_spread_beyond_the_window_do_not_fire() -> None:
    slow = many(12, lambda n: sec(n, n * 300, 4625, TargetUserName=f"user{n}", **IP))
    assert "triage-corr-password-spray-source" not in correlate(slow)
    assert "triage-corr-password-spray-source" in correlate(spray(10, 4625, **IP))


def test_group_values_are_compared_without_case_and_shown_as_logged() -> None:
    records = many(
        3,
        lambda n: sec(
            n, n, 4624, Computer=f"HOST{n}", TargetUserName=("EVE", "eve", "Eve")[n], **RDP
        ),
    )
    found = correlate(records)["triage-corr-rdp-fan-out-account"]
    assert found.matched_fields == {"TargetUserName": "EVE"}


SID = "S-1-5-21-1-2-3-1337"
ADMINS = {"TargetUserName": "Administrators", "TargetSid": "S-1-5-32-544"}


def test_new_account_added_to_admins_within_the_hour() -> None:
    created = sec(1, 0, 4720, TargetSid=SID, TargetUserName="backdoor")
    added = sec(2, 120, 4732, MemberSid=SID, **ADMINS)
    found = correlate([created, added])["triage-corr-new-account-made-admin"]
    assert found.level == "high"
    assert [ref.locator for ref in found.records] == ["line:1", "line:2"]
    late = sec(2, 7200, 4732, MemberSid=SID, **ADMINS)
    other = sec(2, 120, 4732, MemberSid="S-1-5-21-1-2-3-1105", **ADMINS)
    users = sec(2, 120, 4732, MemberSid=SID, TargetUserName="Users", TargetSid="S-1-5-32-545")
    for then in (late, other, users):
        assert "triage-corr-new-account-made-admin" not in correlate([created, then])
    added_before = sec(2, 0, 4732, MemberSid=SID, **ADMINS)
    created_after = sec(1, 120, 4720, TargetSid=SID, TargetUserName="backdoor")
    assert "triage-corr-new-account-made-admin" not in correlate([added_before, created_after])


def test_short_lived_account_and_temporary_admin_membership() -> None:
    created = sec(1, 0, 4720, TargetSid=SID, TargetUserName="tmp")
    deleted = sec(2, 600, 4726, TargetSid=SID, TargetUserName="tmp")
    assert "triage-corr-account-created-then-deleted" in correlate([created, deleted])
    other = sec(2, 600, 4726, TargetSid="S-1-5-21-1-2-3-1105", TargetUserName="old")
    assert "triage-corr-account-created-then-deleted" not in correlate([created, other])
    added = sec(3, 0, 4732, MemberSid=SID, **ADMINS)
    removed = sec(4, 900, 4733, MemberSid=SID, **ADMINS)
    assert "triage-corr-temporary-privileged-membership" in correlate([added, removed])
    from_users = sec(4, 900, 4733, MemberSid=SID, TargetUserName="Users", TargetSid="S-1-5-32-545")
    assert "triage-corr-temporary-privileged-membership" not in correlate([added, from_users])


def test_service_or_task_created_in_a_network_logon_session() -> None:
    session = {"Computer": "SRV1", "IpAddress": "10.0.0.66", "TargetUserName": "eve"}
    logon_3 = sec(1, 0, 4624, LogonType="3", TargetLogonId="0x5A3F1", **session)
    service = sec(2, 3, 4697, Computer="SRV1", SubjectLogonId="0x5a3f1", ServiceName="x")
    task = sec(3, 3, 4698, Computer="SRV1", SubjectLogonId="0x5a3f1", TaskName="\\x")
    found = correlate([logon_3, service, task])
    assert found["triage-corr-network-logon-then-service-install"].techniques == (
        "T1021.002",
        "T1569.002",
    )
    assert "triage-corr-network-logon-then-task" in found
    elsewhere = sec(2, 3, 4697, Computer="SRV2", SubjectLogonId="0x5a3f1", ServiceName="x")
    local = sec(1, 0, 4624, LogonType="2", TargetLogonId="0x5A3F1", **session)
    assert "triage-corr-network-logon-then-service-install" not in correlate([logon_3, elsewhere])
    assert "triage-corr-network-logon-then-service-install" not in correlate([local, service])


def test_preauth_disabled_then_roasted() -> None:
    changed = sec(1, 0, 4738, TargetUserName="svc_x", UserAccountControl="\r\n\t\t%%2096")
    roasted = sec(2, 60, 4768, TargetUserName="svc_x", PreAuthType="0", Status="0x0")
    assert "triage-corr-preauth-disabled-then-asrep" in correlate([changed, roasted])
    normal = sec(2, 60, 4768, TargetUserName="svc_x", PreAuthType="2", Status="0x0")
    assert "triage-corr-preauth-disabled-then-asrep" not in correlate([changed, normal])


def test_sweeps_of_many_hosts_name_valid_accounts_and_share_discovery() -> None:
    shares = correlate(by_host(5, 5140, **SHARE))["triage-corr-admin-share-sweep"]
    assert "T1135" in shares.techniques
    rdp = correlate(by_host(3, 4624, TargetUserName="eve", **RDP))
    assert "T1078" in rdp["triage-corr-rdp-fan-out-account"].techniques
    auth = correlate(many(3, lambda n: rdp_auth(n, n, "eve", "10.0.0.66", f"HOST{n}")))
    assert "T1078" in auth["triage-corr-rdp-auth-fan-out-account"].techniques


def test_a_users_program_creating_a_system_process_is_token_theft() -> None:
    rule_id = "triage-corr-user-process-creates-system-process"
    user = {"Computer": "WS1", "SubjectUserSid": "S-1-5-21-1-2-3-1105", "SubjectUserName": "eve"}
    system = {"Computer": "WS1", "SubjectUserSid": "S-1-5-18", "SubjectUserName": "WS1$"}
    tool = sec(1, 0, 4688, NewProcessId="0x105c", NewProcessName="C:\\x\\tool.exe", **user)
    shell = sec(2, 2, 4688, ProcessId="0x105C", NewProcessName="C:\\W\\cmd.exe", **system)
    found = correlate([tool, shell])[rule_id]
    assert found.techniques == ("T1134.001", "T1134.002")
    assert [ref.locator for ref in found.records] == ["line:1", "line:2"]
    # A service's own child, a user's own child, and a reused process id much later.
    service = sec(1, 0, 4688, NewProcessId="0x105c", **{**user, "SubjectUserSid": "S-1-5-18"})
    child = sec(2, 2, 4688, ProcessId="0x105c", **user)
    late = sec(2, 3600, 4688, ProcessId="0x105c", **system)
    # A UAC elevation is created by SYSTEM for the asking program, with the user's own token.
    elevated = sec(
        2, 2, 4688, ProcessId="0x105c", TargetUserSid=user["SubjectUserSid"],
        TokenElevationType="%%1937", **system,
    )  # fmt: skip
    for pair in ([service, shell], [tool, child], [tool, late], [tool, elevated]):
        assert rule_id not in correlate(pair)
    as_system = sec(2, 2, 4688, ProcessId="0x105c", TargetUserSid="S-1-5-18", **system)
    assert rule_id in correlate([tool, as_system])


def _process(
    number: int, seconds: float, image: str, parent: str = "{aaaa-1}", **fields: Scalar
) -> Record:
    return event(
        number,
        seconds,
        "Microsoft-Windows-Sysmon/Operational",
        Channel="Microsoft-Windows-Sysmon/Operational",
        EventID=1,
        Computer="ws1.corp.example",
        Image=image,
        ParentImage="C:\\Windows\\System32\\cmd.exe",
        ParentProcessGuid=parent,
        **fields,
    )


def test_four_different_discovery_tools_from_one_parent_fire() -> None:
    tools = ["whoami", "ipconfig", "nltest", "systeminfo"]
    burst = [_process(n, n * 20, f"C:\\Windows\\System32\\{t}.exe") for n, t in enumerate(tools)]
    assert "triage-corr-discovery-burst" in correlate(burst)
    # The same tool many times, or three tools, is ordinary.
    assert "triage-corr-discovery-burst" not in correlate(burst[:3])
    again = [_process(n, n * 20, "C:\\Windows\\System32\\ipconfig.exe") for n in range(8)]
    assert "triage-corr-discovery-burst" not in correlate(again)
    # Four tools from four different parents are four people, not one survey.
    spread = [
        _process(n, n * 20, f"C:\\Windows\\System32\\{t}.exe", parent=f"{{bbbb-{n}}}")
        for n, t in enumerate(tools)
    ]
    assert "triage-corr-discovery-burst" not in correlate(spread)
    # A logon script runs the same survey for every user at every logon.
    script = [
        _process(n, n * 20, f"C:\\Windows\\System32\\{t}.exe",
                 ParentCommandLine="cmd /c \\\\corp\\NETLOGON\\logon.cmd")
        for n, t in enumerate(tools)
    ]  # fmt: skip
    assert "triage-corr-discovery-burst" not in correlate(script)


def _dns(number: int, seconds: float, query: str, **fields: Scalar) -> Record:
    return event(number, seconds, "zeek.dns", **{"id.orig_h": "10.0.0.5", "query": query, **fields})


def test_many_nxdomain_names_from_one_host_fire() -> None:
    names = [_dns(n, n, f"q{n}x7k.example", rcode_name="NXDOMAIN") for n in range(30)]
    assert "triage-corr-dns-nxdomain-burst" in correlate(names)
    assert "triage-corr-dns-nxdomain-burst" not in correlate(names[:29])
    answered = [_dns(n, n, f"q{n}.example", rcode_name="NOERROR") for n in range(40)]
    assert "triage-corr-dns-nxdomain-burst" not in correlate(answered)


def test_many_distinct_txt_lookups_fire() -> None:
    txt = [_dns(n, n, f"c{n}.t.example", qtype_name="TXT") for n in range(50)]
    assert "triage-corr-dns-txt-burst" in correlate(txt)
    same = [_dns(n, n, "_spf.example", qtype_name="TXT") for n in range(80)]
    assert "triage-corr-dns-txt-burst" not in correlate(same)


def test_many_refused_cloud_calls_by_one_identity_fire() -> None:
    def call(n: int, name: str, error: str) -> Record:
        return event(n, n * 5, "aws.cloudtrail", **{
            "eventSource": "iam.amazonaws.com", "eventName": name, "errorCode": error,
            "userIdentity.arn": "arn:aws:iam::111122223333:user/ci",
        })  # fmt: skip

    refused = [call(n, f"List{n}", "AccessDenied") for n in range(10)]
    assert "triage-corr-cloud-refused-calls" in correlate(refused)
    retried = [call(n, "ListUsers", "AccessDenied") for n in range(20)]
    assert "triage-corr-cloud-refused-calls" not in correlate(retried)


def test_many_login_posts_from_one_client_fire() -> None:
    def post(n: int, path: str, method: str = "POST") -> Record:
        return event(n, n * 10, "web.access", client_ip="198.51.100.7", method=method,
                     uri=path, status=200)  # fmt: skip

    posts = [post(n, "/wp-login.php") for n in range(15)]
    assert "triage-corr-web-login-brute-force" in correlate(posts)
    pages = [post(n, "/wp-login.php", method="GET") for n in range(30)]
    assert "triage-corr-web-login-brute-force" not in correlate(pages)


def test_every_correlation_is_documented() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "detections.md").read_text(encoding="utf-8")
    missing = [c.rule_id for c in builtin_correlations() if f"`{c.rule_id}`" not in docs]
    assert not missing, missing


def test_a_mail_servers_policy_and_block_list_lookups_are_not_bursts() -> None:
    policy = [
        _dns(n, n, f"{prefix}sender{n}.example", qtype_name="TXT")
        for n, prefix in enumerate(["_dmarc.", "s1._domainkey.", "_mta-sts."] * 30)
    ]
    assert "triage-corr-dns-txt-burst" not in correlate(policy)
    listed = [
        _dns(n, n, f"4.{n}.113.203.zen.dnsbl.example", rcode_name="NXDOMAIN") for n in range(40)
    ]
    assert "triage-corr-dns-nxdomain-burst" not in correlate(listed)


def test_an_ipv4_mapped_address_groups_with_the_plain_one() -> None:
    mixed = [
        logon(n, n * 30, 4625, f"user{n}", "::ffff:203.0.113.5" if n % 2 else "203.0.113.5")
        for n in range(5)
    ]
    assert "triage-corr-brute-force-source" in correlate(mixed)
