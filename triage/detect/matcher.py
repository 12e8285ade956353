"""Compiles pySigma's parsed condition tree into plain Python predicates over one record.

Strings compare case-insensitively (Sigma's default) unless the rule says `|cased`; regular
expressions keep Sigma's case-sensitive default unless they carry `|i`.
"""

import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    CompareOperators,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

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


def _string_parts(value: Sequence[object], *, cased: bool) -> list[str | SpecialChars]:
    parts: list[str | SpecialChars] = []
    for part in value:
        if isinstance(part, str):
            parts.append(part if cased else part.lower())
        elif isinstance(part, SpecialChars):
            parts.append(part)
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
    (a single pass over the text); the others are wildcard matches."""
    patterns: list[str] = []
    wildcards: list[Wildcard] = []
    for value in alternatives:
        parts = _string_parts(value, cased=cased)
        pattern = _literal_pattern(parts)
        if pattern is None:
            wildcards.append(Wildcard(parts))
        else:
            patterns.append(pattern)
    regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.DOTALL) if patterns else None
    lookup: Callable[[FieldView, str], str | None] = FieldView.text if cased else FieldView.folded

    def test(view: FieldView, name: str) -> bool:
        text = lookup(view, name)
        if text is None:
            return False
        if regex is not None and regex.search(text):
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


_COMPARE = {
    CompareOperators.LT: operator.lt,
    CompareOperators.LTE: operator.le,
    CompareOperators.GT: operator.gt,
    CompareOperators.GTE: operator.ge,
}


def _cidr_test(value: SigmaCIDRExpression) -> FieldTest:
    network = value.network

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


def value_test(value: object) -> FieldTest:
    """The test one Sigma value applies to one field of a record."""
    if isinstance(value, SigmaCasedString):
        return _string_test(value.s, cased=True)
    if isinstance(value, SigmaString):
        return _string_test(value.s, cased=False)
    if isinstance(value, SigmaNumber):
        number = float(value.number)
        return lambda view, name: _as_number(view.get(name)) == number
    if isinstance(value, SigmaBool):
        wanted = "true" if value.boolean else "false"
        return lambda view, name: view.folded(name) == wanted
    if isinstance(value, SigmaNull):
        return lambda view, name: view.get(name) in (None, "")
    if isinstance(value, SigmaExists):
        exists = value.exists
        return lambda view, name: (view.get(name) not in (None, "")) == exists
    if isinstance(value, SigmaRegularExpression):
        flags = 0
        for flag in value.flags:
            flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
        regex = linear_regex(str(value.regexp), flags)
        return lambda view, name: (text := view.text(name)) is not None and bool(regex.search(text))
    if isinstance(value, SigmaCIDRExpression):
        return _cidr_test(value)
    if isinstance(value, SigmaCompareExpression):
        compare = _COMPARE[value.op]
        bound = float(value.number.number)
        return lambda view, name: (
            (n := _as_number(view.get(name))) is not None and compare(n, bound)
        )
    if isinstance(value, SigmaExpansion):
        tests = [value_test(v) for v in value.values]
        return lambda view, name: any(t(view, name) for t in tests)
    if isinstance(value, SigmaFieldReference):
        other = value.field
        return lambda view, name: (a := view.folded(name)) is not None and a == view.folded(other)
    raise UnsupportedRule(f"value type {type(value).__name__} is not supported")


def _keyword_parts(value: SigmaString) -> list[object]:
    """Keywords search the whole raw record, so a plain keyword matches anywhere in it."""
    star = SpecialChars.WILDCARD_MULTI
    parts: list[object] = list(value.s)
    if not parts or parts[0] != star:
        parts.insert(0, star)
    if parts[-1] != star:
        parts.append(star)
    return parts


def keyword_test(value: object) -> FieldTest:
    if isinstance(value, SigmaString):
        return _string_test(_keyword_parts(value), cased=isinstance(value, SigmaCasedString))
    return value_test(value)


def _leaf(name: str, test: FieldTest) -> Predicate:
    return lambda view: test(view, name)


def _string_alternative(node: object) -> tuple[str, bool, list[object]] | None:
    """(field, cased, parts) when an OR branch is a plain string comparison, else None."""
    if isinstance(node, ConditionFieldEqualsValueExpression):
        if isinstance(node.value, SigmaString):
            return node.field, isinstance(node.value, SigmaCasedString), list(node.value.s)
    elif isinstance(node, ConditionValueExpression) and isinstance(node.value, SigmaString):
        parts = _keyword_parts(node.value)
        return KEYWORD_FIELD, isinstance(node.value, SigmaCasedString), parts
    return None


def _compile_or(
    node: ConditionOR, leaves: list[tuple[str, FieldTest]], *, negated: bool
) -> Predicate:
    groups: dict[tuple[str, bool], list[list[object]]] = {}
    children: list[Predicate] = []
    for arg in node.args:
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
    leaves: list[tuple[str, FieldTest]] = []
    predicate = _compile(node, leaves, negated=False)
    return CompiledCondition(predicate, tuple(leaves))


def _compile(node: object, leaves: list[tuple[str, FieldTest]], *, negated: bool) -> Predicate:
    if isinstance(node, ConditionOR):
        return _compile_or(node, leaves, negated=negated)
    if isinstance(node, ConditionAND):
        children = [_compile(arg, leaves, negated=negated) for arg in node.args]
        return lambda view: all(child(view) for child in children)
    if isinstance(node, ConditionNOT):
        child = _compile(node.args[0], leaves, negated=not negated)
        return lambda view: not child(view)
    if isinstance(node, ConditionFieldEqualsValueExpression | ConditionValueExpression):
        if isinstance(node, ConditionFieldEqualsValueExpression):
            name, test = node.field, value_test(node.value)
        else:
            name, test = KEYWORD_FIELD, keyword_test(node.value)
        if not negated:
            leaves.append((name, test))
        return _leaf(name, test)
    raise UnsupportedRule(f"condition element {type(node).__name__} is not supported")
