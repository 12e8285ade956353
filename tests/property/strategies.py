"""Hypothesis strategies for artifacts shaped like each format triage reads (and broken in the
ways attackers and bad exporters break them), and the checks every loader must pass."""

import json
import re
from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, decode_text
from triage.ingest.limits import Limits

T = TypeVar("T")

FAST_EXAMPLES = 25
LONG_EXAMPLES = 1_000

# Small caps, so that generated inputs reach them: the loaders must refuse, not exceed.
LIMITS = Limits(max_records=40, max_line_bytes=2048, max_raw_chars=300, max_json_depth=8)

LOCATOR = re.compile(r"line:[1-9]\d*|record:.+|json:(/[^/]*)*|header:.+#[1-9]\d*|part:\d+(\.\d+)*")

# Characters that break parsers and viewers: quotes, separators, escapes, controls, bidi,
# surrogates' neighbours, wide and combining characters.
NASTY_CHARACTERS = (
    "\"'\\\t\r\n\x00\x1b\x07[]{}<>&;:=,|#-%/ "
    "\u202e\u2066\u2028\ufeff\ufffd\u00b2\u0663é漢\U0001f600"
)
nasty_text = st.text(
    alphabet=st.one_of(st.sampled_from(NASTY_CHARACTERS), st.characters(codec="utf-8")),
    max_size=40,
)
word = st.text(alphabet=st.sampled_from("abcdefxyz0123456789._-"), min_size=1, max_size=12)
field_value = st.one_of(word, nasty_text, st.integers().map(str), st.just("9" * 5000))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    nasty_text,
)
json_keys = st.one_of(
    st.sampled_from(
        [
            "alertId",
            "title",
            "severity",
            "evidence",
            "EventID",
            "Channel",
            "Computer",
            "eventSource",
            "eventName",
            "ts",
            "uid",
            "conn_state",
            "Type",
            "SyslogMessage",
            "timestamp",
            "published",
            "protoPayload",
            "requestReceivedTimestamp",
            "Workload",
            "category",
            "operationName",
        ]
    ),
    nasty_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(json_keys, inner, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, shaped: st.SearchStrategy[bytes]) -> bytes:
    """A shaped artifact, then cut, spliced or overwritten at a few places."""
    data = bytearray(draw(shaped))
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["cut", "insert", "replace", "duplicate"]))
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "replace":
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def artifacts(shaped: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Well-shaped, damaged and arbitrary inputs for one format."""
    return st.one_of(shaped, mutated(shaped), st.binary(max_size=200))


def lines_of(
    line: st.SearchStrategy[str], *, header: str = "", max_lines: int = 60
) -> st.SearchStrategy[bytes]:
    """A text file of generated lines (more than LIMITS.max_records at times), with LF or CRLF."""
    return st.tuples(
        st.lists(line, min_size=1, max_size=max_lines), st.sampled_from(["\n", "\r\n"])
    ).map(
        lambda parts: (header + parts[1].join(parts[0]) + parts[1]).encode("utf-8", "surrogatepass")
    )


# --- checks ---------------------------------------------------------------------------------


Load = Callable[[ArtifactSource, Limits], Loaded]


def load_or_refuse(load: Load, data: bytes, limits: Limits = LIMITS) -> Loaded | None:
    """Load with `load` (a loader's, forced as with a named format, or the sniffing registry's);
    None when it refused with an InputError. Any other exception fails the property."""
    source = ArtifactSource(artifact_id="A1", path="generated", data=data)
    try:
        return load(source, limits)
    except InputError as refused:
        assert str(refused).strip(), "an InputError must say why"
        return None


def check_loaded(loaded: Loaded, data: bytes, limits: Limits = LIMITS) -> None:
    """What every loader promises of what it returns."""
    assert len(loaded.records) <= limits.max_records
    assert loaded.records_lost >= 0
    lines = decode_text(data).split("\n")
    for record in loaded.records:
        assert record.artifact_id == "A1"
        assert LOCATOR.fullmatch(record.locator), record.locator
        assert len(record.raw) <= limits.max_raw_chars
        assert record.timestamp is None or record.timestamp.utcoffset() is not None
        if record.locator.startswith("line:"):
            number = int(record.locator.removeprefix("line:"))
            assert number <= len(lines), (record.locator, len(lines))
            line = lines[number - 1].removesuffix("\r")
            first = record.raw.split("\n", 1)[0].removesuffix("\r")
            # The record's text starts on the line it names (an XML event may start mid-line).
            assert first in line, (record.locator, first[:80], line[:80])


def check_json_pointers(loaded: Loaded, document: object) -> None:
    """A json: locator names the value whose compact text is the record's raw text."""
    for record in loaded.records:
        if not record.locator.startswith("json:"):
            continue
        value = document
        pointer = record.locator.removeprefix("json:")
        for part in pointer.split("/")[1:] if pointer else []:
            key = part.replace("~1", "/").replace("~0", "~")
            value = value[int(key)] if isinstance(value, list) else value[key]  # type: ignore[index]
        compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        assert compact.startswith(record.raw), (record.locator, record.raw[:80])


def run_property(strategy: st.SearchStrategy[T], check: Callable[[T], None], examples: int) -> None:
    """Run `check` over `examples` inputs drawn from `strategy` (the fast or the long profile)."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
    @given(strategy)
    def inner(value: T) -> None:
        check(value)

    inner()
