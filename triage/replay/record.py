"""`triage run --bundle`: triage an incident as `triage run` does, with every tool and model
exchange recorded, and write the bundle (inputs, configuration, traffic, report)."""

import time
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from triage.errors import ConfigError, InputError, UsageError
from triage.models import TriageReport
from triage.replay import bundle as layout
from triage.replay.http import public_url
from triage.replay.tape import Tape
from triage.settings import Settings

if TYPE_CHECKING:
    import httpx

    from triage.enrich.service import EnrichmentService
    from triage.knowledge import PlaybookSearch
    from triage.models import Incident
    from triage.pipeline import TriageDeps

Progress = Callable[[str], None]
SECRET_FIELDS = frozenset(f.name for f in fields(Settings) if not f.repr)
# A bundle is untrusted: replay restores only these recorded knobs, which choose built-in
# behaviour and reach neither the network nor the file system. The endpoint, offline, local
# folders (rules, playbooks, intel, home), limits, budgets and secrets are always this
# machine's (docs/bundles.md).
RESTORED_FIELDS = frozenset(
    {"engine", "model", "shipped_playbooks", "rule_packs", "protected_brands", "no_fallback"}
)
# Strict replay also restores what shapes the recorded model requests: its transport answers
# from the record and opens no socket, so these reach nothing there.
STRICT_FIELDS = frozenset(
    {"base_url", "azure_endpoint", "azure_api_version"}
    | {"llm_timeout", "llm_retries", "max_steps", "max_tokens"}
)


def effective_config(settings: Settings) -> dict[str, Any]:
    """The settings the run used, without secrets (key fields only say whether one was set)."""
    data: dict[str, Any] = TypeAdapter(Settings).dump_python(settings, mode="json")
    for name in SECRET_FIELDS:
        data[name] = None
        data[f"{name}_set"] = bool(getattr(settings, name))
    for name in ("base_url", "azure_endpoint"):
        if data.get(name):
            data[name] = public_url(str(data[name]))
    return dict(sorted(data.items()))


def restored_settings(
    config: dict[str, Any], current: Settings, *, strict: bool = False
) -> Settings:
    """This machine's settings with the bundle's inert knobs (RESTORED_FIELDS, and under
    strict replay STRICT_FIELDS); PII redaction is the union of both, so a bundle can only
    make replay redact more."""
    from triage.analysts.agent.guardrails import PII_CLASSES

    adapter = TypeAdapter(Settings)
    merged: dict[str, Any] = adapter.dump_python(current, mode="json")
    allowed = RESTORED_FIELDS | STRICT_FIELDS if strict else RESTORED_FIELDS
    merged.update({k: v for k, v in config.items() if k in allowed})
    recorded_pii = config.get("redact_pii")
    if isinstance(recorded_pii, list):
        known = set(PII_CLASSES) & {c for c in recorded_pii[:20] if isinstance(c, str)}
        merged["redact_pii"] = sorted(set(merged["redact_pii"]) | known)
    try:
        return adapter.validate_python(merged)
    except ValueError as exc:
        message = " ".join(str(exc).split())[:200]
        raise InputError(f"the recorded configuration does not apply: {message}") from exc


def incident_from_inputs(inputs: Sequence[tuple[str, bytes]], settings: Settings) -> "Incident":
    """The Incident that `load_incident` builds, from (path as shown, bytes) pairs: recording
    and replay both read the artifacts this way, so both see exactly the same bytes."""
    from triage.ingest import incident_from_bytes

    return incident_from_bytes(inputs, settings.limits)


def taped_deps(
    deps: "TriageDeps",
    settings: Settings,
    *,
    enricher: "EnrichmentService",
    playbooks: "PlaybookSearch | None",
    http_client: "httpx.Client | None",
) -> "TriageDeps":
    """The same dependencies with enrichment, playbook search and model traffic swapped for
    recording or replaying ones (the agent gets the same enricher and search)."""
    from triage.wiring import build_agent

    agent = None
    if deps.agent is not None:
        agent = build_agent(
            settings,
            name_technique=deps.agent.name_technique,
            enricher=enricher,
            playbooks=playbooks,
            http_client=http_client,
        )
    return replace(deps, enricher=enricher, playbooks=playbooks, agent=agent)


def recording_service(settings: Settings, tape: Tape) -> "EnrichmentService":
    from triage.enrich.registry import build_providers, email_analyser
    from triage.enrich.service import EnrichmentService
    from triage.replay.tape import RecordingProvider, recording_analyser
    from triage.wiring import enrichment_config

    config = enrichment_config(settings)
    return EnrichmentService(
        [RecordingProvider(p, tape) for p in build_providers(config)],
        offline=config.offline,
        email_analyser=recording_analyser(email_analyser(config), tape),
    )


def check_bundle_place(folder: Path, paths: Sequence[str]) -> None:
    """A bundle inside an input folder would be read as artifacts by the next run of that
    folder, unless it is hidden (collect_paths skips hidden names)."""
    target = folder.resolve()
    for raw in paths:
        if raw != "-" and Path(raw).resolve().is_relative_to(target):
            raise UsageError(
                f"the input {raw} is inside the bundle folder {folder}, which the bundle "
                "replaces: choose a bundle folder elsewhere"
            )
    for raw in paths:
        if raw == "-" or not Path(raw).is_dir():
            continue
        root = Path(raw).resolve()
        if target.is_relative_to(root):
            parts = target.relative_to(root).parts
            if not any(part.startswith(".") for part in parts):
                raise UsageError(
                    f"the bundle folder {folder} is inside the input folder {raw}: the next run "
                    "would read it as artifacts; use a hidden name such as "
                    f"{Path(raw) / '.bundle'}, or a folder elsewhere"
                )


def record_run(
    paths: Sequence[str],
    *,
    settings: Settings,
    folder: Path,
    copy_inputs: bool = True,
    deps: "TriageDeps | None" = None,
    progress: Progress | None = None,
) -> TriageReport:
    """Triage `paths` and write the bundle; `deps` (already built) lets a caller record many."""
    started = time.monotonic()
    if settings.engine == "agent" and not settings.models:
        raise ConfigError("--engine agent needs a model: set --model or TRIAGE_MODEL")
    check_bundle_place(folder, paths)
    writer = layout.BundleWriter(folder)
    writer.prepare()
    try:
        return _record(paths, settings, writer, copy_inputs, deps, progress, started)
    except BaseException:
        writer.abort()
        raise


def _record(
    paths: Sequence[str],
    settings: Settings,
    writer: layout.BundleWriter,
    copy_inputs: bool,
    deps: "TriageDeps | None",
    progress: Progress | None,
    started: float,
) -> TriageReport:
    import httpx

    from triage.ingest import STDIN, collect_paths, read_capped
    from triage.pipeline import triage_incident
    from triage.replay.http import RecordingTransport
    from triage.replay.tape import RecordingSearch
    from triage.wiring import build_deps

    target = writer.target.resolve()
    inputs: list[tuple[str, bytes, str | None]] = []
    for path in collect_paths(paths, settings.limits):
        if progress:
            progress(f"reading {path}")
        if path != STDIN and Path(path).resolve().is_relative_to(target):
            raise UsageError(f"the input {path} is inside the bundle folder {writer.target}")
        data = read_capped(path, settings.limits)
        if path == STDIN:
            inputs.append(("<stdin>", data, None))
        else:
            inputs.append((path, data, str(Path(path).resolve())))
    incident = incident_from_inputs([(p, d) for p, d, _ in inputs], settings)
    base = deps or build_deps(settings, progress=progress)
    tape = Tape()
    service = recording_service(settings, tape)
    transport = RecordingTransport()
    client = httpx.Client(transport=transport) if base.agent is not None else None
    taped = taped_deps(
        base,
        settings,
        enricher=service,
        playbooks=RecordingSearch(base.playbooks, tape) if base.playbooks else None,
        http_client=client,
    )
    try:
        report = triage_incident(
            incident, deps=taped, settings=settings, progress=progress, started=started
        )
    finally:
        if client is not None:
            client.close()
    for path, data, location in inputs:
        # Stdin cannot be read again: its bytes are always kept.
        writer.add_input(
            path=path, data=data, copy=copy_inputs or location is None, location=location
        )
    writer.add_json(layout.CONFIG, effective_config(settings))
    writer.add_json(layout.PROVIDERS, _provider_table(service))
    writer.add_jsonl(layout.ENRICHMENT, tape.enrichment)
    writer.add_jsonl(layout.PLAYBOOKS, tape.playbooks)
    writer.add_jsonl(layout.LLM, transport.exchanges)
    label = _label_of(paths)
    if label is not None:
        writer.add_text(f"{layout.LABEL_DIR}/{label.name}", label.read_text(encoding="utf-8"))
    writer.finish(report, label=f"{layout.LABEL_DIR}/{label.name}" if label else None)
    return report


def _provider_table(service: "EnrichmentService") -> list[dict[str, Any]]:
    return [
        {"name": p.name, "observable_types": sorted(p.observable_types), "offline": p.offline}
        for p in service.providers
    ]


def _label_of(paths: Sequence[str]) -> Path | None:
    """The label of a labelled case folder given alone (expected.yaml first), for eval."""
    if len(paths) != 1 or not Path(paths[0]).is_dir():
        return None
    for name in layout.LABEL_NAMES:
        candidate = Path(paths[0]) / name
        regular = candidate.is_file() and not candidate.is_symlink()
        if regular and candidate.stat().st_size <= 1024 * 1024:
            return candidate
    return None
