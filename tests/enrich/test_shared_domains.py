"""One refang, one suffix extractor and one registrable-domain rule across observables,
enrichment and detection, and one enrichment contract."""

from triage.detect.email import EmailPhishingDetector
from triage.enrich import Enricher, EnrichmentConfig, build_service
from triage.enrich.intel_feeds import normalise as intel_normalise
from triage.enrich.registry import domain_analysis
from triage.observables.normalise import registrable_domain, suffix_extractor


def test_intel_feeds_refang_like_observables() -> None:
    assert intel_normalise("", "hxxp://evil[dot]example[.]com/x") == (
        "url",
        "http://evil.example.com/x",
    )
    assert intel_normalise("email", "Bob(at)Evil[.]com") == ("email", "bob@evil.com")
    assert intel_normalise("url", "fxp://files[.]evil.net/a") == ("url", "ftp://files.evil.net/a")


def test_one_extractor_and_one_registrable_rule(no_network: list[object]) -> None:
    analysis = domain_analysis(EnrichmentConfig())
    detector = EmailPhishingDetector(analysis=analysis)
    assert analysis._extract is suffix_extractor()
    for host, expected in [
        ("login.microsoft.com.evil.co.uk", "evil.co.uk"),
        ("a.b.corp.local", "corp.local"),
        ("203.0.113.9", "203.0.113.9"),
        ("", ""),
    ]:
        assert registrable_domain(host) == expected
        assert detector.registrable(host) == expected
        if host:
            assert analysis.facts(host).registrable == expected
    assert not no_network


def test_the_service_is_the_enricher_contract() -> None:
    service = build_service(EnrichmentConfig(offline=True))
    enricher: Enricher = service  # mypy checks that the service meets the contract
    providers = {h.provider for h in enricher.health()}
    assert {p.name for p in service.providers} <= providers
