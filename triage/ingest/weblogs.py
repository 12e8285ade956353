"""Web server logs: Apache/Nginx/Tomcat access logs and IIS/W3C extended logs."""

import re
from datetime import UTC, datetime

from triage.ingest.base import (
    ArtifactSource,
    Loaded,
    cap_raw,
    decode_text,
    iter_lines,
    parse_time,
    small_int,
)
from triage.ingest.limits import Limits
from triage.ingest.linelogs import (
    Parsed,
    dash_to_none,
    load_lines,
    mostly,
    sample_lines,
    unparsed_note,
)
from triage.models import Record, Scalar

# Common log format, optionally followed by the combined format's referrer and user agent.
# Tomcat writes quotes inside the request unescaped, so the request runs to the first quote
# followed by a status and a size; Apache escapes them as \" in the referrer and user agent.
_ACCESS = re.compile(
    r"(?P<client_ip>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    r'"(?P<request>.*?)" (?P<status>\d{3}|-) (?P<bytes>\d+|-)'
    r'(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?'
)
_METHOD = re.compile(r"[A-Z][A-Z_-]{0,31}")
_W3C_DIRECTIVES = ("#Software:", "#Version:", "#Date:", "#Fields:", "#Remark:", "#Start-Date:")
_W3C_INT_FIELDS = frozenset(
    {"sc-status", "sc-substatus", "sc-win32-status", "s-port", "time-taken", "sc-bytes", "cs-bytes"}
)


class AccessLogLoader:
    format = "access_log"

    def sniff(self, head: bytes, text_head: str) -> bool:
        return mostly(sample_lines(text_head), lambda line: _ACCESS.match(line) is not None)

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        return load_lines(
            source, limits, format_name=self.format, source_name="web.access", parse=_access_line
        )


def _access_line(line: str) -> Parsed | None:
    match = _ACCESS.match(line)
    if match is None:
        return None
    request = match["request"]
    parts = request.split(" ")
    method: str | None = None
    uri: str | None = None
    protocol: str | None = None
    # Scanners send TLS handshakes and junk where a request line belongs: keep it as `request`.
    if 2 <= len(parts) <= 3 and _METHOD.fullmatch(parts[0]):
        method, uri = parts[0], parts[1]
        protocol = parts[2] if len(parts) == 3 else None  # HTTP/0.9 names no protocol
    size = match["bytes"]
    fields: dict[str, Scalar] = {
        "client_ip": match["client_ip"],
        "user": dash_to_none(match["user"]),
        "method": method,
        "uri": uri,
        "protocol": protocol,
        "request": request,
        "status": small_int(match["status"]),
        "bytes": small_int(size),
        "referrer": dash_to_none(match["referrer"]),
        "user_agent": dash_to_none(match["agent"]),
    }
    return fields, _access_time(match["time"])


def _access_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


class W3cLoader:
    """IIS and other W3C extended logs: space-separated values named by the `#Fields:` line."""

    format = "w3c"

    def sniff(self, head: bytes, text_head: str) -> bool:
        lines = sample_lines(text_head)
        if not lines or not lines[0].startswith("#"):
            return False
        header = [line for line in lines if line.startswith("#")]
        has_fields = any(line.startswith("#Fields:") for line in header)
        return has_fields and mostly(header, lambda line: line.startswith(_W3C_DIRECTIVES))

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        names: list[str] = []
        records: list[Record] = []
        unparsed = 0
        for number, line in iter_lines(decode_text(source.data), limits, source):
            if line.startswith("#"):
                if line.startswith("#Fields:"):
                    names = line[len("#Fields:") :].split()
                continue
            values = line.split()
            fields: dict[str, Scalar] = {}
            if names and len(values) == len(names):
                fields = {
                    name: _w3c_value(name, value) for name, value in zip(names, values, strict=True)
                }
            else:
                unparsed += 1
            records.append(
                Record(
                    artifact_id=source.artifact_id,
                    locator=f"line:{number}",
                    source="web.w3c",
                    raw=cap_raw(line, limits),
                    fields=fields,
                    timestamp=_w3c_time(fields),
                )
            )
        return Loaded(format=self.format, records=records, notes=unparsed_note(unparsed, "w3c"))


def _w3c_value(name: str, value: str) -> Scalar:
    if value == "-":
        return None
    number = small_int(value) if name in _W3C_INT_FIELDS else None
    return value if number is None else number


def _w3c_time(fields: dict[str, Scalar]) -> datetime | None:
    # W3C extended logs are written in UTC by definition.
    date, time = fields.get("date"), fields.get("time")
    if isinstance(date, str) and isinstance(time, str):
        return parse_time(f"{date}T{time}")
    return None
