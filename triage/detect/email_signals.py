"""The phishing signals one e-mail can show, each a Finding with the records that show it;
the detector in triage.detect.email settles their levels and turns them into Detections."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, urlsplit

from triage.detect.email_lexicon import (
    ARCHIVES,
    DECLARED_KINDS,
    FREE_MAIL,
    LURES,
    OPENS_LOCALLY,
    RISKY_NAME,
)
from triage.enrich.domains import ip_literal
from triage.enrich.email_auth import analyse_email_headers
from triage.ingest.email import mail_addresses
from triage.models import Record
from triage.models.base import Severity, severity_rank

MAX_SCAN_CHARS = 20_000  # per body part: lures sit at the top, and text is attacker-sized
MAX_LINKS = 200
MAX_SHOWN_CHARS = 160  # anchor text kept before a <url>
# Runs are bounded and exclude their own delimiters so that no search retries a long run.
LINK_TARGET = re.compile(r"<((?:https?|mailto|ftp):[^<>\s]{1,2048})>", re.IGNORECASE)
BARE_URL = re.compile(r"(?<![<\w])(https?://[^\s<>\"']{1,2048})", re.IGNORECASE)
_SHOWN_HOST = re.compile(r"(?:https?://)?((?:[a-z0-9-]{1,63}\.){1,10}[a-z]{2,24})\b", re.IGNORECASE)
# What may stand around a host name that is the whole of a link's text: a path, brackets.
_ALONE = re.compile(r"[\s(<\[\"']*(?:[/:?#]\S*)?[\s)>\]\"'.,;:!]*")
_SHOWN_ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,10}")
_URLS = re.compile(r"<[^<>\s]{1,2048}>|\b(?:https?|ftp|mailto):[^\s<>]{1,2048}", re.IGNORECASE)
LINK = "T1566.002"


@dataclass(frozen=True)
class Link:
    record: Record
    shown: str  # the anchor text, "" for a bare URL
    url: str


@dataclass(frozen=True)
class Message:
    """One e-mail's records, read into what the checks below ask about."""

    artifact_id: str
    headers: dict[str, Record]  # first occurrence by lower-case name
    display_name: str
    sender_domain: str  # registrable
    subject: str
    bodies: tuple[Record, ...]
    attachments: tuple[Record, ...]
    links: tuple[Link, ...]
    recipient_domains: frozenset[str] = field(default_factory=frozenset)
    claims: tuple[tuple[str, str, Record], ...] = ()  # (brand, words, record), see judge.claims


@dataclass(frozen=True)
class Finding:
    """One signal before its level is settled by what else the message shows."""

    key: str
    title: str
    level: Severity
    techniques: tuple[str, ...]
    records: tuple[Record, ...]
    matched: dict[str, str]
    description: str


class MessageJudge(Protocol):
    """What the signals ask of the detector: domains, brand ownership, claims, lookalikes."""

    brands: tuple[str, ...]

    def registrable(self, host: str) -> str: ...

    def owns(self, brand: str, domain: str) -> bool: ...

    def claims(self, message: Message) -> list[tuple[str, str, Record]]: ...

    def is_lookalike(self, host: str) -> str | None: ...

    def brand_domain(self, domain: str) -> bool: ...


def header_value(record: Record | None) -> str:
    return str(record.fields.get("value", "")) if record is not None else ""


def anchored_links(text: str) -> Iterator[tuple[str, str]]:
    """(shown text, url) for each `words <url>` in a body: the words are those on the line
    before the bracket, at most MAX_SHOWN_CHARS of them, "" when there are none."""
    floor = 0
    for match in LINK_TARGET.finditer(text):
        # Each slice ends where the previous link did, so the whole body is read once.
        before = text[floor : match.start()].rstrip()[-MAX_SHOWN_CHARS:]
        cut = max(before.rfind("<"), before.rfind(">"), before.rfind("\n"))
        yield before[cut + 1 :].strip(), match.group(1)
        floor = match.end()


def link_host(url: str) -> str:
    if url.lower().startswith("mailto:"):
        address = unquote(url[7:].split("?", 1)[0]).strip().lower()
        return address.rpartition("@")[2]
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def shown_target(text: str) -> str:
    """A domain or address the anchor text displays, "" when it shows only words."""
    text = text[:MAX_SHOWN_CHARS]
    address = _SHOWN_ADDRESS.search(text)
    if address:
        return address.group(0).lower()
    host = _SHOWN_HOST.search(text)
    if host is None:
        return ""
    # The reader takes the words for a destination only when they are written as one: with a
    # scheme or "www.", or a host standing alone. In a phrase, "ODP.NET" or "Node.js" is the
    # name of a product, not the place the link claims to go.
    written = host.group(0).lower().startswith(("http", "www."))
    alone = _ALONE.fullmatch(text[: host.start()] + text[host.end() :])
    return host.group(1).lower() if written or alone else ""


def raise_level(level: Severity, steps: int = 1) -> Severity:
    order: tuple[Severity, ...] = ("informational", "low", "medium", "high", "critical")
    return order[min(len(order) - 1, severity_rank(level) + steps)]


_LURE_PATTERNS = tuple(
    (lang, kind, re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE))
    for lang, kind, pattern in LURES
)


def lure_finding(message: Message) -> Finding | None:
    """Two or more distinct lure phrases that make one request: in the subject or sender name,
    or close together in a body. Weak on its own."""
    places = [(message.subject, message.headers.get("subject"))]
    places += [(message.display_name, message.headers.get("from"))]
    # Link targets are left out: login.example.com in a URL is not the message asking anything.
    places += [(_URLS.sub(" ", b.raw[:MAX_SCAN_CHARS]), b) for b in message.bodies]
    terms: dict[str, tuple[str, str]] = {}
    records: list[Record] = []
    in_headers = 0
    together = False
    for text, record in places:
        if record is None or not text:
            continue
        before = len(terms)
        spots: list[tuple[int, str]] = []
        for lang, kind, pattern in _LURE_PATTERNS:
            for match in pattern.finditer(text):
                term = " ".join(match.group(0).lower().split())
                terms.setdefault(term, (lang, kind))
                spots.append((match.start(), term))
        if record.source == "email.header":
            in_headers += len({term for _, term in spots})
        else:
            together = together or _close_together(spots)
        if len(terms) > before:
            records.append(record)
    # A request is made in one place: a newsletter that says "password" in one article and
    # "mailbox" in another, pages apart, asks nothing. The subject and sender name frame the
    # whole message, so a term there pairs with one anywhere.
    if len(terms) < 2 or not (in_headers or together):
        return None
    kinds = sorted({kind for _, kind in terms.values()})
    languages = sorted({lang for lang, _ in terms.values()})
    return Finding(
        key="lure-language",
        title=f"{'/'.join(kinds).capitalize()} lure language ({', '.join(languages)})",
        level="low",
        techniques=("T1598",) if "credential" in kinds else ("T1566",),
        records=tuple(records),
        matched={"lure_terms": ", ".join(list(terms)[:12]), "languages": ", ".join(languages)},
        description="Words that push the reader to sign in, pay or act fast. Common in real "
        "notices too, so this only raises the weight of other signals.",
    )


LURE_WINDOW = 1500  # characters: a few paragraphs of text, well short of a newsletter's pages


def _close_together(spots: list[tuple[int, str]]) -> bool:
    """Two different lure terms within LURE_WINDOW characters of each other in one text."""
    spots.sort()
    # Only each term's latest position is kept, so a text of thousands of matches of a few
    # terms is read in one pass.
    last: dict[str, int] = {}
    for start, term in spots:
        if any(start - seen <= LURE_WINDOW for other, seen in last.items() if other != term):
            return True
        last[term] = start
    return False


def _is_credential(lure: Finding | None) -> bool:
    return lure is not None and "T1598" in lure.techniques


def link_findings(
    detector: MessageJudge, message: Message, *, lure: Finding | None
) -> list[Finding]:
    """Links that hide where they go: lookalike or IP hosts, anchors showing another target."""
    groups: dict[str, tuple[list[Record], list[str]]] = {}
    claims_brand = bool(detector.claims(message))

    def add(kind: str, record: Record, value: str) -> None:
        records, values = groups.setdefault(kind, ([], []))
        records.append(record)
        if value not in values:
            values.append(value)

    seen: set[tuple[str, str, str]] = set()
    for link in message.links:
        if (key := (link.record.locator, link.shown, link.url)) in seen:
            continue
        seen.add(key)
        host = link_host(link.url)
        if not host:
            continue
        mailto = link.url.lower().startswith("mailto:")
        target = unquote(link.url[7:].split("?", 1)[0]).strip().lower() if mailto else host
        if not mailto and ip_literal(host):
            add("ip-link", link.record, link.url)
        elif lookalike := detector.is_lookalike(host):
            add("lookalike-link", link.record, f"{host} ({lookalike})")
        shown = shown_target(link.shown)
        if mailto and "@" in shown and shown != target:
            add("anchor-mismatch", link.record, f"shows {shown}, writes to {target}")
        elif not mailto and shown and "@" not in shown:
            shown_domain, real = detector.registrable(shown), detector.registrable(host)
            if "." in shown_domain and shown_domain != real:
                kind = "anchor-mismatch" if shown_domain != message.sender_domain else "tracking"
                add(kind, link.record, f"shows {shown}, goes to {host}")
        if mailto and claims_brand and detector.registrable(host) in FREE_MAIL:
            add("free-mail-mailto", link.record, target)
    credential = _is_credential(lure)
    lured = lure is not None
    table: dict[str, tuple[str, Severity, str]] = {
        "lookalike-link": (
            "Link to a brand-lookalike domain",
            "high",
            "The host imitates a protected brand's name; the page behind it is not the brand's.",
        ),
        "ip-link": (
            "Link to a bare IP address",
            "medium",
            "Real services link by name; an IP host hides who runs the page.",
        ),
        "anchor-mismatch": (
            "Link text shows a different destination than the link",
            "medium",
            "The reader sees one domain or address; clicking goes elsewhere.",
        ),
        "tracking": (
            "Sender's own domain shown over a redirecting link",
            "low",
            "Usually newsletter click tracking; worth a look only with other signals.",
        ),
        "free-mail-mailto": (
            "Brand-claiming message asks for mail to a free-mail address",
            "medium",
            "A brand does not route its notices to personal mailboxes.",
        ),
    }
    findings = []
    for kind, (records, values) in groups.items():
        title, level, description = table[kind]
        if kind == "lookalike-link" and credential:
            level = "critical"
        elif kind != "tracking" and lured:
            level = raise_level(level)
        elif kind == "ip-link" and 2 * len(records) < len(seen):
            # Ad servers and old mailing systems link a few images or pages by address among
            # many named links; a message that asks for nothing and points mostly elsewhere
            # gains nothing from hiding who runs the page. A message whose links are mostly
            # addresses keeps the medium level: its call to action is the hidden host.
            level = "low"
        techniques = (LINK, "T1598") if credential and kind != "tracking" else (LINK,)
        if kind == "free-mail-mailto":
            techniques = ("T1598", "T1656")
        findings.append(
            Finding(kind, title, level, techniques, tuple(records),
                    {"links": "; ".join(values[:5]), "count": str(len(values))}, description)
        )  # fmt: skip
    return findings


def impersonation_finding(
    detector: MessageJudge,
    message: Message,
    *,
    lure: Finding | None,
    links: list[Finding],
) -> Finding | None:
    """The message names a protected brand that its sender's domain does not belong to."""
    claims = [c for c in detector.claims(message) if not detector.owns(c[0], message.sender_domain)]
    if not claims:
        return None
    brand, words, claim_record = claims[0]  # display name, then subject, then body
    place = {"from": 2, "subject": 1}.get(str(claim_record.fields.get("name", "")).lower(), 0)
    if claim_record.source != "email.header":
        place = 0
    contacts: dict[str, Record] = {}
    reply_to = message.headers.get("reply-to")
    for _, address in mail_addresses(header_value(reply_to)) if reply_to else ():
        domain = detector.registrable(address.rpartition("@")[2].lower())
        off_brand = domain and not detector.owns(brand, domain)
        if reply_to and off_brand and (domain != message.sender_domain or domain in FREE_MAIL):
            contacts.setdefault(f"Reply-To {address.lower()}", reply_to)
    for link in message.links:
        domain = detector.registrable(link_host(link.url))
        if domain and domain != message.sender_domain and not detector.owns(brand, domain):
            contacts.setdefault(f"{link.url.split(':', 1)[0].lower()} {domain}", link.record)
    score = place + (1 if contacts else 0) + (1 if contacts and lure else 0)
    if place == 2 and lure is not None and not contacts:
        score += 1  # a sender named after a brand asking to act is the claim itself
    if score == 0 or (place < 2 and lure is None and (place == 0 or not contacts)):
        # Prose that mentions a brand and links elsewhere is how newsletters read; a claim
        # outside the sender's name needs the message to ask for something too.
        return None
    level: Severity = ("low", "low", "medium", "high", "high")[min(score, 4)]
    if place == 0 or (place == 1 and lure is None):
        # Prose names brands all the time (footers, receipts, news): a body claim stays a
        # low hint even on a message that asks for something.
        level = "low"
    elif place == 1 and severity_rank(level) > severity_rank("medium"):
        level = "medium"  # a subject is about a brand as often as it speaks for one
    techniques = ["T1656", "T1566"]
    if any(k.startswith(("http", "ftp")) for k in contacts):
        techniques.append(LINK)
    if _is_credential(lure):
        techniques.append("T1598")
    where = {2: "sender name", 1: "subject"}.get(place, "body")
    matched = {"brand": brand, "claim": words, "claimed_in": where,
               "sender_domain": message.sender_domain or "(none)"}  # fmt: skip
    if contacts:
        matched["off_brand_contacts"] = "; ".join(list(contacts)[:6])
    records = [claim_record, *(r for r in (message.headers.get("from"),) if r)]
    return Finding(
        key="brand-impersonation",
        title=f"Message presents itself as {words} but is not from {brand}"
        if level != "low"
        else f"Message names {words} but is not from {brand}",
        level=level,
        techniques=tuple(techniques),
        records=(*records, *contacts.values()),
        matched=matched,
        description=f"The {where} names {words}; the sender domain and the contacts it offers "
        f"are not {brand}'s. Free-mail addresses never count as the brand.",
    )


def _attachment_kind(record: Record) -> tuple[str, str, str]:
    name = str(record.fields.get("filename") or "")
    declared = str(record.fields.get("declared_type") or "").lower()
    return name, declared, str(record.fields.get("sniffed_type") or "")


_EXTENSION_KINDS = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
                    "jpeg": "image/jpeg", "gif": "image/gif", "txt": "text/plain",
                    "doc": "application/msword", "xls": "application/vnd.ms-excel"}  # fmt: skip


def attachment_findings(
    message: Message, *, lure: Finding | None, found: list[Finding]
) -> list[Finding]:
    """Archives, disguised content, and code-bearing attachments on a lure (single-file cases
    such as .exe, .html or double extensions are the Sigma email rules' job)."""
    findings = []
    for record in message.attachments:
        name, declared, sniffed = _attachment_kind(record)
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        expected = DECLARED_KINDS.get(declared) or DECLARED_KINDS.get(
            _EXTENSION_KINDS.get(extension, "")
        )
        matched = {"filename": name, "declared_type": declared, "sniffed_type": sniffed}
        if expected and sniffed in OPENS_LOCALLY | ARCHIVES and sniffed not in expected:
            findings.append(Finding(
                "disguised-attachment", "Attachment content does not match its name or type",
                raise_level("medium") if lure else "medium", ("T1566.001", "T1036.008"),
                (record,), matched, f"Declared or named as {declared or extension} but the "
                f"bytes are {sniffed}: the disguise is meant to get it opened.",
            ))  # fmt: skip
        elif sniffed in ARCHIVES - {"iso"} or extension in {"zip", "rar", "7z", "gz", "tgz", "ace"}:
            findings.append(Finding(
                "archive-attachment", "Archive attachment", "medium" if lure else "low",
                ("T1566.001",), (record,), matched, "Archives carry payloads past attachment "
                "filters; what is inside was not examined.",
            ))  # fmt: skip
        if lure is not None and (sniffed in OPENS_LOCALLY or RISKY_NAME.search(name)):
            backed = message.sender_domain in FREE_MAIL or any(
                severity_rank(f.level) >= severity_rank("medium") for f in found
            )
            findings.append(Finding(
                "lure-with-active-attachment",
                "Lure message carries an attachment that opens as a page or program",
                "high" if backed else "medium",
                ("T1566.001", "T1598") if _is_credential(lure) else ("T1566.001",),
                (record, *lure.records), matched | {"lure_terms": lure.matched["lure_terms"]},
                "Lure wording plus a local page, script or program: the usual shape of "
                "attachment phishing" + (" from a free-mail sender." if backed else "."),
            ))  # fmt: skip
    return findings


def auth_findings(
    detector: MessageJudge,
    message: Message,
    records: list[Record],
    *,
    claimed: list[Finding],
    lure: Finding | None = None,
) -> list[Finding]:
    """Failed SPF/DKIM/DMARC: strong on a message that names a brand or the recipient's own
    organisation, weak otherwise (forwarding and mailing lists break SPF for honest mail too)."""
    results = analyse_email_headers(
        [r for r in records if r.source == "email.header"],
        brands=detector.brands,
        registrable=detector.registrable,
    )
    details = results[0].details if results else {}
    spf, dkim, dmarc = (str(details.get(m, "")) for m in ("spf", "dkim", "dmarc"))
    if not (dmarc == "fail" or (spf in {"fail", "softfail"} and dkim != "pass")):
        return []
    auth = message.headers.get("authentication-results") or message.headers.get("received-spf")
    cited = tuple(r for r in (auth, message.headers.get("from")) if r is not None)
    matched = {"spf": spf or "none", "dkim": dkim or "none", "dmarc": dmarc or "none"}
    findings = []
    # Only a claim the reader sees first (the sender's name or the subject): a forwarded note
    # that mentions a tracking number does not pretend to be the carrier.
    brands = [c for c in detector.claims(message) if c[2].source == "email.header"]
    relayed = _relayed(message)
    if brands:
        brand, words, record = brands[0]
        findings.append(Finding(
            "auth-failure-brand", f"Message naming {words} fails sender authentication",
            "medium" if relayed else "high",
            ("T1656", "T1566"), (*cited, record), matched | {"brand": brand},
            "The receiving server could not confirm the sender, and the message uses a "
            "protected brand's name.",
        ))  # fmt: skip
    if message.sender_domain and message.sender_domain in message.recipient_domains:
        findings.append(Finding(
            "auth-failure-own-domain",
            "Sender claims the recipient's own organisation but fails authentication", "high",
            ("T1656", "T1566"), (*cited, *(r for r in (message.headers.get("to"),) if r)),
            matched | {"sender_domain": message.sender_domain},
            "Mail from one's own domain that the domain's own policy rejects is spoofed.",
        ))  # fmt: skip
    if not findings:
        level: Severity = "informational" if relayed else "medium" if lure is not None else "low"
        findings.append(Finding(
            "auth-failure", "Message fails sender authentication", level, ("T1566",), cited,
            matched | ({"relayed": "yes (list or forwarder)"} if relayed else {}),
            "The receiving server could not confirm that the sender's domain sent this message"
            + (" (a list or forwarder relayed it, which breaks SPF for honest mail)."
               if relayed else "."),
        ))  # fmt: skip
    return findings


RELAY_HEADERS = ("list-id", "list-post", "arc-seal", "resent-from", "x-forwarded-for")


def _relayed(message: Message) -> bool:
    """A mailing list or forwarder handled the message: honest mail fails SPF that way."""
    if any(name in message.headers for name in RELAY_HEADERS):
        return True
    sender = header_value(message.headers.get("sender")).lower()
    origin = header_value(message.headers.get("from")).lower()
    return bool(sender) and sender not in origin
