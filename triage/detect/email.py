"""Phishing signals in an e-mail's own content (brand impersonation, lure language, deceptive
links, risky attachments), each a Detection citing the header and body records that show it."""

import dataclasses
import re
from collections.abc import Sequence
from email.header import decode_header, make_header
from email.utils import parseaddr

from triage.detect.email_lexicon import (
    BRAND_NAMES,
    COMMON_WORDS,
    FREE_MAIL,
    SERVICE_WORDS,
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
MAX_FROM_CHARS = 2000
MAX_DISPLAY_CHARS = 300
# Country codes sold as generic names or free of charge, and so as open to anyone as .top.
ABUSED_COUNTRY_CODES = frozenset(("tk", "ml", "ga", "cf", "gq", "cc", "ws", "pw", "su", "cm"))


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
        sender_names: list[tuple[str, str]] = []
        self._owned: dict[str, frozenset[str]] = dict(BRAND_OWNED_DOMAINS)
        self._catalogued: set[str] = set()
        for brand in impersonated_brands():
            if brand.key in self._owned:
                continue  # a protected brand's own tables come first
            self._owned[brand.key] = brand.domains
            self._catalogued.add(brand.key)
            names += [(n, brand.key) for n in brand.names]
            sender_names += [(n, brand.key) for n in brand.sender_names]
        # "apple" or "outlook" in prose is a fruit or a forecast; as a sender it is a claim.
        anywhere = [(n, b) for n, b in names if n not in COMMON_WORDS]
        sender_names += [(n, b) for n, b in names if n in COMMON_WORDS]
        self._brand_of = dict(sorted(names + sender_names, key=lambda pair: -len(pair[0])))
        self._strict_names = frozenset(n for n, _ in sender_names)
        self._sender_words = _words_pattern(
            sorted(self._brand_of, key=len, reverse=True), in_a_name=True
        )
        self._text_words = _words_pattern(sorted((n for n, _ in anywhere), key=len, reverse=True))

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
        """Whether `domain` is one the brand sends from. A free-mail service counts only as the
        catalogued organisation's own (Yahoo writing from yahoo.com), never for a protected
        brand: anyone can open a gmail.com box and call it Google Support."""
        if not domain:
            return False
        owned = self._owned.get(brand, frozenset())
        if domain in FREE_MAIL and not (brand in self._catalogued and domain in owned):
            return False
        if domain in self._trusted or domain in owned:
            return True
        # A suffix such as gov.br or gov.uk: every agency under it is the government's.
        if any(domain.endswith("." + d) for d in owned):
            return True
        # The brand's own name under a country's suffix (dhl.de, amazon.fr, citibank.com.sg);
        # a generic or cheap top-level domain (dhl.delivery, nubank.app) is anyone's.
        label, _, suffix = domain.partition(".")
        labels = {brand} | {d.partition(".")[0] for d in owned}
        country = suffix.rpartition(".")[2]
        return label in labels and len(country) == 2 and country not in ABUSED_COUNTRY_CODES

    def _read(self, artifact_id: str, records: list[Record]) -> Message:
        headers: dict[str, Record] = {}
        for record in records:
            if record.source == "email.header":
                headers.setdefault(str(record.fields.get("name", "")).lower(), record)
        from_value = _decoded(header_value(headers.get("from")))
        display, sender = parseaddr(from_value)
        angle = ANGLE_ADDRESS.search(from_value[:MAX_FROM_CHARS])
        if angle:
            # What a mail client shows: the text before the bracket is the name, the bracketed
            # address the sender, even when the name is itself an address ('a@brand <b@evil>')
            # or holds a comma ('Brand, <a@b>', two addresses to a parser).
            display, sender = from_value[: angle.start()].strip(" \"',;"), angle.group(1)
        recipients = [a for _, a in mail_addresses(header_value(headers.get("to"))) if "@" in a]
        bodies = tuple(r for r in records if r.source == "email.body")
        links: list[Link] = []
        for body in bodies:
            text = body.raw[:MAX_SCAN_CHARS]
            links += [Link(body, shown, url) for shown, url in anchored_links(text)]
            links += [Link(body, "", m.group(1)) for m in BARE_URL.finditer(text)]
        message = Message(
            artifact_id=artifact_id,
            headers=headers,
            display_name=(display or (from_value if "@" not in from_value else ""))[
                :MAX_DISPLAY_CHARS
            ],
            sender_domain=self.registrable(sender.rpartition("@")[2].lower()),
            subject=_decoded(header_value(headers.get("subject")))[:1000],
            bodies=bodies,
            attachments=tuple(r for r in records if r.source == "email.attachment"),
            links=tuple(links[:MAX_LINKS]),
            recipient_domains=frozenset(self.registrable(a.rpartition("@")[2]) for a in recipients),
        )
        return dataclasses.replace(message, claims=tuple(self._find_claims(message)))

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
        """(brand, words, record) for each place the message names a brand: the sender's name,
        the subject, the first body that does (read once, when the message is)."""
        return list(message.claims)

    def _find_claims(self, message: Message) -> list[tuple[str, str, Record]]:
        found = []
        sender = message.headers.get("from")
        name = _readable_name(message.display_name)
        if sender is not None and (match := self._sender_words.search(name)):
            key = " ".join(match.group(1).split())
            if key not in self._strict_names or _only_generic_besides(name, match):
                found.append((self._brand_of[key], _shown(message.display_name, match), sender))
        places: list[tuple[str, Record | None]] = [
            (message.subject, message.headers.get("subject")),
            *((b.raw[:MAX_SCAN_CHARS], b) for b in message.bodies),
        ]
        for text, record in places:
            match = self._text_words.search(fold(text)) if record is not None else None
            if match and record is not None:
                key = " ".join(match.group(1).split())
                found.append((self._brand_of[key], _shown(text, match), record))
                if record.source == "email.body":
                    break  # one body is enough to say the message names the brand
        return found

    def brand_domain(self, domain: str) -> bool:
        """Whether a known organisation sends from or hosts on this registrable domain."""
        return any(self.owns(brand, domain) for brand in self._owned)

    def is_lookalike(self, host: str) -> str | None:
        facts = self._analysis.facts(host)
        if facts.registrable and self.brand_domain(facts.registrable):
            return None  # the brand's own site under another country's suffix (amazon.fr)
        hit = match_brand(
            facts.label,
            facts.subdomain,
            brands=self._analysis.brands,
            is_brand_domain=facts.is_brand_domain or facts.registrable in self._trusted,
        )
        return f"{hit.kind} of brand '{hit.brand}'" if hit else None


def _words_pattern(names: list[str], *, in_a_name: bool = False) -> re.Pattern[str]:
    """Whole-word brand names, over folded (lower-case) text. In prose a name right after "@",
    "." or "/" is part of an address or a URL; a sender's display name ("@Bank digital",
    "Notice:Bank", "Bank-Service", "Bank_Alerts") may put it anywhere."""
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) or "(?!)"
    if in_a_name:
        return re.compile(rf"(?<![^\W_])({alternatives})(?![^\W_])")
    return re.compile(rf"(?<![\w.@/-])({alternatives})(?![\w-])")


ADDRESS_IN_NAME = re.compile(r"\S{1,64}@\S{1,255}|(?<!\w)(?:[\w-]{1,63}\.){1,8}[a-z]{2,24}(?!\w)")
SPACED_LETTERS = re.compile(r"(?<![^\W_])[a-z](?:[ ._-][a-z]){1,11}(?![^\W_])")
NAME_WORD = re.compile(r"[^\W\d_]+")


def _readable_name(display_name: str) -> str:
    """The sender's name folded as a reader sees it, with the addresses and host names it
    carries taken out (those are the display-name-address trait's, and a name that is just the
    sender's own address claims nothing) and spaced-out letters joined ("D.H.L" reads "dhl")."""
    name = ADDRESS_IN_NAME.sub(" ", fold(display_name))
    return SPACED_LETTERS.sub(lambda m: re.sub(r"[ ._-]", "", m.group(0)), name)


def _only_generic_besides(name: str, match: re.Match[str]) -> bool:
    """A name that is also an ordinary word or a surname counts only when nothing but generic
    words stands beside it: "UPS Support" is a claim, "Chase Smith" a person."""
    rest = name[: match.start(1)] + " " + name[match.end(1) :]
    return all(w in SERVICE_WORDS for w in NAME_WORD.findall(rest))


def _shown(text: str, match: re.Match[str]) -> str:
    """The matched name as written, when the text folded to itself character for character;
    otherwise the folded name (offsets into folded text do not map back)."""
    shown = text[match.start(1) : match.end(1)] if text.isascii() else match.group(1)
    return " ".join(shown.split())


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
