"""TheHive 5 alert: the body of `POST /api/v1/alert`, for a case-management queue.

The description is the Markdown report (TheHive renders Markdown), so it carries the same
escaping and defanging; the title, summary and tags go through the same neutraliser. Observable
`data` stays exact: analyzers and responders need the real value. Validated in tests against
triage/data/schemas/thehive5-alert.schema.json, written from TheHive's documented model.
"""

import json
from datetime import datetime
from typing import Any

from triage.models import ReportObservable, TriageReport
from triage.models.base import Severity
from triage.render.markdown import render_markdown
from triage.render.safety import Neutraliser, escape_json
from triage.render.stix import indicator_worthy

TLP_AMBER = 2
PAP_AMBER = 2
SEVERITIES: dict[Severity, int] = {
    "informational": 1,
    "low": 1,
    "medium": 2,
    "high": 3,
    "critical": 4,
}
DATA_TYPES = {
    "ipv4": "ip",
    "ipv6": "ip",
    "domain": "domain",
    "url": "url",
    "email": "mail",
    "md5": "hash",
    "sha1": "hash",
    "sha256": "hash",
    "file_path": "filename",
    "host": "hostname",
    "registry_key": "registry",
}


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _tactic(tactic: str) -> str | None:
    """ATT&CK tactic short name ('Initial Access' → 'initial-access'); the first of several."""
    first = tactic.split(",")[0].strip().lower()
    slug = "-".join("".join(c for c in word if c.isalpha()) for word in first.split())
    return slug.strip("-") or None


def _observable(
    o: ReportObservable, *, inert: Neutraliser, publish: bool, tlp: int, pap: int
) -> dict[str, Any]:
    data_type = DATA_TYPES.get(o.type, "other")
    notes = [
        f"{e.provider}: {e.verdict}" for e in o.enrichments if e.verdict not in (None, "unknown")
    ]
    observable: dict[str, Any] = {
        "dataType": data_type,
        "data": o.value,
        "tlp": tlp,
        "pap": pap,
        "ioc": data_type != "other" and indicator_worthy(o, true_positive=publish),
        "sighted": bool(o.evidence_ids),
        "tags": [inert(f"triage:type={o.type}")],
    }
    message = "; ".join(notes)
    if o.evidence_ids:
        message = f"{message} (evidence {', '.join(o.evidence_ids)})".strip()
    if message:
        observable["message"] = inert(message)
    return observable


def thehive_alert(
    report: TriageReport, *, tlp: int = TLP_AMBER, pap: int = PAP_AMBER
) -> dict[str, Any]:
    """The report as a TheHive 5 alert (a plain JSON-ready dict)."""
    v = report.verdict
    inert = Neutraliser.for_report(report)
    publish = v.classification == "true_positive"
    occurred = report.incident.first_seen or report.generated_at
    tags = [
        "triage",
        f"triage:classification={v.classification}",
        f"triage:severity={v.severity}",
        inert(f"triage:incident={report.incident.id}"),
        *(f"mitre-attack:{t.id}" for t in report.techniques),
    ]
    if v.needs_human:
        tags.append("triage:needs-human")
    procedures = []
    for t in report.techniques:
        procedure: dict[str, Any] = {
            "patternId": t.id,
            "occurDate": _ms(occurred),
            "description": inert(t.name),
        }
        tactic = _tactic(t.tactic)
        if tactic:
            procedure["tactic"] = tactic
        procedures.append(procedure)
    seen: set[tuple[str, str]] = set()
    observables = []
    for o in report.observables:
        key = (DATA_TYPES.get(o.type, "other"), o.value)
        if o.value and key not in seen:
            seen.add(key)
            observables.append(_observable(o, inert=inert, publish=publish, tlp=tlp, pap=pap))
    alert: dict[str, Any] = {
        "type": "triage",
        "source": "triage",
        "sourceRef": report.report_id,
        "title": inert(report.incident.title or report.incident.id),
        "description": render_markdown(report),
        "severity": SEVERITIES[v.severity],
        "date": _ms(report.generated_at),
        "tags": list(dict.fromkeys(tags)),
        "flag": v.needs_human,
        "tlp": tlp,
        "pap": pap,
        "summary": inert(f"{v.classification}: {v.determination}. {v.rationale}"),
        "observables": observables,
        "procedures": procedures,
    }
    return alert


def render_thehive(report: TriageReport) -> str:
    return escape_json(json.dumps(thehive_alert(report), indent=2, ensure_ascii=False)) + "\n"
