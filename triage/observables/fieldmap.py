"""Which fields of the known record formats hold which observables: a declarative table.

Field names are those the loaders produce (see the record conventions); nested JSON fields
are flattened with dots, so a rule on a leaf name ("sha256") also matches "fileDetails.sha256".
"""

from typing import Literal

from triage.models.intel import ObservableType

# Beyond the observable types themselves, a field can hold something to be sorted out:
#   ip       an IPv4 or IPv6 address          address  IP, public domain, else host name
#   hash     md5/sha1/sha256 by length        hashes   Sysmon "SHA256=…,MD5=…" list
#   path     registry key or file path        emails   an address-list header (From, To, …)
#   text     free text: scanned for URLs, domains, IPs, emails, hashes and CVEs
#   request  an HTTP request path: scanned too, but its "file.do" names and hex session ids
#            are not taken for domains and hashes
Kind = (
    ObservableType | Literal["ip", "address", "hash", "hashes", "path", "emails", "text", "request"]
)

COMMAND: tuple[Kind, ...] = ("command_line", "text")

# Field (exact flattened name, or its last dotted part) → what it holds, in any source.
FIELD_KINDS: dict[str, tuple[Kind, ...]] = {
    # Windows events: Sysmon, Security, PowerShell, Defender (also Sysmon for Linux)
    "Computer": ("host",),
    "Hostname": ("host",),
    "HostName": ("host",),
    "WorkstationName": ("host",),
    "TargetServerName": ("host",),
    "Image": ("process",),
    "ParentImage": ("process",),
    "SourceImage": ("process",),
    "TargetImage": ("process",),
    "NewProcessName": ("process",),
    "ParentProcessName": ("process",),
    "ProcessName": ("process",),
    "Process Name": ("process",),
    "CommandLine": COMMAND,
    "ParentCommandLine": COMMAND,
    "ServiceFileName": COMMAND,
    "ImagePath": COMMAND,
    "TargetFilename": ("file_path",),
    "ImageLoaded": ("file_path",),
    "ObjectName": ("path",),
    "TargetObject": ("registry_key",),
    "Details": ("text",),
    "Hashes": ("hashes",),
    "Hash": ("hashes",),
    "DestinationIp": ("ip",),
    "SourceIp": ("ip",),
    "RemoteIp": ("ip",),
    "IpAddress": ("ip",),
    "ClientAddress": ("ip",),
    "DestinationHostname": ("address",),
    "SourceHostname": ("address",),
    "QueryName": ("address",),
    "QueryResults": ("text",),
    "User": ("user",),
    "ParentUser": ("user",),
    "SourceUser": ("user",),
    "TargetUser": ("user",),
    "TargetUserName": ("user",),
    "SubjectUserName": ("user",),
    "AccountName": ("user",),
    "Detection User": ("user",),
    "ScriptBlockText": ("text",),
    "Payload": ("text",),
    "ContextInfo": ("text",),
    "Message": ("text",),
    # Linux: syslog, Sentinel Syslog rows, auditd / auoms
    "message": ("text",),
    "SyslogMessage": ("text",),
    "exe": ("process",),
    "comm": ("process",),
    "proctitle": COMMAND,
    "cmdline": COMMAND,
    "addr": ("ip",),
    "acct": ("user",),
    # AWS CloudTrail
    "userIdentity.arn": ("user",),
    "userIdentity.userName": ("user",),
    "userIdentity.sessionContext.sessionIssuer.arn": ("user",),
    "requestParameters.userName": ("user",),
    "sourceIPAddress": ("ip",),
    # Zeek
    "id.orig_h": ("ip",),
    "src_ip": ("ip",),
    "dst_ip": ("ip",),
    "id.resp_h": ("ip",),
    "server_name": ("address",),
    "user_agent": ("text",),
    "referrer": ("url",),
    # Web access logs (W3C / IIS names)
    "client_ip": ("ip",),
    "c-ip": ("ip",),
    "s-ip": ("ip",),
    "cs-username": ("user",),
    "cs-uri-stem": ("request",),
    "cs-uri-query": ("request",),
    "cs(User-Agent)": ("text",),
    "cs(Referer)": ("url",),
    # Email attachments and JSON alerts (EDR / SIEM evidence and entities)
    "filename": ("file_path",),
    "fileName": ("file_path",),
    "filePath": ("file_path",),
    "folderPath": ("file_path",),
    "md5": ("md5",),
    "sha1": ("sha1",),
    "sha256": ("sha256",),
    "fileHash": ("hash",),
    "ipAddress": ("ip",),
    "remoteIpAddress": ("ip",),
    "clientIp": ("ip",),
    "url": ("url",),
    "requestUrl": ("url",),
    "domainName": ("address",),
    "accountName": ("user",),
    "userPrincipalName": ("user",),
    "userName": ("user",),
    "upn": ("user",),
    "processCommandLine": COMMAND,
    "commandLine": COMMAND,
    "deviceName": ("host",),
    "deviceDnsName": ("host",),
    "hostName": ("host",),
    "senderFromAddress": ("email",),
    "senderMailFromAddress": ("email",),
    "recipientEmailAddress": ("email",),
    "registryKey": ("registry_key",),
    "description": ("text",),
}

# Generic names that mean something only in one family of sources (matched by prefix).
SOURCE_FIELD_KINDS: dict[tuple[str, str], tuple[Kind, ...]] = {
    ("zeek.", "host"): ("address",),
    ("zeek.", "uri"): ("request",),
    ("zeek.dns", "query"): ("address",),
    ("zeek.", "md5"): ("md5",),
    ("zeek.", "sha1"): ("sha1",),
    ("zeek.", "sha256"): ("sha256",),
    ("syslog", "host"): ("host",),
    ("web.access", "user"): ("user",),
    ("web.access", "uri"): ("request",),
    ("auditd", "name"): ("file_path",),
    ("auditd", "user"): ("user",),
    ("auditd", "hostname"): ("address",),
    ("Syslog", "user"): ("user",),
    ("Syslog", "name"): ("file_path",),
}

# Email headers (records {name, value}) by lower-case header name.
EMAIL_HEADER_KINDS: dict[str, tuple[Kind, ...]] = {
    "from": ("emails",),
    "sender": ("emails",),
    "reply-to": ("emails",),
    "return-path": ("emails",),
    "to": ("emails",),
    "cc": ("emails",),
    "delivered-to": ("emails",),
    "x-original-to": ("emails",),
    "errors-to": ("emails",),
    "received": ("text",),
    "x-originating-ip": ("ip",),
    "x-sender-ip": ("ip",),
    "subject": ("text",),
    "list-unsubscribe": ("text",),
    "authentication-results": ("text",),
    "received-spf": ("text",),
}
EMAIL_HEADER_SOURCE = "email.header"

# Sources whose records have no structure worth mapping: their raw text is scanned whole.
RAW_TEXT_SOURCES = frozenset({"text", "email.body", "csv", "json", "jsonl"})


def kinds_for(source: str, field: str) -> tuple[Kind, ...]:
    """What a field holds: the source-specific rule, else the exact name, else its leaf."""
    for (prefix, name), kinds in SOURCE_FIELD_KINDS.items():
        if name == field and source.startswith(prefix):
            return kinds
    if field in FIELD_KINDS:
        return FIELD_KINDS[field]
    _, dot, leaf = field.rpartition(".")
    return FIELD_KINDS.get(leaf, ()) if dot else ()


# Sources where a URL is split over a host field and a path field: source → (host, path).
URL_PARTS: dict[str, tuple[str, str]] = {"zeek.http": ("host", "uri")}
