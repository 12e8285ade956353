"""Offline provider: looks observables up in a local intel pack (TRIAGE_INTEL_DIR)."""

import ipaddress
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from triage.enrich.intel_feeds import (
    IntelEntry,
    iter_pack_files,
    normalise,
    read_feed,
)
from triage.enrich.provider import Details, ProviderUnavailable
from triage.models import EnrichmentResult, Observable

log = logging.getLogger(__name__)

MAX_NETWORKS = 50_000
MAX_PACK_ENTRIES = 2_000_000
BENIGN_LABELS = frozenset({"benign", "allowlist", "allow", "whitelist", "known-good"})


@dataclass(frozen=True)
class IntelPack:
    entries: dict[tuple[str, str], tuple[IntelEntry, ...]]
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, IntelEntry], ...]
    feeds: tuple[str, ...]
    problems: tuple[str, ...] = ()
    newest_feed: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def load_pack(folder: Path) -> IntelPack:
    """Every readable feed of a folder; unreadable feeds are noted, not fatal."""
    index: dict[tuple[str, str], list[IntelEntry]] = defaultdict(list)
    networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, IntelEntry]] = []
    feeds: list[str] = []
    problems: list[str] = []
    newest = 0.0
    total = 0
    for path in iter_pack_files(folder):
        try:
            entries = read_feed(path)
        except (OSError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            problems.append(f"{path.name}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        feeds.append(path.name)
        newest = max(newest, path.stat().st_mtime)
        room = MAX_PACK_ENTRIES - total
        if len(entries) > room:
            problems.append(f"{path.name}: pack limit of {MAX_PACK_ENTRIES} entries reached")
            entries = entries[:room]
        total += len(entries)
        for entry in entries:
            if entry.kind == "cidr":
                if len(networks) < MAX_NETWORKS:
                    networks.append((ipaddress.ip_network(entry.indicator), entry))
            else:
                index[(entry.kind, entry.indicator)].append(entry)
    for problem in problems:
        log.warning("intel pack: skipped %s", problem)
    age = datetime.fromtimestamp(newest, UTC).date().isoformat() if newest else None
    return IntelPack(
        entries={key: tuple(value) for key, value in index.items()},
        networks=tuple(networks),
        feeds=tuple(feeds),
        problems=tuple(problems),
        newest_feed=age,
    )


_OBSERVABLE_KIND = {
    "ipv4": "ip",
    "ipv6": "ip",
    "domain": "domain",
    "host": "domain",
    "url": "url",
    "email": "email",
    "md5": "hash",
    "sha1": "hash",
    "sha256": "hash",
}


class IntelPackProvider:
    """Exact matches (and CIDR membership for addresses); a URL also matches on its host."""

    name = "intel-pack"
    observable_types = frozenset(_OBSERVABLE_KIND)
    offline = True

    def __init__(self, *, folder: Path) -> None:
        self.folder = folder
        self._pack: IntelPack | None = None
        self._lock = threading.Lock()

    def pack(self) -> IntelPack:
        with self._lock:
            if self._pack is None:
                if not self.folder.is_dir():
                    raise ProviderUnavailable(f"intel folder not found: {self.folder}")
                self._pack = load_pack(self.folder)
            return self._pack

    def lookup(self, observable: Observable) -> EnrichmentResult:
        pack = self.pack()
        hits = self._hits(pack, observable)
        base = {
            "provider": self.name,
            "observable_type": observable.type,
            "value": observable.value,
            "data_age": pack.newest_feed,
        }
        if not hits:
            return EnrichmentResult(
                **base,
                status="not_found",
                verdict="unknown",
                summary=f"not in the intel pack ({len(pack.feeds)} feeds)",
            )
        labels = sorted({h.label for h in hits})
        sources = sorted({h.source for h in hits})
        benign = all(h.label.lower() in BENIGN_LABELS for h in hits)
        confidence = max((h.confidence for h in hits if h.confidence is not None), default=70)
        details: Details = {
            "labels": list(labels),
            "sources": list(sources),
            "feeds": list(sorted({h.feed for h in hits})),
            "matched": list(sorted({h.indicator for h in hits})),
        }
        first_seen = sorted(h.first_seen for h in hits if h.first_seen)
        if first_seen:
            details["first_seen"] = first_seen[0]
        verdict = "benign" if benign else ("malicious" if confidence >= 70 else "suspicious")
        return EnrichmentResult(
            **base,
            status="ok",
            verdict=verdict,
            score=0 if benign else confidence,
            summary=f"listed as {', '.join(labels)} by {', '.join(sources)}",
            details=details,
        )

    def _hits(self, pack: IntelPack, observable: Observable) -> list[IntelEntry]:
        kind = _OBSERVABLE_KIND[observable.type]
        found = normalise(kind, observable.value)
        if found is None:
            return []
        hits = list(pack.entries.get(found, ()))
        if found[0] == "ip" and pack.networks:
            address = ipaddress.ip_address(found[1])
            hits.extend(
                e for net, e in pack.networks if address.version == net.version and address in net
            )
        if found[0] == "url":
            host = (urlsplit(found[1]).hostname or "").lower()
            hits.extend(pack.entries.get(("domain", host), ()))
            hits.extend(pack.entries.get(("ip", host), ()))
        return hits
