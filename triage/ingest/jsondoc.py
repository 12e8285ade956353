"""JSON documents (alerts, incidents, CloudTrail, Graph) and JSON Lines (event and table rows)."""

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping

from triage.errors import InputError
from triage.ingest.auditd_pairs import audit_pairs
from triage.ingest.base import (
    ArtifactSource,
    Loaded,
    cap_raw,
    check_line_size,
    decode_text,
    parse_time,
)
from triage.ingest.cloudlogs import cloud_log_source
from triage.ingest.limits import Limits
from triage.ingest.winevent import event_fields_from_xml, is_windows_event, windows_event_fields
from triage.ingest.zeek import zeek_json_fields, zeek_json_path
from triage.models import Record, Scalar

JsonValue = object

# The only characters that change nesting depth or whether a bracket is inside a string.
_DEPTH_SIGNIFICANT = re.compile(r'[\[\]{}"\\\n]')
_EVIDENCE_KEYS = ("evidence", "entities", "Entities")
_ALERT_KEYS = frozenset(
    {"alertid", "alertname", "alertdisplayname", "alerttype", "detectionsource", "detectorid"}
)
_ALERT_TITLE_KEYS = frozenset({"title", "name", "displayname", "description", "rulename"})
_TIME_KEYS = (
    "eventTime",
    "TimeCreated",
    "TimeGenerated",
    "createdDateTime",
    "createdTime",
    "firstActivityDateTime",
    "alertCreationTime",
    "creationTime",
    "StartTime",
    "timestamp",
    "@timestamp",
    "time",
    "ts",  # Zeek
    "published",  # Okta
    "requestReceivedTimestamp",  # Kubernetes audit
    "activityDateTime",  # Graph directoryAudit
    "CreationTime",  # Microsoft 365 unified audit log
    "eventTimestamp",  # Azure Activity log (REST)
)
_AUDIT_HEADER = re.compile(r"^type=(?P<type>\S+) audit\((?P<time>[\d.]+):(?P<serial>\d+)\):\s*")
_MAX_NOTED_BAD_LINES = 5


class JsonLoader:
    format = "json"
    formats = ("json", "jsonl")

    def sniff(self, head: bytes, text_head: str) -> bool:
        return text_head.lstrip()[:1] in {"{", "["}

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        text = decode_text(source.data)
        if _opens_with_a_whole_line(text, limits):
            # JSON Lines: skip the whole-document attempt (and its depth scan) that must fail.
            return _load_json_lines(text.split("\n"), source=source, limits=limits)
        try:
            document = parse_json(text, limits)
        except MalformedJson as problem:
            lines = text.split("\n")
            if problem.extra_data or _looks_like_json_lines(lines, limits):
                return _load_json_lines(lines, source=source, limits=limits)
            raise InputError(str(problem), source=source.path) from None
        records = list(_document_records(document, source=source, limits=limits))
        if len(records) > limits.max_records:
            raise InputError(
                f"more than {limits.max_records:,} records (limit)", source=source.path
            )
        return Loaded(format="json", records=records)


def _opens_with_a_whole_line(text: str, limits: Limits) -> bool:
    """Whether the first non-empty line is a complete JSON value and more lines follow."""
    stripped = text.lstrip()
    end = stripped.find("\n")
    if end < 0 or not stripped[end:].strip():
        return False
    try:
        parse_json(stripped[:end], limits)
    except MalformedJson:
        return False
    return True


class MalformedJson(Exception):
    """Not one JSON value: why, and where (1-based line and column)."""

    def __init__(self, reason: str, *, line: int, column: int, extra_data: bool = False) -> None:
        super().__init__(f"malformed JSON at line {line} column {column}: {reason}")
        self.extra_data = extra_data


def parse_json(text: str, limits: Limits) -> JsonValue:
    """json.loads, after a depth scan so hostile nesting never reaches the recursive parser."""
    too_deep_at = find_too_deep(text, limits.max_json_depth)
    if too_deep_at is not None:
        line = text.count("\n", 0, too_deep_at) + 1
        column = too_deep_at - text.rfind("\n", 0, too_deep_at)
        raise MalformedJson(
            f"nested deeper than {limits.max_json_depth} levels (limit)", line=line, column=column
        )
    try:
        return json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            exc.msg, line=exc.lineno, column=exc.colno, extra_data=exc.msg == "Extra data"
        ) from None
    except RecursionError:
        raise MalformedJson("nested too deeply to parse", line=1, column=1) from None
    except ValueError as exc:  # anything else json.loads refuses is malformed input, not a bug
        raise MalformedJson(str(exc), line=1, column=1) from None


def _integer(digits: str) -> int | str:
    """An integer, or its digits as text when Python's int() would refuse them as too long.

    A planted 5,000-digit number is evidence to show, not a reason to refuse the whole file;
    no real identifier, count or epoch is that long, so nothing numeric is lost."""
    limit = sys.get_int_max_str_digits()
    if limit and len(digits.lstrip("-")) > limit:
        return digits
    return int(digits)


def find_too_deep(text: str, max_depth: int) -> int | None:
    """Offset of the first bracket that opens level max_depth + 1, ignoring brackets in strings.

    One pass: the regex only skips characters that cannot matter, so hostile text (unclosed
    strings, runs of escaped quotes) costs time in proportion to its length."""
    if text.count("[") + text.count("{") <= max_depth:
        return None
    depth = 0
    in_string = False
    escaped_until = -1  # the character after a backslash in a string is taken as written
    for found in _DEPTH_SIGNIFICANT.finditer(text):
        position = found.start()
        char = found.group()
        if position < escaped_until and char != "\n":
            continue
        if char == "\n":
            in_string = False  # a JSON string never spans a line break
        elif in_string:
            if char == '"':
                in_string = False
            elif char == "\\":
                escaped_until = position + 2
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return position
        elif char in "]}":
            depth = max(depth - 1, 0)
    return None


def flatten(value: JsonValue, prefix: str = "") -> dict[str, Scalar]:
    """Nested JSON as dotted names: {"a": {"b": [1]}} → {"a.b.0": 1}."""
    fields: dict[str, Scalar] = {}
    _flatten_into(fields, value, prefix)
    return fields


def _flatten_into(fields: dict[str, Scalar], value: JsonValue, prefix: str) -> None:
    items: Iterable[tuple[object, JsonValue]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        fields[prefix] = value if isinstance(value, str | int | float | bool) else None
        return
    # Leaves are set here rather than by a call each: most rows are flat.
    for key, item in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict | list):
            _flatten_into(fields, item, name)
        else:
            fields[name] = item if isinstance(item, str | int | float | bool) else None


def _compact(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _timestamp(row: Mapping[str, object]) -> object:
    return next((row[key] for key in _TIME_KEYS if row.get(key) not in (None, "")), None)


def _pointer(*parts: str | int) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "json:" + "".join("/" + part for part in escaped)


# --- JSON documents ---------------------------------------------------------------------


def _document_records(
    document: JsonValue, *, source: ArtifactSource, limits: Limits
) -> Iterator[Record]:
    def record(value: JsonValue, pointer: str, kind: str, fields: dict[str, Scalar]) -> Record:
        time = _timestamp(value) if isinstance(value, dict) else None
        return Record(
            artifact_id=source.artifact_id,
            locator=pointer,
            source=kind,
            raw=cap_raw(_compact(value), limits),
            fields=fields,
            timestamp=parse_time(time),
        )

    def alert_records(alert: dict[str, JsonValue], *parts: str | int) -> Iterator[Record]:
        evidence_key = next((k for k in _EVIDENCE_KEYS if isinstance(alert.get(k), list)), None)
        fields = flatten({k: v for k, v in alert.items() if k != evidence_key})
        yield record(alert, _pointer(*parts), "alert", fields)
        evidence = alert.get(evidence_key) if evidence_key else None
        for index, item in enumerate(evidence if isinstance(evidence, list) else []):
            pointer = _pointer(*parts, str(evidence_key), index)
            yield record(item, pointer, "alert.evidence", flatten(item))

    def item_records(item: JsonValue, *parts: str | int) -> Iterator[Record]:
        if isinstance(item, dict) and _is_alert(item):
            yield from alert_records(item, *parts)
        else:
            yield record(item, _pointer(*parts), *_row_source_and_fields(item))

    if isinstance(document, dict):
        # records: Azure Monitor; results: Splunk's search REST API (output_mode=json)
        for key in ("alerts", "value", "Records", "records", "results"):
            items = document.get(key)
            if isinstance(items, list):
                if key == "alerts":
                    # The incident around the alerts carries its own title, severity and status.
                    rest = {k: v for k, v in document.items() if k != key}
                    yield record(document, _pointer(), "incident", flatten(rest))
                for index, item in enumerate(items):
                    if key == "alerts" and isinstance(item, dict):
                        yield from alert_records(item, key, index)
                    else:
                        yield from item_records(item, key, index)
                return
        yield from item_records(document)
    elif isinstance(document, list):
        for index, item in enumerate(document):
            yield from item_records(item, index)
    else:
        yield record(document, _pointer(), "json", flatten(document, "value"))


def _is_alert(value: Mapping[str, object]) -> bool:
    keys = {str(key).lower() for key in value}
    return bool(keys & _ALERT_KEYS) or ("severity" in keys and bool(keys & _ALERT_TITLE_KEYS))


def _is_vendor_alert_row(row: Mapping[str, object]) -> bool:
    """An alert row in a product's documented export shape: a Falcon streaming
    DetectionSummaryEvent, an Elastic Security alert document (`kibana.alert.*`), a Wazuh
    alerts.json line, or a Splunk ES notable event."""
    metadata = row.get("metadata")
    if isinstance(metadata, dict) and isinstance(row.get("event"), dict):
        kind = metadata.get("eventType")
        if isinstance(kind, str) and kind.endswith("DetectionSummaryEvent"):
            return True
    kibana = row.get("kibana")
    if "kibana.alert.rule.name" in row or (isinstance(kibana, dict) and "alert" in kibana):
        return True
    rule = row.get("rule")
    if isinstance(rule, dict) and "level" in rule and isinstance(row.get("agent"), dict):
        return "description" in rule or "id" in rule
    return "search_name" in row and bool({"security_domain", "urgency", "rule_name"} & set(row))


# --- JSON Lines -------------------------------------------------------------------------


def _looks_like_json_lines(lines: list[str], limits: Limits) -> bool:
    """A broken first line should not hide a JSON Lines file: most lines parse on their own."""
    candidates = [line for line in lines if line.strip()][:20]
    if len(candidates) < 2:
        return False
    parsed = sum(1 for line in candidates if isinstance(_parse_line(line, limits), dict | list))
    return parsed * 2 > len(candidates)


def _parse_line(line: str, limits: Limits) -> JsonValue | MalformedJson:
    try:
        return parse_json(line, limits)
    except MalformedJson as problem:
        return problem


def _load_json_lines(lines: list[str], *, source: ArtifactSource, limits: Limits) -> Loaded:
    records: list[Record] = []
    bad: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        check_line_size(line, limits, source=source, where=f"line {number}")
        value = _parse_line(line.rstrip("\r"), limits)
        if isinstance(value, MalformedJson):
            bad.append(f"line {number}: {str(value).removeprefix('malformed JSON at line 1 ')}")
            continue
        kind, fields = _row_source_and_fields(value)
        records.append(
            Record(
                artifact_id=source.artifact_id,
                locator=f"line:{number}",
                source="jsonl" if kind == "json" else kind,
                raw=cap_raw(line.rstrip("\r"), limits),
                fields=fields,
                timestamp=parse_time(_timestamp(value) if isinstance(value, dict) else None),
            )
        )
        if len(records) > limits.max_records:
            raise InputError(
                f"more than {limits.max_records:,} records (limit)", source=source.path
            )
    if not records:
        first = bad[0] if bad else "no JSON values"
        raise InputError(f"malformed JSON Lines: no line parses ({first})", source=source.path)
    notes: tuple[str, ...] = ()
    if bad:
        shown = "; ".join(bad[:_MAX_NOTED_BAD_LINES])
        more = (
            f" (+{len(bad) - _MAX_NOTED_BAD_LINES} more)" if len(bad) > _MAX_NOTED_BAD_LINES else ""
        )
        notes = (f"{len(bad):,} malformed JSON line(s) skipped: {shown}{more}",)
    return Loaded(format="jsonl", records=records, records_lost=len(bad), notes=notes)


def _row_source_and_fields(row: JsonValue) -> tuple[str, dict[str, Scalar]]:
    """What one event or table row is (its source) and its fields, per fields.md."""
    if not isinstance(row, dict):
        return "json", flatten(row, "value")
    fields = flatten(row)
    table = row.get("Type", row.get("$table"))
    table = _table_source(table) if isinstance(table, str) and table else None
    if is_windows_event(row):
        fields = windows_event_fields(fields)
        channel = fields.get("Channel")
        return table or (channel if isinstance(channel, str) and channel else "windows"), fields
    if "eventSource" in row and "eventName" in row:
        return "aws.cloudtrail", fields
    if _is_vendor_alert_row(row):
        return "alert", fields
    zeek_path = None if table else zeek_json_path(row)
    if zeek_path:
        return f"zeek.{zeek_path}", zeek_json_fields(row)
    if table:
        message = row.get("SyslogMessage")
        if isinstance(message, str):
            for name, value in _syslog_message_fields(message).items():
                fields.setdefault(name, value)
        return table, fields
    return cloud_log_source(row) or "json", fields


# Sources the ingest itself gives to vendor alerts and e-mail parts: a table name taken from a
# row's own `Type` column must not pass for one of them (a log row cannot make itself an alert).
RESERVED_SOURCES = ("incident", "alert", "email", "json")


def _table_source(table: str) -> str:
    head = table.split(".", 1)[0].lower()
    return f"table.{table}" if head in RESERVED_SOURCES else table


def _syslog_message_fields(message: str) -> dict[str, Scalar]:
    """Sysmon for Linux `<Event>` XML, or auditd/auoms key=value text, carried in a Syslog row."""
    text = message.strip()
    if text.startswith("<Event"):
        try:
            return event_fields_from_xml(text)
        except InputError:
            return {}
    header = _AUDIT_HEADER.match(text)
    if not header:
        return {}
    fields: dict[str, Scalar] = {
        "type": header["type"],
        "audit_time": header["time"],
        "audit_serial": header["serial"],
    }
    for pair in audit_pairs(text, start=header.end()):
        fields.setdefault(pair.key, pair.value)
    return fields
