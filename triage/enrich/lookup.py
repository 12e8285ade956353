"""Enrich one value typed by an analyst (`triage enrich VALUE`): detect its type, then run
the service on it."""

import ipaddress
import re
from collections.abc import Collection
from typing import cast, get_args

from triage.enrich.service import EnrichmentService
from triage.errors import UsageError
from triage.models import EnrichmentResult, Observable
from triage.models.intel import ObservableType
from triage.observables.normalise import normalise, parse_ip, refang

OBSERVABLE_TYPES: tuple[str, ...] = get_args(ObservableType)
_HASH_TYPES = {32: "md5", 40: "sha1", 64: "sha256"}
# Four dot-separated numbers are meant as an IPv4 address even when out of range.
_DOTTED_NUMBERS = re.compile(r"\[?\d{1,6}(?:\.\d{1,6}){3}\]?(?::\d{1,5})?")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cve", re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)),
    ("url", re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|data:\S+)$", re.IGNORECASE)),
    ("email", re.compile(r"^[^@\s]+@[^@\s]+\.[a-z0-9-]{2,}$", re.IGNORECASE)),
    ("registry_key", re.compile(r"^(?:HK(?:LM|CU|CR|U|CC)|HKEY_[A-Z_]+)[\\:]", re.IGNORECASE)),
    ("domain", re.compile(r"^(?=.{3,253}$)(?:[\w-]{1,63}\.)+(?:xn--[a-z0-9-]+|[^\W\d_]{2,63})$")),
    ("file_path", re.compile(r"^(?:[a-z]:\\|\\\\|/)\S*$", re.IGNORECASE)),
)


def detect_type(value: str) -> str:
    """The observable type a bare value most plausibly is; 'command_line' when it has spaces."""
    text = value.strip()
    try:
        return "ipv4" if ipaddress.ip_address(text.strip("[]")).version == 4 else "ipv6"
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) in _HASH_TYPES:
        return _HASH_TYPES[len(text)]
    for name, pattern in _PATTERNS:
        if pattern.match(text):
            return name
    return "command_line" if " " in text else "host"


def enrich_value(
    value: str,
    *,
    type: str | None = None,
    service: EnrichmentService,
    only: Collection[str] | None = None,
) -> tuple[Observable, tuple[EnrichmentResult, ...]]:
    """Refang, type (or check the given type), normalise as `triage run` does, and enrich one
    value. Raises UsageError for an unknown type name, an empty value, an IP that is not one,
    or a value that normalises to nothing (a placeholder, a loopback address, junk).
    `only` limits the run to the named providers."""
    text = value.strip()
    if not text:
        raise UsageError("nothing to enrich: the value is empty")
    if type is None:
        text = refang(text)
        type = detect_type(text)
    elif type not in OBSERVABLE_TYPES:
        raise UsageError(f"unknown observable type {type!r}; one of: {', '.join(OBSERVABLE_TYPES)}")
    if _DOTTED_NUMBERS.fullmatch(text) and parse_ip(text) is None:
        raise UsageError(f"{text!r} is not a valid IP address")
    canonical = normalise(cast(ObservableType, type), text)
    if canonical is None:
        raise UsageError(
            f"{text!r} is not a usable {type}: it is a placeholder, a loopback, multicast or "
            "reserved address, or malformed for that type, so a triage run would ignore it too"
        )
    if type == "host":
        canonical = canonical.lower()
    observable = Observable.model_validate({"type": type, "value": canonical})
    return observable, service.enrich([observable], only=only)
