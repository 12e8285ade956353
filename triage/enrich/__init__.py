"""Enrichment providers (offline first): Observable → EnrichmentResult, never raising."""

from collections.abc import Sequence
from typing import Protocol

from triage.models import EnrichmentResult, Incident, Observable, ProviderHealth


class Enricher(Protocol):
    """What a triage run asks of enrichment (EnrichmentService is the implementation): every
    applicable provider on each observable, plus header analysis of the incident's e-mails;
    failures become statuses, never exceptions."""

    def enrich_incident(
        self, incident: Incident, observables: Sequence[Observable]
    ) -> Sequence[EnrichmentResult]: ...

    def health(self) -> tuple[ProviderHealth, ...]: ...


# Imported after the protocol so that submodules never depend on this package module.
from triage.enrich.attack import AttackCatalog, AttackTechnique  # noqa: E402
from triage.enrich.email_auth import analyse_email_headers  # noqa: E402
from triage.enrich.lookup import detect_type, enrich_value  # noqa: E402
from triage.enrich.provider import (  # noqa: E402
    EnrichmentConfig,
    Provider,
    ProviderUnavailable,
    Secret,
)
from triage.enrich.registry import (  # noqa: E402
    ToolDescription,
    build_providers,
    build_service,
    list_tools,
)
from triage.enrich.service import EnrichmentService  # noqa: E402
from triage.enrich.windows_events import describe_event  # noqa: E402

__all__ = [
    "AttackCatalog",
    "AttackTechnique",
    "Enricher",
    "EnrichmentConfig",
    "EnrichmentService",
    "Provider",
    "ProviderUnavailable",
    "Secret",
    "ToolDescription",
    "analyse_email_headers",
    "build_providers",
    "build_service",
    "describe_event",
    "detect_type",
    "enrich_value",
    "list_tools",
]
