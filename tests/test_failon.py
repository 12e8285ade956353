"""--fail-on expressions: parsing, each field, and the any-of semantics."""

import pytest

from tests.test_models import full_report
from triage.errors import UsageError
from triage.failon import failed_conditions, parse_fail_on


@pytest.mark.parametrize(
    ("expression", "met"),
    [
        ("severity>=high", True),
        ("severity>=critical", False),
        ("classification=true_positive", True),
        ("classification!=true_positive", False),
        ("confidence>=0.9", False),
        ("confidence>0.5", True),
        ("needs_human=true", False),
        ("severity>=critical,confidence>=0.5", True),
    ],
)
def test_conditions_against_a_high_true_positive(expression: str, met: bool) -> None:
    assert bool(failed_conditions(full_report(), parse_fail_on(expression))) is met


@pytest.mark.parametrize(
    "bad", ["severity>=huge", "colour=red", "classification>=true_positive", ""]
)
def test_bad_expressions_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_fail_on(bad)


def test_bare_needs_human_means_needs_human_true() -> None:
    (condition,) = parse_fail_on("needs_human")
    assert condition.field == "needs_human" and condition.value is True
    assert condition.text == "needs_human=true"
