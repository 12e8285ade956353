"""Build a run's dependencies from Settings: the one place that knows the concrete classes."""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from triage.analysts.base import TechniqueNamer
from triage.errors import ConfigError
from triage.knowledge import PlaybookSearch
from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.playbook import Playbook
from triage.models import ProviderHealth
from triage.settings import Settings

if TYPE_CHECKING:
    import httpx

    from triage.analysts.agent import AgentEngine
    from triage.detect import Detector
    from triage.detect.rules import CompiledRule
    from triage.enrich.attack import AttackCatalog
    from triage.enrich.provider import EnrichmentConfig
    from triage.enrich.service import EnrichmentService
    from triage.pipeline import TriageDeps

Progress = Callable[[str], None]


def playbook_dirs(settings: Settings) -> tuple[Path, ...]:
    """The shipped playbook library, then the team's own folders from the configuration."""
    from triage.knowledge.lint import shipped_playbook_dir

    shipped = (shipped_playbook_dir(),) if settings.shipped_playbooks else ()
    return tuple(dict.fromkeys((*shipped, *settings.playbook_dirs)))


def knowledge_config(settings: Settings) -> KnowledgeConfig:
    return KnowledgeConfig(
        home=settings.home, chroma_url=settings.chroma_url, playbook_dirs=playbook_dirs(settings)
    )


def enrichment_config(settings: Settings) -> "EnrichmentConfig":
    from triage.enrich.provider import DEFAULT_BRANDS, EnrichmentConfig, Secret

    return EnrichmentConfig(
        offline=settings.offline,
        intel_dir=settings.intel_dir,
        protected_brands=settings.protected_brands or DEFAULT_BRANDS,
        cache_dir=settings.home / "enrich-cache",
        virustotal_key=Secret(settings.vt_api_key) if settings.vt_api_key else None,
        abuseipdb_key=Secret(settings.abuseipdb_api_key) if settings.abuseipdb_api_key else None,
    )


def technique_namer(catalog: "AttackCatalog") -> TechniqueNamer:
    def name(technique_id: str) -> tuple[str, str] | None:
        found = catalog.technique(technique_id)
        if found is None:
            return None
        return catalog.display_name(technique_id) or found.name, ", ".join(found.tactics)

    return name


def open_playbooks(
    settings: Settings, *, progress: Progress | None = None
) -> tuple[PlaybookSearch | None, dict[str, Playbook], tuple[ProviderHealth, ...]]:
    """The playbook search and library; a broken index degrades the run instead of failing it."""
    from triage.knowledge.cache import load_library, open_cached_search, playbooks_fingerprint
    from triage.knowledge.lint import PlaybookError

    config = knowledge_config(settings)
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    library = {p.id: p for p in load_library(config, fingerprint=fingerprint)}
    try:
        embedded = None
        if progress is not None:
            say = progress

            def embedded(done: int, total: int, playbook_id: str) -> None:
                say(f"indexing playbooks {done}/{total}: {playbook_id}")

        def opener() -> PlaybookSearch:
            from triage.knowledge.search import open_knowledge

            return open_knowledge(config, progress=embedded)

        # Chroma and the embedding model open only for a query the warm cache cannot answer.
        search = open_cached_search(config, fingerprint=fingerprint, opener=opener)
    except PlaybookError:
        raise
    except Exception as exc:  # Chroma or the embedding model failed: run without playbooks.
        detail = f"{type(exc).__name__}: {str(exc)[:160]}"
        return (
            None,
            library,
            (ProviderHealth(provider="playbooks", status="unavailable", detail=detail),),
        )
    where = config.chroma_url or "embedded index"
    health = ProviderHealth(
        provider="playbooks", status="ok", detail=f"{len(library)} playbooks, {where}"
    )
    return search, library, (health,)


def build_detector(settings: Settings) -> tuple["Detector", tuple[str, ...]]:
    """The whole detection layer: Sigma rules (shipped and the team's), the vendor's own alerts,
    and the e-mail content checks; with notes on rules that were skipped."""
    from triage.detect.alerts import CombinedDetector, VendorAlertDetector
    from triage.detect.email import EmailPhishingDetector
    from triage.detect.engine import SigmaDetector
    from triage.detect.notable import NotableEventDetector

    missing = [str(d) for d in settings.rules_dirs if not d.is_dir()]
    if missing:
        raise ConfigError(f"Sigma rule folder not found: {', '.join(missing)}")
    from triage.detect.packs import cache_dir, pack_sources

    packs = pack_sources(settings.home) if settings.rule_packs else []
    sigma = SigmaDetector.from_rule_dirs(
        settings.rules_dirs, packs=packs, cache_dir=cache_dir(settings.home)
    )
    enrichment = enrichment_config(settings)
    phishing = EmailPhishingDetector(
        brands=enrichment.protected_brands, trusted_domains=enrichment.trusted_domains
    )
    skipped = sigma.stats.skipped
    notes = (f"{len(skipped)} Sigma rule(s) skipped as unsupported",) if skipped else ()
    detectors = (sigma, NotableEventDetector(), VendorAlertDetector(), phishing)
    return CombinedDetector(detectors=detectors), notes


def detector_rules(detector: "Detector") -> tuple["CompiledRule", ...]:
    """The Sigma rules inside a detection layer (for coverage); none when it has no Sigma part."""
    from triage.detect.alerts import CombinedDetector
    from triage.detect.engine import SigmaDetector

    parts = detector.detectors if isinstance(detector, CombinedDetector) else (detector,)
    return tuple(rule for part in parts if isinstance(part, SigmaDetector) for rule in part.rules)


def is_loopback_host(host: str) -> bool:
    """A literal loopback address (127.0.0.0/8, ::1) or the name "localhost": never a DNS
    name that merely starts with "127." (that one resolves wherever its owner likes)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def build_agent(
    settings: Settings,
    *,
    name_technique: TechniqueNamer,
    enricher: "EnrichmentService | None" = None,
    playbooks: PlaybookSearch | None = None,
    http_client: "httpx.Client | None" = None,
) -> "AgentEngine":
    """The agent engine for these settings; every model request goes through `http_client`
    when one is given (a recording or replaying transport)."""
    from urllib.parse import urlsplit

    from triage.analysts.agent import AgentConfig, AgentEngine
    from triage.analysts.agent.guardrails import PII_CLASSES

    if not settings.models:
        raise ConfigError("--engine agent needs a model: set --model or TRIAGE_MODEL")
    endpoint = settings.azure_endpoint or settings.base_url
    if settings.offline:
        host = urlsplit(endpoint or "").hostname or ""
        if not is_loopback_host(host):
            raise ConfigError("--offline allows the agent a loopback OPENAI_BASE_URL only")
    if not endpoint and not settings.api_key:
        raise ConfigError("the agent needs OPENAI_BASE_URL (a local server) or OPENAI_API_KEY")
    if settings.azure_endpoint and not settings.azure_api_version:
        raise ConfigError("Azure OpenAI needs OPENAI_API_VERSION as well as AZURE_OPENAI_ENDPOINT")
    unknown = sorted(set(settings.redact_pii) - set(PII_CLASSES))
    if unknown:
        raise ConfigError(
            f"unknown PII class(es) {', '.join(unknown)}; choose from {', '.join(PII_CLASSES)}"
        )
    config = AgentConfig(
        models=settings.models,
        base_url=settings.base_url,
        api_key=settings.api_key,
        azure_endpoint=settings.azure_endpoint,
        azure_api_version=settings.azure_api_version,
        azure_api_key=settings.azure_api_key,
        timeout=settings.llm_timeout,
        retries=settings.llm_retries,
        max_steps=settings.max_steps,
        max_tokens=settings.max_tokens,
        redact_pii=settings.redact_pii,
        home=settings.home,
        http_client=http_client,
    )
    return AgentEngine(
        config=config, name_technique=name_technique, enricher=enricher, playbooks=playbooks
    )


def build_deps(
    settings: Settings,
    *,
    progress: Progress | None = None,
    http_client: "httpx.Client | None" = None,
) -> "TriageDeps":
    from triage.analysts.rules import RulesAnalyst
    from triage.detect.coverage import CoverageMeter
    from triage.enrich.attack import AttackCatalog
    from triage.enrich.registry import build_service
    from triage.enrich.windows_events import describe_event
    from triage.pipeline import TriageDeps

    if progress:
        progress("loading detection rules, enrichment and playbooks")
    detector, notes = build_detector(settings)
    attack = AttackCatalog()
    coverage = CoverageMeter.for_rules(detector_rules(detector))
    search, library, health = open_playbooks(settings, progress=progress)
    enricher = build_service(enrichment_config(settings))
    namer = technique_namer(attack)
    agent = None
    if settings.resolved_engine == "agent":
        agent = build_agent(
            settings,
            name_technique=namer,
            enricher=enricher,
            playbooks=search,
            http_client=http_client,
        )
    return TriageDeps(
        detector=detector,
        enricher=enricher,
        agent=agent,
        analyst=RulesAnalyst(name_technique=namer, describe_event=describe_event),
        playbooks=search,
        library=library,
        health=health,
        notes=notes,
        attack_version=attack.version,
        coverage=coverage,
    )


class ToolInfo(NamedTuple):
    name: str
    kind: str
    observable_types: tuple[str, ...]
    status: str
    description: str


# The tools over the incident itself; they need no configuration, so they are always ready.
INCIDENT_TOOLS = (
    ToolInfo("list_detections", "detection", (), "ready", "the detections raised on the incident"),
    ToolInfo("run_sigma_rule", "detection", (), "ready", "evaluate a Sigma rule over the records"),
    ToolInfo("find_records", "detection", (), "ready", "records whose field holds a value"),
    ToolInfo("playbook_search", "knowledge", (), "ready", "hybrid search of the playbook sections"),
)


def investigation_tools(settings: Settings) -> tuple[ToolInfo, ...]:
    """Every tool an engine can call, with its readiness under these settings."""
    from triage.enrich import list_tools

    providers = tuple(
        ToolInfo(t.name, t.kind, t.observable_types, t.status, t.description)
        for t in list_tools(enrichment_config(settings))
    )
    return providers + INCIDENT_TOOLS
