"""Renderers: pure functions from a TriageReport to text (json, md) or a Rich renderable."""

from typing import Literal

from triage.models import ReportObservable, TriageReport

TextFormat = Literal["json", "md"]
FORMATS = ("rich", "json", "md")
SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".txt": "rich"}


def render_text(report: TriageReport, fmt: TextFormat) -> str:
    if fmt == "json":
        from triage.render.json import render_json

        return render_json(report)
    from triage.render.markdown import render_markdown

    return render_markdown(report)


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
