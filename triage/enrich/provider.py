"""The provider contract, the enrichment configuration, and result constructors providers share."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from triage.models import EnrichmentResult, Observable
from triage.models.incident import Scalar
from triage.models.intel import EnrichmentVerdict

DEFAULT_BRANDS: tuple[str, ...] = (
    "microsoft",
    "office365",
    "outlook",
    "google",
    "apple",
    "paypal",
    "amazon",
    "okta",
    "docusign",
)

Details = dict[str, Scalar | list[Scalar]]


class Secret:
    """An API key that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, kw_only=True)
class EnrichmentConfig:
    """Everything the providers need; built once by the CLI from flags, env and config file."""

    offline: bool = False
    intel_dir: Path | None = None
    protected_brands: tuple[str, ...] = DEFAULT_BRANDS
    trusted_domains: tuple[str, ...] = ()
    cache_dir: Path | None = None
    cache_ttl_s: float = 24 * 3600
    virustotal_key: Secret | None = field(default=None, repr=False)
    abuseipdb_key: Secret | None = field(default=None, repr=False)
    virustotal_url: str = "https://www.virustotal.com/api/v3"
    abuseipdb_url: str = "https://api.abuseipdb.com/api/v2"
    timeout_s: float = 10.0
    max_retries: int = 2
    backoff_s: float = 0.5
    max_retry_after_s: float = 5.0
    requests_per_minute: float = 4.0


class Provider(Protocol):
    """One enrichment source. `lookup` may raise; the service turns failures into statuses."""

    @property
    def name(self) -> str: ...

    @property
    def observable_types(self) -> frozenset[str]: ...

    @property
    def offline(self) -> bool: ...

    def lookup(self, observable: Observable) -> EnrichmentResult: ...


class ProviderUnavailable(Exception):
    """The provider cannot work at all (missing data, bad configuration): health 'unavailable'."""


def verdict_for(
    score: float, *, malicious_at: float = 70, suspicious_at: float = 30
) -> EnrichmentVerdict:
    if score >= malicious_at:
        return "malicious"
    if score >= suspicious_at:
        return "suspicious"
    return "unknown"


def skipped(provider: str, observable: Observable, reason: str) -> EnrichmentResult:
    return EnrichmentResult(
        provider=provider,
        observable_type=observable.type,
        value=observable.value,
        status="skipped",
        summary=reason,
    )


def failed(provider: str, observable: Observable, reason: str) -> EnrichmentResult:
    return EnrichmentResult(
        provider=provider,
        observable_type=observable.type,
        value=observable.value,
        status="error",
        verdict="unknown",
        summary=reason,
    )
