"""Phishing signals in an e-mail's own content (brand impersonation, lure language, deceptive
links, risky attachments), each a Detection citing the header and body records that show it."""

import re
from collections.abc import Sequence
from email.header import decode_header, make_header
from email.utils import parseaddr

from triage.detect.email_lexicon import (
    BRAND_NAMES,
    COMMON_WORDS,
    FREE_MAIL,
    fold,
    impersonated_brands,
)
from triage.detect.email_signals import (
    BARE_URL,
    MAX_LINKS,
    MAX_SCAN_CHARS,
    Finding,
    Link,
    Message,
    anchored_links,
    attachment_findings,
    auth_findings,
    header_value,
    impersonation_finding,
    link_findings,
    lure_finding,
)
from triage.detect.email_traits import (
    body_traits,
    link_traits,
    lower_for_bulk_mail,
    origin_traits,
    reply_to_trait,
    sender_traits,
    several_traits,
)
from triage.enrich.domains import BRAND_OWNED_DOMAINS, DomainAnalysis
from triage.enrich.lookalike import match_brand
from triage.enrich.provider import DEFAULT_BRANDS, EnrichmentConfig
from triage.ingest.email import mail_addresses
from triage.models import Detection, Incident, Record, RecordRef
from triage.observables.normalise import registrable_domain

ANGLE_ADDRESS = re.compile(r"<([^<>@\s]{1,64}@[^<>@\s]{1,255})>")


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


class EmailPhishingDetector:
    """Content-level phishing detections for each e-mail in an incident.

    `brands` are the protected brand names (as in EnrichmentConfig.protected_brands);
    `analysis` supplies registrable domains and the lookalike matcher (built offline when absent).
    """

    def __init__(
        self,
        *,
        brands: tuple[str, ...] = DEFAULT_BRANDS,
        trusted_domains: tuple[str, ...] = (),
        analysis: DomainAnalysis | None = None,
    ) -> None:
        from triage.enrich.registry import domain_analysis

        self.brands = tuple(b.lower() for b in brands)
        self._trusted = frozenset(d.lower() for d in trusted_domains)
        self._analysis = analysis or domain_analysis(
            EnrichmentConfig(protected_brands=self.brands, trusted_domains=trusted_domains)
        )
        names = [(n, b) for b in self.brands for n in (b, *BRAND_NAMES.get(b, ()))]
        sender_only = set(COMMON_WORDS)
        self._owned: dict[str, frozenset[str]] = dict(BRAND_OWNED_DOMAINS)
        for brand in impersonated_brands():
            if brand.key in self._owned:
                continue  # a protected brand's own tables come first
            self._owned[brand.key] = brand.domains
            names += [(n, brand.key) for n in brand.names]
            if brand.sender_only:
                sender_only.update(brand.names)
        names.sort(key=lambda pair: -len(pair[0]))
        self._brand_of = dict(names)
        self._sender_words = _words_pattern([n for n, _ in names], after_symbol=True)
        self._text_words = _words_pattern([n for n, _ in names if n not in sender_only])

    def detect(self, incident: Incident) -> Sequence[Detection]:
        by_artifact: dict[str, list[Record]] = {}
        for record in incident.records:
            if record.source.startswith("email."):
                by_artifact.setdefault(record.artifact_id, []).append(record)
        detections: list[Detection] = []
        for artifact_id, records in by_artifact.items():
            message = self._read(artifact_id, records)
            detections += [_detection(f) for f in self._findings(message, records)]
        return detections

    def registrable(self, host: str) -> str:
        """Registrable domain; the last two labels under a reserved or unknown suffix (.example)."""
        return registrable_domain(host)

    def owns(self, brand: str, domain: str) -> bool:
        """Whether `domain` is one the brand sends from (its free-mail service does not count)."""
        if not domain or domain in FREE_MAIL:
            return False
        owned = self._owned.get(brand, frozenset())
        if domain in self._trusted or domain.split(".")[0] == brand:
            return True
        # A suffix such as gov.br or gov.uk: every agency under it is the government's.
        return any(domain == d or domain.endswith("." + d) for d in owned)

    def _read(self, artifact_id: str, records: list[Record]) -> Message:
        headers: dict[str, Record] = {}
        for record in records:
            if record.source == "email.header":
                headers.setdefault(str(record.fields.get("name", "")).lower(), record)
        from_value = _decoded(header_value(headers.get("from")))
        display, sender = parseaddr(from_value)
        angle = ANGLE_ADDRESS.search(from_value[:2000])
        if "@" not in sender and angle:
            # 'Brand, <a@b>' is two addresses to a parser and one sender name to a reader.
            display, sender = from_value[: angle.start()].strip(" \"',;"), angle.group(1)
        recipients = [a for _, a in mail_addresses(header_value(headers.get("to"))) if "@" in a]
        bodies = tuple(r for r in records if r.source == "email.body")
        links: list[Link] = []
        for body in bodies:
            text = body.raw[:MAX_SCAN_CHARS]
            links += [Link(body, shown, url) for shown, url in anchored_links(text)]
            links += [Link(body, "", m.group(1)) for m in BARE_URL.finditer(text)]
        return Message(
            artifact_id=artifact_id,
            headers=headers,
            display_name=display or (from_value if "@" not in from_value else ""),
            sender_domain=self.registrable(sender.rpartition("@")[2].lower()),
            subject=_decoded(header_value(headers.get("subject")))[:1000],
            bodies=bodies,
            attachments=tuple(r for r in records if r.source == "email.attachment"),
            links=tuple(links[:MAX_LINKS]),
            recipient_domains=frozenset(self.registrable(a.rpartition("@")[2]) for a in recipients),
        )

    def _findings(self, message: Message, records: list[Record]) -> list[Finding]:
        lure = lure_finding(message)
        links = link_findings(self, message, lure=lure)
        found = [f for f in (impersonation_finding(self, message, lure=lure, links=links),) if f]
        found += links
        found += attachment_findings(message, lure=lure, found=found)
        found += auth_findings(self, message, records, claimed=found, lure=lure)
        lured = lure is not None
        credential = lured and "T1598" in lure.techniques  # type: ignore[union-attr]
        found += sender_traits(self, message, lured=lured)
        found += origin_traits(self, message, lured=lured)
        if not any(
            f.key == "brand-impersonation" and "off_brand_contacts" in f.matched for f in found
        ):
            found += reply_to_trait(self, message, lured=lured)
        found += link_traits(self, message, credential=credential, lured=lured)
        found += body_traits(message, lured=lured, credential=credential)
        if lure is not None:
            found.append(lure)
        found = lower_for_bulk_mail(message, found)
        compound = several_traits(found)
        return [*found, compound] if compound else found

    def claims(self, message: Message) -> list[tuple[str, str, Record]]:
        """(brand, words, record) for each place the message names a protected brand."""
        places: list[tuple[str, Record | None]] = [
            (message.display_name, message.headers.get("from")),
            (message.subject, message.headers.get("subject")),
            *((b.raw[:MAX_SCAN_CHARS], b) for b in message.bodies),
        ]
        found = []
        for index, (text, record) in enumerate(places):
            # "apple" or "outlook" in prose is a fruit or a forecast; as a sender it is a claim.
            pattern = self._sender_words if index == 0 else self._text_words
            folded = fold(text)
            match = pattern.search(folded) if record is not None else None
            if match and record is not None:
                key = " ".join(match.group(1).split())
                # Shown as written when folding kept the text's length (it nearly always does).
                shown = text[match.start(1) : match.end(1)] if len(folded) == len(text) else key
                found.append((self._brand_of[key], " ".join(shown.split()), record))
        return found

    def is_lookalike(self, host: str) -> str | None:
        facts = self._analysis.facts(host)
        hit = match_brand(
            facts.label,
            facts.subdomain,
            brands=self._analysis.brands,
            is_brand_domain=facts.is_brand_domain or facts.registrable in self._trusted,
        )
        return f"{hit.kind} of brand '{hit.brand}'" if hit else None


def _words_pattern(names: list[str], *, after_symbol: bool = False) -> re.Pattern[str]:
    """Whole-word brand names. In prose a name right after "@", "." or "/" is part of an address
    or a URL; a sender's display name ("@Bank digital", "Notice:Bank") may put it anywhere."""
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) or "(?!)"
    before = r"(?<!\w)" if after_symbol else r"(?<![\w.@/-])"
    return re.compile(rf"{before}({alternatives})(?![\w-])", re.IGNORECASE)


def _detection(finding: Finding) -> Detection:
    locators = dict.fromkeys((r.artifact_id, r.locator) for r in finding.records)
    refs = tuple(RecordRef(artifact_id=a, locator=loc) for a, loc in locators)
    return Detection(
        rule_id=f"email-phishing:{finding.key}",
        title=finding.title,
        level=finding.level,
        techniques=finding.techniques,
        records=refs,
        matched_fields={k: v[:300] for k, v in finding.matched.items()},
        description=finding.description,
        rule_source="builtin email content",
    )
