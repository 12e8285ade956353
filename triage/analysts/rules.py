"""The deterministic analyst: detections and enrichment verdicts → a scored, cited assessment.

Offline, fast and reproducible; it is also the grounding and the fallback of the agent engine.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from triage.analysts.base import Assessment, CaseFile, EventDescriber, TechniqueNamer
from triage.analysts.disposition import Disposition, adjusted_probability, prior_disposition
from triage.analysts.scoring import (
    MAX_STAGES,
    case_features,
    has_evidence,
    is_mail_case,
    is_mail_trait,
    load_model,
)
from triage.evidence import EvidenceCatalog
from triage.models import (
    Action,
    Coverage,
    Detection,
    EnrichmentResult,
    Finding,
    Technique,
    TimelineEntry,
    Verdict,
)
from triage.models.base import SEVERITY_ORDER, Severity, severity_rank
from triage.models.report import Classification, Priority

FLAGGED_VERDICTS = frozenset({"malicious", "suspicious"})
CONFIDENT = 0.7  # below this, a benign call still asks for a person
WEAK_EVIDENCE_AT = 0.9  # a true positive on a lone low-level rule needs this probability
MULTI_STAGE = 3
MAX_TIMELINE = 40
MAX_ACTIONS = 8
MAX_TITLE = 100
ACTION_PRIORITY: dict[Severity, Priority] = {
    "critical": "immediate",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "informational": "low",
}
MAX_STATEMENT = 300


@dataclass(frozen=True, kw_only=True)
class RulesAnalyst:
    name: str = "rules"
    name_technique: TechniqueNamer | None = None
    describe_event: EventDescriber | None = None

    def assess(self, case: CaseFile, catalog: EvidenceCatalog) -> Assessment:
        findings: list[Finding] = []
        technique_evidence: dict[str, list[str]] = {}
        for detection in case.detections:
            evidence_ids = catalog.cite_detection(detection)
            if not evidence_ids:
                continue
            findings.append(
                Finding(
                    id=f"F{len(findings) + 1}",
                    statement=_detection_statement(detection),
                    evidence_ids=evidence_ids,
                    technique_ids=detection.techniques,
                )
            )
            for technique in detection.techniques:
                technique_evidence.setdefault(technique, []).extend(evidence_ids)
        flagged = [
            e for e in case.enrichments if e.status == "ok" and e.verdict in FLAGGED_VERDICTS
        ]
        for result in flagged:
            findings.append(
                Finding(
                    id=f"F{len(findings) + 1}",
                    statement=_clip(f"{result.provider}: {result.summary}", MAX_STATEMENT),
                    evidence_ids=(catalog.cite_enrichment(result),),
                )
            )
        verdict = _verdict(
            case.detections,
            flagged,
            case.coverage,
            stages=self.attack_stages(case.detections),
            weak_stages=self.attack_stages(case.detections, level="low"),
            mail=is_mail_case(case.incident.records),
        )
        disposition = prior_disposition(case.incident.records)
        if disposition is not None:
            evidence_id = catalog.cite_record(disposition.ref, values=(disposition.value,))
            if evidence_id is not None:
                findings.append(
                    Finding(
                        id=f"F{len(findings) + 1}",
                        statement=_clip(
                            f"The alerting product records an analyst's classification: "
                            f"{disposition.label}",
                            MAX_STATEMENT,
                        ),
                        evidence_ids=(evidence_id,),
                    )
                )
                verdict = _with_disposition(verdict, disposition, flagged)
        techniques = self._techniques(technique_evidence)
        return Assessment(
            verdict=verdict,
            title=_title(case.detections, flagged),
            summary=_summary(verdict, findings, techniques),
            findings=tuple(findings),
            techniques=techniques,
            timeline=self._timeline(case, catalog),
            actions=_actions(case, catalog, verdict),
        )

    def _techniques(self, evidence: dict[str, list[str]]) -> tuple[Technique, ...]:
        techniques = []
        for technique_id in sorted(evidence):
            named = self.name_technique(technique_id) if self.name_technique else None
            name, tactic = named or (technique_id, "unknown")
            techniques.append(
                Technique(
                    id=technique_id,
                    name=name,
                    tactic=tactic,
                    evidence_ids=tuple(dict.fromkeys(evidence[technique_id])),
                )
            )
        return tuple(techniques)

    def _timeline(self, case: CaseFile, catalog: EvidenceCatalog) -> tuple[TimelineEntry, ...]:
        """When each detection was first (and, if it repeats, last) seen; most severe first
        when the timeline must be cut, then in time order."""
        entries: dict[tuple[datetime, str], tuple[int, TimelineEntry]] = {}
        for detection in case.detections:
            timed = sorted(
                (
                    (record.timestamp, ref)
                    for ref in detection.records
                    if (record := catalog.record(ref)) is not None and record.timestamp is not None
                ),
                key=lambda pair: (pair[0], pair[1].locator),
            )
            if not timed:
                continue
            ends = (
                [("first of", timed[0]), ("last of", timed[-1])]
                if len(timed) > 1
                else [("", timed[0])]
            )
            for position, (time, ref) in ends:
                record = catalog.record(ref)
                evidence_id = catalog.cite_record(
                    ref, values=detection.matched_fields.values(), kind="detection"
                )
                if record is None or evidence_id is None:
                    continue
                event = self._event_text(record.fields.get("Channel"), record.fields.get("EventID"))
                count = f" — {position} {len(detection.records)}" if position else ""
                description = detection.title + count + (f" ({event})" if event else "")
                entry = TimelineEntry(
                    time=time, description=description, evidence_ids=(evidence_id,)
                )
                entries.setdefault((time, ref.locator), (severity_rank(detection.level), entry))
        kept = sorted(entries.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_TIMELINE]
        return tuple(entry for _, (_, entry) in sorted(kept, key=lambda item: item[0]))

    def attack_stages(self, detections: Iterable[Detection], *, level: str | None = None) -> int:
        """Distinct ATT&CK tactics among the rule detections of medium level and above, or of
        exactly `level` when it is given."""
        tactics: set[str] = set()
        for detection in detections:
            if detection.layer == "notable" or is_mail_trait(detection):
                continue  # context, and the traits of one message are one step, not stages
            if level is not None and detection.level != level:
                continue
            if level is None and severity_rank(detection.level) < severity_rank("medium"):
                continue
            for technique in detection.techniques:
                named = self.name_technique(technique) if self.name_technique else None
                if named:
                    tactics.update(t.strip() for t in named[1].split(","))
        return len(tactics)

    def _event_text(self, channel: object, event_id: object) -> str | None:
        if self.describe_event is None or not isinstance(channel, str):
            return None
        try:
            return self.describe_event(channel, int(str(event_id)))
        except ValueError:
            return None


def _detection_statement(detection: Detection) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in list(detection.matched_fields.items())[:3])
    count = len(detection.records)
    where = f"{count} record{'s' if count != 1 else ''}"
    return f"{detection.title} ({detection.level}; {where}{'; ' + shown if shown else ''})"


def _verdict(
    detections: tuple[Detection, ...],
    flagged: list[EnrichmentResult],
    coverage: Coverage | None,
    *,
    stages: int,
    weak_stages: int = 0,
    mail: bool = False,
) -> Verdict:
    """The scoring model's probability, read against what triage could see."""
    model = load_model()
    features = case_features(
        detections, flagged, coverage, stages=stages, weak_stages=weak_stages, mail=mail
    )
    p = round(model.probability(features), 3)
    rules = [d for d in detections if d.layer != "notable"]
    top: Severity = max((d.level for d in rules), key=severity_rank, default="informational")
    notable_top: Severity = max(
        (d.level for d in detections if d.layer == "notable"),
        key=severity_rank,
        default="informational",
    )
    if flagged and severity_rank(top) < severity_rank("medium"):
        top = "medium" if any(f.verdict == "malicious" for f in flagged) else "low"
    seen = _coverage_words(coverage)
    # Notable events alone never make a true positive: they are what an analyst looks at next,
    # not a behaviour a rule called malicious.
    # Weak evidence alone (one low-level rule) needs the model to be sure, not just inclined.
    needed = model.true_positive_at if _substantive(detections, features) else WEAK_EVIDENCE_AT
    if p >= needed and has_evidence(rules, features["intel"]):
        if stages >= MULTI_STAGE:
            # Several attack stages together make the incident worse than its worst single step.
            top = SEVERITY_ORDER[min(severity_rank(top) + 1, len(SEVERITY_ORDER) - 1)]
        if severity_rank(top) < severity_rank("low"):
            top = "low" if severity_rank(notable_top) < severity_rank("medium") else "medium"
        return Verdict(
            classification="true_positive",
            determination="malicious activity",
            severity=top,
            confidence=p,
            malicious_probability=p,
            needs_human=p < 0.8 or severity_rank(top) >= severity_rank("critical"),
            rationale=f"Detections support malicious activity (p={p}). {seen}",
        )
    well_covered = coverage is not None and coverage.status == "well_covered"
    if well_covered and not has_evidence(detections, features["intel"]):
        quiet = "only informational events, no detection" if detections else "no detection"
        return _benign(
            "false_positive",
            "no threats found",
            p,
            f"No threats found: {quiet} and no intelligence hit in well-covered telemetry "
            f"(p={p}). {seen}",
        )
    if p < model.benign_below and well_covered:
        return _benign(
            "benign_positive",
            "activity explained as legitimate",
            p,
            f"Only weak signals (p={p}) in well-covered telemetry: what fired reads as ordinary "
            f"activity. {seen}",
        )
    if p < model.benign_below:
        return Verdict(
            classification="undetermined",
            determination="insufficient visibility",
            severity="informational",
            confidence=round(max(p, 1 - p), 3),
            malicious_probability=p,
            needs_human=True,
            rationale=f"Nothing malicious found (p={p}), but triage barely understands this "
            f"telemetry, so that absence says little. {seen}",
        )
    return Verdict(
        classification="undetermined",
        determination="suspicious activity",
        severity=top if severity_rank(top) >= severity_rank("low") else "low",
        confidence=round(max(p, 1 - p), 3),
        malicious_probability=p,
        needs_human=True,
        rationale=f"Suspicious signals (p={p}) but not enough to call it malicious. {seen}",
    )


def _with_disposition(
    verdict: Verdict, disposition: Disposition, flagged: list[EnrichmentResult]
) -> Verdict:
    """The verdict once a person's earlier classification of the incident is weighed in."""
    p = verdict.malicious_probability if verdict.malicious_probability is not None else 0.5
    adjusted = adjusted_probability(p, disposition)
    said = f"Already classified in the alerting product as {disposition.label}."
    if disposition.classification == "true_positive":
        severity = verdict.severity
        if severity_rank(severity) < severity_rank("medium"):
            severity = "medium"
        return verdict.model_copy(
            update={
                "classification": "true_positive",
                "determination": "malicious activity (confirmed by an analyst)",
                "severity": severity,
                "confidence": adjusted,
                "malicious_probability": adjusted,
                "rationale": f"{said} {verdict.rationale}",
            }
        )
    if any(f.verdict == "malicious" for f in flagged):
        return verdict.model_copy(
            update={
                "needs_human": True,
                "rationale": f"{said} Threat intelligence disagrees, so it stands as "
                f"assessed. {verdict.rationale}",
            }
        )
    real = severity_rank(verdict.severity) >= severity_rank("medium")
    quiet: Severity = (
        "low" if real and disposition.classification == "benign_positive" else "informational"
    )
    confidence = round(1 - adjusted, 3)
    return Verdict(
        classification=disposition.classification,
        determination="authorised or expected activity"
        if disposition.classification == "benign_positive"
        else "classified as a false positive",
        severity=quiet,
        confidence=confidence,
        malicious_probability=adjusted,
        # High-severity activity explained by a note still deserves a look that the note
        # covers all of it (host, account, time window).
        needs_human=confidence < CONFIDENT
        or severity_rank(verdict.severity) >= severity_rank("high"),
        rationale=f"{said} The detections (p={p} before that) describe the activity, "
        f"not its intent.",
    )


def _substantive(detections: tuple[Detection, ...], features: Mapping[str, float]) -> bool:
    """Evidence that can carry a true positive: a rule of medium level or above, a malicious
    intelligence verdict, low-level rules of different kinds across tactics, or a low-level rule
    that a notable event on other records corroborates. One low-level rule alone is a hunting
    lead: ordinary activity brushes such rules every day."""
    if features["intel"] >= 1 or features["weak_breadth"] >= 2 / MAX_STAGES:
        return True
    rules = [d for d in detections if d.layer != "notable"]
    if any(severity_rank(d.level) >= severity_rank("medium") for d in rules):
        return True
    weak = {r for d in rules if d.level == "low" for r in d.records}
    return bool(weak) and any(
        d.layer == "notable"
        and severity_rank(d.level) >= severity_rank("low")
        and not weak.issuperset(d.records)
        for d in detections
    )


def _benign(
    classification: Classification, determination: str, p: float, rationale: str
) -> Verdict:
    confidence = round(1 - p, 3)
    return Verdict(
        classification=classification,
        determination=determination,
        severity="informational",
        confidence=confidence,
        malicious_probability=p,
        needs_human=confidence < CONFIDENT,
        rationale=rationale,
    )


def _coverage_words(coverage: Coverage | None) -> str:
    if coverage is None:
        return ""
    state = coverage.status.replace("_", " ")
    return (
        f"Telemetry {state}: {coverage.share_covered:.0%} of "
        f"{coverage.records_examined:,} records are of kinds the rules read."
    )


def _title(detections: tuple[Detection, ...], flagged: list[EnrichmentResult]) -> str:
    if detections:
        top = max(detections, key=lambda d: severity_rank(d.level))
        more = len(detections) - 1
        return top.title + (f" (+{more} more detection{'s' if more > 1 else ''})" if more else "")
    if flagged:
        return _clip(f"{flagged[0].provider}: {flagged[0].summary}", MAX_TITLE)
    return "No detections"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _summary(verdict: Verdict, findings: list[Finding], techniques: tuple[Technique, ...]) -> str:
    head = (
        f"{verdict.classification.replace('_', ' ').capitalize()} "
        f"({verdict.severity}, confidence {verdict.confidence:.2f}): {verdict.determination}."
    )
    if not findings:
        return head
    named = ", ".join(f"{t.id} {t.name}" for t in techniques[:5])
    return f"{head} {len(findings)} finding(s)" + (f"; techniques: {named}." if named else ".")


def _actions(case: CaseFile, catalog: EvidenceCatalog, verdict: Verdict) -> tuple[Action, ...]:
    """Containment steps from the best-matching playbooks, each cited to its section."""
    priority = ACTION_PRIORITY[verdict.severity]
    actions: list[Action] = []
    seen: set[str] = set()
    sections = (
        ("containment",) if verdict.classification == "true_positive" else ("triage_questions",)
    )
    for hit in case.playbook_hits:
        playbook = case.playbooks.get(hit.playbook_id)
        if playbook is None or hit.playbook_id in seen:
            continue
        seen.add(hit.playbook_id)
        for section in sections:
            for step in getattr(playbook, section)[:3]:
                evidence_id = catalog.cite_playbook_step(
                    playbook_id=playbook.id, section=section, step=step
                )
                actions.append(
                    Action(
                        id=f"AC{len(actions) + 1}",
                        text=step,
                        priority=priority,
                        playbook_ref=f"{playbook.id}#{section}",
                        evidence_ids=(evidence_id,),
                    )
                )
        if len(actions) >= MAX_ACTIONS or len(seen) >= 2:
            break
    return tuple(actions[:MAX_ACTIONS])
