"""Find observables in free text (by triage.observables.indicators), each distinct text once."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from triage.models.intel import ObservableType
from triage.observables.indicators import find_indicators
from triage.observables.normalise import normalise, refang, url_host

# Indicator kinds → observable types, in the order results are reported.
IOC_TYPES: dict[str, ObservableType] = {
    "urls": "url",
    "domains": "domain",
    "email_addresses": "email",
    "ipv4s": "ipv4",
    "ipv6s": "ipv6",
    "md5s": "md5",
    "sha1s": "sha1",
    "sha256s": "sha256",
    "cves": "cve",
}
MIN_TEXT_CHARS = 7  # shorter than "a.b.cd" or "1.1.1.1": nothing to find
MAX_TEXT_CHARS = 32_768  # per scan; attacker text beyond that is not scanned
# Something an observable needs: a dot, an IPv6 colon run, a long hex run, or a CVE.
_WORTH_SCANNING = re.compile(r"[.\[(]|::|[0-9a-fA-F]{32}|CVE-", re.IGNORECASE)
# What may precede or follow a literal occurrence that is really part of something longer:
# a version number ("10.0.19041.1", "version=2.5.2.0"), a dotted .NET or Java name
# ("Windows.Storage.dll", "-Djava.net.preferIPv4Stack"); an import hash is no file hash.
_EMBEDDED_BEFORE: dict[ObservableType, re.Pattern[str]] = {
    "ipv4": re.compile(r"(?:[\d.]|ver(?:sion)?[\s=:\"']*|(?<![A-Za-z])v)$", re.IGNORECASE),
    "md5": re.compile(r"imphash[\s=:\"']*$", re.IGNORECASE),
}
_EMBEDDED_AFTER: dict[ObservableType, re.Pattern[str]] = {
    "ipv4": re.compile(r"^\.?\d"),
    "domain": re.compile(r"^\.[A-Za-z0-9]"),
}
_CONTEXT_CHARS = 16

Found = tuple[tuple[ObservableType, str], ...]


@dataclass
class TextScanner:
    """Scans texts, remembering what each distinct text held; one per extraction run."""

    max_total_chars: int = 20_000_000
    scanned_chars: int = 0
    scans: int = 0
    _seen: dict[str, Found] = field(default_factory=dict)

    def scan(self, text: str) -> Found:
        text = text.strip()
        if text in self._seen:
            return self._seen[text]
        found = self._scan_new(text[:MAX_TEXT_CHARS])
        self._seen[text] = found
        return found

    def _scan_new(self, text: str) -> Found:
        if (
            len(text) < MIN_TEXT_CHARS
            or text.isdigit()
            or not _WORTH_SCANNING.search(text)
            or self.scanned_chars + len(text) > self.max_total_chars
        ):
            return ()
        self.scans += 1
        self.scanned_chars += len(text)
        return tuple(_normalised(find_indicators(text), text))


def _normalised(results: object, text: str) -> Iterator[tuple[ObservableType, str]]:
    assert isinstance(results, dict)
    urls = [u for u in results.get("urls", ()) if isinstance(u, str)]
    hosts = frozenset(h for h in map(url_host, urls) if h)
    plain_text = refang(text).lower()
    lowered = text.lower()
    for key, kind in IOC_TYPES.items():
        values = results.get(key, ())
        # The order of first appearance keeps observables (and evidence ids) stable per run.
        raw_values = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
        for raw in sorted(raw_values, key=lambda v: (_first_offset(v, lowered, plain_text), v)):
            if _only_embedded(kind, raw, text):
                continue
            value = normalise(kind, raw, url_hosts=hosts)
            # Defang rules can splice an address out of parenthesised comments
            # ("mx.a.net (mx.a.net [ip])"); an address must occur as written.
            if value is not None and (kind != "email" or value in plain_text):
                yield kind, value


def _first_offset(value: str, lowered: str, plain_text: str) -> int:
    """Where a found value first occurs, as written or refanged; unseen values go last."""
    needle = value.lower()
    found = lowered.find(needle)
    if found < 0:
        found = plain_text.find(needle)
    return found if found >= 0 else len(lowered)


def _only_embedded(kind: ObservableType, value: str, text: str) -> bool:
    """True when every literal occurrence of `value` is part of a longer token.

    A refanged value that never occurs literally (1.2.3[.]4) is kept.
    """
    before, after = _EMBEDDED_BEFORE.get(kind), _EMBEDDED_AFTER.get(kind)
    if before is None and after is None:
        return False
    occurrences = [m.start() for m in re.finditer(re.escape(value), text, re.IGNORECASE)]
    return bool(occurrences) and all(
        (before is not None and before.search(text[max(0, i - _CONTEXT_CHARS) : i]))
        or (after is not None and after.search(text[i + len(value) : i + len(value) + 2]))
        for i in occurrences
    )
