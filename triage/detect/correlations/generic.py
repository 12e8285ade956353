"""Correlations over logs of every platform but Windows Security: Windows logon failures in
general, Linux authentication, web scans, Zeek and NetFlow beacons and port scans, and sweeps
of a Windows host's named pipes over the network."""

from datetime import timedelta

from triage.detect.correlations.engine import (
    Correlation,
    FailThenSucceed,
    Periodic,
    Threshold,
    selection,
)

WINDOWS_SECURITY = {"product": "windows", "service": "security"}
BRUTE_FORCE = ("T1110",)
BRUTE_FORCE_FALSE_POSITIVES = ("Users mistyping passwords", "Expired service-account credentials")


LOGON_PIPES = [
    "\\lsarpc", "\\lsass", "\\samr", "\\netlogon", "\\srvsvc", "\\wkssvc", "\\winreg",
    "\\spoolss",
]  # fmt: skip


def generic_correlations() -> tuple[Correlation, ...]:
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
    # Sysmon logs a pipe opened over SMB by a remote client as a connection by System.
    remote_pipe = selection(
        {"product": "windows", "category": "pipe_created"},
        {
            "sel": {"EventID": 18, "Image": "System"},
            # Every logon and Group Policy refresh opens these on a domain controller or file
            # server; only the rest of a host's pipes tell a sweep from a busy morning.
            "logon_pipes": {"PipeName|endswith": LOGON_PIPES},
            "condition": "sel and not logon_pipes",
        },
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
            description="At least 8 failed logons (4625) for an account from one address, then a "
            "successful logon (4624) for it from there within ten minutes: a password guess may "
            "have succeeded. (A person who mistypes gives up or succeeds in fewer tries.)",
            group_by=("TargetUserName", "IpAddress"),
            failure=failed_logon,
            success=good_logon,
            failures=8,
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
        Threshold(
            rule_id="triage-corr-remote-pipe-sweep",
            title="Many named pipes of one host opened over the network within seconds",
            level="medium",
            techniques=("T1046",),
            description="Five seconds or less saw remote clients open at least 10 distinct named "
            "pipes of one host (Sysmon 18 by System), not counting the pipes every logon and Group "
            "Policy refresh opens (lsarpc, samr, netlogon, srvsvc...): a sweep of its RPC services "
            "(atsvc, epmapper, eventlog, ntsvcs...).",
            falsepositives=("Vulnerability scanners and inventory tools",),
            group_by=("Computer",),
            match=remote_pipe,
            count=10,
            distinct="PipeName",
            window=timedelta(seconds=5),
        ),
    )
