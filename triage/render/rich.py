"""Terminal rendering with Rich. Report text is passed as plain Text, never as markup, and goes
through the report's neutraliser: no escape sequences, no bidi tricks, no live links."""

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from triage.models import TriageReport
from triage.render import enrichment_notes
from triage.render.safety import Neutraliser, safe_text

SEVERITY_STYLE = {
    "informational": "dim",
    "low": "green",
    "medium": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}
MAX_ROWS = 25


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", expand=True, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _ids(ids: tuple[str, ...]) -> Text:
    return Text(safe_text(", ".join(ids)), style="cyan")


def render_rich(report: TriageReport) -> RenderableType:
    v = report.verdict
    inert = Neutraliser.for_report(report)

    def _text(text: str, *, style: str = "") -> Text:
        """Report text for a cell: never markup, never a live escape sequence or link."""
        return Text(inert(text), style=style)

    headline = Text.assemble(
        (v.classification.replace("_", " ").upper(), "bold"),
        "  ",
        (v.severity.upper(), SEVERITY_STYLE[v.severity]),
        f"  confidence {v.confidence:.2f}",
        ("  needs human" if v.needs_human else "", "bold yellow"),
    )
    parts: list[RenderableType] = [
        Panel(
            Group(headline, _text(report.summary), _text(v.rationale, style="dim")),
            title=_text(report.incident.title),
            subtitle=_text(f"{report.incident.id} · {report.run.engine} · {report.report_id}"),
        )
    ]
    if report.findings:
        table = _table("Findings", "id", "statement", "evidence")
        for f in report.findings[:MAX_ROWS]:
            table.add_row(_text(f.id), _text(f.statement), _ids(f.evidence_ids))
        parts.append(table)
    if report.techniques:
        table = _table("ATT&CK", "technique", "name", "tactic", "evidence")
        for t in report.techniques:
            table.add_row(_text(t.id), _text(t.name), _text(t.tactic), _ids(t.evidence_ids))
        parts.append(table)
    if report.timeline:
        table = _table("Timeline (UTC)", "time", "event", "evidence")
        for entry in report.timeline[:MAX_ROWS]:
            table.add_row(
                entry.time.strftime("%Y-%m-%d %H:%M:%S"),
                _text(entry.description),
                _ids(entry.evidence_ids),
            )
        parts.append(table)
    if report.actions:
        table = _table("Recommended actions", "priority", "action", "playbook")
        for a in report.actions:
            table.add_row(_text(a.priority), _text(a.text), _text(a.playbook_ref or ""))
        parts.append(table)
    if report.observables:
        table = _table("Observables (defanged)", "type", "value", "enrichment")
        for o in report.observables[:MAX_ROWS]:
            notes = enrichment_notes(o)
            table.add_row(_text(o.type), _text(o.defanged), _text(notes))
        if len(report.observables) > MAX_ROWS:
            table.caption = f"{len(report.observables) - MAX_ROWS} more in -f json / -f md"
        parts.append(table)
    table = _table("Artifacts", "id", "path", "format", "records", "sha256")
    for artifact in report.artifacts:
        lost = f" ({artifact.records_lost} lost)" if artifact.records_lost else ""
        table.add_row(
            _text(artifact.id),
            _text(artifact.path),
            _text(artifact.format),
            f"{artifact.records}{lost}",
            _text(artifact.sha256[:16] + "…"),
        )
    parts.append(table)
    table = _table("Evidence", "id", "source", "quote")
    for e in report.evidence[:MAX_ROWS]:
        source = f"{e.artifact_id} {e.locator}" if e.artifact_id else e.provider or e.playbook_ref
        table.add_row(_text(e.id), _text(source or ""), _text(e.quote[:200]))
    if len(report.evidence) > MAX_ROWS:
        table.caption = f"{len(report.evidence) - MAX_ROWS} more in -f json / -f md"
    parts.append(table)
    for note in report.guardrails.notes:
        parts.append(_text(f"note: {note}", style="dim"))
    return Group(*parts)
