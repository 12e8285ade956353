"""Markdown report: for tickets and chat, with evidence ids linking claims to quotes."""

from triage.models import Evidence, TriageReport
from triage.render import enrichment_notes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _source(evidence: Evidence) -> str:
    if evidence.artifact_id:
        return f"{evidence.artifact_id} {evidence.locator}"
    if evidence.provider:
        return f"{evidence.provider} ({evidence.query})"
    return evidence.playbook_ref or ""


def render_markdown(report: TriageReport) -> str:
    v = report.verdict
    lines = [
        f"# {report.incident.title}",
        "",
        f"**Verdict:** {v.classification} — {v.determination}  ",
        f"**Severity:** {v.severity} · **Confidence:** {v.confidence:.2f} · "
        f"**Needs human:** {'yes' if v.needs_human else 'no'}  ",
        f"**Incident:** {report.incident.id} · **Report:** {report.report_id} · "
        f"**Engine:** {report.run.engine}",
        "",
        report.summary,
        "",
        f"_Rationale:_ {v.rationale}",
        "",
    ]
    if report.findings:
        lines += ["## Findings", ""]
        lines += [
            f"- **{f.id}** {f.statement} [{', '.join(f.evidence_ids)}]" for f in report.findings
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
            f"| {t.id} | {_cell(t.name)} | {t.tactic} | {', '.join(t.evidence_ids)} |"
            for t in report.techniques
        ]
        lines.append("")
    if report.timeline:
        lines += ["## Timeline", "", "| time (UTC) | event | evidence |", "|---|---|---|"]
        lines += [
            f"| {t.time.isoformat()} | {_cell(t.description)} | {', '.join(t.evidence_ids)} |"
            for t in report.timeline
        ]
        lines.append("")
    if report.actions:
        lines += ["## Recommended actions", ""]
        lines += [
            f"- [{a.priority}] {a.text} ({a.playbook_ref}) [{', '.join(a.evidence_ids)}]"
            for a in report.actions
        ]
        lines.append("")
    if report.observables:
        lines += ["## Observables", "", "| type | value | enrichment |", "|---|---|---|"]
        for o in report.observables:
            notes = enrichment_notes(o)
            lines.append(f"| {o.type} | `{_cell(o.defanged)}` | {_cell(notes)} |")
        lines.append("")
    lines += [
        "## Artifacts",
        "",
        "| id | path | format | records | sha256 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {a.id} | {_cell(a.path)} | {a.format} | {a.records} | `{a.sha256[:16]}…` |"
        for a in report.artifacts
    ]
    lines += ["", "## Evidence", "", "| id | kind | source | quote |", "|---|---|---|---|"]
    lines += [
        f"| {e.id} | {e.kind} | {_cell(_source(e))} | `{_cell(e.quote[:160])}` |"
        for e in report.evidence
    ]
    if report.guardrails.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report.guardrails.notes]
    return "\n".join(lines) + "\n"
