"""Attacker-sized text must not make detection regexes or wildcards super-linear: each input
below took the old code far more than 5 s; the bounds are generous on purpose."""

import time
from pathlib import Path

import pytest
from sigma.types import SigmaString

from triage.detect.email import EmailPhishingDetector
from triage.detect.email_signals import anchored_links, shown_target
from triage.detect.matcher import FieldView, value_test
from triage.detect.rules import compile_rule_text, load_rule_file
from triage.ingest import Limits, load_incident


def _timed(function: object, *args: object) -> tuple[object, float]:
    assert callable(function)
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def test_anchor_text_is_found_in_linear_time() -> None:
    text = "Hello" + " " * 100_000 + "x <https://login.evil-site.com/a> and\nmore  <mailto:a@b.com>"
    links, seconds = _timed(lambda: list(anchored_links(text)))
    assert links == [("x", "https://login.evil-site.com/a"), ("more", "mailto:a@b.com")]
    assert seconds < 2


def test_anchor_text_keeps_its_line_and_160_characters() -> None:
    text = "Intro <b>Sign in at paypal.com</b>\n" + "w" * 300 + " <http://x.example/>"
    assert list(anchored_links(text)) == [("w" * 160, "http://x.example/")]
    assert list(anchored_links("Sign in at paypal.com\n  <http://evil.example/>")) == [
        ("Sign in at paypal.com", "http://evil.example/")
    ]


def test_a_long_blank_run_in_an_email_body_is_cheap(tmp_path: Path) -> None:
    message = tmp_path / "spaces.eml"
    body = "Hello" + " " * 16_000 + "x <https://paypa1-login.com/x>"
    message.write_text(
        "From: PayPal <service@paypa1-mail.com>\nTo: bob@example.org\nSubject: verify your "
        f"account\nContent-Type: text/plain\n\n{body}\n",
        encoding="utf-8",
    )
    incident = load_incident([str(message)], Limits())
    detections, seconds = _timed(EmailPhishingDetector().detect, incident)
    assert isinstance(detections, list)
    assert any(d.rule_id == "email-phishing:lookalike-link" for d in detections)
    assert seconds < 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a." * 50_000, ""),
        ("a" * 100_000, ""),
        ("Visit www.PayPal.com today", "www.paypal.com"),
        ("write to billing@paypal.com", "billing@paypal.com"),
    ],
)
def test_shown_target_is_bounded(text: str, expected: str) -> None:
    found, seconds = _timed(shown_target, text)
    assert found == expected
    assert seconds < 2


def test_sigma_wildcards_are_linear_on_long_fields() -> None:
    test = value_test(SigmaString("*a*a*a*b*"))
    field = "a" * 100_000
    matched, seconds = _timed(test, FieldView({"CommandLine": field}, raw=""), "CommandLine")
    assert matched is False and seconds < 2
    hit = FieldView({"CommandLine": field + "B"}, raw="")
    assert test(hit, "CommandLine") is True  # case-insensitive by default


@pytest.mark.parametrize(
    ("value", "text", "expected"),
    [
        ("*a?c*", "xxabcxx", True),
        ("a*c", "abbbc", True),
        ("a*c", "abbbcd", False),
        ("?b*", "abzz", True),
        ("*b?", "aab", False),
        ("a*b*a", "aba", True),
        ("a*b*a", "ab", False),
        ("", "", True),
        ("", "x", False),
        ("*", "", True),
    ],
)
def test_wildcard_values_keep_sigma_semantics(value: str, text: str, expected: bool) -> None:
    assert value_test(SigmaString(value))(FieldView({"f": text}, raw=""), "f") is expected


def test_rule_regexes_run_in_linear_time() -> None:
    rule = compile_rule_text(
        "title: t\nlogsource: {product: windows}\ndetection:\n"
        "  sel:\n    CommandLine|re: '(a+)+b'\n  condition: sel\n",
        source="test",
    )
    view = FieldView({"CommandLine": "a" * 100_000}, raw="")
    matched, seconds = _timed(rule.first_match, view)
    assert matched is None and seconds < 2
    assert rule.first_match(FieldView({"CommandLine": "aab"}, raw="")) is not None


def test_invalid_rule_regex_is_skipped_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "bad.yml"
    rules.write_text(
        "title: bad\nlogsource: {product: windows}\ndetection:\n"
        "  sel:\n    CommandLine|re: '('\n  condition: sel\n---\n"
        "title: lookahead\nlogsource: {product: windows}\ndetection:\n"
        "  sel:\n    - CommandLine|re|i: '(?=x)abc'\n  condition: sel\n",
        encoding="utf-8",
    )
    loaded, skipped = load_rule_file(rules, source="custom")
    assert loaded == []
    assert [s.reason.split(":", 1)[0] for s in skipped] == ["invalid regular expression"] * 2
    captured = capfd.readouterr()
    assert "re2" not in captured.err and captured.err == ""
