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
    from triage.detect import Detector
    from triage.detect.rules import CompiledRule
    from triage.enrich.attack import AttackCatalog
    from triage.enrich.provider import EnrichmentConfig
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


def _technique_namer(catalog: "AttackCatalog") -> TechniqueNamer:
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
    from triage.knowledge.lint import PlaybookError, load_playbooks
    from triage.knowledge.search import open_knowledge

    config = knowledge_config(settings)
    library = {p.id: p for p in load_playbooks(config.playbook_dirs)}
    try:
        embedded = None
        if progress is not None:
            say = progress

            def embedded(done: int, total: int, playbook_id: str) -> None:
                say(f"indexing playbooks {done}/{total}: {playbook_id}")

        search = open_knowledge(config, progress=embedded)
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


def build_deps(settings: Settings, *, progress: Progress | None = None) -> "TriageDeps":
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
    return TriageDeps(
        detector=detector,
        enricher=build_service(enrichment_config(settings)),
        analyst=RulesAnalyst(
            name_technique=_technique_namer(attack), describe_event=describe_event
        ),
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
