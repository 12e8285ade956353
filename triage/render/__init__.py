"""Renderers: pure functions from a TriageReport to text (json, md) or a Rich renderable."""

from typing import Literal

from triage.models import TriageReport

TextFormat = Literal["json", "md"]
FORMATS = ("rich", "json", "md")
SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".txt": "rich"}


def render_text(report: TriageReport, fmt: TextFormat) -> str:
    if fmt == "json":
        from triage.render.json import render_json

        return render_json(report)
    from triage.render.markdown import render_markdown

    return render_markdown(report)
