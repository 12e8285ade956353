"""Arbitration between the agent's verdict and the rules engine's: while hard evidence stands
(an intelligence hit, a high or critical detection), the agent cannot lower the call unless it
cites counter-evidence that resolves; it may raise the call with cited evidence."""

from dataclasses import dataclass

from triage.analysts.agent.draft import DraftVerdict
from triage.analysts.base import CaseFile
from triage.evidence import EvidenceCatalog
from triage.models import Verdict
from triage.models.base import severity_rank

# How strongly a classification asserts that something is wrong.
_WEIGHT = {"false_positive": 0, "benign_positive": 0, "undetermined": 1, "true_positive": 2}


@dataclass(frozen=True, kw_only=True)
class Arbitrated:
    verdict: Verdict
    notes: tuple[str, ...]


def hard_evidence(case: CaseFile) -> tuple[str, ...]:
    """What the rules engine holds that a model's opinion alone cannot overturn."""
    held = [
        f"{d.level} detection '{d.title}'"
        for d in case.detections
        if d.layer != "notable" and severity_rank(d.level) >= severity_rank("high")
    ]
    held += [
        f"intelligence hit {e.provider} on {e.value}"
        for e in case.enrichments
        if e.status == "ok" and e.verdict == "malicious"
    ]
    return tuple(held)


def arbitrate(
    draft: DraftVerdict, rules: Verdict, *, case: CaseFile, catalog: EvidenceCatalog
) -> Arbitrated:
    known = {e.id for e in catalog.entries()}
    counter = [i for i in draft.counter_evidence_ids if i in known]
    cited = [i for i in draft.evidence_ids if i in known]
    held = hard_evidence(case)
    proposed = Verdict(
        classification=draft.classification,
        determination=draft.determination,
        severity=draft.severity,
        confidence=round(draft.confidence, 3),
        needs_human=draft.classification == "undetermined" or draft.confidence < 0.7,
        rationale=draft.rationale,
        malicious_probability=rules.malicious_probability,
    )
    lowers_class = _WEIGHT[draft.classification] < _WEIGHT[rules.classification]
    lowers_severity = severity_rank(draft.severity) < severity_rank(rules.severity)
    raises_class = _WEIGHT[draft.classification] > _WEIGHT[rules.classification]
    raises_severity = severity_rank(draft.severity) > severity_rank(rules.severity)
    notes: list[str] = []
    if (lowers_class or lowers_severity) and held and not counter:
        notes.append(
            f"arbitration: the agent proposed {draft.classification}/{draft.severity} below the "
            f"rules engine's {rules.classification}/{rules.severity} without verifiable "
            f"counter-evidence while hard evidence stands ({'; '.join(held[:3])}); the rules "
            "verdict is kept"
        )
        return Arbitrated(verdict=_held(rules, draft), notes=tuple(notes))
    if (lowers_class or lowers_severity) and held:
        notes.append(
            f"arbitration: the agent lowered the verdict to {draft.classification}/"
            f"{draft.severity} citing counter-evidence {', '.join(counter)}"
        )
        return Arbitrated(
            verdict=proposed.model_copy(update={"needs_human": True}), notes=tuple(notes)
        )
    if (raises_class or raises_severity) and not cited:
        notes.append(
            f"arbitration: the agent raised the verdict to {draft.classification}/"
            f"{draft.severity} without citing evidence; the rules verdict "
            f"{rules.classification}/{rules.severity} is kept"
        )
        return Arbitrated(verdict=_held(rules, draft), notes=tuple(notes))
    if raises_class or raises_severity:
        notes.append(
            f"arbitration: the agent raised the verdict from {rules.classification}/"
            f"{rules.severity} to {draft.classification}/{draft.severity} citing "
            f"{', '.join(cited)}"
        )
    elif lowers_class or lowers_severity:
        notes.append(
            f"arbitration: the agent lowered the verdict from {rules.classification}/"
            f"{rules.severity} to {draft.classification}/{draft.severity}; no hard evidence "
            "stood against it"
        )
    else:
        notes.append(
            f"arbitration: the agent agrees with the rules engine "
            f"({rules.classification}/{rules.severity})"
        )
    return Arbitrated(verdict=proposed, notes=tuple(notes))


def _held(rules: Verdict, draft: DraftVerdict) -> Verdict:
    return rules.model_copy(
        update={
            "needs_human": True,
            "rationale": f"{rules.rationale} The agent disagreed ({draft.classification}, "
            f"{draft.severity}) without the evidence to do so.",
        }
    )
