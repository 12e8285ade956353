"""Email authentication from a message's header records: SPF/DKIM/DMARC results, sender
domain mismatches (From / Reply-To / Return-Path) and display-name spoofing."""

import re
from collections.abc import Callable, Sequence
from email.utils import parseaddr

from triage.enrich.provider import DEFAULT_BRANDS, Details, verdict_for
from triage.ingest.email import mail_addresses
from triage.models import EnrichmentResult, Record
from triage.models.intel import EnrichmentVerdict

PROVIDER = "email-auth"
_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc|arc|compauth)\s*=\s*([a-z]+)", re.IGNORECASE)
# Bounded runs: an unbounded local part is retried from every character of a long name.
_ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,10}")
MAX_DISPLAY_CHARS = 1000
_WEIGHTS = {
    ("spf", "fail"): 25,
    ("spf", "softfail"): 15,
    ("dkim", "fail"): 20,
    ("dmarc", "fail"): 35,
    ("compauth", "fail"): 20,
}


def _header_values(records: Sequence[Record], name: str) -> list[str]:
    values = []
    for record in records:
        if str(record.fields.get("name", "")).lower() == name.lower():
            values.append(str(record.fields.get("value", "")))
    return values


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower().strip(">").strip()


def analyse_email_headers(
    records: Sequence[Record],
    *,
    brands: tuple[str, ...] = DEFAULT_BRANDS,
    registrable: Callable[[str], str] | None = None,
) -> tuple[EnrichmentResult, ...]:
    """One result for the message (value = the From address); nothing when there is no From.

    Only the first (top-most) Authentication-Results header is trusted: it is the one the
    receiving server added, while lower ones may have been written by the sender.
    """
    headers = [r for r in records if r.source == "email.header"]
    from_values = _header_values(headers, "From")
    if not from_values:
        return ()
    display, sender = parseaddr(from_values[0])
    sender = sender.lower()
    base = registrable or (lambda d: ".".join(d.split(".")[-2:]))
    sender_domain = base(_domain(sender)) if "@" in sender else ""
    score = 0.0
    reasons: list[str] = []
    details: Details = {"from": sender, "display_name": display}

    results = _auth_results(headers)
    for mechanism, outcome in results.items():
        details[mechanism] = outcome
        weight = _WEIGHTS.get((mechanism, outcome), 0)
        if weight:
            score += weight
            reasons.append(f"{mechanism.upper()} {outcome}")
    if not results:
        reasons.append("no Authentication-Results header")

    for header, weight in (("Reply-To", 30), ("Return-Path", 10)):
        values = _header_values(headers, header)
        addresses = [a.lower() for _, a in mail_addresses(values[0] if values else "") if "@" in a]
        if not addresses:
            continue
        details[header.lower().replace("-", "_")] = addresses[0]
        other = base(_domain(addresses[0]))
        if sender_domain and other != sender_domain:
            score += weight
            reasons.append(f"{header} domain {other} differs from From domain {sender_domain}")

    score += _display_name_spoofing(display, sender, sender_domain, brands, reasons)
    score = min(score, 100.0)
    return (
        EnrichmentResult(
            provider=PROVIDER,
            observable_type="email",
            value=sender or from_values[0][:200],
            status="ok",
            verdict=_verdict(score, results),
            score=score,
            summary="; ".join(reasons) if reasons else "sender authentication passed",
            details=details,
        ),
    )


def _verdict(score: float, results: dict[str, str]) -> EnrichmentVerdict:
    """Benign only for a message the receiving server authenticated with nothing amiss."""
    authenticated = results.get("dmarc") == "pass" or (
        results.get("spf") == "pass" and results.get("dkim") == "pass"
    )
    if score == 0 and authenticated:
        return "benign"
    return verdict_for(score, malicious_at=75)


def _auth_results(headers: Sequence[Record]) -> dict[str, str]:
    found: dict[str, str] = {}
    first = _header_values(headers, "Authentication-Results")[:1]
    for mechanism, outcome in _AUTH_RESULT.findall(first[0] if first else ""):
        found.setdefault(mechanism.lower(), outcome.lower())
    received_spf = _header_values(headers, "Received-SPF")[:1]
    if "spf" not in found and received_spf:
        outcome = received_spf[0].strip().split()[0].lower() if received_spf[0].strip() else ""
        if outcome.isalpha():
            found["spf"] = outcome
    return found


def _display_name_spoofing(
    display: str, sender: str, sender_domain: str, brands: tuple[str, ...], reasons: list[str]
) -> float:
    score = 0.0
    embedded = [a.lower() for a in _ADDRESS.findall(display[:MAX_DISPLAY_CHARS])]
    if any(a != sender for a in embedded):
        score += 35
        reasons.append(f"display name shows another address ({embedded[0]})")
    lowered = display.lower()
    label = sender_domain.split(".")[0]
    spoofed = [b for b in brands if b in lowered.replace(" ", "") and b not in label]
    if spoofed:
        score += 30
        reasons.append(
            f"display name names '{spoofed[0]}' but the sender domain is "
            f"{sender_domain or 'unknown'}"
        )
    return score
