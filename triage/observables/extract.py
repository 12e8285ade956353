"""Extract the observables of an incident: structured fields by table, free text by scan;
normalised, deduplicated, with every sighting kept (capped) in first-sighting order."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from triage.ingest.email import mail_addresses
from triage.models import Incident, Observable, Record, Sighting
from triage.models.intel import ObservableType
from triage.observables.fieldmap import (
    EMAIL_HEADER_KINDS,
    EMAIL_HEADER_SOURCE,
    RAW_TEXT_SOURCES,
    URL_PARTS,
    Kind,
    kinds_for,
)
from triage.observables.freetext import TextScanner
from triage.observables.normalise import (
    HASH_LENGTHS,
    canonical_domain,
    dedupe_key,
    ip_type,
    normalise,
    url_host,
)

MAX_OBSERVABLES = 5_000
MAX_SIGHTINGS = 50
HASH_ALGORITHMS: dict[str, ObservableType] = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256"}
REQUEST_TYPES: frozenset[ObservableType] = frozenset({"url", "ipv4", "ipv6", "email", "cve"})
REGISTRY_PREFIXES = ("\\registry\\", "hklm", "hkcu", "hku\\", "hkcr", "hkey_")

Candidate = tuple[ObservableType, str]


def extract_observables(
    incident: Incident,
    *,
    max_observables: int = MAX_OBSERVABLES,
    max_sightings: int = MAX_SIGHTINGS,
) -> tuple[Observable, ...]:
    """Every observable of the incident, ordered by first sighting (records in order)."""
    collected = _Collected(max_observables=max_observables, max_sightings=max_sightings)
    scanner = TextScanner()
    for record in incident.records:
        for field_name, candidate in record_candidates(record, scanner):
            collected.add(
                candidate,
                Sighting(artifact_id=record.artifact_id, locator=record.locator, field=field_name),
            )
    return collected.observables()


def record_candidates(
    record: Record, scanner: TextScanner
) -> Iterator[tuple[str | None, Candidate]]:
    """(field, candidate) pairs of one record; field None when found in the raw text."""
    if record.source == EMAIL_HEADER_SOURCE:
        name, value = record.fields.get("name"), record.fields.get("value")
        if isinstance(name, str) and isinstance(value, str):
            for kind in EMAIL_HEADER_KINDS.get(name.lower(), ()):
                yield from (("value", c) for c in candidates(kind, value, scanner))
        return
    for name, value in record.fields.items():
        if isinstance(value, str) and value:
            for kind in kinds_for(record.source, name):
                yield from ((name, c) for c in candidates(kind, value, scanner))
    if record.source in URL_PARTS:
        yield from _joined_url(record)
    if record.source in RAW_TEXT_SOURCES:
        yield from ((None, c) for c in scanner.scan(record.raw))


def candidates(kind: Kind, value: str, scanner: TextScanner) -> Iterator[Candidate]:
    """The normalised observables a field value of this kind holds (none when junk)."""
    match kind:
        case "text":
            yield from scanner.scan(value)
            return
        case "url":
            yield from _url(value)
        case "request":
            yield from _request_candidates(scanner.scan(value))
        case "ip":
            resolved = ip_type(value)
            if resolved is not None:
                yield from _normalised(resolved, value)
        case "address":
            yield from _address(value)
        case "hash":
            yield from _hash(value)
        case "hashes":
            yield from _hash_list(value)
        case "path":
            is_registry = value.lower().startswith(REGISTRY_PREFIXES)
            yield from _normalised("registry_key" if is_registry else "file_path", value)
        case "emails":
            for _, address in mail_addresses(value):
                yield from _normalised("email", address)
        case _:
            yield from _normalised(kind, value)


def _url(value: str) -> Iterator[Candidate]:
    """A URL field, and its host as a domain or IP (as free text would give them)."""
    for kind, url in _normalised("url", value):
        yield kind, url
        host = url_host(url)
        if host:
            yield from (c for c in _address(host) if c[0] != "host")


def _request_candidates(found: tuple[Candidate, ...]) -> Iterator[Candidate]:
    """What a request path really carries: embedded URLs (and their hosts), IPs, emails, CVEs."""
    hosts = {url_host(value) for kind, value in found if kind == "url"}
    for kind, value in found:
        if kind in REQUEST_TYPES or (kind == "domain" and value in hosts):
            yield kind, value


def _normalised(kind: ObservableType, value: str) -> Iterator[Candidate]:
    canonical = normalise(kind, value)
    if canonical is not None:
        yield kind, canonical


def _address(value: str) -> Iterator[Candidate]:
    """An IP, else a name under a public suffix (a domain), else an internal host name."""
    resolved = ip_type(value)
    if resolved is not None:
        yield from _normalised(resolved, value)
        return
    name, _, port = value.strip().rpartition(":")
    if not (name and port.isdigit()):
        name = value.strip()
    domain = canonical_domain(name)
    if domain is not None:
        yield "domain", domain
    elif name and not any(c.isspace() or c in "/\\@" for c in name):
        yield from _normalised("host", name)


def _hash(value: str) -> Iterator[Candidate]:
    digest = value.strip()
    for kind, length in HASH_LENGTHS.items():
        if len(digest) == length:
            yield from _normalised(kind, digest)


def _hash_list(value: str) -> Iterator[Candidate]:
    """Sysmon's "SHA1=…,MD5=…,SHA256=…,IMPHASH=…" (IMPHASH is not a file hash)."""
    if "=" not in value:
        yield from _hash(value)
        return
    for item in value.split(","):
        algorithm, _, digest = item.partition("=")
        kind = HASH_ALGORITHMS.get(algorithm.strip().upper())
        if kind is not None:
            yield from _normalised(kind, digest)


def _joined_url(record: Record) -> Iterator[tuple[str | None, Candidate]]:
    host_field, path_field = URL_PARTS[record.source]
    host, path = record.fields.get(host_field), record.fields.get(path_field)
    if isinstance(host, str) and isinstance(path, str) and path.startswith("/"):
        yield from ((path_field, c) for c in _normalised("url", f"http://{host}{path}"))


@dataclass
class _Observed:
    candidate: Candidate
    sightings: list[Sighting] = field(default_factory=list)


@dataclass
class _Collected:
    """Observables merged by identity, in first-sighting order; local to one extraction."""

    max_observables: int
    max_sightings: int
    by_key: dict[tuple[str, str], _Observed] = field(default_factory=dict)

    def add(self, candidate: Candidate, sighting: Sighting) -> None:
        key = dedupe_key(*candidate)
        observed = self.by_key.get(key)
        if observed is None:
            if len(self.by_key) >= self.max_observables:
                return
            observed = self.by_key[key] = _Observed(candidate)
        if len(observed.sightings) < self.max_sightings and sighting not in observed.sightings:
            observed.sightings.append(sighting)

    def observables(self) -> tuple[Observable, ...]:
        return tuple(
            Observable(type=o.candidate[0], value=o.candidate[1], sightings=tuple(o.sightings))
            for o in self.by_key.values()
        )
