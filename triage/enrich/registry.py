"""The explicit provider registry: which providers a configuration turns on, and how the CLI
describes every provider and tool."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from triage.enrich.api_client import ApiClient, ResponseCache, RetryPolicy, TokenBucket
from triage.enrich.commands import CommandLineProvider
from triage.enrich.domains import DomainAnalysis, DomainProvider, UrlProvider
from triage.enrich.email_auth import analyse_email_headers
from triage.enrich.intel_pack import IntelPackProvider
from triage.enrich.ip import GeoIpProvider, IpRangeProvider
from triage.enrich.online import AbuseIpdbProvider, VirusTotalProvider
from triage.enrich.provider import EnrichmentConfig, Provider, Secret
from triage.enrich.service import EnrichmentService
from triage.models import EnrichmentResult, Record
from triage.observables.normalise import suffix_extractor


def domain_analysis(config: EnrichmentConfig) -> DomainAnalysis:
    return DomainAnalysis(
        extractor=suffix_extractor(),
        brands=config.protected_brands,
        trusted_domains=config.trusted_domains,
    )


def _client(
    config: EnrichmentConfig, *, name: str, url: str, header: str, key: Secret
) -> ApiClient:
    policy = RetryPolicy(
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
        backoff_s=config.backoff_s,
        max_retry_after_s=config.max_retry_after_s,
    )
    cache = (
        ResponseCache(folder=config.cache_dir, ttl_s=config.cache_ttl_s)
        if config.cache_dir is not None
        else None
    )
    bucket = TokenBucket(rate_per_minute=config.requests_per_minute)
    return ApiClient(
        name=name, base_url=url, auth_header=header, key=key, policy=policy, bucket=bucket,
        cache=cache,
    )  # fmt: skip


def build_providers(config: EnrichmentConfig) -> tuple[Provider, ...]:
    """Offline providers always (intel pack when a folder is set); online ones with a key."""
    analysis = domain_analysis(config)
    providers: list[Provider] = []
    if config.intel_dir is not None:
        providers.append(IntelPackProvider(folder=config.intel_dir))
    providers += [
        IpRangeProvider(),
        GeoIpProvider(),
        DomainProvider(analysis=analysis),
        UrlProvider(analysis=analysis),
        CommandLineProvider(),
    ]
    if config.virustotal_key is not None:
        client = _client(
            config,
            name="virustotal",
            url=config.virustotal_url,
            header="x-apikey",
            key=config.virustotal_key,
        )
        providers.append(VirusTotalProvider(client=client))
    if config.abuseipdb_key is not None:
        client = _client(
            config,
            name="abuseipdb",
            url=config.abuseipdb_url,
            header="Key",
            key=config.abuseipdb_key,
        )
        providers.append(AbuseIpdbProvider(client=client))
    return tuple(providers)


def email_analyser(
    config: EnrichmentConfig,
) -> Callable[[Sequence[Record]], tuple[EnrichmentResult, ...]]:
    analysis = domain_analysis(config)

    def analyse(records: Sequence[Record]) -> tuple[EnrichmentResult, ...]:
        return analyse_email_headers(
            records,
            brands=config.protected_brands,
            registrable=lambda d: analysis.facts(d).registrable,
        )

    return analyse


def build_service(config: EnrichmentConfig) -> EnrichmentService:
    """The enrichment service the pipeline, the CLI and the agent share."""
    return EnrichmentService(
        build_providers(config), offline=config.offline, email_analyser=email_analyser(config)
    )


ToolKind = Literal["offline", "online"]


@dataclass(frozen=True)
class ToolDescription:
    name: str
    kind: ToolKind
    observable_types: tuple[str, ...]
    status: str  # "ready", "offline mode", "no API key", "intel folder not set", …
    description: str


_IP = ("ipv4", "ipv6")
_INDICATORS = ("domain", "email", "host", "ipv4", "ipv6", "md5", "sha1", "sha256", "url")
_CATALOGUE: tuple[tuple[str, ToolKind, tuple[str, ...], str], ...] = (
    ("intel-pack", "offline", _INDICATORS,
     "matches against the local intel pack (CSV, lists, STIX 2.1, MISP)"),
    ("ip-ranges", "offline", _IP,
     "private, reserved, loopback, link-local, CGNAT and documentation ranges"),
    ("geoip", "offline", _IP,
     "country and autonomous system (geoip2fast, GeoLite2-derived data of 2024-06)"),
    ("domain-analysis", "offline", ("domain",),
     "registrable domain, IDN, brand lookalikes, DGA-likeness, shorteners"),
    ("url-analysis", "offline", ("url",),
     "IP-literal hosts, '@' tricks, data: URIs, credential-harvest patterns"),
    ("command-line", "offline", ("command_line", "process"),
     "decodes PowerShell -EncodedCommand; cradles, LOLBins, obfuscation"),
    ("virustotal", "online", ("domain", "ipv4", "ipv6", "md5", "sha1", "sha256", "url"),
     "VirusTotal v3 engine verdicts (needs TRIAGE_VT_API_KEY)"),
    ("abuseipdb", "online", _IP, "AbuseIPDB abuse confidence (needs TRIAGE_ABUSEIPDB_API_KEY)"),
    ("email-auth", "offline", ("email",),
     "SPF/DKIM/DMARC and sender mismatches from the message headers"),
    ("attack-lookup", "offline", (), "MITRE ATT&CK v18.1 technique names and tactics"),
    ("windows-event", "offline", (),
     "meaning of Windows event IDs (Security, Sysmon, System, PowerShell, Defender)"),
)  # fmt: skip


def _status(name: str, kind: ToolKind, config: EnrichmentConfig) -> str:
    if name == "intel-pack":
        if config.intel_dir is None:
            return "intel folder not set"
        if not config.intel_dir.is_dir():
            return f"intel folder missing: {config.intel_dir}"
    keys = {"virustotal": config.virustotal_key, "abuseipdb": config.abuseipdb_key}
    if name in keys and keys[name] is None:
        return "no API key"
    if kind == "online" and config.offline:
        return "offline mode"
    return "ready"


def list_tools(config: EnrichmentConfig) -> tuple[ToolDescription, ...]:
    """Every provider and tool with its kind, observable types and status under `config`."""
    return tuple(
        ToolDescription(name, kind, types, _status(name, kind, config), text)
        for name, kind, types, text in _CATALOGUE
    )
