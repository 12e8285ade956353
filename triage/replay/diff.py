"""The semantic diff of two reports: what an analyst would call a change (verdict, techniques,
findings, actions, citations), and nothing for what differs on every run (report id, time,
duration). Two reports with no change are equal field for field apart from those three.
"""

import json
from collections.abc import Sequence
from typing import Any, Literal

from triage.models import TriageReport
from triage.models.base import Frozen

ChangeKind = Literal["added", "removed", "changed"]
# What varies from run to run by design; everything else must replay identically.
RUN_NOISE = ("report_id", "generated_at", "run.duration_ms")
SECTIONS = ("techniques", "findings", "actions", "detections", "evidence")
VERDICT_FIELDS = ("classification", "severity", "confidence", "needs_human", "determination")
MAX_SHOWN = 160


class Change(Frozen):
    section: str
    kind: ChangeKind
    item: str
    before: str | None = None
    after: str | None = None

    def line(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        text = f"{mark} {self.section}: {self.item}"
        if self.kind == "changed" and (self.before is not None or self.after is not None):
            text += f": {self.before} → {self.after}"
        return text


class ReportDiff(Frozen):
    changes: tuple[Change, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.changes


def comparable(report: TriageReport) -> dict[str, Any]:
    """The report as JSON without the run's noise."""
    data: dict[str, Any] = report.model_dump(mode="json")
    for path in RUN_NOISE:
        *parents, last = path.split(".")
        holder = data
        for key in parents:
            holder = holder[key]
        holder.pop(last, None)
    return data


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _quotes(report: dict[str, Any]) -> dict[str, str]:
    """Evidence id → what it cites, so that renumbered citations compare equal."""
    out = {}
    for e in report.get("evidence", []):
        source = e.get("artifact_id") or e.get("provider") or e.get("playbook_ref") or ""
        where = e.get("locator") or e.get("query") or ""
        out[e["id"]] = f"{e['kind']} {source} {where} {e['quote']}".strip()
    return out


def _requote(value: Any, quotes: dict[str, str]) -> Any:
    """The value with every `evidence_ids` list replaced by what those ids cite, sorted."""
    if isinstance(value, dict):
        return {
            k: sorted(quotes.get(i, i) for i in v) if k == "evidence_ids" else _requote(v, quotes)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_requote(v, quotes) for v in value]
    return value


def _table(section: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A section's items keyed by what they say, since ids renumber from run to run."""
    if section == "techniques":
        return {f"{t['id']} {t['name']}": t for t in items}
    if section == "findings":
        return {f["statement"]: {k: v for k, v in f.items() if k != "id"} for f in items}
    if section == "actions":
        return {x["text"]: {k: v for k, v in x.items() if k != "id"} for x in items}
    if section == "detections":
        return {f"{d['rule_id']} {d['title']}": d for d in items}
    return {json.dumps(i, sort_keys=True): None for i in items}


def _compare(section: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = [Change(section=section, kind="removed", item=_short(k)) for k in old if k not in new]
    changes += [Change(section=section, kind="added", item=_short(k)) for k in new if k not in old]
    for k in old:
        if k in new and old[k] != new[k]:
            changes.append(_changed(section, _short(k), old[k], new[k]))
    return changes


def _changed(section: str, item: str, before: Any, after: Any) -> Change:
    return Change(
        section=section, kind="changed", item=item, before=_short(before), after=_short(after)
    )


def _fields(section: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    first = [k for k in VERDICT_FIELDS if k in old or k in new] if section == "verdict" else []
    names = first + sorted((set(old) | set(new)) - set(first))
    return [_changed(section, k, old.get(k), new.get(k)) for k in names if old.get(k) != new.get(k)]


def diff_reports(recorded: TriageReport, replayed: TriageReport) -> ReportDiff:
    a, b = comparable(recorded), comparable(replayed)
    if a == b:
        return ReportDiff()
    qa, qb = _quotes(a), _quotes(b)
    ra, rb = _requote(a, qa), _requote(b, qb)
    changes = _fields("verdict", ra["verdict"], rb["verdict"])
    for section in SECTIONS[:-1]:
        changes += _compare(section, _table(section, ra[section]), _table(section, rb[section]))
    changes += _compare("evidence", dict.fromkeys(qa.values()), dict.fromkeys(qb.values()))
    for name in sorted((set(ra) | set(rb)) - {"verdict", *SECTIONS}):
        old, new = ra.get(name), rb.get(name)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changes += _fields(name, old, new)
        elif isinstance(old, list) and isinstance(new, list):
            changes += _compare(name, _table(name, old), _table(name, new))
        else:
            changes.append(_changed(name, "value", old, new))
    # Equal once citations are read for what they cite: only ids or order moved.
    return ReportDiff(
        changes=tuple(changes)
        or (Change(section="evidence", kind="changed", item="numbering or order only"),)
    )
