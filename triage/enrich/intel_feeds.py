"""Reads a local threat-intel pack: CSV feeds, plain indicator lists, STIX 2.1 bundles and MISP
event JSON, into indicator entries with their labels and sources. Sizes and counts are capped."""

import csv
import io
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.observables.normalise import refang

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_FILES = 500
MAX_ENTRIES = 1_000_000
MAX_DEPTH = 3

IndicatorKind = str  # "ip", "cidr", "domain", "url", "email", "hash"

_KIND_ALIASES = {
    "ip": "ip", "ipv4": "ip", "ipv6": "ip", "ip-dst": "ip", "ip-src": "ip", "ipv4-addr": "ip",
    "ipv6-addr": "ip", "cidr": "cidr", "network": "cidr", "domain": "domain", "hostname": "domain",
    "fqdn": "domain", "domain-name": "domain", "url": "url", "uri": "url", "link": "url",
    "email": "email", "email-src": "email", "email-dst": "email", "email-addr": "email",
    "md5": "hash", "sha1": "hash", "sha256": "hash", "sha-256": "hash", "sha-1": "hash",
    "hash": "hash", "file": "hash",
}  # fmt: skip
_HASH = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z0-9-]{2,}$")
_DOMAIN = re.compile(r"^(?=.{3,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_STIX_TERM = re.compile(
    r"(ipv4-addr|ipv6-addr|domain-name|url|email-addr|file):"
    r"(value|hashes\.'?(?:SHA-256|SHA-1|MD5|SHA256|SHA1)'?)\s*=\s*'((?:[^'\\]|\\.)*)'",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IntelEntry:
    kind: IndicatorKind
    indicator: str
    label: str
    source: str
    confidence: int | None = None
    first_seen: str | None = None
    feed: str = ""


def normalise(kind: str, value: str) -> tuple[IndicatorKind, str] | None:
    """(kind, canonical value) for an indicator, inferring the kind when it is not known."""
    value = refang(value.strip().strip("\"'"))
    if not value:
        return None
    kind = _KIND_ALIASES.get(kind.strip().lower(), "") if kind else ""
    lowered = value.lower()
    if kind in ("", "ip", "cidr"):
        try:
            if "/" in value:
                return "cidr", str(ipaddress.ip_network(value, strict=False))
            return "ip", str(ipaddress.ip_address(value))
        except ValueError:
            if kind:
                return None
    if kind == "url" or (not kind and "://" in value):
        return "url", normalise_url(value)
    if kind == "hash" or (not kind and _HASH.match(lowered)):
        return ("hash", lowered) if _HASH.match(lowered) else None
    if kind == "email" or (not kind and _EMAIL.match(lowered)):
        return "email", lowered
    if kind == "domain" or (not kind and _DOMAIN.match(lowered)):
        return "domain", lowered.rstrip(".")
    return None


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, trailing slash of a bare host dropped; path kept exact."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    tail = f"/{path}" if path else ""
    return f"{scheme.lower()}://{host.lower()}{tail if slash else ''}".rstrip("/") or url


def iter_pack_files(folder: Path) -> Iterator[Path]:
    count = 0
    for path in sorted(folder.rglob("*")):
        if count >= MAX_FILES:
            return
        if len(path.relative_to(folder).parts) > MAX_DEPTH or not path.is_file():
            continue
        if path.name.startswith(".") or path.suffix.lower() not in {
            ".csv",
            ".txt",
            ".list",
            ".json",
        }:
            continue
        count += 1
        yield path


def read_feed(path: Path) -> list[IntelEntry]:
    """Entries of one feed file; raises ValueError for a file that cannot be read as a feed."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(text, feed=path.name)
    if suffix == ".json":
        document = json.loads(text)
        if isinstance(document, dict) and document.get("type") == "bundle":
            return _read_stix(document, feed=path.name)
        return _read_misp(document, feed=path.name)
    return _read_list(text, feed=path.name)


def _read_csv(text: str, *, feed: str) -> list[IntelEntry]:
    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or "indicator" not in [f.strip().lower() for f in rows.fieldnames]:
        raise ValueError("CSV feed needs a header with an 'indicator' column")
    entries = []
    for row in rows:
        cells = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
        found = normalise(cells.get("type", ""), cells.get("indicator", ""))
        if found is None:
            continue
        entries.append(
            IntelEntry(
                kind=found[0],
                indicator=found[1],
                label=cells.get("label", "") or "listed",
                source=cells.get("source", "") or feed,
                confidence=_int(cells.get("confidence")),
                first_seen=cells.get("first_seen") or None,
                feed=feed,
            )
        )
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


def _read_list(text: str, *, feed: str) -> list[IntelEntry]:
    header: dict[str, str] = {}
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            key, sep, value = line.lstrip("#").partition(":")
            if sep and key.strip().lower() in {"label", "source", "confidence", "type"}:
                header[key.strip().lower()] = value.strip()
            continue
        found = normalise(header.get("type", ""), line.split()[0]) if line else None
        if found is None:
            continue
        entries.append(
            IntelEntry(
                kind=found[0],
                indicator=found[1],
                label=header.get("label", "listed"),
                source=header.get("source", feed),
                confidence=_int(header.get("confidence")),
                feed=feed,
            )
        )
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


def _read_stix(bundle: dict[str, Any], *, feed: str) -> list[IntelEntry]:
    objects = [o for o in bundle.get("objects", []) if isinstance(o, dict)]
    identities = {
        o.get("id"): str(o.get("name", "")) for o in objects if o.get("type") == "identity"
    }
    entries = []
    for obj in objects:
        if obj.get("type") != "indicator" or not isinstance(obj.get("pattern"), str):
            continue
        kinds = obj.get("indicator_types") or obj.get("labels") or []
        label = str(obj.get("name") or ", ".join(map(str, kinds)) or "indicator")
        source = identities.get(obj.get("created_by_ref")) or feed
        for stix_type, _, value in _STIX_TERM.findall(obj["pattern"][:100_000]):
            kind = "hash" if stix_type.lower() == "file" else stix_type
            found = normalise(kind, value.replace("\\'", "'"))
            if found is not None:
                entries.append(
                    IntelEntry(
                        kind=found[0],
                        indicator=found[1],
                        label=label,
                        source=source,
                        confidence=_int(obj.get("confidence")),
                        first_seen=str(obj.get("valid_from") or obj.get("created") or "") or None,
                        feed=feed,
                    )
                )
    return entries[:MAX_ENTRIES]


def _read_misp(document: Any, *, feed: str) -> list[IntelEntry]:
    events: list[Any]
    if isinstance(document, dict) and "response" in document:
        document = document["response"]
    events = document if isinstance(document, list) else [document]
    entries = []
    for wrapper in events:
        event = wrapper.get("Event", wrapper) if isinstance(wrapper, dict) else None
        if not isinstance(event, dict) or ("Attribute" not in event and "Object" not in event):
            raise ValueError("JSON is neither a STIX bundle nor a MISP event")
        org = event.get("Orgc") or event.get("Org") or {}
        source = str(org.get("name") or feed) if isinstance(org, dict) else feed
        attributes = list(event.get("Attribute") or [])
        for obj in event.get("Object") or []:
            if isinstance(obj, dict):
                attributes.extend(obj.get("Attribute") or [])
        for attribute in attributes[:MAX_ENTRIES]:
            if isinstance(attribute, dict):
                entries.extend(_misp_attribute(attribute, event, source=source, feed=feed))
    return entries[:MAX_ENTRIES]


def _misp_attribute(
    attribute: dict[str, Any], event: dict[str, Any], *, source: str, feed: str
) -> list[IntelEntry]:
    kinds = str(attribute.get("type", "")).split("|")
    values = str(attribute.get("value", "")).split("|")
    label = str(attribute.get("comment") or event.get("info") or attribute.get("category") or "")
    found_all = []
    # Composite types: "filename|sha256" pairs each part with its own type.
    for kind, value in zip(kinds, values, strict=False):
        if kind in {"filename", "port"}:
            continue
        found = normalise(kind, value)
        if found is not None:
            found_all.append(
                IntelEntry(
                    kind=found[0],
                    indicator=found[1],
                    label=label or "MISP attribute",
                    source=source,
                    first_seen=str(attribute.get("first_seen") or event.get("date") or "") or None,
                    feed=feed,
                )
            )
    return found_all


def _int(value: Any) -> int | None:
    try:
        return max(0, min(100, int(str(value).strip())))
    except (TypeError, ValueError):
        return None
