"""Runs providers over observables, turning every failure into a status and tracking health."""

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from triage.enrich.provider import Provider, ProviderUnavailable, failed, skipped
from triage.models import EnrichmentResult, Incident, Observable, ProviderHealth, Record

log = logging.getLogger(__name__)

EmailAnalyser = Callable[[Sequence[Record]], tuple[EnrichmentResult, ...]]


@dataclass
class _Tally:
    calls: int = 0
    errors: int = 0
    rate_limited: int = 0
    skipped: int = 0
    unavailable: str = ""
    first_error: str = ""


class EnrichmentService:
    """The `Enricher`: every applicable provider on every observable; it never raises.

    `enrich_incident` also analyses the message headers (SPF/DKIM/DMARC, sender mismatch)
    when the incident holds `email.header` records.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        offline: bool = False,
        email_analyser: EmailAnalyser | None = None,
    ) -> None:
        self.providers = tuple(providers)
        self.offline = offline
        self._email_analyser = email_analyser
        self._lock = threading.Lock()
        self._tallies: dict[str, _Tally] = {p.name: _Tally() for p in self.providers}
        if email_analyser is not None:
            self._tallies["email-auth"] = _Tally()

    def enrich(
        self, observables: Sequence[Observable], *, only: Collection[str] | None = None
    ) -> tuple[EnrichmentResult, ...]:
        """Results of every applicable provider (or of the providers named in `only`)."""
        results: list[EnrichmentResult] = []
        seen: set[tuple[str, str]] = set()
        for observable in observables:
            key = (observable.type, observable.value)
            if key in seen:
                continue
            seen.add(key)
            for provider in self.providers:
                if only is not None and provider.name not in only:
                    continue
                if observable.type in provider.observable_types:
                    results.append(self._run(provider, observable))
        return tuple(results)

    def enrich_incident(
        self, incident: Incident, observables: Sequence[Observable]
    ) -> tuple[EnrichmentResult, ...]:
        results = self.enrich(observables)
        headers = [r for r in incident.records if r.source == "email.header"]
        if not headers or self._email_analyser is None:
            return results
        tally = self._tallies["email-auth"]
        try:
            email_results = self._email_analyser(headers)
        except Exception as exc:  # a bug in header analysis must not stop the report
            log.warning("email-auth failed: %s", type(exc).__name__)
            with self._lock:
                tally.calls += 1
                tally.errors += 1
                tally.first_error = tally.first_error or _describe(exc)
            return results
        with self._lock:
            tally.calls += 1
        return results + email_results

    def _run(self, provider: Provider, observable: Observable) -> EnrichmentResult:
        tally = self._tallies.setdefault(provider.name, _Tally())
        if self.offline and not provider.offline:
            with self._lock:
                tally.skipped += 1
            return skipped(provider.name, observable, "offline mode: online provider not used")
        try:
            result = provider.lookup(observable)
        except ProviderUnavailable as exc:
            with self._lock:
                tally.calls += 1
                tally.errors += 1
                tally.unavailable = str(exc)
            return failed(provider.name, observable, f"provider unavailable: {exc}")
        except Exception as exc:  # any provider bug becomes an "error" result, never "clean"
            log.warning("%s failed on a %s: %s", provider.name, observable.type, _describe(exc))
            with self._lock:
                tally.calls += 1
                tally.errors += 1
                tally.first_error = tally.first_error or _describe(exc)
            return failed(provider.name, observable, f"lookup failed: {_describe(exc)}")
        with self._lock:
            tally.calls += 1
            tally.errors += result.status == "error"
            tally.rate_limited += result.status == "rate_limited"
            if result.status == "error" and not tally.first_error:
                tally.first_error = result.summary
        return result

    def health(self) -> tuple[ProviderHealth, ...]:
        with self._lock:
            return tuple(_health(name, t) for name, t in self._tallies.items())


def _health(name: str, tally: _Tally) -> ProviderHealth:
    if tally.unavailable:
        return ProviderHealth(provider=name, status="unavailable", detail=tally.unavailable)
    if tally.skipped and not tally.calls:
        return ProviderHealth(provider=name, status="skipped", detail="offline mode")
    if tally.errors or tally.rate_limited:
        detail = f"{tally.errors} of {tally.calls} lookups failed"
        if tally.rate_limited:
            detail += f", {tally.rate_limited} rate-limited"
        if tally.first_error:
            detail += f" (first: {tally.first_error})"
        return ProviderHealth(provider=name, status="degraded", detail=detail)
    detail = f"{tally.calls} lookups" if tally.calls else "no applicable observables"
    return ProviderHealth(provider=name, status="ok", detail=detail)


def _describe(exc: BaseException) -> str:
    # Exception text can quote URLs; providers never put keys in URLs, so the text is safe.
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
