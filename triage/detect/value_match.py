"""Matching Sigma values in time linear in the field: wildcard strings without regular
expressions, and rule regular expressions through RE2."""

import re
from collections.abc import Sequence
from typing import Protocol, cast

from sigma.types import SpecialChars

_INLINE_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}


class UnsupportedRule(Exception):
    """A rule uses a Sigma feature this evaluator does not implement; the rule is skipped."""


class RegexSearch(Protocol):
    def search(self, text: str) -> object: ...


class Wildcard:
    """A whole-value Sigma wildcard match (`*` any run, `?` one character) without regular
    expressions: each `*`-separated piece is found leftmost after the previous one, so a
    value such as `*a*a*a*` reads a long field a few times instead of polynomially often."""

    __slots__ = ("_anchored_end", "_anchored_start", "_pieces")

    def __init__(self, parts: Sequence[str | SpecialChars]) -> None:
        star = SpecialChars.WILDCARD_MULTI
        pieces: list[list[str | SpecialChars]] = [[]]
        for part in parts:
            if part == star:
                pieces.append([])
            else:
                pieces[-1].append(part)
        self._anchored_start = not parts or parts[0] != star
        self._anchored_end = not parts or parts[-1] != star
        self._pieces = [_piece(p) for p in pieces if p]

    def matches(self, text: str) -> bool:
        pieces = self._pieces
        if not pieces:  # "*" (or "" matching only "")
            return not self._anchored_start or text == ""
        position, first, last = 0, 0, len(pieces)
        if self._anchored_start:
            if not pieces[0].at(text, 0):
                return False
            if len(pieces) == 1 and self._anchored_end:
                return pieces[0].size == len(text)
            position, first = pieces[0].size, 1
        if self._anchored_end and last > first:
            last -= 1
        for piece in pieces[first:last]:
            found = piece.find(text, position)
            if found < 0:
                return False
            position = found + piece.size
        if self._anchored_end and last < len(pieces):
            tail = pieces[-1]
            return len(text) - tail.size >= position and tail.at(text, len(text) - tail.size)
        return True


class _Piece:
    """Literal text and `?` marks between two `*`: a fixed-length piece."""

    __slots__ = ("_literal", "_regex", "size")

    def __init__(self, literal: str | None, regex: re.Pattern[str] | None, size: int) -> None:
        self._literal, self._regex, self.size = literal, regex, size

    def find(self, text: str, start: int) -> int:
        if self._literal is not None:
            return text.find(self._literal, start)
        assert self._regex is not None
        match = self._regex.search(text, start)
        return match.start() if match else -1

    def at(self, text: str, start: int) -> bool:
        if self._literal is not None:
            return text.startswith(self._literal, start)
        assert self._regex is not None
        return start >= 0 and self._regex.match(text, start) is not None


def _piece(parts: Sequence[str | SpecialChars]) -> _Piece:
    size = sum(len(p) if isinstance(p, str) else 1 for p in parts)
    if all(isinstance(p, str) for p in parts):
        return _Piece("".join(p for p in parts if isinstance(p, str)), None, size)
    # Fixed length, no repetition: searching it stays linear in the text.
    body = "".join(re.escape(p) if isinstance(p, str) else "." for p in parts)
    return _Piece(None, re.compile(body, re.DOTALL), size)


def check_regex(pattern: str, flags: int = 0) -> None:
    """Raise UnsupportedRule unless both Python's `re` and RE2 accept the pattern; RE2 is
    asked quietly so that a bad rule never prints RE2's own warnings on stderr."""
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        raise UnsupportedRule(f"regular expression {pattern[:80]!r}: {exc}") from exc
    linear_regex(pattern, flags)


def linear_regex(pattern: str, flags: int = 0) -> RegexSearch:
    """A rule's regular expression compiled by RE2, which matches in linear time, so that a
    custom rule cannot be made to backtrack for minutes over an attacker-written field."""
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False
    inline = "".join(f for flag, f in _INLINE_FLAGS.items() if flags & flag)
    try:
        return cast(
            RegexSearch, re2.compile(f"(?{inline}){pattern}" if inline else pattern, options)
        )
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise UnsupportedRule(f"regular expression {pattern[:80]!r}: {detail}") from exc
