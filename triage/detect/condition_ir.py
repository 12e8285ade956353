"""pySigma's parsed condition tree lowered to plain data (lists, strings, numbers), the form
the rule cache stores and `matcher.compile_ir` turns into predicates.

Nodes: ["and", [node…]], ["or", [node…]], ["not", node], ["field", name, value],
["keyword", value]. Values: ["s", cased, parts] (parts: text, 0 for `*`, 1 for `?`),
["num", n], ["bool", b], ["null"], ["exists", b], ["re", pattern, flags], ["cidr", network],
["cmp", op, n], ["any", [value…]] (an expansion: one of them), ["ref", field].
"""

from typing import Any

from triage.detect.value_match import UnsupportedRule

IR = list[Any]
WILDCARD_MULTI = 0
WILDCARD_SINGLE = 1


def lower_string_parts(value: Any) -> list[str | int]:
    from sigma.types import SpecialChars

    parts: list[str | int] = []
    for part in value.s:
        if isinstance(part, str):
            parts.append(part)
        elif part == SpecialChars.WILDCARD_MULTI:
            parts.append(WILDCARD_MULTI)
        elif part == SpecialChars.WILDCARD_SINGLE:
            parts.append(WILDCARD_SINGLE)
        else:
            raise UnsupportedRule("placeholder values (|expand) need a pipeline")
    return parts


def lower_value(value: Any) -> IR:
    """One pySigma value (SigmaString, SigmaNumber, …) as plain data."""
    import re

    from sigma import types as st

    if isinstance(value, st.SigmaString):
        return ["s", isinstance(value, st.SigmaCasedString), lower_string_parts(value)]
    if isinstance(value, st.SigmaNumber):
        return ["num", float(value.number)]
    if isinstance(value, st.SigmaBool):
        return ["bool", bool(value.boolean)]
    if isinstance(value, st.SigmaNull):
        return ["null"]
    if isinstance(value, st.SigmaExists):
        return ["exists", bool(value.exists)]
    if isinstance(value, st.SigmaRegularExpression):
        flags = 0
        for flag in value.flags:
            flags |= st.SigmaRegularExpression.sigma_to_python_flags[flag]
        pattern = str(value.regexp)  # rules.py has checked it with `re` and RE2
        return ["re", pattern, int(flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL))]
    if isinstance(value, st.SigmaCIDRExpression):
        return ["cidr", str(value.network)]
    if isinstance(value, st.SigmaCompareExpression):
        return ["cmp", value.op.name.lower(), float(value.number.number)]
    if isinstance(value, st.SigmaExpansion):
        return ["any", [lower_value(v) for v in value.values]]
    if isinstance(value, st.SigmaFieldReference):
        return ["ref", str(value.field)]
    raise UnsupportedRule(f"value type {type(value).__name__} is not supported")


def lower_condition(node: Any) -> IR:
    """A parsed condition (ConditionAND/OR/NOT and field–value leaves) as plain data."""
    from sigma import conditions as sc

    if isinstance(node, sc.ConditionOR):
        return ["or", [lower_condition(arg) for arg in node.args]]
    if isinstance(node, sc.ConditionAND):
        return ["and", [lower_condition(arg) for arg in node.args]]
    if isinstance(node, sc.ConditionNOT):
        return ["not", lower_condition(node.args[0])]
    if isinstance(node, sc.ConditionFieldEqualsValueExpression):
        return ["field", str(node.field), lower_value(node.value)]
    if isinstance(node, sc.ConditionValueExpression):
        return ["keyword", lower_value(node.value)]
    raise UnsupportedRule(f"condition element {type(node).__name__} is not supported")
