"""Zeek logs (conn, dns, http, files, …): TSV with a `#fields` header, one connection or event
per line; and Zeek's JSON rows (read by the JSON loader), named and shaped like the TSV ones."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

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
from triage.ingest.linelogs import sample_lines, unparsed_note
from triage.models import Record, Scalar

_HEX_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
# The ASCII writer doubles backslashes and writes separators and non-printable bytes as \xNN.
_VALUE_ESCAPE = re.compile(r"\\(\\|x[0-9a-fA-F]{2})")
# Zeek types whose values are whole numbers; everything else stays text (addresses, ids, …).
_INT_TYPES = frozenset({"count", "int", "port"})
_HEADER_KEYS = ("#separator", "#fields", "#path", "#types", "#open", "#close")
# Zeek's JSON writer names no log: each log is told apart by fields only it writes, in order.
_JSON_PATHS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (path, frozenset(keys.split()))
    for path, keys in (
        ("conn", "conn_state"),
        ("dns", "trans_id"),
        ("smtp", "helo"),
        ("smtp", "mailfrom"),
        ("http", "trans_depth"),
        ("ssl", "resumed"),
        ("ssl", "server_name"),
        ("x509", "certificate.subject"),
        ("files", "seen_bytes"),
        ("dce_rpc", "endpoint operation"),
        ("smb_mapping", "share_type"),
        ("smb_files", "action name"),
        ("kerberos", "request_type"),
        ("ntlm", "domainname"),
        ("rdp", "security_protocol"),
        ("rdp", "cookie"),
        ("ssh", "auth_attempts"),
        ("notice", "note"),
        ("weird", "name peer"),
        ("software", "software_type"),
        ("dhcp", "assigned_addr"),
        ("ftp", "reply_code"),
        ("tunnel", "tunnel_type"),
        ("snmp", "community"),
        ("pe", "is_exe"),
    )
)


@dataclass(kw_only=True)
class _Header:
    """The directives in force; a file may hold several logs, each with its own header."""

    separator: str = "\t"
    unset: str = "-"
    empty: str = "(empty)"
    path: str = "unknown"
    names: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def directive(self, line: str) -> None:
        if line.startswith("#separator"):
            self.separator = _unescape(line[len("#separator") :].strip()) or "\t"
            return
        key, _, value = line.partition(self.separator)
        if key == "#fields":
            self.names = value.split(self.separator)
        elif key == "#types":
            self.types = value.split(self.separator)
        elif key == "#path":
            self.path = value.strip() or "unknown"
        elif key == "#unset_field":
            self.unset = value
        elif key == "#empty_field":
            self.empty = value


class ZeekLoader:
    format = "zeek"

    def sniff(self, head: bytes, text_head: str) -> bool:
        lines = sample_lines(text_head)
        if not lines or not lines[0].startswith("#"):
            return False
        header = [line for line in lines if line.startswith("#")]
        has_fields = any(line.startswith("#fields") for line in header)
        known = sum(1 for line in header if line.startswith(_HEADER_KEYS))
        return has_fields and known * 2 > len(header)

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        header = _Header()
        records: list[Record] = []
        unparsed = 0
        for number, line in iter_lines(decode_text(source.data), limits, source):
            if line.startswith("#"):
                header.directive(line)
                continue
            values = line.split(header.separator)
            fields: dict[str, Scalar] = {}
            if header.names and len(values) == len(header.names):
                fields = _fields(header, values)
            else:
                unparsed += 1
            records.append(
                Record(
                    artifact_id=source.artifact_id,
                    locator=f"line:{number}",
                    source=f"zeek.{header.path}",
                    raw=cap_raw(line, limits),
                    fields=fields,
                    timestamp=_timestamp(fields.get("ts")),
                )
            )
        return Loaded(format=self.format, records=records, notes=unparsed_note(unparsed, "zeek"))


def _fields(header: _Header, values: list[str]) -> dict[str, Scalar]:
    fields: dict[str, Scalar] = {}
    for index, (name, value) in enumerate(zip(header.names, values, strict=True)):
        if value in (header.unset, header.empty):
            fields[name] = None
            continue
        kind = header.types[index] if index < len(header.types) else ""
        number = small_int(value) if kind in _INT_TYPES else None
        if number is not None:
            fields[name] = number
        else:
            fields[name] = _unescape_value(value) if "\\" in value else value
    return fields


def _timestamp(value: Scalar) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_time(float(value))
    except ValueError:
        return parse_time(value)


def _unescape(text: str) -> str:
    return _HEX_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def _unescape_value(text: str) -> str:
    """A value as Zeek saw it: `\\\\` is one backslash, `\\xNN` one byte (as a character)."""
    return _VALUE_ESCAPE.sub(
        lambda match: "\\" if match.group(1) == "\\" else chr(int(match.group(1)[1:], 16)), text
    )


def zeek_json_path(row: Mapping[str, object]) -> str | None:
    """The log a Zeek JSON row belongs to (`_path` when the writer kept it), or None when the row
    is not Zeek's: Zeek rows carry `ts` and a connection or file id."""
    keys = set(row)
    nested_id = isinstance(row.get("id"), dict)
    if "ts" not in keys or not ({"uid", "fuid", "id.orig_h"} & keys or nested_id):
        return None
    path = row.get("_path")
    if isinstance(path, str) and path:
        return path
    flat = keys | {f"certificate.{k}" for k in _mapping(row.get("certificate"))}
    return next((name for name, needed in _JSON_PATHS if needed <= flat), "unknown")


def zeek_json_fields(row: Mapping[str, object]) -> dict[str, Scalar]:
    """A Zeek JSON row in the TSV loader's shape: dotted names, sets and vectors joined with
    commas, booleans as Zeek's T/F."""
    fields: dict[str, Scalar] = {}
    for name, value in row.items():
        if isinstance(value, dict):
            nested = zeek_json_fields(value)
            fields.update({f"{name}.{key}": item for key, item in nested.items()})
        else:
            fields[str(name)] = _zeek_scalar(value)
    return fields


def _zeek_scalar(value: object) -> Scalar:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, list):
        parts = [_zeek_scalar(item) for item in value]
        return ",".join("" if part is None else str(part) for part in parts) or None
    if isinstance(value, str | int | float):
        return value
    return None if value is None else json.dumps(value)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}
