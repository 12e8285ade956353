"""Compiles a rule condition (pySigma's parsed tree, lowered to plain data by `condition_ir`)
into plain Python predicates over one record.

Strings compare case-insensitively (Sigma's default) unless the rule says `|cased`; regular
expressions keep Sigma's case-sensitive default unless they carry `|i`.
"""

import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sigma.types import SpecialChars

from triage.detect.condition_ir import IR, WILDCARD_MULTI, lower_condition, lower_value
from triage.detect.value_match import UnsupportedRule as UnsupportedRule  # its old home
from triage.detect.value_match import Wildcard, linear_regex
from triage.models import Scalar

KEYWORD_FIELD = "<raw>"


def _text(value: Scalar) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FieldView:
    """One record as Sigma sees it: own fields, logsource aliases, derived fields, raw text."""

    __slots__ = ("_aliases", "_derived", "_fields", "_folded", "raw")

    def __init__(
        self,
        fields: Mapping[str, Scalar],
        *,
        raw: str,
        aliases: Mapping[str, tuple[str, ...]] | None = None,
        derived: Mapping[str, Scalar] | None = None,
    ) -> None:
        self._fields = fields
        self._aliases = aliases or {}
        self._derived = derived or {}
        self._folded: dict[str, str | None] = {}
        self.raw = raw

    def get(self, name: str) -> Scalar:
        value = self._fields.get(name)
        if value is None:
            value = self._derived.get(name)
        if value is None:
            for other in self._aliases.get(name, ()):
                value = self._fields.get(other)
                if value is not None:
                    break
        return value

    def text(self, name: str) -> str | None:
        return self.raw if name == KEYWORD_FIELD else _text(self.get(name))

    def folded(self, name: str) -> str | None:
        """Lower-cased text of a field, computed once per record."""
        if name not in self._folded:
            text = self.text(name)
            self._folded[name] = None if text is None else text.lower()
        return self._folded[name]


Predicate = Callable[[FieldView], bool]
FieldTest = Callable[[FieldView, str], bool]


@dataclass(frozen=True)
class CompiledCondition:
    """A rule condition: the predicate, and its non-negated leaves for explaining a match."""

    predicate: Predicate
    leaves: tuple[tuple[str, FieldTest], ...]

    def matched_fields(self, view: FieldView) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, test in self.leaves:
            if name not in found and test(view, name):
                found[name] = view.text(name) or ""
        return found


_SPECIAL = {WILDCARD_MULTI: SpecialChars.WILDCARD_MULTI, 1: SpecialChars.WILDCARD_SINGLE}


def _string_parts(value: Sequence[object], *, cased: bool) -> list[str | SpecialChars]:
    parts: list[str | SpecialChars] = []
    for part in value:
        if isinstance(part, str):
            parts.append(part if cased else part.lower())
        elif isinstance(part, int) and part in _SPECIAL:
            parts.append(_SPECIAL[part])
        else:
            raise UnsupportedRule("placeholder values (|expand) need a pipeline")
    return parts


def _literal_pattern(parts: Sequence[str | SpecialChars]) -> str | None:
    """A regular expression for the value when it has no inner `*` (so none that repeats)."""
    star = SpecialChars.WILDCARD_MULTI
    body = list(parts)
    head = "" if body and body[0] == star else r"\A"
    tail = "" if body and body[-1] == star else r"\Z"
    while body and body[0] == star:
        body.pop(0)
    while body and body[-1] == star:
        body.pop()
    if star in body:
        return None
    return head + "".join(re.escape(p) if isinstance(p, str) else "." for p in body) + tail


def _alternatives_test(alternatives: Sequence[Sequence[object]], *, cased: bool) -> FieldTest:
    """Many strings for one field: those without an inner `*` share one regular expression
    (a single pass over the text), compiled when first needed (most rules never reach most
    of their leaves); the others are wildcard matches."""
    patterns: list[str] = []
    wildcards: list[Wildcard] = []
    for value in alternatives:
        parts = _string_parts(value, cased=cased)
        pattern = _literal_pattern(parts)
        if pattern is None:
            wildcards.append(Wildcard(parts))
        else:
            patterns.append(pattern)
    source = "|".join(f"(?:{p})" for p in patterns)
    compiled: list[re.Pattern[str]] = []
    lookup: Callable[[FieldView, str], str | None] = FieldView.text if cased else FieldView.folded

    def test(view: FieldView, name: str) -> bool:
        text = lookup(view, name)
        if text is None:
            return False
        if source:
            if not compiled:
                compiled.append(re.compile(source, re.DOTALL))
            if compiled[0].search(text):
                return True
        return any(w.matches(text) for w in wildcards)

    return test


def _string_test(value: Sequence[object], *, cased: bool) -> FieldTest:
    """A test for one Sigma string given as its parts (text, `*` and `?` wildcards)."""
    parts = _string_parts(value, cased=cased)
    lookup: Callable[[FieldView, str], str | None] = FieldView.text if cased else FieldView.folded
    if all(isinstance(p, str) for p in parts):
        literal = "".join(p for p in parts if isinstance(p, str))
        return lambda view, name: lookup(view, name) == literal
    wildcard = Wildcard(parts)
    return lambda view, name: (text := lookup(view, name)) is not None and wildcard.matches(text)


def _as_number(value: Scalar) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(int(value.strip(), 0))
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return None


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def _cidr_test(cidr: str) -> FieldTest:
    network = ipaddress.ip_network(cidr, strict=False)

    def in_network(view: FieldView, name: str) -> bool:
        text = view.text(name)
        if not text:
            return False
        try:
            address = ipaddress.ip_address(text.strip().split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address.version == network.version and address in network

    return in_network


def _regex_test(pattern: str, flags: int) -> FieldTest:
    compiled: list[Any] = []

    def test(view: FieldView, name: str) -> bool:
        text = view.text(name)
        if text is None:
            return False
        if not compiled:
            compiled.append(linear_regex(pattern, flags))
        return bool(compiled[0].search(text))

    return test


def value_test(value: object) -> FieldTest:
    """The test one pySigma value applies to one field of a record."""
    return compile_value(lower_value(value))


def compile_value(value: IR) -> FieldTest:
    """The test one lowered value (see `condition_ir`) applies to one field of a record."""
    kind = value[0]
    if kind == "s":
        return _string_test(value[2], cased=bool(value[1]))
    if kind == "num":
        number = float(value[1])
        return lambda view, name: _as_number(view.get(name)) == number
    if kind == "bool":
        wanted = "true" if value[1] else "false"
        return lambda view, name: view.folded(name) == wanted
    if kind == "null":
        return lambda view, name: view.get(name) in (None, "")
    if kind == "exists":
        exists = bool(value[1])
        return lambda view, name: (view.get(name) not in (None, "")) == exists
    if kind == "re":
        return _regex_test(str(value[1]), int(value[2]))
    if kind == "cidr":
        return _cidr_test(str(value[1]))
    if kind == "cmp":
        compare = _COMPARE[value[1]]
        bound = float(value[2])
        return lambda view, name: (
            (n := _as_number(view.get(name))) is not None and compare(n, bound)
        )
    if kind == "any":
        tests = [compile_value(v) for v in value[1]]
        return lambda view, name: any(t(view, name) for t in tests)
    if kind == "ref":
        other = str(value[1])
        return lambda view, name: (a := view.folded(name)) is not None and a == view.folded(other)
    raise UnsupportedRule(f"value type {kind!r} is not supported")


def _keyword_parts(parts: Sequence[object]) -> list[object]:
    """Keywords search the whole raw record, so a plain keyword matches anywhere in it."""
    found: list[object] = list(parts)
    if not found or found[0] != WILDCARD_MULTI:
        found.insert(0, WILDCARD_MULTI)
    if found[-1] != WILDCARD_MULTI:
        found.append(WILDCARD_MULTI)
    return found


def keyword_test(value: IR) -> FieldTest:
    if value[0] == "s":
        return _string_test(_keyword_parts(value[2]), cased=bool(value[1]))
    return compile_value(value)


def _leaf(name: str, test: FieldTest) -> Predicate:
    return lambda view: test(view, name)


def _string_alternative(node: IR) -> tuple[str, bool, list[object]] | None:
    """(field, cased, parts) when an OR branch is a plain string comparison, else None."""
    if node[0] == "field" and node[2][0] == "s":
        return str(node[1]), bool(node[2][1]), list(node[2][2])
    if node[0] == "keyword" and node[1][0] == "s":
        return KEYWORD_FIELD, bool(node[1][1]), _keyword_parts(node[1][2])
    return None


def _compile_or(node: IR, leaves: list[tuple[str, FieldTest]], *, negated: bool) -> Predicate:
    groups: dict[tuple[str, bool], list[list[object]]] = {}
    children: list[Predicate] = []
    for arg in node[1]:
        alternative = _string_alternative(arg)
        if alternative is None:
            children.append(_compile(arg, leaves, negated=negated))
        else:
            name, cased, parts = alternative
            groups.setdefault((name, cased), []).append(parts)
    for (name, cased), alternatives in groups.items():
        if len(alternatives) == 1:
            test = _string_test(alternatives[0], cased=cased)
        else:
            test = _alternatives_test(alternatives, cased=cased)
        if not negated:
            leaves.append((name, test))
        children.append(_leaf(name, test))
    if len(children) == 1:
        return children[0]
    return lambda view: any(child(view) for child in children)


def compile_condition(node: object) -> CompiledCondition:
    """A pySigma parsed condition compiled to predicates."""
    return compile_ir(lower_condition(node))


def compile_ir(node: IR) -> CompiledCondition:
    """A lowered condition (see `condition_ir`) compiled to predicates."""
    leaves: list[tuple[str, FieldTest]] = []
    predicate = _compile(node, leaves, negated=False)
    return CompiledCondition(predicate, tuple(leaves))


def _compile(node: IR, leaves: list[tuple[str, FieldTest]], *, negated: bool) -> Predicate:
    kind = node[0]
    if kind == "or":
        return _compile_or(node, leaves, negated=negated)
    if kind == "and":
        children = [_compile(arg, leaves, negated=negated) for arg in node[1]]
        return lambda view: all(child(view) for child in children)
    if kind == "not":
        child = _compile(node[1], leaves, negated=not negated)
        return lambda view: not child(view)
    if kind in ("field", "keyword"):
        if kind == "field":
            name, test = str(node[1]), compile_value(node[2])
        else:
            name, test = KEYWORD_FIELD, keyword_test(node[1])
        if not negated:
            leaves.append((name, test))
        return _leaf(name, test)
    raise UnsupportedRule(f"condition element {kind!r} is not supported")
