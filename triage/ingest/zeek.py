"""Zeek TSV logs (conn, dns, http, files, …): `#fields` header, one connection or event per line."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from triage.ingest.base import ArtifactSource, Loaded, cap_raw, decode_text, iter_lines, parse_time
from triage.ingest.limits import Limits
from triage.ingest.linelogs import sample_lines, unparsed_note
from triage.models import Record, Scalar

_HEX_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
# Zeek types whose values are whole numbers; everything else stays text (addresses, ids, …).
_INT_TYPES = frozenset({"count", "int", "port"})
_HEADER_KEYS = ("#separator", "#fields", "#path", "#types", "#open", "#close")


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
        fields[name] = int(value) if kind in _INT_TYPES and value.isdigit() else value
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
