"""Markdown report: for tickets and chat, with evidence ids linking claims to quotes.

Artifact-derived text is escaped so that it cannot become links, images, HTML, entities or
headings in a ticket viewer; IOCs are defanged so that no viewer autolinks them; quotes go in
code spans.
"""

import re

from triage.models import Evidence, TriageReport
from triage.render import enrichment_notes
from triage.render.safety import Neutraliser, safe_text

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!<>|~&])")


class _Markdown:
    """Markdown fragments of one report's text, through that report's neutraliser."""

    def __init__(self, inert: Neutraliser) -> None:
        self.inert = inert

    def text(self, text: str) -> str:
        """Plain text for Markdown prose or a table cell: no markup, no control characters."""
        return _MARKDOWN_SPECIAL.sub(r"\\\1", self.inert(text)).replace("\n", " ")

    def code(self, text: str) -> str:
        """A code span for a quote (backticks cannot close it; pipes cannot end a cell)."""
        inert = self.inert(text).replace("`", "'").replace("\n", " ").replace("|", "\\|")
        return f"`{inert}`"


def _ids(ids: tuple[str, ...]) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", safe_text(", ".join(ids))).replace("\n", " ")


def _source(evidence: Evidence) -> str:
    if evidence.artifact_id:
        return f"{evidence.artifact_id} {evidence.locator}"
    if evidence.provider:
        return f"{evidence.provider} ({evidence.query})"
    return evidence.playbook_ref or ""


def render_markdown(report: TriageReport) -> str:
    v = report.verdict
    md = _Markdown(Neutraliser.for_report(report))
    _md, _code = md.text, md.code
    lines = [
        f"# {_md(report.incident.title)}",
        "",
        f"**Verdict:** {v.classification} — {_md(v.determination)}  ",
        f"**Severity:** {v.severity} · **Confidence:** {v.confidence:.2f} · "
        f"**Needs human:** {'yes' if v.needs_human else 'no'}  ",
        f"**Incident:** {_md(report.incident.id)} · **Report:** {_md(report.report_id)} · "
        f"**Engine:** {report.run.engine}",
        "",
        _md(report.summary),
        "",
        f"_Rationale:_ {_md(v.rationale)}",
        "",
    ]
    if report.findings:
        lines += ["## Findings", ""]
        lines += [
            f"- **{_md(f.id)}** {_md(f.statement)} [{_ids(f.evidence_ids)}]"
            for f in report.findings
        ]
        lines.append("")
    if report.techniques:
        lines += [
            "## ATT&CK techniques",
            "",
            "| id | name | tactic | evidence |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {_md(t.id)} | {_md(t.name)} | {_md(t.tactic)} | {_ids(t.evidence_ids)} |"
            for t in report.techniques
        ]
        lines.append("")
    if report.timeline:
        lines += ["## Timeline", "", "| time (UTC) | event | evidence |", "|---|---|---|"]
        lines += [
            f"| {t.time.isoformat()} | {_md(t.description)} | {_ids(t.evidence_ids)} |"
            for t in report.timeline
        ]
        lines.append("")
    if report.actions:
        lines += ["## Recommended actions", ""]
        lines += [
            f"- \\[{a.priority}\\] {_md(a.text)} ({_md(a.playbook_ref or '')}) "
            f"[{_ids(a.evidence_ids)}]"
            for a in report.actions
        ]
        lines.append("")
    if report.observables:
        lines += ["## Observables", "", "| type | value | enrichment |", "|---|---|---|"]
        lines += [
            f"| {_md(o.type)} | {_code(o.defanged)} | {_md(enrichment_notes(o))} |"
            for o in report.observables
        ]
        lines.append("")
    lines += [
        "## Artifacts",
        "",
        "| id | path | format | records | sha256 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {_md(a.id)} | {_md(a.path)} | {_md(a.format)} | {a.records} | {_code(a.sha256[:16])}… |"
        for a in report.artifacts
    ]
    lines += ["", "## Evidence", "", "| id | kind | source | quote |", "|---|---|---|---|"]
    lines += [
        f"| {_md(e.id)} | {e.kind} | {_md(_source(e))} | {_code(e.quote[:160])} |"
        for e in report.evidence
    ]
    if report.guardrails.notes:
        lines += ["", "## Notes", ""] + [f"- {_md(n)}" for n in report.guardrails.notes]
    return "\n".join(lines) + "\n"
