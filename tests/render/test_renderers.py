"""Renderers keep attacker-controlled text inert: no live escape sequences, no Markdown links,
images or HTML, no Rich markup; and a saved report re-renders the same."""

import re

from rich.console import Console

from tests.test_models import full_report
from triage.models import Evidence, IncidentSummary, TriageReport
from triage.render import render_text
from triage.render.rich import render_rich

HOSTILE = "<script>![x](http://x.test/a.png) [bold red]loud[/] \x1b[31mred\x1b]0;title\x07 | end"


def hostile_report() -> TriageReport:
    report = full_report()
    return report.model_copy(
        update={
            "incident": IncidentSummary(id="INC-1", title=HOSTILE),
            "summary": HOSTILE,
            "evidence": (
                Evidence(
                    id="E1", kind="artifact", artifact_id="A1", locator="line:1", quote=HOSTILE
                ),
            ),
        }
    )


def test_markdown_escapes_links_images_html_and_control_characters() -> None:
    text = render_text(hostile_report(), "md")
    assert "\x1b" not in text and "\x07" not in text
    prose = re.sub(r"`[^`]*`", "", text)  # code spans are inert: what is left is rendered
    assert "![x](" not in prose and "<script>" not in prose
    assert "\\<script\\>" in prose  # shown, escaped
    assert "`<script>![x](hxxp://x[.]test/a.png)" in text  # the quote, defanged, in a code span


def test_rich_output_shows_markup_and_escapes_as_text() -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(render_rich(hostile_report()))
    shown = console.export_text()
    assert "[bold red]loud[/]" in shown  # printed literally, not interpreted
    assert "\\x1b[31mred" in shown
    raw = console.export_text(styles=True)
    assert "\x1b[31mred" not in raw and "\x1b]0;title" not in raw


def test_json_render_round_trips() -> None:
    report = full_report()
    assert TriageReport.model_validate_json(render_text(report, "json")) == report
