"""Renderers: pure functions from a TriageReport to text (json, md, html, ocsf, stix, thehive)
or a Rich renderable. Every one of them goes through `safety` for artifact-derived text."""

from typing import Literal

from triage.models import ReportObservable, TriageReport
from triage.render.safety import Neutraliser, escape_json, safe_text

TextFormat = Literal["json", "md", "html", "ocsf", "stix", "thehive"]
FORMATS = ("rich", "json", "md", "html", "ocsf", "stix", "thehive")
SUFFIX_FORMATS = {
    ".json": "json",
    ".md": "md",
    ".markdown": "md",
    ".txt": "rich",
    ".html": "html",
    ".htm": "html",
}

__all__ = [
    "FORMATS",
    "SUFFIX_FORMATS",
    "Neutraliser",
    "TextFormat",
    "enrichment_notes",
    "escape_json",
    "render_text",
    "safe_text",
]


def render_text(report: TriageReport, fmt: TextFormat) -> str:
    match fmt:
        case "json":
            from triage.render.json import render_json

            return render_json(report)
        case "md":
            from triage.render.markdown import render_markdown

            return render_markdown(report)
        case "html":
            from triage.render.html import render_html

            return render_html(report)
        case "ocsf":
            from triage.render.ocsf import render_ocsf

            return render_ocsf(report)
        case "stix":
            from triage.render.stix import render_stix

            return render_stix(report)
        case "thehive":
            from triage.render.thehive import render_thehive

            return render_thehive(report)


def enrichment_notes(observable: ReportObservable, *, width: int = 80) -> str:
    """What the enrichment said that matters to a reader: verdicts other than 'unknown'."""
    notes = []
    for e in observable.enrichments:
        if e.verdict in (None, "unknown"):
            continue
        summary = e.summary if len(e.summary) <= width else e.summary[: width - 1] + "…"
        notes.append(
            f"{e.provider}: {e.verdict} ({summary})" if summary else f"{e.provider}: {e.verdict}"
        )
    return "; ".join(notes)
