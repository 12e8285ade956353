"""Line-oriented text logs: syslog, Linux auditd, Windows event XML lines, and plain text last.

Zeek and web server logs live in their own modules; their loaders are importable from here too.
"""

import re

from triage.errors import InputError
from triage.ingest.auditd_pairs import audit_pairs
from triage.ingest.base import (
    ArtifactSource,
    Loaded,
    cap_raw,
    decode_text,
    iter_lines,
    parse_time,
    small_int,
    utf8_size,
)
from triage.ingest.limits import Limits
from triage.ingest.linelogs import Parsed, load_lines, mostly, sample_lines, unparsed_note
from triage.ingest.registry import looks_binary
from triage.ingest.weblogs import AccessLogLoader, W3cLoader
from triage.ingest.winevent import event_fields_from_xml
from triage.ingest.zeek import ZeekLoader
from triage.models import Record, Scalar

__all__ = [
    "AccessLogLoader",
    "AuditdLoader",
    "PlainTextLoader",
    "SyslogLoader",
    "W3cLoader",
    "XmlEventLoader",
    "ZeekLoader",
]

_AUDIT = re.compile(
    r"(?:node=(?P<node>\S+) )?type=(?P<type>\S+) "
    r"msg=audit\((?P<time>\d+(?:\.\d+)?):(?P<serial>\d+)\):\s*(?P<body>.*)"
)
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_ARGUMENT = re.compile(r"a\d+")

_PROGRAM = r"(?P<program>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?:\s?"
_RFC3164 = re.compile(
    r"(?:<(?P<pri>\d{1,3})>)?(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) "
    + _PROGRAM
    + r"(?P<message>.*)"
)
# rsyslog's high-precision template: the RFC 3164 layout with an RFC 3339 timestamp.
_ISO_SYSLOG = re.compile(
    r"(?:<(?P<pri>\d{1,3})>)?(?P<time>\d{4}-\d\d-\d\dT\S+) (?P<host>\S+) "
    + _PROGRAM
    + r"(?P<message>.*)"
)
_RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<version>\d{1,2}) (?P<time>\S+) (?P<host>\S+) (?P<program>\S+) "
    r"(?P<pid>\S+) (?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?"
)

_EVENT_START = re.compile(r"<Event[\s>]")
_EVENT_END = "</Event>"
# Wrapper and declaration lines around an event stream carry no event of their own.
_EVENT_WRAPPER = re.compile(r"\s*(?:<\?xml[^>]*\?>|</?Events\s*>)\s*")


class AuditdLoader:
    format = "auditd"

    def sniff(self, head: bytes, text_head: str) -> bool:
        return mostly(sample_lines(text_head), lambda line: _AUDIT.match(line) is not None)

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        return load_lines(
            source, limits, format_name=self.format, source_name="auditd", parse=_audit_line
        )


def _audit_line(line: str) -> Parsed | None:
    match = _AUDIT.match(line)
    if match is None:
        return None
    fields: dict[str, Scalar] = {
        "type": match["type"],
        "audit_time": match["time"],
        "audit_serial": _int_or_text(match["serial"]),
    }
    if match["node"]:
        fields["node"] = match["node"]
    for pair in audit_pairs(match["body"]):
        if pair.key == "msg" and pair.quote == "'":
            # The nested pairs (acct, exe, addr, res, …) are what analysts search for.
            for inner in audit_pairs(pair.value):
                fields.setdefault(inner.key, inner.value)
            fields["msg"] = pair.value
            continue
        fields[pair.key] = pair.value
        if pair.key == "proctitle" and not pair.quote:
            fields[pair.key] = _decode_proctitle(pair.value)
        elif match["type"] == "EXECVE" and not pair.quote and _ARGUMENT.fullmatch(pair.key):
            # auditd hex-encodes an argument holding spaces or quotes; quoted ones are literal.
            fields[pair.key] = _decode_proctitle(pair.value)
    return fields, parse_time(float(match["time"]))


def _decode_proctitle(value: str) -> str:
    """auditd hex-encodes a command line holding spaces or NULs; NULs separate the arguments."""
    if not _HEX.fullmatch(value):
        return value
    return bytes.fromhex(value).replace(b"\x00", b" ").decode("utf-8", errors="replace").strip()


class SyslogLoader:
    """RFC 3164 (BSD), RFC 5424 and rsyslog's RFC 3339-timestamped lines."""

    format = "syslog"

    def sniff(self, head: bytes, text_head: str) -> bool:
        return mostly(sample_lines(text_head), lambda line: _syslog_line(line) is not None)

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        loaded = load_lines(
            source, limits, format_name=self.format, source_name="syslog", parse=_syslog_line
        )
        if any(r.fields and r.timestamp is None for r in loaded.records):
            note = "RFC 3164 timestamps carry no year (or did not parse); those records are untimed"
            return Loaded(format=loaded.format, records=loaded.records, notes=(*loaded.notes, note))
        return loaded


def _syslog_line(line: str) -> Parsed | None:
    match = _RFC5424.match(line)
    if match is not None:
        fields = _syslog_fields(match)
        fields["msgid"] = _nil(match["msgid"])
        fields["structured_data"] = _nil(match["sd"])
        return fields, parse_time(match["time"])
    match = _ISO_SYSLOG.match(line)
    if match is not None:
        return _syslog_fields(match), parse_time(match["time"])
    match = _RFC3164.match(line)
    if match is not None:
        # Without a year any guess would be wrong half the time; keep the text, not a timestamp.
        return _syslog_fields(match), None
    return None


def _syslog_fields(match: re.Match[str]) -> dict[str, Scalar]:
    pid = _nil(match["pid"])
    fields: dict[str, Scalar] = {
        "host": _nil(match["host"]),
        "program": _nil(match["program"]),
        "pid": _int_or_text(pid) if pid else pid,
        "message": match["message"] or "",
        "time": match["time"],
    }
    if match["pri"]:
        priority = int(match["pri"])
        fields["facility"], fields["severity"] = divmod(priority, 8)
    return fields


def _int_or_text(value: str) -> int | str:
    number = small_int(value)
    return value if number is None else number


def _nil(value: str | None) -> str | None:
    """RFC 5424 writes "-" for an absent header field."""
    return None if value in (None, "-") else value


class XmlEventLoader:
    """Windows events as XML: one `<Event>` per line, or a stream of (pretty-printed) events."""

    format = "xml_events"

    def sniff(self, head: bytes, text_head: str) -> bool:
        lines = [line for line in sample_lines(text_head) if not _EVENT_WRAPPER.fullmatch(line)]
        if mostly(lines, lambda line: _EVENT_START.match(line.lstrip()) is not None):
            return True
        # A pretty-printed stream: few lines start an event, but the first one does.
        return (
            bool(lines)
            and _EVENT_START.match(lines[0].lstrip()) is not None
            and "<System>" in text_head
        )

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        records: list[Record] = []
        unparsed = 0

        def add(number: int, text: str) -> None:
            nonlocal unparsed
            fields: dict[str, Scalar] = {}
            try:
                fields = event_fields_from_xml(text)
            except InputError:
                unparsed += 1
            channel = fields.get("Channel")
            records.append(
                Record(
                    artifact_id=source.artifact_id,
                    locator=f"line:{number}",
                    source=channel if isinstance(channel, str) and channel else "xml_events",
                    raw=cap_raw(text, limits),
                    fields=fields,
                    timestamp=parse_time(fields.get("TimeCreated")),
                )
            )

        pending: list[str] = []
        pending_size = 0
        start = 0
        for number, line in iter_lines(decode_text(source.data), limits, source):
            rest = line
            while rest:
                if not pending:
                    found = _EVENT_START.search(rest)
                    if found is None:
                        if rest.strip() and not _EVENT_WRAPPER.fullmatch(rest):
                            add(number, rest)
                        break
                    start, rest, pending_size = number, rest[found.start() :], 0
                end = rest.find(_EVENT_END)
                piece = rest if end < 0 else rest[: end + len(_EVENT_END)]
                pending.append(piece)
                pending_size += utf8_size(piece) + 1
                if pending_size > limits.max_line_bytes:
                    raise InputError(
                        f"event starting at line {start} is over the "
                        f"{limits.max_line_bytes:,}-byte limit",
                        source=source.path,
                    )
                if end < 0:
                    break
                add(start, "\n".join(pending))
                pending = []
                rest = rest[end + len(_EVENT_END) :]
        if pending:
            add(start, "\n".join(pending))
        return Loaded(
            format=self.format, records=records, notes=unparsed_note(unparsed, "event XML")
        )


class PlainTextLoader:
    """The last resort: any text that is not binary, one record per non-empty line."""

    format = "text"

    def sniff(self, head: bytes, text_head: str) -> bool:
        return not looks_binary(head)

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        return load_lines(
            source, limits, format_name=self.format, source_name="text", parse=_no_fields
        )


def _no_fields(line: str) -> Parsed:
    return {}, None
