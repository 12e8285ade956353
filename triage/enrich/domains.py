"""Offline domain and URL analysis: registrable domain, IDN, brand lookalikes, DGA-likeness,
shorteners, IP-literal hosts and credential-harvest URL patterns."""

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from triage.enrich.lookalike import decode_idn, dga_signals, match_brand, skeleton
from triage.enrich.provider import Details, verdict_for
from triage.models import EnrichmentResult, Observable
from triage.observables.normalise import registrable_domain

# fmt: off
SHORTENERS = frozenset((
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "s.id", "lnkd.in", "bl.ink", "v.gd",
    "qrco.de",
))
# fmt: on
# Official registrable domains of the default brands, so their own sites are not flagged.
# Free-mail services a brand runs (gmail.com, outlook.com) are listed too: they are the
# brand's domains, but anyone can send from them, which email detection accounts for.
# fmt: off
_MICROSOFT = frozenset((
    "microsoft.com", "microsoftonline.com", "office.com", "office365.com", "live.com",
    "outlook.com", "sharepoint.com", "onedrive.com", "windows.net", "azure.com", "msn.com",
    "bing.com", "microsoft365.com", "hotmail.com", "skype.com", "xbox.com",
))
BRAND_OWNED_DOMAINS: Mapping[str, frozenset[str]] = MappingProxyType({
    "microsoft": _MICROSOFT,
    "office365": _MICROSOFT,
    "outlook": _MICROSOFT,
    "google": frozenset((
        "google.com", "gmail.com", "googleapis.com", "gstatic.com", "youtube.com",
        "googleusercontent.com", "google-analytics.com", "googlemail.com", "withgoogle.com",
    )),
    "apple": frozenset(("apple.com", "icloud.com", "me.com", "apple.news")),
    "paypal": frozenset(("paypal.com", "paypalobjects.com", "paypal.me")),
    "amazon": frozenset((
        "amazon.com", "amazonaws.com", "amazon.co.uk", "amazon.de", "amazon.com.br",
        "amazonses.com", "media-amazon.com", "ssl-images-amazon.com",
    )),
    "okta": frozenset(("okta.com", "oktacdn.com", "okta-emea.com", "oktapreview.com")),
    "docusign": frozenset(("docusign.com", "docusign.net")),
})
# fmt: on
BRAND_DOMAINS = frozenset(d for owned in BRAND_OWNED_DOMAINS.values() for d in owned)
HARVEST_WORDS = re.compile(
    r"log-?in|sign-?in|verif|secure|account|update|password|passwd|auth|webscr|unlock|"
    r"confirm|wallet|billing|invoice|session|mfa",
    re.IGNORECASE,
)
DGA_FLAG_AT = 0.6
MAX_URL = 8192


@dataclass(frozen=True)
class DomainFacts:
    registrable: str
    label: str  # registrable label, unicode
    subdomain: str
    suffix: str
    unicode_host: str
    is_brand_domain: bool


class DomainAnalysis:
    """Shared by the domain and URL providers; `extractor` is a tldextract.TLDExtract."""

    def __init__(
        self, *, extractor: Any, brands: tuple[str, ...], trusted_domains: tuple[str, ...] = ()
    ) -> None:
        self._extract = extractor
        self.brands = tuple(b.lower() for b in brands)
        self._trusted = BRAND_DOMAINS | {d.lower() for d in trusted_domains}

    def facts(self, host: str) -> DomainFacts:
        host = host.strip().rstrip(".").lower()
        parts = self._extract(host)
        registrable = registrable_domain(host)
        unicode_host = ".".join(decode_idn(p) for p in host.split("."))
        label = decode_idn(parts.domain)
        is_brand = registrable in self._trusted or (
            label in self.brands and not parts.subdomain and skeleton(label) == label
        )
        return DomainFacts(
            registrable, label, parts.subdomain, parts.suffix, unicode_host, is_brand
        )

    def signals(self, facts: DomainFacts) -> tuple[float, list[str], Details]:
        """Score 0..100, human-readable reasons, details for the result."""
        score = 0.0
        reasons: list[str] = []
        details: Details = {"registrable_domain": facts.registrable}
        if facts.unicode_host != facts.unicode_host.encode("ascii", "ignore").decode():
            details["unicode"] = facts.unicode_host
        if "xn--" in facts.registrable or details.get("unicode"):
            score += 15
            reasons.append(f"internationalised name ({facts.unicode_host})")
        match = match_brand(
            facts.label, facts.subdomain, brands=self.brands, is_brand_domain=facts.is_brand_domain
        )
        if match is not None:
            weight = {"homoglyph": 80, "typo": 65, "brand-in-name": 45, "brand-in-subdomain": 50}
            score += weight[match.kind]
            details["lookalike_brand"] = match.brand
            details["lookalike_kind"] = match.kind
            reasons.append(f"{match.kind} of brand '{match.brand}' ({match.token})")
        dga = dga_signals(facts.label)
        details["entropy"] = dga.entropy
        details["dga_score"] = dga.score
        if dga.score >= DGA_FLAG_AT:
            score += 60 * dga.score
            reasons.append(f"looks machine-generated (DGA score {dga.score:.2f})")
        if facts.registrable in SHORTENERS:
            score += 20
            details["shortener"] = True
            reasons.append("URL shortener: the destination is hidden")
        if facts.subdomain.count(".") >= 3:
            score += 15
            reasons.append(f"many subdomain levels ({facts.subdomain.count('.') + 1})")
        return min(score, 100.0), reasons, details


def _result(
    name: str, observable: Observable, score: float, reasons: list[str], details: Details
) -> EnrichmentResult:
    verdict = verdict_for(score, malicious_at=85)
    if details.get("brand_domain"):
        verdict = "benign"
    return EnrichmentResult(
        provider=name,
        observable_type=observable.type,
        value=observable.value,
        status="ok",
        verdict=verdict,
        score=round(score, 1),
        summary="; ".join(reasons) if reasons else "no suspicious traits in the name",
        details=details,
    )


class DomainProvider:
    name = "domain-analysis"
    observable_types = frozenset({"domain"})
    offline = True

    def __init__(self, *, analysis: DomainAnalysis) -> None:
        self._analysis = analysis

    def lookup(self, observable: Observable) -> EnrichmentResult:
        facts = self._analysis.facts(observable.value)
        score, reasons, details = self._analysis.signals(facts)
        if facts.is_brand_domain:
            details["brand_domain"] = True
            reasons.insert(0, f"official domain of a protected brand ({facts.registrable})")
        return _result(self.name, observable, score, reasons, details)


class UrlProvider:
    name = "url-analysis"
    observable_types = frozenset({"url"})
    offline = True

    def __init__(self, *, analysis: DomainAnalysis) -> None:
        self._analysis = analysis

    def lookup(self, observable: Observable) -> EnrichmentResult:
        url = observable.value[:MAX_URL]
        score = 0.0
        reasons: list[str] = []
        if url.lower().startswith(("data:", "javascript:")):
            scheme = url.split(":", 1)[0].lower()
            details: Details = {"scheme": scheme}
            return _result(
                self.name, observable, 70, [f"{scheme}: URI carries its own content"], details
            )
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = (parts.hostname or "").lower()
        details = {"scheme": parts.scheme, "host": host}
        if "@" in parts.netloc:
            score += 50
            reasons.append("'@' in the authority: the real host is after it")
        literal = ip_literal(host)
        if literal is not None:
            score += 40
            details["ip_literal"] = literal
            reasons.append(f"host is an IP address ({literal})")
            path_text = unquote(f"{parts.path}?{parts.query}").lower()
            facts = None
        else:
            facts = self._analysis.facts(host)
            host_score, host_reasons, host_details = self._analysis.signals(facts)
            score += host_score
            reasons.extend(host_reasons)
            details.update(host_details)
            path_text = unquote(f"{parts.path}?{parts.query}").lower()
        harvest = HARVEST_WORDS.findall(f"{host} {path_text}")
        if harvest:
            details["harvest_words"] = sorted({w.lower() for w in harvest})[:10]
            brand = self._brand_in(path_text, facts)
            if brand and not (facts and facts.is_brand_domain):
                score += 45
                reasons.append(
                    f"credential-harvest pattern: '{brand}' with {harvest[0]!r} "
                    "on a domain that is not the brand's"
                )
            else:
                score += 10
                reasons.append(f"login-style words in the URL ({', '.join(harvest[:3])})")
        if parts.port and parts.port not in (80, 443):
            score += 10
            reasons.append(f"non-standard port {parts.port}")
        if facts is not None and facts.is_brand_domain and score < 30:
            details["brand_domain"] = True
        return _result(self.name, observable, min(score, 100.0), reasons, details)

    def _brand_in(self, path_text: str, facts: DomainFacts | None) -> str | None:
        sub = facts.subdomain if facts else ""
        for brand in self._analysis.brands:
            if brand in path_text or brand in sub:
                return brand
        return None


def ip_literal(host: str) -> str | None:
    """The address when the host is an IP, including decimal/hex forms like 3232235777."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        number = int(host, 16) if host.startswith("0x") else int(host)
    except ValueError:
        return None
    return str(ipaddress.IPv4Address(number)) if 0 <= number < 2**32 else None
