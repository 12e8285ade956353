"""What line-per-record log loaders share: majority sniffing and line-to-record plumbing."""

from collections.abc import Callable
from datetime import datetime

from triage.ingest.base import ArtifactSource, Loaded, cap_raw, decode_text, iter_lines
from triage.ingest.limits import Limits
from triage.models import Record, Scalar

SNIFF_LINES = 20

Parsed = tuple[dict[str, Scalar], datetime | None]
LineParser = Callable[[str], Parsed | None]


def sample_lines(text_head: str, *, count: int = SNIFF_LINES) -> list[str]:
    """The first non-empty lines of the sniffing block; a last line cut by the block is left out."""
    lines = text_head.splitlines()
    if len(lines) > 1 and not text_head.endswith(("\n", "\r")):
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:count]


def mostly(lines: list[str], test: Callable[[str], bool]) -> bool:
    """More than half of the lines pass: one odd line neither makes nor breaks a format."""
    return bool(lines) and sum(1 for line in lines if test(line)) * 2 > len(lines)


def load_lines(
    source: ArtifactSource,
    limits: Limits,
    *,
    format_name: str,
    source_name: str,
    parse: LineParser,
) -> Loaded:
    """One record per non-empty line; a line `parse` rejects is kept with empty fields."""
    records: list[Record] = []
    unparsed = 0
    for number, line in iter_lines(decode_text(source.data), limits, source):
        parsed = parse(line)
        if parsed is None:
            unparsed += 1
            fields: dict[str, Scalar] = {}
            timestamp = None
        else:
            fields, timestamp = parsed
        records.append(
            Record(
                artifact_id=source.artifact_id,
                locator=f"line:{number}",
                source=source_name,
                raw=cap_raw(line, limits),
                fields=fields,
                timestamp=timestamp,
            )
        )
    return Loaded(format=format_name, records=records, notes=unparsed_note(unparsed, format_name))


def unparsed_note(unparsed: int, format_name: str) -> tuple[str, ...]:
    if not unparsed:
        return ()
    return (f"{unparsed:,} line(s) did not parse as {format_name}; kept without fields",)


def dash_to_none(value: str | None) -> str | None:
    """Web and Zeek logs write "-" for an absent value."""
    return None if value in (None, "-") else value
