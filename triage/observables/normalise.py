"""Turn one raw candidate value into its canonical observable form, or reject it as junk;
and defang values for display."""

import ipaddress
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from triage.models.intel import ObservableType

# Placeholders that logs write where a value is absent; never an observable.
PLACEHOLDERS = frozenset(
    {"", "-", "--", "?", "n/a", "na", "null", "none", "(null)", "(none)", "(empty)", "unset"}
)
# Public suffixes that are far more often file extensions in security logs ("report.py",
# "install.sh", "dump.zip"); a name ending in one is a domain only when it was a URL host.
FILE_EXTENSION_SUFFIXES = frozenset(
    {"py", "sh", "pl", "ps", "zip", "mov", "rs", "md", "so", "one", "pub", "pf", "do", "properties"}
)
HASH_LENGTHS: dict[ObservableType, int] = {"md5": 32, "sha1": 40, "sha256": 64}

MAX_LENGTHS: dict[str, int] = {
    "url": 2048,
    "domain": 253,
    "email": 320,
    "user": 256,
    "host": 255,
    "process": 1024,
    "file_path": 1024,
    "registry_key": 1024,
    "command_line": 8192,
}
CASE_INSENSITIVE: frozenset[str] = frozenset({"user", "host"})

_HEX = re.compile(r"[0-9a-f]+")
_CVE = re.compile(r"CVE-\d{4}-\d{4,7}")
_TRAILING_JUNK = ".,;:!?'\")]}>"
_REFANGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), plain)
    for pattern, plain in (
        (r"\bhxxp", "http"),
        (r"\bfxp", "ftp"),
        (r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", "."),
        (r"\[:\]", ":"),
        (r"\[@\]|\[at\]|\(at\)", "@"),
    )
)


@cache
def suffix_extractor() -> Any:
    """The one tldextract.TLDExtract of the process, shared by observables, enrichment and
    detection: the bundled public-suffix snapshot, never fetched or cached on disk."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def public_suffix(name: str) -> str:
    """The known public suffix of a host name ('' when it has none, e.g. 'lsass.exe')."""
    parts = suffix_extractor()(name)
    return str(parts.suffix) if parts.domain else ""


def registrable_domain(host: str) -> str:
    """'evil.co.uk' for 'login.evil.co.uk'; the last two labels under an unknown or reserved
    suffix ('corp.local'); an IP address as it is; '' for ''."""
    name = host.strip().rstrip(".").lower()
    if not name or parse_ip(name) is not None:
        return name
    parts = suffix_extractor()(name)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join(name.split(".")[-2:])


def refang(value: str) -> str:
    """Undo the usual defanging (hxxp, [.], [at]); cheap no-op for ordinary values."""
    for pattern, plain in _REFANGS:
        value = pattern.sub(plain, value)
    return value


def is_placeholder(value: str) -> bool:
    return value.strip().casefold() in PLACEHOLDERS


def normalise(
    kind: ObservableType, value: str, *, url_hosts: frozenset[str] = frozenset()
) -> str | None:
    """The canonical value of `kind`, or None when `value` is junk for that type.

    `url_hosts` are host names seen in explicit URLs of the same text: they may end in a
    file-extension-like suffix and still count as domains.
    """
    value = value.strip()
    if is_placeholder(value) or len(value) > MAX_LENGTHS.get(kind, 4096):
        return None
    match kind:
        case "ipv4" | "ipv6":
            return canonical_ip(value, kind=kind)
        case "domain":
            return canonical_domain(value, url_hosts=url_hosts)
        case "url":
            return canonical_url(value)
        case "email":
            return canonical_email(value)
        case "md5" | "sha1" | "sha256":
            return canonical_hash(value, length=HASH_LENGTHS[kind])
        case "cve":
            upper = value.upper()
            return upper if _CVE.fullmatch(upper) else None
        case "process" | "file_path" | "registry_key":
            unquoted = value.strip("\"' ")
            return None if is_placeholder(unquoted) else unquoted
        case "host":
            return value.rstrip(".") or None
        case _:
            return value


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP from a log value: tolerates [brackets], a port, a zone, ::ffff: mapping."""
    text = refang(value.strip()).strip("[]")
    if text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def canonical_ip(value: str, *, kind: ObservableType | None = None) -> str | None:
    address = parse_ip(value)
    # Unspecified, loopback, multicast and reserved (netmask-like) addresses say nothing
    # about where activity came from.
    if address is None or any(
        (address.is_unspecified, address.is_loopback, address.is_multicast, address.is_reserved)
    ):
        return None
    if kind is not None and kind != f"ipv{address.version}":
        return None
    return address.compressed


def ip_type(value: str) -> ObservableType | None:
    address = parse_ip(value)
    if address is None:
        return None
    return "ipv4" if address.version == 4 else "ipv6"


def canonical_domain(value: str, *, url_hosts: frozenset[str] = frozenset()) -> str | None:
    name = refang(value).strip().strip(_TRAILING_JUNK).lower()
    if not name or ".." in name or any(c.isspace() or c in "/\\@:_" for c in name):
        return None
    suffix = public_suffix(name)
    if not suffix:
        return None
    if suffix in FILE_EXTENSION_SUFFIXES and name not in url_hosts:
        return None
    return name


def canonical_url(value: str) -> str | None:
    url = refang(value).strip().rstrip(_TRAILING_JUNK)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    netloc = parts.netloc
    at = netloc.rfind("@") + 1
    netloc = netloc[:at] + netloc[at:].lower()
    return parts._replace(scheme=parts.scheme.lower(), netloc=netloc).geturl()


def canonical_email(value: str) -> str | None:
    address = refang(value).strip().strip("<>").strip(_TRAILING_JUNK).lower()
    address = address.removeprefix("mailto:")
    local, at, domain = address.rpartition("@")
    if not at or not local or any(c.isspace() or c in "<>,;" for c in address):
        return None
    domain_value = canonical_domain(domain)
    return f"{local}@{domain_value}" if domain_value else None


def canonical_hash(value: str, *, length: int) -> str | None:
    digest = value.strip().lower()
    if len(digest) != length or not _HEX.fullmatch(digest) or len(set(digest)) == 1:
        return None
    return digest


def url_host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def dedupe_key(kind: ObservableType, value: str) -> tuple[str, str]:
    """Identity of an observable: Windows user and host names compare without case."""
    return kind, value.casefold() if kind in CASE_INSENSITIVE else value


def defang(value: str, type: str) -> str:
    """A display form that no viewer turns into a live link; other types are unchanged."""
    match type:
        case "domain" | "ipv4":
            return value.replace(".", "[.]")
        case "ipv6":
            return value.replace(":", "[:]")
        case "email":
            local, _, domain = value.rpartition("@")
            return f"{local}[@]{domain.replace('.', '[.]')}"
        case "url":
            return _defang_url(value)
        case _:
            return value


def _defang_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.replace(".", "[.]")
    scheme = scheme.lower().replace("http", "hxxp").replace("ftp", "fxp")
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.replace('.', '[.]')}{slash}{path}"
