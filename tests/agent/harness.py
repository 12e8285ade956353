"""Run the real pipeline with the agent engine against a scripted server on 127.0.0.1.

The deps are those build_deps makes, less the Chroma index (the agent's playbook tool then
ranks the shipped library by shared words), so each run takes seconds."""

import functools
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SAMPLES
from triage.models import TriageReport
from triage.settings import Settings, load_settings


@functools.cache
def _detector() -> Any:
    from triage.wiring import build_detector

    return build_detector(load_settings(env={}, cwd=Path("/")))


def agent_settings(home: Path, base_url: str, **flags: Any) -> Settings:
    env = {
        "TRIAGE_HOME": str(home),
        "OPENAI_BASE_URL": base_url,
        "TRIAGE_MODEL": flags.pop("models", "scripted"),
        "TRIAGE_LLM_RETRIES": str(flags.pop("retries", 0)),
        "XDG_CONFIG_HOME": str(home / "no-config"),
    }
    return load_settings(env=env, cwd=home, engine="agent", **flags)


def run_rules(sample: str | Path, settings: Settings) -> TriageReport:
    """The same run with the rules engine alone (no agent is built)."""
    return run_agent(sample, settings, with_agent=False)


def run_agent(
    sample: str | Path,
    settings: Settings,
    *,
    http_client: httpx.Client | None = None,
    with_agent: bool = True,
) -> TriageReport:
    from triage.analysts.rules import RulesAnalyst
    from triage.enrich.attack import AttackCatalog
    from triage.enrich.registry import build_service
    from triage.enrich.windows_events import describe_event
    from triage.ingest import load_incident
    from triage.knowledge.lint import load_playbooks
    from triage.pipeline import TriageDeps, triage_incident
    from triage.wiring import (
        build_agent,
        enrichment_config,
        playbook_dirs,
        technique_namer,
    )

    detector, notes = _detector()
    enricher = build_service(enrichment_config(settings))
    namer = technique_namer(AttackCatalog())
    deps = TriageDeps(
        detector=detector,
        enricher=enricher,
        analyst=RulesAnalyst(name_technique=namer, describe_event=describe_event),
        playbooks=None,
        library={p.id: p for p in load_playbooks(playbook_dirs(settings))},
        notes=notes,
        agent=build_agent(
            settings, name_technique=namer, enricher=enricher, http_client=http_client
        )
        if with_agent
        else None,
    )
    incident = load_incident([str(SAMPLES / sample)], settings.limits)  # a Path stays as is
    return triage_incident(incident, deps=deps, settings=settings)
