"""Domain and URL analysis: registrable domain offline, lookalikes, DGA, URL tricks."""

import pytest

from triage.enrich.domains import DomainAnalysis, DomainProvider, UrlProvider
from triage.enrich.lookalike import decode_idn, dga_signals, edit_distance, skeleton
from triage.enrich.provider import EnrichmentConfig
from triage.enrich.registry import domain_analysis
from triage.models import Observable


@pytest.fixture(scope="module")
def analysis() -> DomainAnalysis:
    return domain_analysis(EnrichmentConfig())


def _domain(analysis: DomainAnalysis, value: str) -> dict[str, object]:
    result = DomainProvider(analysis=analysis).lookup(Observable(type="domain", value=value))
    return {"verdict": result.verdict, "score": result.score, **result.details}


def _url(analysis: DomainAnalysis, value: str) -> tuple[str | None, float, str]:
    result = UrlProvider(analysis=analysis).lookup(Observable(type="url", value=value))
    return result.verdict, result.score or 0.0, result.summary


def test_registrable_domain_uses_the_bundled_suffix_list(no_network: list[object]) -> None:
    fresh = domain_analysis(EnrichmentConfig())
    assert fresh.facts("login.microsoft.com.evil.co.uk").registrable == "evil.co.uk"
    assert fresh.facts("a.b.example.com.au").registrable == "example.com.au"
    assert no_network == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("rnicrosoft-login.com", "homoglyph"),
        ("micros0ft.com", "homoglyph"),
        ("mіcrosoft.com".encode("idna").decode(), "homoglyph"),  # Cyrillic і, as punycode
        ("paypa1.com", "homoglyph"),
        ("microsfot.com", "typo"),
        ("docusign-secure-review.net", "brand-in-name"),
        ("office365.verify-account.example", "brand-in-subdomain"),
    ],
)
def test_lookalikes_are_flagged(analysis: DomainAnalysis, value: str, kind: str) -> None:
    found = _domain(analysis, value)
    assert found["lookalike_kind"] == kind
    assert found["verdict"] in {"suspicious", "malicious"}


def test_punycode_is_decoded_for_the_analyst(analysis: DomainAnalysis) -> None:
    found = _domain(analysis, "xn--mcrosoft-thh.com")
    assert found["unicode"] == "mіcrosoft.com"
    assert found["lookalike_brand"] == "microsoft"


@pytest.mark.parametrize(
    "value", ["microsoft.com", "login.microsoftonline.com", "wikipedia.org", "github.com"]
)
def test_real_and_unrelated_domains_are_not_flagged(analysis: DomainAnalysis, value: str) -> None:
    found = _domain(analysis, value)
    assert "lookalike_brand" not in found
    assert found["verdict"] in {"benign", "unknown"}


def test_protected_brands_are_configurable() -> None:
    custom = domain_analysis(EnrichmentConfig(protected_brands=("contoso",)))
    assert _domain(custom, "c0ntoso.com")["lookalike_brand"] == "contoso"
    assert "lookalike_brand" not in _domain(custom, "micros0ft.com")


def test_dga_like_names_score_above_dictionary_words(analysis: DomainAnalysis) -> None:
    random_like = _domain(analysis, "xjw7qk2mzp0vbnq.net")
    word_like = _domain(analysis, "stackoverflow.com")
    assert random_like["verdict"] == "suspicious"
    assert word_like["verdict"] == "unknown"
    assert float(random_like["dga_score"]) > float(word_like["dga_score"])  # type: ignore[arg-type]
    assert dga_signals("kqzvbtrwplmx").longest_consonant_run == 12


def test_confusable_skeleton_and_edit_distance() -> None:
    assert skeleton("rnicr0s0ft") == "microsoft"
    assert skeleton("vvindows") == "windows"
    assert decode_idn("xn--pypal-4ve") == "pаypal"
    assert edit_distance("microsfot", "microsoft") == 2
    assert edit_distance("microsoft", "amazon") == 3  # gives up past the limit


def test_shortener_is_reported(analysis: DomainAnalysis) -> None:
    _, _, summary = _url(analysis, "https://bit.ly/3xYz")
    assert "shortener" in summary


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://192.168.4.20/portal/login.php", "IP address"),
        ("http://3232235777/x", "192.168.1.1"),
        ("https://accounts.example@evil-host.example/", "'@' in the authority"),
        ("data:text/html;base64,PGgxPkhpPC9oMT4=", "data: URI"),
        ("https://secure-update.evil.example/microsoft/verify", "credential-harvest"),
        ("https://paypal.com.account-verify.example/signin", "credential-harvest"),
        ("https://a.b.c.d.e.example.com/", "many subdomain levels"),
    ],
)
def test_url_tricks(analysis: DomainAnalysis, url: str, needle: str) -> None:
    _, score, summary = _url(analysis, url)
    assert needle in summary
    assert score > 0


def test_brand_login_on_the_brand_is_not_harvest(analysis: DomainAnalysis) -> None:
    verdict, _, summary = _url(
        analysis, "https://login.microsoftonline.com/common/oauth2/authorize"
    )
    assert "credential-harvest" not in summary
    assert verdict in {"benign", "unknown"}
