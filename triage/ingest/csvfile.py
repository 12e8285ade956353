"""CSV and other delimiter-separated exports with a header row: one record per data row."""

import csv
from collections.abc import Iterator

from triage.errors import InputError
from triage.ingest.base import (
    ArtifactSource,
    Loaded,
    cap_raw,
    check_line_size,
    decode_text,
    parse_time,
)
from triage.ingest.limits import Limits
from triage.models import Record, Scalar

DELIMITERS = (",", "\t", ";", "|")
SNIFF_LINES = 20
MAX_HEADER_NAME = 64
TIME_COLUMNS = (
    "timestamp",
    "@timestamp",
    "_time",
    "time",
    "timegenerated",
    "eventtime",
    "datetime",
    "date",
    "utctime",
    "created",
)


class CsvLoader:
    format = "csv"

    def sniff(self, head: bytes, text_head: str) -> bool:
        return delimiter_of(text_head) is not None

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        text = decode_text(source.data)
        # Loaded on purpose (a forced format), ragged rows are kept rather than refused.
        delimiter = delimiter_of(text[: 64 * 1024]) or delimiter_of(
            text[: 64 * 1024], consistent_rows=False
        )
        if delimiter is None:
            raise InputError("no CSV header row found", source=source.path)
        records = list(csv_records(text, delimiter=delimiter, source=source, limits=limits))
        return Loaded(format=self.format, records=records)


def delimiter_of(text: str, *, consistent_rows: bool = True) -> str | None:
    """The delimiter when the first lines are a header of ≥2 names and rows of the same width."""
    lines = [line for line in text.split("\n")[: SNIFF_LINES + 1] if line.strip()]
    # The last line of a sniffed block may be cut short.
    sample = lines[:SNIFF_LINES] if len(lines) <= SNIFF_LINES else lines[:-1]
    if len(sample) < 2 or sample[0].lstrip()[:1] in {"{", "[", "<", "#"}:
        return None
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            continue
        header = rows[0]
        named = len(header) >= 2 and all(_is_name(name) for name in header)
        if named and (not consistent_rows or all(len(row) == len(header) for row in rows[1:])):
            return delimiter
    return None


def _is_name(cell: str) -> bool:
    name = cell.strip()
    return 0 < len(name) <= MAX_HEADER_NAME and not name.replace(".", "").isdigit()


def csv_records(
    text: str,
    *,
    delimiter: str,
    source: ArtifactSource,
    limits: Limits,
    source_name: str = "csv",
) -> Iterator[Record]:
    """One record per data row after the header row, named `source_name`."""
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        check_line_size(line, limits, source=source, where=f"line {number}")
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter)
    header: list[str] | None = None
    count = 0
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                f"malformed CSV at line {first_line}: {exc}", source=source.path
            ) from None
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _unique([cell.strip() for cell in row])
            continue
        count += 1
        if count > limits.max_records:
            raise InputError(
                f"more than {limits.max_records:,} records (limit)", source=source.path
            )
        fields = _row_fields(header, row)
        raw = "\n".join(lines[first_line - 1 : reader.line_num]).rstrip("\r")
        yield Record(
            artifact_id=source.artifact_id,
            locator=f"line:{first_line}",
            source=source_name,
            raw=cap_raw(raw, limits),
            fields=fields,
            timestamp=parse_time(_time_value(fields)),
        )


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return unique


def _row_fields(header: list[str], row: list[str]) -> dict[str, Scalar]:
    fields: dict[str, Scalar] = {name: None for name in header}
    for index, value in enumerate(row):
        name = header[index] if index < len(header) else f"extra.{index - len(header) + 1}"
        fields[name] = value if value != "" else None
    return fields


def _time_value(fields: dict[str, Scalar]) -> Scalar:
    by_name = {name.lower(): value for name, value in fields.items()}
    return next((by_name[name] for name in TIME_COLUMNS if by_name.get(name)), None)
