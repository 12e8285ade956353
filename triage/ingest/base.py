"""The loader contract and the text helpers every loader shares."""

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from triage.errors import InputError
from triage.ingest.limits import Limits
from triage.models import Record


@dataclass(frozen=True, kw_only=True)
class ArtifactSource:
    """The bytes of one artifact, already read under the size cap."""

    artifact_id: str
    path: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class Loaded:
    format: str
    records: list[Record]
    records_lost: int = 0
    notes: tuple[str, ...] = field(default=())


class Loader(Protocol):
    """Parses one artifact format. `sniff` looks only at content, never at the file name."""

    format: str

    def sniff(self, head: bytes, text_head: str) -> bool: ...

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded: ...


def decode_text(data: bytes) -> str:
    """Bytes to text: BOM-aware, invalid sequences replaced (U+FFFD), never fatal."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def iter_lines(text: str, limits: Limits, source: ArtifactSource) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for each non-empty line, enforcing line-length and count caps."""
    count = 0
    # Only \n ends a line: str.splitlines() also splits on form feeds, U+2028 and others,
    # and line:N must name the physical line a person sees with `sed -n Np`.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        check_line_size(line, limits, source=source, where=f"line {number}")
        if not line.strip():
            continue
        count += 1
        if count > limits.max_records:
            raise InputError(
                f"more than {limits.max_records:,} records (limit)", source=source.path
            )
        yield number, line


def utf8_size(text: str) -> int:
    """Bytes the text takes as UTF-8 (what Limits.max_line_bytes counts), without copying ASCII."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_line_size(line: str, limits: Limits, *, source: ArtifactSource, where: str) -> None:
    """InputError when the line is over max_line_bytes as UTF-8; encodes only when in doubt."""
    limit = limits.max_line_bytes
    # A character is 1 to 4 bytes: the length alone settles every line but the borderline ones.
    if len(line) * 4 <= limit:
        return
    size = utf8_size(line)
    if size > limit:
        raise InputError(
            f"{where} is {size:,} bytes, over the {limit:,}-byte limit", source=source.path
        )


# Digits enough for any real count, port, pid or serial (2**64 has 20); int() of more is slow,
# and past 4,300 digits Python refuses it with a ValueError.
MAX_INT_DIGITS = 20


def small_int(text: str) -> int | None:
    """ASCII digits as an int; None for anything else: "²" passes str.isdigit() but not int(),
    and a planted 5,000-digit number is text, not a number."""
    if not (0 < len(text) <= MAX_INT_DIGITS and text.isascii() and text.isdigit()):
        return None
    return int(text)


def cap_raw(raw: str, limits: Limits) -> str:
    return raw if len(raw) <= limits.max_raw_chars else raw[: limits.max_raw_chars]


def parse_time(value: object) -> datetime | None:
    """Best-effort timestamp: ISO 8601 strings and epoch seconds/milliseconds, as aware UTC."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or len(value) < 8:
        return None
    text = value.strip().replace(" ", "T", 1) if value[4:5] == "-" else value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python's parser accepts at most 6 fractional digits; Windows writes 7 or 9.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = tail[: len(tail) - len(tail.lstrip("0123456789"))]
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}" if digits else head + zone
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
