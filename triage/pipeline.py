"""The run: ingest → observables → detect → enrich → playbooks → analyst → report.

Each stage hands the next a frozen model; nothing downstream reaches back upstream.
"""

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from triage import __version__
from triage.analysts.base import Analyst, CaseFile
from triage.detect import Detector
from triage.detect.coverage import CoverageMeter
from triage.detect.engine import rule_packs_used
from triage.enrich import Enricher
from triage.errors import ConfigError, ModelError
from triage.evidence import EvidenceCatalog
from triage.ingest import load_incident
from triage.knowledge import PlaybookSearch
from triage.knowledge.playbook import Playbook
from triage.models import (
    Detection,
    Incident,
    Observable,
    PlaybookHit,
    ProviderHealth,
    RunInfo,
    TokenUsage,
    TriageReport,
)
from triage.models.base import severity_rank
from triage.observables import extract_observables
from triage.report import assemble_report
from triage.settings import Settings
from triage.wiring import build_deps

if TYPE_CHECKING:
    from triage.analysts.agent import AgentEngine, AgentOutcome

Progress = Callable[[str], None]

# What to look for in the playbooks when no detection names the problem.
FORMAT_QUERIES = {
    "eml": "suspicious email phishing link attachment sender",
    "evtx": "windows event log investigation",
    "aws": "cloud account activity investigation",
    "zeek": "network connections beaconing command and control",
    "access_log": "web server attack exploitation",
    "auditd": "linux host compromise",
}


@dataclass(frozen=True, kw_only=True)
class TriageDeps:
    """Everything a run needs; triage.wiring.build_deps builds it once from the settings."""

    detector: Detector
    enricher: Enricher
    analyst: Analyst
    playbooks: PlaybookSearch | None
    library: dict[str, Playbook]
    health: tuple[ProviderHealth, ...] = ()
    notes: tuple[str, ...] = ()
    attack_version: str | None = None
    coverage: CoverageMeter | None = None
    agent: "AgentEngine | None" = None
    """The agent engine when the settings resolve to it; the analyst above is its grounding."""


def playbook_query(incident: Incident, detections: Sequence[Detection]) -> str:
    if detections:
        ranked = sorted(detections, key=lambda d: -severity_rank(d.level))
        return "; ".join(dict.fromkeys(d.title for d in ranked[:3]))
    formats = {a.format for a in incident.artifacts}
    sources = {r.source.split(".")[0] for r in incident.records[:1000]}
    words = [q for key, q in FORMAT_QUERIES.items() if key in formats or key in sources]
    return " ".join(words) or "security incident triage"


def find_playbooks(
    deps: TriageDeps,
    incident: Incident,
    detections: Sequence[Detection],
    observables: Sequence[Observable],
) -> tuple[PlaybookHit, ...]:
    if deps.playbooks is None:
        return ()
    techniques = sorted({t for d in detections for t in d.techniques})
    return tuple(
        deps.playbooks.search(
            playbook_query(incident, detections),
            techniques=techniques,
            observable_types=sorted({o.type for o in observables}),
            limit=5,
        )
    )


def triage_incident(
    incident: Incident,
    *,
    deps: TriageDeps,
    settings: Settings,
    progress: Progress | None = None,
    started: float | None = None,
) -> TriageReport:
    started = time.monotonic() if started is None else started
    say = progress or (lambda _message: None)
    say(f"{len(incident.records):,} records from {len(incident.artifacts)} artifact(s)")
    observables = extract_observables(incident)
    say(f"{len(observables):,} observables; running detections")
    detections = tuple(deps.detector.detect(incident))
    say(f"{len(detections)} detections; enriching")
    enrichments = tuple(deps.enricher.enrich_incident(incident, observables))
    hits = find_playbooks(deps, incident, detections, observables)
    case = CaseFile(
        coverage=deps.coverage.measure(incident) if deps.coverage else None,
        incident=incident,
        observables=observables,
        detections=detections,
        enrichments=enrichments,
        playbook_hits=hits,
        playbooks=deps.library,
    )
    catalog = EvidenceCatalog(incident)
    say(f"assessing with the {deps.analyst.name} engine")
    assessment = deps.analyst.assess(case, catalog)
    outcome: AgentOutcome | None = None
    if settings.resolved_engine == "agent" and deps.agent is not None:
        say("investigating with the agent engine")
        outcome = deps.agent.run(case, catalog, assessment)
        if outcome.fallback_reason and settings.no_fallback:
            raise ModelError(f"{outcome.fallback_reason} (--no-fallback)")
        assessment = outcome.assessment
    run = RunInfo(
        engine=outcome.engine if outcome else "rules",
        model=outcome.model if outcome else None,
        fallback_reason=outcome.fallback_reason if outcome else None,
        llm_calls=outcome.llm_calls if outcome else 0,
        tool_calls=outcome.tool_calls if outcome else 0,
        tokens=TokenUsage(
            input=outcome.input_tokens if outcome else 0,
            output=outcome.output_tokens if outcome else 0,
        ),
        duration_ms=_duration_ms(started),
        input_digest=incident.input_digest,
        triage_version=__version__,
        attack_version=deps.attack_version,
        rule_packs=rule_packs_used(deps.detector),
    )
    report = assemble_report(
        case=case,
        assessment=assessment,
        catalog=catalog,
        run=run,
        health=deps.health + tuple(deps.enricher.health()),
        notes=deps.notes,
    )
    if outcome is None:
        return report
    guardrails = report.guardrails.model_copy(
        update={
            "prompt_injection_suspected": outcome.prompt_injection_suspected,
            "redactions": outcome.redactions,
        }
    )
    return report.model_copy(update={"guardrails": guardrails})


def _duration_ms(started: float) -> int:
    # A reproducible build of the report (SOURCE_DATE_EPOCH) must not carry wall-clock noise.
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return 0
    return int((time.monotonic() - started) * 1000)


def triage_paths(
    paths: Sequence[str], *, settings: Settings, progress: Progress | None = None
) -> TriageReport:
    started = time.monotonic()
    if settings.engine == "agent" and not settings.models:
        raise ConfigError("--engine agent needs a model: set --model or TRIAGE_MODEL")
    incident = load_incident(
        paths, settings.limits, progress=progress and (lambda p: progress(f"reading {p}"))
    )
    deps = build_deps(settings, progress=progress)
    return triage_incident(
        incident, deps=deps, settings=settings, progress=progress, started=started
    )
