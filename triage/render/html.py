"""A self-contained HTML case report: one file a manager can open offline.

No external assets and no script; a Content-Security-Policy meta tag (`default-src 'none'`,
the one stylesheet allowed by its hash) so that even an escaping bug could not load or run
anything. No links: artifact IOCs are defanged text. Every report string is HTML-escaped after
the neutraliser; the timeline is inline SVG drawn from the entries' times.
"""

import base64
import hashlib
import html
from collections.abc import Iterable, Sequence
from datetime import datetime

from triage.models import TriageReport
from triage.render import enrichment_notes
from triage.render.safety import Neutraliser

MAX_ROWS = 500
MAX_TIMELINE = 200
MAX_QUOTE = 600
MAX_LABEL = 70

STYLE = """
:root{--ink:#1d2330;--muted:#5b6474;--line:#d9dee7;--bg:#f6f7f9;--panel:#fff}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
color:var(--ink);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:var(--muted);font-size:12px}
.verdict{background:var(--panel);border:1px solid var(--line);border-left:8px solid #888;
border-radius:6px;padding:14px 18px;margin:16px 0}
.verdict.sev-informational{border-left-color:#8a94a6}.verdict.sev-low{border-left-color:#2e9d57}
.verdict.sev-medium{border-left-color:#d9a300}.verdict.sev-high{border-left-color:#d8432e}
.verdict.sev-critical{border-left-color:#8e0b0b}
.headline{font-size:18px;font-weight:700;letter-spacing:.02em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
margin-left:6px;background:#e9ecf2}
.badge.human{background:#ffe9a8}
.rationale{color:var(--muted)}
table{border-collapse:collapse;width:100%;background:var(--panel);border:1px solid var(--line)}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{background:#eef1f5;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
td.mono,code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
td.quote{white-space:pre-wrap;word-break:break-all;max-width:60ch}
ul{margin:0;padding-left:20px}
svg{background:var(--panel);border:1px solid var(--line);width:100%;height:auto}
svg .axis{stroke:#8a94a6;stroke-width:1}svg .tick{fill:var(--muted);font-size:11px}
svg .dot{fill:#3d6fd8}svg .guide{stroke:#e3e7ee;stroke-width:1}
svg .label{fill:var(--ink);font-size:12px}svg .time{fill:var(--muted);font-size:11px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{STYLE_HASH}'; "
    "img-src 'none'; font-src 'none'; connect-src 'none'; script-src 'none'; "
    "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"
)


class _Html:
    """HTML fragments of one report's text: neutralised, then escaped."""

    def __init__(self, inert: Neutraliser) -> None:
        self.inert = inert

    def __call__(self, text: str | None) -> str:
        return html.escape(self.inert(text or ""), quote=True)

    def clipped(self, text: str, limit: int) -> str:
        """Clipped after neutralising: escapes shown as text count towards the limit."""
        return html.escape(_clip(self.inert(text), limit), quote=True)

    def ids(self, ids: Iterable[str]) -> str:
        return self(", ".join(ids))

    def table(
        self, columns: Sequence[str], rows: Iterable[Sequence[str]], *, css: Sequence[str] = ()
    ) -> str:
        """A table of already-escaped cells; `css` gives each column's class."""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = []
        for row in rows:
            cells = "".join(
                f'<td class="{css[i]}">{cell}</td>'
                if i < len(css) and css[i]
                else f"<td>{cell}</td>"
                for i, cell in enumerate(row)
            )
            body.append(f"<tr>{cells}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _timeline_svg(report: TriageReport, h: _Html) -> str:
    """Entries on a time axis: one row each, a dot at its time, its time and label beside it."""
    entries = sorted(report.timeline, key=lambda e: e.time)[:MAX_TIMELINE]
    start, end = entries[0].time, entries[-1].time
    span = max((end - start).total_seconds(), 1.0)
    width, left, right, top, row = 1200, 150, 500, 40, 22
    height = top + row * len(entries) + 16

    def x(moment: datetime) -> float:
        return left + (width - left - right) * (moment - start).total_seconds() / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Timeline of {len(entries)} events">',
        f'<line class="axis" x1="{left}" y1="{top - 12}" x2="{width - right}" y2="{top - 12}"/>',
        f'<text class="tick" x="{left}" y="{top - 18}">{h(start.strftime("%Y-%m-%d %H:%M:%S"))}'
        "</text>",
        f'<text class="tick" x="{width - right}" y="{top - 18}" text-anchor="end">'
        f"{h(end.strftime('%Y-%m-%d %H:%M:%S'))} UTC</text>",
    ]
    for i, entry in enumerate(entries):
        y = top + row * i
        cx = x(entry.time)
        label = h.clipped(entry.description.replace("\n", " "), MAX_LABEL)
        parts += [
            f'<line class="guide" x1="{left}" y1="{y}" x2="{width - right}" y2="{y}"/>',
            f'<text class="time" x="8" y="{y + 4}">{h(entry.time.strftime("%m-%d %H:%M:%S"))}'
            "</text>",
            f'<circle class="dot" cx="{cx:.1f}" cy="{y}" r="5"/>',
            f'<text class="label" x="{width - right + 10}" y="{y + 4}">{label} '
            f"[{h.ids(entry.evidence_ids)}]</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def _source(h: _Html, artifact_id: str | None, locator: str | None, other: str | None) -> str:
    if artifact_id:
        return f"{h(artifact_id)} <code>{h(locator)}</code>"
    return h(other)


def render_html(report: TriageReport) -> str:
    v = report.verdict
    h = _Html(Neutraliser.for_report(report))
    body: list[str] = [
        f"<header><h1>{h(report.incident.title)}</h1>",
        f'<div class="meta">Incident {h(report.incident.id)} · report {h(report.report_id)} · '
        f"generated {h(report.generated_at.isoformat())} · engine {h(report.run.engine)}"
        f"{' (' + h(report.run.model) + ')' if report.run.model else ''}</div></header>",
        f'<section class="verdict sev-{h(v.severity)}" id="verdict">',
        f'<div class="headline">{h(v.classification.replace("_", " ").upper())}'
        f'<span class="badge">{h(v.severity)}</span>'
        f'<span class="badge">confidence {v.confidence:.2f}</span>'
        + ('<span class="badge human">needs human</span>' if v.needs_human else "")
        + "</div>",
        f"<p><strong>{h(v.determination)}</strong></p>",
        f"<p>{h(report.summary)}</p>",
        f'<p class="rationale">{h(v.rationale)}</p></section>',
    ]
    if report.findings:
        body.append('<h2 id="findings">Findings</h2><ul>')
        body += [
            f"<li><strong>{h(f.id)}</strong> {h(f.statement)} "
            f'<span class="meta">[{h.ids(f.evidence_ids)}]</span></li>'
            for f in report.findings[:MAX_ROWS]
        ]
        body.append("</ul>")
    if report.techniques:
        body.append('<h2 id="techniques">ATT&amp;CK techniques</h2>')
        body.append(
            h.table(
                ("technique", "name", "tactic", "evidence"),
                (
                    (h(t.id), h(t.name), h(t.tactic), h.ids(t.evidence_ids))
                    for t in report.techniques
                ),
                css=("mono",),
            )
        )
    if report.timeline:
        body += ['<h2 id="timeline">Timeline (UTC)</h2>', _timeline_svg(report, h)]
    if report.actions:
        body.append('<h2 id="actions">Recommended actions</h2><ul>')
        body += [
            f"<li><strong>{h(a.priority)}</strong> {h(a.text)}"
            + (f' <span class="meta">({h(a.playbook_ref)})</span>' if a.playbook_ref else "")
            + "</li>"
            for a in report.actions
        ]
        body.append("</ul>")
    if report.detections:
        body.append('<h2 id="detections">Detections</h2>')
        body.append(
            h.table(
                ("rule", "title", "level", "techniques", "evidence"),
                (
                    (
                        h(d.rule_id),
                        h(d.title),
                        h(d.level),
                        h.ids(d.technique_ids),
                        h.ids(d.evidence_ids),
                    )
                    for d in report.detections[:MAX_ROWS]
                ),
                css=("mono",),
            )
        )
    if report.observables:
        body.append('<h2 id="observables">Observables (defanged)</h2>')
        body.append(
            h.table(
                ("type", "value", "enrichment", "evidence"),
                (
                    (h(o.type), h(o.defanged), h(enrichment_notes(o)), h.ids(o.evidence_ids))
                    for o in report.observables[:MAX_ROWS]
                ),
                css=("", "mono"),
            )
        )
    body.append('<h2 id="artifacts">Artifacts</h2>')
    body.append(
        h.table(
            ("id", "path", "format", "records", "sha256"),
            (
                (h(a.id), h(a.path), h(a.format), str(a.records), h(a.sha256))
                for a in report.artifacts
            ),
            css=("", "mono", "", "", "mono"),
        )
    )
    body.append('<h2 id="evidence">Evidence</h2>')
    rows = []
    for e in report.evidence[:MAX_ROWS]:
        source = _source(h, e.artifact_id, e.locator, e.provider or e.playbook_ref)
        quote = h.clipped(e.quote, MAX_QUOTE)
        rows.append(
            f'<tr id="evidence-{h(e.id)}"><td class="mono">{h(e.id)}</td><td>{h(e.kind)}</td>'
            f'<td>{source}</td><td class="quote mono">{quote}</td></tr>'
        )
    body.append(
        "<table><thead><tr><th>id</th><th>kind</th><th>source (artifact locator)</th>"
        f"<th>quote</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    hidden = len(report.evidence) - MAX_ROWS
    if hidden > 0:
        body.append(f'<p class="meta">{hidden} more evidence items in the JSON report.</p>')
    if report.guardrails.notes:
        body.append('<h2 id="notes">Notes</h2><ul>')
        body += [f"<li>{h(n)}</li>" for n in report.guardrails.notes]
        body.append("</ul>")
    body.append(
        f"<footer>triage {h(report.run.triage_version)} · schema {h(report.schema_version)} · "
        f"input {h(report.run.input_digest)}</footer>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{h(report.incident.title)} — triage report</title>"
        f"<style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
