"""Renderers: pure functions from a TriageReport to text (json, md) or a Rich renderable."""

import re
from typing import Literal

from triage.models import ReportObservable, TriageReport

TextFormat = Literal["json", "md"]
FORMATS = ("rich", "json", "md")
SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".txt": "rich"}


# C0 and C1 control characters but tab and newline: escape sequences in attacker-controlled
# artifact text must not recolour, retitle or rewrite the analyst's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """Artifact-derived text made inert for a terminal: control characters shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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
