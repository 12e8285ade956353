"""Routing records to Sigma logsources, and the field names rules see for each."""

import pytest

from triage.detect.logsources import RecordLogsource, route, route_all
from triage.models import Record, Scalar


def record(source: str, raw: str = "", **fields: Scalar) -> Record:
    return Record(artifact_id="A1", locator="line:1", source=source, raw=raw, fields=fields)


def routed(item: Record) -> RecordLogsource:
    logsource = route(item)
    assert logsource is not None
    return logsource


@pytest.mark.parametrize(
    ("channel", "event_id", "service", "categories"),
    [
        ("Microsoft-Windows-Sysmon/Operational", 1, "sysmon", {"process_creation"}),
        ("Microsoft-Windows-Sysmon/Operational", 10, "sysmon", {"process_access"}),
        ("Microsoft-Windows-Sysmon/Operational", 3, "sysmon", {"network_connection"}),
        ("Microsoft-Windows-Sysmon/Operational", 13, "sysmon", {"registry_set", "registry_event"}),
        ("Microsoft-Windows-Sysmon/Operational", 22, "sysmon", {"dns_query"}),
        ("Security", 4688, "security", {"process_creation"}),
        ("Security", 4625, "security", set()),
        ("System", 7045, "system", set()),
        ("Microsoft-Windows-PowerShell/Operational", 4104, "powershell", {"ps_script"}),
        ("Microsoft-Windows-PowerShell/Operational", 4103, "powershell", {"ps_module"}),
        ("Microsoft-Windows-Windows Defender/Operational", 1116, "windefend", set()),
        ("Microsoft-Windows-DNSServer/Audit", 541, "dns-server-audit", set()),
        ("Microsoft-Windows-DNSServer/Analytical", 256, "dns-server-analytic", set()),
        ("DNS Server", 770, "dns-server", set()),
        ("Microsoft-Windows-WinINet-Config/ProxyConfigChanged", 5600, "wininet-config", set()),
    ],
)
def test_windows_channels(channel: str, event_id: int, service: str, categories: set[str]) -> None:
    logsource = routed(record(channel, Channel=channel, EventID=event_id))
    assert logsource.product == "windows"
    assert logsource.services == {service}
    assert logsource.categories == categories


def test_security_4688_reads_as_sigma_process_creation() -> None:
    event = record(
        "Security",
        Channel="Security",
        EventID=4688,
        NewProcessName="C:\\Windows\\System32\\bitsadmin.exe",
        ParentProcessName="C:\\Windows\\System32\\cmd.exe",
    )
    [(_, _, view)] = list(route_all([event]))
    assert view.get("Image") == "C:\\Windows\\System32\\bitsadmin.exe"
    assert view.get("ParentImage") == "C:\\Windows\\System32\\cmd.exe"


def test_sysmon_for_linux_is_product_linux() -> None:
    logsource = routed(record("Syslog", Channel="Linux-Sysmon/Operational", EventID=1))
    assert logsource.product == "linux"
    assert logsource.accepts(product="linux", category="process_creation", service=None)
    assert not logsource.accepts(product="windows", category="process_creation", service=None)


def test_auditd_file_and_auditd_text_inside_syslog() -> None:
    native = routed(record("auditd", type="EXECVE", a0="arp"))
    forwarded = record("Syslog", SyslogMessage="type=AUOMS_EXECVE audit(1.2:3): exe=/bin/sh")
    [(_, logsource, view)] = list(route_all([forwarded]))
    assert native.services == logsource.services == {"auditd"}
    assert "process_creation" in native.categories
    assert view.get("type") == "AUOMS_EXECVE"


def test_plain_syslog_programs_get_their_services() -> None:
    logsource = routed(record("syslog", program="sshd", message="Failed password"))
    assert logsource.product == "linux"
    assert {"sshd", "auth", "syslog"} <= logsource.services


def test_cloudtrail_and_zeek() -> None:
    assert routed(record("aws.cloudtrail", eventName="StopLogging")).accepts(
        product="aws", service="cloudtrail", category=None
    )
    zeek = routed(record("zeek.dns", query="example.org"))
    assert (zeek.product, zeek.services) == ("zeek", {"dns"})


def test_web_access_log_gets_the_sigma_webserver_field_names() -> None:
    line = record(
        "web.access",
        client_ip="192.0.2.7",
        method="GET",
        uri="/shell.jsp?cmd=id",
        status=200,
        user_agent="sqlmap/1.7",
    )
    [(_, logsource, view)] = list(route_all([line]))
    assert logsource.categories == {"webserver"}
    assert view.get("cs-uri-stem") == "/shell.jsp"
    assert view.get("cs-uri-query") == "cmd=id"
    assert view.get("c-ip") == "192.0.2.7"
    assert view.get("sc-status") == 200
    assert view.get("cs-user-agent") == "sqlmap/1.7"


def test_w3c_user_agent_column_is_mapped() -> None:
    line = record("web.w3c", **{"cs(User-Agent)": "Nikto/2.5", "cs-uri-stem": "/"})
    [(_, _, view)] = list(route_all([line]))
    assert view.get("cs-user-agent") == "Nikto/2.5"


def test_w3c_stem_and_query_are_joined_into_cs_uri() -> None:
    split = record("web.w3c", **{"cs-uri-stem": "/search.aspx", "cs-uri-query": "q=1"})
    stem_only = record("web.w3c", **{"cs-uri-stem": "/default.aspx", "cs-uri-query": None})
    views = [view for _, _, view in route_all([split, stem_only])]
    assert [view.get("cs-uri") for view in views] == ["/search.aspx?q=1", "/default.aspx"]


def test_flow_records_are_network_netflow() -> None:
    flow = routed(record("netflow", src_ip="10.0.0.5", dst_ip="198.51.100.9", dst_port=445))
    assert flow.accepts(product="network", service="netflow", category=None)


def test_alerts_email_and_unknown_sources() -> None:
    assert routed(record("alert")).accepts(product="triage", service="alert", category=None)
    assert routed(record("email.attachment")).services == {"email_attachment"}
    assert route(record("packet-capture")) is None
