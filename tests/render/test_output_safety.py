"""Issue 8, output safety: the hostile e-mail's report through every renderer. Human formats
show no raw control or bidi character, no live link and no markup the artifact wrote; JSON
formats stay valid JSON with the exact values, as escapes."""

import json
import re
from html.parser import HTMLParser

import pytest
from rich.console import Console

from tests.render.conftest import ATTACHMENT, BODY, SUBJECT
from triage.models import TriageReport
from triage.render import TextFormat, render_text
from triage.render.rich import render_rich
from triage.render.safety import UNSAFE

LIVE_LINK = re.compile(r"(?:https?|ftp)://|www\.[a-z0-9-]+\.[a-z]", re.IGNORECASE)
MAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _assert_inert(text: str) -> None:
    assert UNSAFE.search(text) is None, repr(UNSAFE.search(text))
    assert LIVE_LINK.search(text) is None, LIVE_LINK.search(text)
    assert MAIL.search(text) is None, MAIL.search(text)


def test_the_hostile_email_reached_the_report(hostile_email_report: TriageReport) -> None:
    """The pipeline itself carries the attachment's U+202E into the report (not only the test)."""
    text = hostile_email_report.model_dump_json()
    assert "\\u202e" in text or "\u202e" in text
    assert ATTACHMENT in {o.value for o in hostile_email_report.observables}


def test_rich_output_is_inert(hostile_report: TriageReport) -> None:
    console = Console(record=True, width=160, force_terminal=True, color_system="truecolor")
    console.print(render_rich(hostile_report))
    raw = console.export_text(styles=True, clear=False)
    shown = console.export_text()
    _assert_inert(shown)
    assert "\x1b]" not in raw and "\u202e" not in raw  # no OSC (titles, hyperlinks), no RLO
    assert "\\u202e" in shown and "\\x1b]8;;" in shown  # shown, as text
    assert "[verify now]" in shown  # Rich markup-like text printed literally


def test_markdown_output_is_inert(hostile_report: TriageReport) -> None:
    text = render_text(hostile_report, "md")
    _assert_inert(text)
    prose = re.sub(r"`[^`\n]*`", "", text)  # code spans are inert: what is left is rendered
    assert re.search(r"(?<!\\)\]\(", prose) is None  # no [text](link)
    assert re.search(r"(?<!\\)<[a-z/]", prose, re.IGNORECASE) is None  # no raw HTML
    assert re.search(r"(?<!\\)&#", prose) is None  # no character references (&#x202e;)
    assert "\r" not in text
    # The subject's CRLF cannot start a new line (a heading or a table row) of its own.
    assert not any(line.startswith("X-Injected") for line in text.splitlines())


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in {"href", "src", "action", "srcset", "xlink:href", "style"} or (
                name.startswith("on")
            ):
                self.urls.append(f"{tag} {name}={value}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "div", "section",
    "span", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "code",
    "svg", "line", "text", "circle", "footer",
}  # fmt: skip


def test_html_output_is_inert(hostile_report: TriageReport) -> None:
    page = render_text(hostile_report, "html")
    assert UNSAFE.search(page) is None
    elements = _Elements()
    elements.feed(page)
    assert elements.tags <= ALLOWED_TAGS, elements.tags - ALLOWED_TAGS
    assert elements.urls == []  # no link, image, script, handler or inline style at all
    shown = "".join(elements.text)
    _assert_inert(shown.replace("http://www.w3.org/2000/svg", ""))
    assert "<script>alert(1)</script>" in shown  # the artifact's markup, shown as text
    assert "\\u202e" in shown


JSON_FORMATS: tuple[TextFormat, ...] = ("json", "ocsf", "stix", "thehive")


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_json_outputs_escape_but_keep_exact_values(
    hostile_report: TriageReport, fmt: TextFormat
) -> None:
    text = render_text(hostile_report, fmt)
    assert UNSAFE.search(text) is None
    assert "\\u202e" in text
    if fmt != "thehive":  # TheHive shows its text fields to people: only observables are exact
        assert "\\u001b" in text
    strings = _strings(json.loads(text))
    assert ATTACHMENT in strings or any(ATTACHMENT in s for s in strings)
    if fmt == "json":
        assert TriageReport.model_validate_json(text) == hostile_report
        assert SUBJECT in strings and BODY in strings


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()
