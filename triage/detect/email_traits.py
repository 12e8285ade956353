"""Phishing traits that do not depend on a protected brand: how the sender presents itself,
where replies and links really go, and what the body asks for. Each is a Finding for the
e-mail detector; none is decisive alone, and the scoring model weighs them together."""

import base64
import re
from urllib.parse import unquote

from triage.detect.email_lexicon import FREE_MAIL
from triage.detect.email_signals import (
    MAX_SCAN_CHARS,
    Finding,
    Message,
    MessageJudge,
    header_value,
    link_host,
    raise_level,
)
from triage.enrich.domains import ip_literal
from triage.ingest.email import mail_addresses
from triage.models import Record
from triage.models.base import Severity, severity_rank

# Words a sender's display name uses to sound like an organisation's service desk or system.
ORGANISATION_WORDS = re.compile(
    r"(?<!\w)(support|service|services|team|security|billing|account|accounts|admin|"
    r"administrator|helpdesk|help desk|department|customer|notification|notifications|"
    r"mailbox|webmail|it desk|payroll|finance|bank|banco|suporte|atendimento|servicio|"
    r"soporte|équipe|sicherheit|kundenservice|klantenservice|beveiliging)(?!\w)",
    re.IGNORECASE,
)
ADDRESS_OR_DOMAIN = re.compile(
    r"[\w.+-]{1,64}@([\w-]{1,63}(?:\.[\w-]{1,63}){1,10})|"
    r"(?<![\w.-])((?:[a-z0-9-]{1,63}\.){1,10}(?:com|net|org|info|biz|io|co|us|uk|de|fr|br|es|nl))"
    r"(?![\w-])",
    re.IGNORECASE,
)
# Hosting and link services that let anyone publish a page or hide a destination: common
# carriers of credential-harvesting pages, and ordinary in personal mail, so weak alone.
OPEN_HOSTING = (
    "000webhostapp.com", "firebaseapp.com", "web.app", "weebly.com", "wixsite.com",
    "godaddysites.com", "blogspot.com", "github.io", "pages.dev", "workers.dev", "glitch.me",
    "herokuapp.com", "netlify.app", "vercel.app", "r2.dev", "ipfs.io", "dweb.link",
    "storage.googleapis.com", "blob.core.windows.net", "s3.amazonaws.com", "sites.google.com",
    "forms.gle", "typeform.com", "jotform.com", "formstack.com", "webflow.io", "framer.app",
    "ngrok.io", "ngrok-free.app", "trycloudflare.com", "bit.ly", "tinyurl.com", "is.gd",
    "cutt.ly", "rebrand.ly", "t.ly", "shorturl.at", "rb.gy", "tiny.cc", "ow.ly",
    "run.app", "appspot.com", "azurewebsites.net", "azurestaticapps.net", "web.core.windows.net",
    "firebasestorage.googleapis.com", "onrender.com", "fly.dev", "replit.app", "repl.co",
    "surge.sh", "pythonanywhere.com", "amplifyapp.com", "translate.goog", "cloudflare-ipfs.com",
    "fleek.co", "4everland.app", "notion.site", "my.canva.site", "square.site", "mystrikingly.com",
    "webnode.page", "carrd.co", "ukit.me", "yolasite.com", "wixstudio.io",
)  # fmt: skip
# Top-level domains that registries sell cheaply and abuse reports name often.
CHEAP_TLDS = frozenset((
    "top", "xyz", "click", "buzz", "online", "shop", "live", "icu", "cyou", "sbs", "rest",
    "monster", "quest", "cfd", "bond", "gq", "ml", "cf", "tk", "ga", "zip", "mov", "loan",
    "work", "support", "help", "site", "website", "store", "fun", "life", "world",
))  # fmt: skip
HIDDEN_CHARS = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
MIN_HIDDEN = 5
GREETING = (
    r"(?:dear|hello|hi|hey|prezado|prezada|olá|ola|estimado|estimada|hola|bonjour|cher|chère|"
    r"hallo|liebe|lieber|beste|geachte)"
)


BULK_HEADERS = ("list-unsubscribe", "list-id")
BULK_PRECEDENCE = re.compile(r"^\s*(bulk|list)\b", re.IGNORECASE)
# Signals that ordinary bulk mail shows too (tracking links, IP-hosted images, forms, many
# outside links); in a message that declares itself bulk mail they count one level lower.
BULK_WEAK = frozenset((
    "ip-link", "anchor-mismatch", "risky-link-host", "reply-to-diversion", "lure-language",
    "auth-failure", "recipient-in-link",
))  # fmt: skip


def is_bulk_mail(message: Message) -> bool:
    """The message declares itself a list or bulk mailing (RFC 2369 / RFC 8058 headers)."""
    if any(name in message.headers for name in BULK_HEADERS):
        return True
    return bool(BULK_PRECEDENCE.match(header_value(message.headers.get("precedence"))))


def lower_for_bulk_mail(message: Message, findings: list[Finding]) -> list[Finding]:
    if not is_bulk_mail(message):
        return findings
    lowered: list[Finding] = []
    for finding in findings:
        if finding.key in BULK_WEAK and finding.level != "informational":
            order: tuple[Severity, ...] = ("informational", "low", "medium", "high", "critical")
            level = order[max(0, order.index(finding.level) - 1)]
            finding = Finding(
                finding.key, finding.title, level, finding.techniques, finding.records,
                finding.matched | {"bulk_mail": "yes (one level lower)"}, finding.description,
            )  # fmt: skip
        lowered.append(finding)
    return lowered


def _finding(
    key: str, title: str, level: Severity, records: list[Record], matched: dict[str, str], why: str
) -> Finding:
    techniques = ("T1566",) if key != "reply-to-diversion" else ("T1566", "T1656")
    unique = {(r.artifact_id, r.locator): r for r in records}
    return Finding(key, title, level, techniques, tuple(unique.values()), matched, why)


def sender_traits(judge: MessageJudge, message: Message, *, lured: bool) -> list[Finding]:
    """Display names that claim another address or an organisation behind a free-mail box."""
    found: list[Finding] = []
    sender = message.headers.get("from")
    if sender is None:
        return found
    shown = ADDRESS_OR_DOMAIN.search(message.display_name[:300])
    relayed = re.search(r"\s(?:via|at)\s", message.display_name[:300], re.IGNORECASE)
    if shown and shown.group(1) and not relayed:
        domain = judge.registrable(shown.group(1).lower())
        if domain and message.sender_domain and domain != message.sender_domain:
            found.append(_finding(
                "display-name-address", "Sender name shows another address or domain",
                "medium", [sender],
                {"display_name": message.display_name[:160], "sender": message.sender_domain},
                "The name the reader sees carries a different domain than the one that sent it.",
            ))  # fmt: skip
    organisation = ORGANISATION_WORDS.search(message.display_name[:300])
    if organisation and message.sender_domain in FREE_MAIL:
        found.append(_finding(
            "free-mail-organisation", "Organisation-sounding sender on a free-mail address",
            "medium" if lured else "low", [sender],
            {"display_name": message.display_name[:160], "sender_domain": message.sender_domain},
            "Service desks and billing departments do not write from personal mailboxes.",
        ))  # fmt: skip
    return found


# What no domain name can hold (IDNs are letters too, so \w stays allowed).
NOT_IN_DOMAINS = re.compile(r"[^\w.-]|_")
# Domains under which cloud and hosting providers name their customers' machines (reverse DNS
# and default host names), not domains anyone's mail is meant to come from.
HOSTING_HOSTS = (
    "vps.ovh.net", "vps.ovh.ca", "vps.ovh.us", "ip-ovh.net", "secureserver.net",
    "compute.amazonaws.com", "compute-1.amazonaws.com", "bc.googleusercontent.com",
    "linodeusercontent.com", "members.linode.com", "contaboserver.net", "your-server.de",
    "vultrusercontent.com", "hostwindsdns.com", "main-hosting.eu", "websitewelcome.com",
    "cloudapp.azure.com", "cloudapp.net", "static.cnode.io", "hosted-by-vdsina.ru",
)  # fmt: skip
MACHINE_LABEL = re.compile(
    r"(?:^|[-_])(?:vps|vds|srv|server|host|static|ip|ec2|node|cloud)\d*(?:$|[-_])"
)
SCRIPT_SENDERS = frozenset(("root", "www-data", "apache", "nginx", "nobody", "daemon", "httpd"))
NAME_TOKEN = re.compile(r"[^\W\d_]{3,}")
GENERIC_NAME_WORDS = frozenset((
    "no", "reply", "noreply", "the", "and", "from", "via", "mail", "info", "news", "newsletter",
    "official", "online", "digital", "group", "inc", "ltd", "llc", "gmbh", "your", "center",
    "centre", "de", "do", "da", "el", "la", "le", "les", "der", "die", "das", "desk", "office",
    "staff", "system", "systems", "dept", "portal", "alert", "alerts", "update", "updates",
))  # fmt: skip


def origin_traits(judge: MessageJudge, message: Message, *, lured: bool) -> list[Finding]:
    """Where the message really came from: sender domains that are not domains, envelopes of a
    script on a bare server, and organisation names that share nothing with the sender."""
    found: list[Finding] = []
    sender = message.headers.get("from")
    if sender is None:
        return found
    address = mail_addresses(header_value(sender))
    domain = address[0][1].rpartition("@")[2].lower() if address and "@" in address[0][1] else ""
    malformed = bool(NOT_IN_DOMAINS.search(domain))
    if domain and ("." not in domain or domain.rpartition(".")[2].isdigit() or malformed):
        found.append(_finding(
            "sender-not-a-domain", "Sender address has no real domain", "medium", [sender],
            {"sender": address[0][1][:160]},
            "A mail server would not accept this domain from a real organisation; the message "
            "was written by a script or hand-crafted.",
        ))  # fmt: skip
    # A server's own notice (cron, logwatch, certbot) comes from root@ that server: its words
    # of failure and expiry are reports, not lures.
    notice = bool(address) and address[0][1].partition("@")[0].lower() in SCRIPT_SENDERS
    envelope = message.headers.get("return-path")
    if envelope is not None:
        path = header_value(envelope).strip("<> ").lower()
        local, _, host = path.partition("@")
        if path and (local in SCRIPT_SENDERS or (host and "." not in host)):
            found.append(_finding(
                "script-envelope", "Envelope sender is a system account or a bare host name",
                "medium" if lured and not notice else "low", [envelope],
                {"return_path": path[:160]},
                "Bulk senders and real organisations send from their domain; root@ or a host "
                "name without a domain is a script on a rented server.",
            ))  # fmt: skip
    found += _hosting_sender(domain, envelope, sender, lured=lured and not notice)
    words = [w.lower() for w in NAME_TOKEN.findall(message.display_name[:200])]
    named = [
        w for w in words if w not in GENERIC_NAME_WORDS and not ORGANISATION_WORDS.fullmatch(w)
    ]
    organisation_like = bool(named) and (
        len(named) == 1 or any(ORGANISATION_WORDS.fullmatch(w) for w in words)
    )
    local_part = address[0][1].partition("@")[0].lower() if address else ""
    full_domain = (local_part + " " + domain).replace("-", "").replace(".", " ")
    personal_box = domain in FREE_MAIL and len(named) == 1
    if organisation_like and domain and not personal_box:
        related = any(w[:5] in full_domain for w in named if len(w) >= 4) or any(
            w in full_domain for w in named
        )
        if not related:
            found.append(_finding(
                "organisation-name-unrelated", "Sender name is an organisation its domain does "
                "not belong to", "medium" if lured else "low", [sender],
                {"display_name": message.display_name[:160], "sender_domain": domain[:160]},
                "The message speaks in an organisation's name while its address has nothing to "
                "do with that organisation, and it asks the reader to act.",
            ))  # fmt: skip
    return found


def _hosting_sender(
    domain: str, envelope: Record | None, sender: Record, *, lured: bool
) -> list[Finding]:
    """From or envelope on a rented server's own host name rather than an organisation's."""
    hosts = {"from": (domain, sender)}
    if envelope is not None:
        path = header_value(envelope).strip("<> ").lower()
        hosts["return_path"] = (path.rpartition("@")[2], envelope)
    machine = {k: (h, r) for k, (h, r) in hosts.items() if h and _is_server_host(h)}
    if not machine:
        return []
    return [_finding(
        "hosting-sender", "Sent from a rented server's host name, not an organisation's domain",
        "medium" if lured else "low", [r for _, r in machine.values()],
        {k: h[:160] for k, (h, _) in machine.items()},
        "Organisations send from their own domains; a cloud or hosting provider's machine name "
        "is a script on a rented server (or a server's own notices, which ask nothing).",
    )]  # fmt: skip


def _is_server_host(host: str) -> bool:
    if any(host == s or host.endswith("." + s) for s in HOSTING_HOSTS):
        return True
    first = host.split(".", 1)[0]
    return bool(MACHINE_LABEL.search(first)) and sum(c.isdigit() for c in first) >= 3


def reply_to_trait(judge: MessageJudge, message: Message, *, lured: bool) -> list[Finding]:
    """Replies diverted to an unrelated domain or a free-mail box."""
    reply_to = message.headers.get("reply-to")
    if reply_to is None:
        return []
    for _, address in mail_addresses(header_value(reply_to)):
        domain = judge.registrable(address.rpartition("@")[2].lower())
        if not domain or domain == message.sender_domain:
            continue
        if domain in FREE_MAIL or lured:
            level: Severity = "medium" if lured and domain in FREE_MAIL else "low"
            return [_finding(
                "reply-to-diversion", "Replies go to a different domain than the sender's",
                level, [reply_to, *(r for r in (message.headers.get("from"),) if r)],
                {"reply_to": address.lower()[:160], "sender_domain": message.sender_domain},
                "Reply-To sends the answer somewhere the sender's domain does not control.",
            )]  # fmt: skip
    return []


def _host_kind(host: str, registrable: str) -> str | None:
    if ip_literal(host):
        return None  # the link checks already report IP hosts
    if any(host == h or host.endswith("." + h) for h in OPEN_HOSTING):
        return "open hosting or link shortener"
    if host.startswith("xn--") or ".xn--" in host:
        return "internationalised (punycode) host"
    if registrable.rpartition(".")[2] in CHEAP_TLDS:
        return "frequently abused top-level domain"
    return None


def link_traits(
    judge: MessageJudge, message: Message, *, credential: bool, lured: bool
) -> list[Finding]:
    """Links to hosts anyone can publish on, and credential requests that link off-domain."""
    risky: dict[str, Record] = {}
    external: dict[str, Record] = {}
    for link in message.links:
        if link.url.lower().startswith("mailto:"):
            continue
        host = link_host(link.url)
        if not host:
            continue
        registrable = judge.registrable(host)
        if "@" in link.url.split("//", 1)[-1].split("/", 1)[0]:
            risky.setdefault(f"{host} (credentials in the URL)", link.record)
        kind = _host_kind(host, registrable)
        if kind:
            risky.setdefault(f"{host} ({kind})", link.record)
        # A sign-in page on a known organisation's own domain (a meeting invite, a shared
        # document) is not the harvesting page this trait looks for.
        off_domain = registrable and registrable != message.sender_domain
        if off_domain and not judge.brand_domain(registrable):
            external.setdefault(registrable, link.record)
    found: list[Finding] = []
    personal = _links_with_recipient(judge, message)
    if personal:
        found.append(_finding(
            "recipient-in-link", "Link carries the recipient's own address",
            "medium" if credential else "low", list(personal.values()),
            {"links": "; ".join(list(personal)[:3])},
            "A page that arrives already knowing the reader's address is a sign-in form "
            "pre-filled for them: the way phishing kits greet their targets.",
        ))  # fmt: skip
    if risky:
        level: Severity = "medium" if lured else "low"
        found.append(_finding(
            "risky-link-host", "Links to hosts that anyone can publish on or that hide the target",
            raise_level(level) if credential else level, list(risky.values()),
            {"links": "; ".join(list(risky)[:5]), "count": str(len(risky))},
            "Free hosting, shorteners, punycode and cheap top-level domains carry most "
            "credential-harvesting pages; legitimate senders link to their own sites.",
        ))  # fmt: skip
    if credential and external and len(external) <= 3:
        found.append(_finding(
            "credential-request-off-domain",
            "Asks for a sign-in or account action through a link outside the sender's domain",
            "medium", list(external.values()),
            {"link_domains": ", ".join(list(external)[:5]), "sender_domain": message.sender_domain},
            "A request to sign in or verify an account that leads away from the sender's own "
            "domain is the shape of credential phishing.",
        ))  # fmt: skip
    return found


OPT_OUT = re.compile(r"unsub|opt-?out|optout", re.IGNORECASE)
ENCODED_RUN = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}|(?:[0-9a-fA-F]{2}){6,}")
MAX_DECODED_RUNS = 50


def _links_with_recipient(judge: MessageJudge, message: Message) -> dict[str, Record]:
    """Links off the sender's own domain whose URL holds the single recipient's address:
    plainly, percent-encoded (even twice), in base64 or hex. Opt-out links honestly name the
    subscriber, and a service's own reset link may too, so neither counts."""
    recipients = [a.lower() for _, a in mail_addresses(header_value(message.headers.get("to")))]
    if len(recipients) != 1 or "@" not in recipients[0]:
        return {}
    address = recipients[0]
    found: dict[str, Record] = {}
    for link in message.links:
        url = link.url[:2048]
        if url.lower().startswith("mailto:"):
            continue
        host = link_host(url)
        if not host or judge.registrable(host) == message.sender_domain:
            continue
        path = url.split("?", 1)[0].split("#", 1)[0]
        if OPT_OUT.search(path) or OPT_OUT.search(link.shown):
            continue
        if address in _decoded_forms(url):
            found.setdefault(url[:120], link.record)
    return found


def _decoded_forms(url: str) -> str:
    """The URL as text, with percent-encoding undone up to three times and each base64 or hex
    run decoded, lower-cased and joined, for a plain substring test."""
    forms = [url]
    for _ in range(3):
        forms.append(unquote(forms[-1]))
    for run in ENCODED_RUN.findall(forms[-1])[:MAX_DECODED_RUNS]:
        for decode in (_from_base64, _from_hex):
            if text := decode(run):
                forms.append(text)
    return " ".join(forms).lower()


def _from_base64(run: str) -> str:
    try:
        raw = base64.b64decode(run.replace("-", "+").replace("_", "/") + "==", validate=False)
    except (ValueError, TypeError):
        return ""
    return raw.decode("latin-1")


def _from_hex(run: str) -> str:
    if len(run) % 2:
        return ""
    try:
        return bytes.fromhex(run).decode("latin-1")
    except ValueError:
        return ""


def body_traits(message: Message, *, lured: bool, credential: bool) -> list[Finding]:
    """Forms in the message, hidden characters, and greetings that use the mailbox name."""
    found: list[Finding] = []
    forms = [b for b in message.bodies if b.fields.get("html_form") is True]
    if forms:
        found.append(_finding(
            "html-form", "Message contains a form that posts what the reader types",
            "high" if credential else "medium" if lured else "low", forms,
            {"parts": ", ".join(b.locator for b in forms)},
            "A form inside the message collects input directly; with a request to sign in it "
            "is a credential harvester, in a newsletter usually a search box.",
        ))  # fmt: skip
    places = [(message.subject, message.headers.get("subject"))]
    places += [(b.raw[:MAX_SCAN_CHARS], b) for b in message.bodies]
    hidden = [(r, len(HIDDEN_CHARS.findall(t))) for t, r in places if r is not None and t]
    hidden = [(r, n) for r, n in hidden if n >= MIN_HIDDEN]
    if hidden:
        found.append(_finding(
            "hidden-characters", "Invisible characters break up the words of the message",
            "medium", [r for r, _ in hidden], {"count": str(sum(n for _, n in hidden))},
            "Zero-width characters inside words defeat keyword filters; people never type them.",
        ))  # fmt: skip
    recipient = header_value(message.headers.get("to"))
    addresses = [a.lower() for _, a in mail_addresses(recipient) if "@" in a]
    if len(addresses) == 1:
        local = addresses[0].partition("@")[0]
        # Most people's mailbox is their first name; only a mailbox that no one would be
        # called ("j.doe", "maria1987", "accounts-payable") says the sender knows just the address.
        machine_like = len(local) >= 12 or any(c.isdigit() or c in "._-" for c in local)
        greeted_as = (addresses[0], local) if machine_like else (addresses[0],)
        names = "|".join(re.escape(n) for n in greeted_as if len(n) >= 3)
        greeting = re.compile(
            rf"(?<!\w){GREETING}[ \t]{{0,3}},?[ \t]{{1,3}}(?:{names})(?![\w.@-])", re.IGNORECASE
        )
        greeted = [b for b in message.bodies if names and greeting.search(b.raw[:MAX_SCAN_CHARS])]
        greeted += _addressed_by_mailbox(message, addresses[0])
        if greeted:
            found.append(_finding(
                "greets-mailbox-name", "Greets the reader by the mailbox address, not a name",
                "medium" if lured else "low", greeted, {"recipient": addresses[0][:160]},
                "Mass phishing knows only the address it sends to; real senders use a name.",
            ))  # fmt: skip
    return found


def _addressed_by_mailbox(message: Message, address: str) -> list[Record]:
    """The subject or a body line that opens by calling the reader by the full address
    ("j.doe@corp.example, your mailbox is full"): the form of address of a mass mailing."""
    opening = re.compile(
        rf"(?:^|\n)[ \t]{{0,3}}{re.escape(address)}[ \t]{{0,3}}[,:!]", re.IGNORECASE
    )
    subject = message.headers.get("subject")
    found = [subject] if subject is not None and message.subject.lower().startswith(address) else []
    return found + [b for b in message.bodies if opening.search(b.raw[:MAX_SCAN_CHARS])]


COMPOUND_MEDIUM = 2  # independent traits of medium level or above
COMPOUND_ANY = 3  # or this many distinct traits, one of them medium or above
# Traits that share one cause count once: a script on a rented server shows all three of the
# first, and one link can be off-domain, carry the address and sit on open hosting at once.
TRAIT_FAMILY = {
    "hosting-sender": "origin", "script-envelope": "origin", "sender-not-a-domain": "origin",
    "ip-link": "link", "anchor-mismatch": "link", "risky-link-host": "link",
    "credential-request-off-domain": "link", "recipient-in-link": "link", "tracking": "link",
    "auth-failure": "auth", "auth-failure-brand": "auth", "auth-failure-own-domain": "auth",
}  # fmt: skip


def several_traits(found: list[Finding]) -> Finding | None:
    """Independent weak signals compound: ordinary mail rarely shows two medium phishing traits
    of different families at once, or three different ones, while most phishing shows several."""
    families: dict[str, Finding] = {}
    for finding in found:
        if finding.key == "lure-language" or finding.level == "informational":
            continue
        family = TRAIT_FAMILY.get(finding.key, finding.key)
        kept = families.get(family)
        if kept is None or severity_rank(finding.level) > severity_rank(kept.level):
            families[family] = finding
    strong = [f for f in families.values() if severity_rank(f.level) >= severity_rank("medium")]
    if len(strong) < COMPOUND_MEDIUM and not (strong and len(families) >= COMPOUND_ANY):
        return None
    if any(severity_rank(f.level) >= severity_rank("high") for f in strong):
        return None  # a strong signal already speaks for the message
    traits = {f.key for f in found if f.key != "lure-language" and f.level != "informational"}
    records = {(r.artifact_id, r.locator): r for f in families.values() for r in f.records}
    return Finding(
        "several-traits",
        "Several independent phishing traits in one message",
        "high",
        ("T1566",),
        tuple(records.values()),
        {"traits": ", ".join(sorted(traits)), "medium_or_above": str(len(strong))},
        "Each trait alone has innocent explanations; legitimate mail rarely shows several at once.",
    )
