"""Logsource routing: which Sigma logsources a parsed record belongs to, and the field names
Sigma rules use for it (declarative tables; docs/detections.md describes them)."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from triage.detect.cloud_logsources import CLOUD_FIELD_ALIASES, cloud_logsource
from triage.detect.matcher import FieldView
from triage.ingest.base import small_int
from triage.models import Record, Scalar

SYSMON_CHANNEL = "microsoft-windows-sysmon/operational"
LINUX_SYSMON_CHANNEL = "linux-sysmon/operational"

# Windows event channel (lower-case) → Sigma `service`.
WINDOWS_SERVICES: Mapping[str, str] = {
    "security": "security",
    "system": "system",
    "application": "application",
    SYSMON_CHANNEL: "sysmon",
    "microsoft-windows-powershell/operational": "powershell",
    "windows powershell": "powershell-classic",
    "microsoft-windows-windows defender/operational": "windefend",
    "microsoft-windows-bits-client/operational": "bits-client",
    "microsoft-windows-taskscheduler/operational": "taskscheduler",
    "microsoft-windows-wmi-activity/operational": "wmi",
    "microsoft-windows-dns-client/operational": "dns-client",
    "microsoft-windows-terminalservices-localsessionmanager/operational": (
        "terminalservices-localsessionmanager"
    ),
    "microsoft-windows-windows firewall with advanced security/firewall": "firewall-as",
    "microsoft-windows-codeintegrity/operational": "codeintegrity-operational",
    "microsoft-windows-terminalservices-remoteconnectionmanager/operational": (
        "terminalservices-remoteconnectionmanager"
    ),
    "dns server": "dns-server",
    "microsoft-windows-dns-server/audit": "dns-server-audit",
    # The DNS Server provider's own channel names (Microsoft-Windows-DNSServer/…).
    "microsoft-windows-dnsserver/audit": "dns-server-audit",
    "microsoft-windows-dnsserver/analytical": "dns-server-analytic",
    "microsoft-windows-applocker/exe and dll": "applocker",
    "microsoft-windows-applocker/msi and script": "applocker",
    "microsoft-windows-applocker/packaged app-execution": "applocker",
    "microsoft-windows-applocker/packaged app-deployment": "applocker",
    "microsoft-windows-bitlocker/bitlocker management": "bitlocker",
    "microsoft-windows-winrm/operational": "winrm",
    "openssh/operational": "openssh",
    "microsoft-windows-shell-core/operational": "shell-core",
    "microsoft-windows-printservice/admin": "printservice-admin",
    "microsoft-windows-printservice/operational": "printservice-operational",
    "microsoft-windows-vhdmp-operational": "vhdmp",
    "microsoft-windows-vhdmp/operational": "vhdmp",
    "microsoft-windows-wininet-config/proxyconfigchanged": "wininet-config",
}

# Sysmon EventID → Sigma categories (Windows and Sysmon for Linux share the numbering).
SYSMON_CATEGORIES: Mapping[int, tuple[str, ...]] = {
    1: ("process_creation",),
    2: ("file_change",),
    3: ("network_connection",),
    5: ("process_termination",),
    6: ("driver_load",),
    7: ("image_load",),
    8: ("create_remote_thread",),
    9: ("raw_access_thread",),
    10: ("process_access",),
    11: ("file_event",),
    12: ("registry_add", "registry_delete", "registry_event"),
    13: ("registry_set", "registry_event"),
    14: ("registry_rename", "registry_event"),
    15: ("create_stream_hash",),
    17: ("pipe_created",),
    18: ("pipe_created",),
    19: ("wmi_event",),
    20: ("wmi_event",),
    21: ("wmi_event",),
    22: ("dns_query",),
    23: ("file_delete",),
    25: ("process_tampering",),
    26: ("file_delete",),
}

# (service, EventID) → extra Sigma categories for non-Sysmon Windows channels.
WINDOWS_EVENT_CATEGORIES: Mapping[tuple[str, int], tuple[str, ...]] = {
    ("security", 4688): ("process_creation",),
    ("powershell", 4104): ("ps_script",),
    ("powershell", 4103): ("ps_module",),
    ("powershell-classic", 400): ("ps_classic_start",),
    ("powershell-classic", 600): ("ps_classic_provider_start",),
    ("powershell-classic", 800): ("ps_classic_script",),
}

# Syslog programs that write to the auth facility (auth.log / secure): each is also a service.
AUTH_PROGRAMS = frozenset(
    {"sshd", "sudo", "su", "login", "passwd", "useradd", "userdel", "usermod", "groupadd"}
    | {"groupdel", "groupmod", "gpasswd", "chpasswd", "chage", "systemd-logind"}
)

# Sigma field name → record field names to try, per (product, category-or-service).
# Only names that differ from the record's own need an entry.
FIELD_ALIASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "windows/security": {
        "Image": ("NewProcessName",),
        "ParentImage": ("ParentProcessName",),
        "User": ("SubjectUserName",),
    },
    # Defender's EventData names contain spaces ("Threat Name"); Sigma rules write them joined.
    "windows/windefend": {
        "ThreatName": ("Threat Name",),
        "SeverityName": ("Severity Name",),
        "CategoryName": ("Category Name",),
        "ProcessName": ("Process Name",),
        "DetectionUser": ("Detection User",),
        "ActionName": ("Action Name",),
        "OldValue": ("Old Value",),
        "NewValue": ("New Value",),
        "FeatureName": ("Feature Name",),
        "TargetCommandline": ("Target Commandline",),
    },
    "linux/auditd": {
        "Image": ("exe",),
        "CommandLine": ("cmdline", "proctitle"),
        "User": ("user", "auid"),
    },
    "linux/syslog": {
        "message": ("SyslogMessage", "Message"),
        "program": ("ProcessName",),
        "host": ("HostName", "Computer"),
    },
    "webserver": {
        "cs-method": ("method",),
        "c-ip": ("client_ip",),
        "sc-status": ("status",),
        "cs-user-agent": ("user_agent", "cs(User-Agent)"),
        "cs-referer": ("referrer", "cs(Referer)"),
        "cs-username": ("user",),
        "cs-version": ("protocol",),
        "cs-bytes": ("bytes",),
        "cs-uri": ("uri",),
    },
    **CLOUD_FIELD_ALIASES,
}


@dataclass(frozen=True)
class RecordLogsource:
    """Where a record sits in Sigma's logsource taxonomy, plus how to read its fields."""

    product: str | None
    services: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    alias_tables: tuple[str, ...] = ()
    derived: Mapping[str, Scalar] = field(default_factory=dict)

    def accepts(self, *, product: str | None, category: str | None, service: str | None) -> bool:
        """A rule applies when every logsource attribute it names matches this record."""
        if product is not None and product != self.product:
            return False
        if service is not None and service not in self.services:
            return False
        return category is None or category in self.categories


def _int(value: Scalar) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        # small_int: a planted 5,000-digit EventID would make int() raise.
        return small_int(value.strip())
    return None


def _windows(channel: str, event_id: int | None) -> RecordLogsource:
    lower = channel.lower()
    if lower == LINUX_SYSMON_CHANNEL:
        categories = SYSMON_CATEGORIES.get(event_id or -1, ())
        return RecordLogsource("linux", frozenset({"sysmon"}), frozenset(categories))
    service = WINDOWS_SERVICES.get(lower, lower)
    if lower == SYSMON_CHANNEL:
        categories = SYSMON_CATEGORIES.get(event_id or -1, ())
    else:
        categories = WINDOWS_EVENT_CATEGORIES.get((service, event_id or -1), ())
    aliases = (f"windows/{service}",) if f"windows/{service}" in FIELD_ALIASES else ()
    return RecordLogsource("windows", frozenset({service}), frozenset(categories), aliases)


def _auditd(fields: Mapping[str, Scalar], message: str = "") -> RecordLogsource:
    kind = str(fields.get("type") or "")
    derived: dict[str, Scalar] = {}
    if not kind and message:
        # auditd text forwarded through syslog: the record type leads the message.
        kind = message[5:].split(" ", 1)[0]
        derived["type"] = kind
    is_execve = kind.upper().endswith("EXECVE")
    categories = frozenset({"process_creation"}) if is_execve else frozenset()
    if is_execve and not (fields.get("cmdline") or fields.get("proctitle")):
        arguments = _execve_arguments(fields)
        if arguments:
            derived["CommandLine"] = arguments
    return RecordLogsource(
        "linux", frozenset({"auditd"}), categories, ("linux/auditd",), derived=derived
    )


def _execve_arguments(fields: Mapping[str, Scalar]) -> str:
    """An EXECVE record's argv (a0, a1, …) joined with spaces, as a command line."""
    arguments: list[str] = []
    while (value := fields.get(f"a{len(arguments)}")) is not None:
        arguments.append(str(value))
    return " ".join(arguments)


def _syslog(fields: Mapping[str, Scalar]) -> RecordLogsource:
    program = str(fields.get("program") or fields.get("ProcessName") or "").lower()
    services = {"syslog"}
    if program in AUTH_PROGRAMS:
        services |= {program, "auth"}
    elif program in {"cron", "crond", "anacron"}:
        services.add("cron")
    return RecordLogsource("linux", frozenset(services), alias_tables=("linux/syslog",))


def _webserver(fields: Mapping[str, Scalar]) -> RecordLogsource:
    uri = fields.get("uri")
    derived: dict[str, Scalar] = {}
    if isinstance(uri, str):
        stem, _, query = uri.partition("?")
        derived = {"cs-uri-stem": stem, "cs-uri-query": query or None}
    elif isinstance(w3c_stem := fields.get("cs-uri-stem"), str):
        # IIS/W3C logs split the URI: rebuild it so `cs-uri` rules read them too.
        w3c_query = fields.get("cs-uri-query")
        has_query = isinstance(w3c_query, str) and bool(w3c_query)
        derived = {"cs-uri": f"{w3c_stem}?{w3c_query}" if has_query else w3c_stem}
    return RecordLogsource(
        None, frozenset(), frozenset({"webserver"}), ("webserver",), derived=derived
    )


def route(record: Record) -> RecordLogsource | None:
    """The logsource of a record, or None when no Sigma logsource fits it."""
    fields = record.fields
    source = record.source
    channel = fields.get("Channel")
    if isinstance(channel, str) and channel and "EventID" in fields:
        return _windows(channel, _int(fields.get("EventID")))
    if source == "auditd":
        return _auditd(fields)
    if source in {"Syslog", "syslog"}:
        message = fields.get("SyslogMessage") or fields.get("message")
        if isinstance(message, str) and message.startswith("type="):
            return _auditd(fields, message)
        return _syslog(fields)
    if cloud := cloud_logsource(source, fields):
        product, services, aliases, derived = cloud
        return RecordLogsource(product, services, alias_tables=(aliases,), derived=derived)
    if source.startswith("zeek."):
        return RecordLogsource("zeek", frozenset({source.removeprefix("zeek.")}))
    if source == "netflow":
        return RecordLogsource("network", frozenset({"netflow"}))
    if source in {"web.access", "web.w3c"}:
        return _webserver(fields)
    if source in {"alert", "alert.evidence", "json", "jsonl", "csv", "text"}:
        return RecordLogsource("triage", frozenset({source.replace(".", "_")}))
    if source.startswith("email."):
        return RecordLogsource("triage", frozenset({source.replace(".", "_")}))
    if source == "VMConnection":
        return RecordLogsource("azure", frozenset({"vmconnection"}))
    return None


class RoutedRecord(NamedTuple):
    """A record with its logsource and the Sigma view of its fields (built once per run)."""

    record: Record
    logsource: RecordLogsource
    view: FieldView


def aliases_for(logsource: RecordLogsource) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for table in logsource.alias_tables:
        merged.update(FIELD_ALIASES.get(table, {}))
    return merged


def route_all(records: Sequence[Record]) -> Iterator[RoutedRecord]:
    """Every record that fits a Sigma logsource, with its field view; others are left out."""
    alias_cache: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
    for record in records:
        logsource = route(record)
        if logsource is None:
            continue
        aliases = alias_cache.get(logsource.alias_tables)
        if aliases is None:
            aliases = alias_cache[logsource.alias_tables] = aliases_for(logsource)
        view = FieldView(record.fields, raw=record.raw, aliases=aliases, derived=logsource.derived)
        yield RoutedRecord(record, logsource, view)
