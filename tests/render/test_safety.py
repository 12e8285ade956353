"""The neutraliser every renderer uses: inert characters, exact JSON values, no live links."""

import json

import pytest

from triage.render.safety import UNSAFE, Neutraliser, escape_json, safe_text

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
MARKS = ["\u200e", "\u200f", "\u061c", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\x9d"]


@pytest.mark.parametrize("char", BIDI + MARKS + CONTROLS)
def test_every_unsafe_character_is_shown_as_an_escape(char: str) -> None:
    shown = safe_text(f"a{char}b")
    assert char not in shown
    assert (
        shown
        == f"a\\{'x' if ord(char) <= 0xFF else 'u'}{ord(char):0{2 if ord(char) <= 0xFF else 4}x}b"
    )


def test_tab_newline_and_ordinary_unicode_are_kept() -> None:
    text = "tab\there\nnext line: café, 東京, emoji 👍 and Arabic مرحبا"
    assert safe_text(text) == text


def test_ansi_and_osc_sequences_lose_their_escape_byte() -> None:
    shown = safe_text("\x1b[31mred\x1b]8;;http://x.test\x07link\x1b]8;;\x07")
    assert UNSAFE.search(shown) is None
    assert shown.startswith("\\x1b[31mred\\x1b]8;;")


def test_json_escaping_keeps_the_exact_value_and_no_raw_character() -> None:
    value = "name\u202egpj.exe \x1b[31m \x9b1m \u2066iso\u2069 \u2028 \x7f"
    dumped = escape_json(json.dumps({"v": value}, ensure_ascii=False))
    assert UNSAFE.search(dumped) is None
    assert "\\u202e" in dumped and "\\u009b" in dumped
    assert json.loads(dumped) == {"v": value}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("go to http://evil.test/a.b?c=d", "go to hxxp://evil[.]test/a.b?c=d"),
        ("HTTPS://Evil.Test/x", "hxxps://Evil[.]Test/x"),
        ("ftp://files.evil.test/", "fxp://files[.]evil[.]test/"),
        ("see www.lure.evil.test/path", "see www[.]lure[.]evil[.]test/path"),
        ("mail phish@sender.evil.test now", "mail phish[@]sender[.]evil[.]test now"),
        ("beacon to 203.0.113.45:443", "beacon to 203[.]0[.]113[.]45:443"),
        ("user:pw@http://a.test", "user:pw@hxxp://a[.]test"),
        ("invoice.pdf and report.docx stay", "invoice.pdf and report.docx stay"),
        ("already hxxp://evil[.]test", "already hxxp://evil[.]test"),
    ],
)
def test_free_text_links_are_defanged(text: str, expected: str) -> None:
    assert Neutraliser()(text) == expected


def test_known_observables_are_defanged_even_as_bare_names() -> None:
    inert = Neutraliser(
        [
            ("domain", "login.evil-brand.example"),
            ("ipv6", "2001:db8::1"),
            ("url", "https://cdn.other.example/x"),
            ("host", "WS-01.corp"),  # not linkable: left alone
        ]
    )
    shown = inert(
        "login.evil-brand.example, evil-brand.example, 2001:db8::1, "
        "cdn.other.example and WS-01.corp"
    )
    assert shown == (
        "login[.]evil-brand[.]example, evil-brand[.]example, 2001[:]db8[:][:]1, "
        "cdn[.]other[.]example and WS-01.corp"
    )


def test_a_url_observable_on_an_ip_does_not_defang_version_numbers() -> None:
    assert Neutraliser([("url", "http://10.0.0.5/a")])("version 0.5") == "version 0.5"


def test_neutraliser_first_shows_controls_then_defangs() -> None:
    shown = Neutraliser()("\u202ehttp://evil.test\x1b")
    assert shown == "\\u202ehxxp://evil[.]test\\x1b"
