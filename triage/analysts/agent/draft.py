"""The agent's structured answer (the draft), its validation against the evidence catalogue,
and its conversion into an Assessment."""

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triage.analysts.base import Assessment, TechniqueNamer
from triage.evidence import EvidenceCatalog
from triage.knowledge.playbook import STEP_SECTIONS, Playbook
from triage.models import Action, Finding, Technique, TimelineEntry, Verdict
from triage.models.base import Severity
from triage.models.report import Classification, Priority

MAX_ITEMS = 20
MAX_TEXT = 600
MAX_ERRORS = 12


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DraftVerdict(_Strict):
    classification: Classification
    severity: Severity
    confidence: float = Field(ge=0, le=1)
    determination: str = Field(max_length=200)
    rationale: str = Field(max_length=MAX_TEXT * 2)
    evidence_ids: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    counter_evidence_ids: list[str] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Evidence that a detection or intelligence hit is benign, when you say so.",
    )


class DraftFinding(_Strict):
    statement: str = Field(max_length=MAX_TEXT)
    evidence_ids: list[str] = Field(min_length=1, max_length=MAX_ITEMS)
    technique_ids: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    quote: str | None = Field(
        default=None, max_length=300, description="Exact text from the first cited evidence."
    )


class DraftTechnique(_Strict):
    id: str
    evidence_ids: list[str] = Field(min_length=1, max_length=MAX_ITEMS)


class DraftTimelineEntry(_Strict):
    time: datetime
    description: str = Field(max_length=MAX_TEXT)
    evidence_ids: list[str] = Field(min_length=1, max_length=MAX_ITEMS)


class DraftAction(_Strict):
    text: str = Field(max_length=MAX_TEXT)
    priority: Priority
    playbook_ref: str = Field(description="playbook-id#section, e.g. phishing#containment")
    evidence_ids: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)


class Draft(_Strict):
    """What the model must answer: every claim cites evidence ids from the case."""

    verdict: DraftVerdict
    title: str = Field(max_length=200)
    summary: str = Field(max_length=MAX_TEXT * 2)
    findings: list[DraftFinding] = Field(default_factory=list, max_length=MAX_ITEMS)
    techniques: list[DraftTechnique] = Field(default_factory=list, max_length=MAX_ITEMS)
    timeline: list[DraftTimelineEntry] = Field(default_factory=list, max_length=MAX_ITEMS)
    actions: list[DraftAction] = Field(default_factory=list, max_length=MAX_ITEMS)


def draft_json_schema() -> dict[str, Any]:
    return Draft.model_json_schema()


_FENCE = re.compile(r"```(?:json)?\s*(\{.*\})\s*```", re.DOTALL)


def parse_draft(text: str) -> tuple[Draft | None, str | None]:
    """The draft in a model's answer (bare JSON, fenced, or the outermost braces), or why not."""
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1))
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    problem = "the answer is not a JSON object"
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        try:
            return Draft.model_validate(data), None
        except ValidationError as exc:
            shown = "; ".join(
                f"{'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:6]
            )
            problem = f"the JSON does not match the draft schema: {shown}"
    return None, problem


def check_draft(
    draft: Draft,
    *,
    catalog: EvidenceCatalog,
    playbooks: Mapping[str, Playbook],
    name_technique: TechniqueNamer,
) -> list[str]:
    """What in the draft the evidence does not support; empty when it all checks out."""
    known = {e.id: e for e in catalog.entries()}
    errors: list[str] = []

    def cited(where: str, ids: list[str]) -> None:
        for evidence_id in ids:
            if evidence_id not in known:
                errors.append(f"{where}: evidence id {evidence_id!r} does not exist")

    def technique(where: str, technique_id: str) -> None:
        if name_technique(technique_id) is None:
            errors.append(f"{where}: {technique_id!r} is not an ATT&CK technique id")

    cited("verdict", draft.verdict.evidence_ids)
    cited("verdict counter-evidence", draft.verdict.counter_evidence_ids)
    for n, finding in enumerate(draft.findings, start=1):
        cited(f"finding {n}", finding.evidence_ids)
        for technique_id in finding.technique_ids:
            technique(f"finding {n}", technique_id)
        first = known.get(finding.evidence_ids[0])
        if (
            finding.quote
            and first is not None
            and not _quote_matches(finding.quote, first, catalog)
        ):
            errors.append(f"finding {n}: the quote is not in evidence {first.id}")
    for entry in draft.techniques:
        technique("techniques", entry.id)
        cited(f"technique {entry.id}", entry.evidence_ids)
    for n, event in enumerate(draft.timeline, start=1):
        cited(f"timeline {n}", event.evidence_ids)
    for n, action in enumerate(draft.actions, start=1):
        cited(f"action {n}", action.evidence_ids)
        playbook_id, _, section = action.playbook_ref.partition("#")
        playbook = playbooks.get(playbook_id)
        if playbook is None or section not in STEP_SECTIONS or not getattr(playbook, section):
            errors.append(f"action {n}: {action.playbook_ref!r} is not a playbook section")
    return errors[:MAX_ERRORS]


def _quote_matches(quote: str, evidence: Any, catalog: EvidenceCatalog) -> bool:
    wanted = " ".join(quote.split()).lower()
    if wanted in " ".join(evidence.quote.split()).lower():
        return True
    if evidence.artifact_id and evidence.locator:
        from triage.models import RecordRef

        record = catalog.record(
            RecordRef(artifact_id=evidence.artifact_id, locator=evidence.locator)
        )
        return record is not None and wanted in " ".join(record.raw.split()).lower()
    return False


def to_assessment(
    draft: Draft,
    *,
    verdict: Verdict,
    name_technique: TechniqueNamer,
    playbooks: Mapping[str, Playbook],
    catalog: EvidenceCatalog,
    notes: tuple[str, ...] = (),
) -> Assessment:
    """The checked draft as an Assessment; names, tactics and action sections come from the
    catalogues, not the model. Playbook citations are added for every action."""
    techniques: dict[str, list[str]] = {}
    for entry in draft.techniques:
        techniques.setdefault(_technique_id(entry.id), []).extend(entry.evidence_ids)
    for finding in draft.findings:
        for technique_id in finding.technique_ids:
            techniques.setdefault(_technique_id(technique_id), []).extend(finding.evidence_ids)
    named = []
    for technique_id, ids in techniques.items():
        name, tactic = name_technique(technique_id) or (technique_id, "unknown")
        named.append(
            Technique(id=technique_id, name=name, tactic=tactic, evidence_ids=_unique(ids))
        )
    actions = []
    for n, action in enumerate(draft.actions, start=1):
        playbook_id, _, section = action.playbook_ref.partition("#")
        playbook = playbooks[playbook_id]
        step = _closest_step(action.text, getattr(playbook, section))
        reference = catalog.cite_playbook_step(playbook_id=playbook_id, section=section, step=step)
        actions.append(
            Action(
                id=f"AC{n}",
                text=action.text,
                priority=action.priority,
                playbook_ref=action.playbook_ref,
                evidence_ids=_unique([*action.evidence_ids, reference]),
            )
        )
    return Assessment(
        verdict=verdict,
        title=draft.title or "Agent triage",
        summary=draft.summary,
        findings=tuple(
            Finding(
                id=f"F{n}",
                statement=f.statement,
                evidence_ids=_unique(f.evidence_ids),
                technique_ids=tuple(_technique_id(t) for t in f.technique_ids),
            )
            for n, f in enumerate(draft.findings, start=1)
        ),
        techniques=tuple(sorted(named, key=lambda t: t.id)),
        timeline=tuple(
            sorted(
                (
                    TimelineEntry(
                        time=e.time if e.time.tzinfo else e.time.replace(tzinfo=UTC),
                        description=e.description,
                        evidence_ids=_unique(e.evidence_ids),
                    )
                    for e in draft.timeline
                ),
                key=lambda e: e.time,
            )
        ),
        actions=tuple(actions),
        notes=notes,
    )


def _closest_step(text: str, steps: tuple[str, ...]) -> str:
    """The playbook step the action paraphrases most (shared words), cited as its source."""
    words = set(re.findall(r"\w{3,}", text.lower()))
    return max(steps, key=lambda step: len(words & set(re.findall(r"\w{3,}", step.lower()))))


def _technique_id(text: str) -> str:
    return text.strip().upper()


def _unique(ids: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
