"""`triage replay`: re-run a bundle's recorded inputs with its recorded tool and model traffic.

Strict (the default): every enrichment lookup, playbook search and model request must be
answered by the record, no socket is opened for them, and a call the record lacks fails the
replay with its name (exit 5). Live (`--engine`, `--model`, `--rules`): the same inputs under
another configuration; recorded tool answers are reused where they apply, anything else
(a new model, a new playbook query) is asked for real.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from triage.errors import InputError, ModelError
from triage.models import TriageReport
from triage.replay import bundle as layout
from triage.replay.bundle import Bundle
from triage.replay.record import (
    effective_config,
    incident_from_inputs,
    restored_settings,
    taped_deps,
)
from triage.settings import Settings

if TYPE_CHECKING:
    from triage.enrich.service import EnrichmentService
    from triage.pipeline import TriageDeps
    from triage.replay.tape import Answers

Progress = Callable[[str], None]
# The key of a strict replay's agent: the replaying transport sends nothing anywhere.
NO_KEY = "replay-sends-nothing"


class UnrecordedCall(ModelError):
    """Strict replay met a tool or model call the bundle has no answer for."""


@dataclass(frozen=True, kw_only=True)
class LiveChange:
    """What `--engine/--model/--rules` change; empty means a strict replay."""

    engine: str | None = None
    model: str | None = None
    rules_dirs: tuple[Path, ...] = ()

    @property
    def empty(self) -> bool:
        return self.engine is None and self.model is None and not self.rules_dirs


@dataclass(frozen=True)
class Replayed:
    bundle: Bundle
    recorded: TriageReport
    replayed: TriageReport
    live: bool


@dataclass
class DepsCache:
    """Detection rules, enrichment data and the playbook index are built once per
    configuration, however many bundles are replayed with it."""

    built: dict[str, "TriageDeps"] = field(default_factory=dict)

    def get(self, settings: Settings, progress: Progress | None) -> "TriageDeps":
        from triage.wiring import build_deps

        key = json.dumps(effective_config(settings), sort_keys=True)
        if key not in self.built:
            self.built[key] = build_deps(settings, progress=progress)
        return self.built[key]


def replay_settings(bundle: Bundle, current: Settings, change: LiveChange) -> Settings:
    config = bundle.read_json(layout.CONFIG)
    if not isinstance(config, dict):
        raise InputError(f"{layout.CONFIG} must be a JSON object", source=bundle.name)
    settings = restored_settings(config, current, strict=change.empty)
    if not change.empty:
        return settings.with_overrides(
            engine=change.engine,
            model=change.model,
            rules_dirs=settings.rules_dirs + change.rules_dirs,
        )
    # Strict: the replaying transport answers every request, so no key of this machine's is
    # needed, and none is put in a request.
    return replace(
        settings,
        api_key=NO_KEY,
        azure_api_key=NO_KEY if settings.azure_endpoint else None,
        vt_api_key=None,
        abuseipdb_api_key=None,
    )


def replay_bundle(
    bundle: Bundle,
    *,
    current: Settings,
    change: LiveChange | None = None,
    cache: DepsCache | None = None,
    progress: Progress | None = None,
    inputs_from: Path | None = None,
) -> Replayed:
    """`inputs_from`: the folder the user names for inputs the bundle did not copy (looked up
    by recorded relative path, then file name, and hash-checked); the bundle never chooses."""
    import httpx

    from triage.pipeline import triage_incident
    from triage.replay.http import ReplayTransport
    from triage.replay.tape import Answers, ReplaySearch

    change = change or LiveChange()
    live = not change.empty
    settings = replay_settings(bundle, current, change)
    manifest = bundle.manifest
    limit = settings.limits.max_file_bytes
    inputs = [
        (item.path, bundle.input_bytes(item, max_bytes=limit, inputs_from=inputs_from))
        for item in manifest.inputs
    ]
    incident = incident_from_inputs(inputs, settings)
    if incident.input_digest != manifest.input_digest:
        raise InputError(
            "the inputs do not add up to the recorded input digest", source=bundle.name
        )
    base = (cache or DepsCache()).get(settings, progress)
    try:
        answers = Answers.from_record(
            bundle.read_jsonl(layout.ENRICHMENT), bundle.read_jsonl(layout.PLAYBOOKS)
        )
    except ValueError as exc:
        message = " ".join(str(exc).split())[:200]
        raise InputError(f"bad recorded tool traffic: {message}", source=bundle.name) from exc
    exchanges = bundle.read_jsonl(layout.LLM)
    if not all(isinstance(e, dict) and isinstance(e.get("request"), dict) for e in exchanges):
        raise InputError(f"{layout.LLM}: an exchange has no request", source=bundle.name)
    transport = ReplayTransport(exchanges)
    client = httpx.Client(transport=transport) if not live else None
    deps = taped_deps(
        base,
        settings,
        enricher=_replay_service(bundle, settings, answers, live=live),
        playbooks=ReplaySearch(answers, fallback=base.playbooks if live else None),
        http_client=client,
    )
    try:
        report = triage_incident(incident, deps=deps, settings=settings, progress=progress)
    finally:
        if client is not None:
            client.close()
    misses = answers.misses + transport.misses
    if misses:
        more = f" (and {len(misses) - 1} more)" if len(misses) > 1 else ""
        raise UnrecordedCall(
            f"unrecorded call under strict replay: {misses[0]}{more}", source=bundle.name
        )
    return Replayed(bundle=bundle, recorded=bundle.report(), replayed=report, live=live)


def _replay_service(
    bundle: Bundle, settings: Settings, answers: "Answers", *, live: bool
) -> "EnrichmentService":
    """The recorded providers, answered from the record; live re-runs ask the real provider
    of the same name for a lookup the record does not have."""
    from triage.enrich.registry import build_providers, email_analyser
    from triage.enrich.service import EnrichmentService
    from triage.replay.tape import ReplayProvider, replay_analyser
    from triage.wiring import enrichment_config

    config = enrichment_config(settings)
    real = {p.name: p for p in build_providers(config)} if live else {}
    table = bundle.read_json(layout.PROVIDERS)
    if not isinstance(table, list):
        raise InputError(f"{layout.PROVIDERS} must be a list", source=bundle.name)
    providers = []
    for row in table[:200]:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise InputError(f"{layout.PROVIDERS}: bad provider entry", source=bundle.name)
        providers.append(
            ReplayProvider(
                name=row["name"],
                observable_types=frozenset(str(t) for t in row.get("observable_types", [])),
                offline=bool(row.get("offline", True)),
                answers=answers,
                fallback=real.get(row["name"]),
            )
        )
    return EnrichmentService(
        providers,
        offline=settings.offline,
        email_analyser=replay_analyser(answers, email_analyser(config) if live else None),
    )
