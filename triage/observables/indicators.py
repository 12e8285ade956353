"""Find indicator candidates in free text with regular expressions: URLs, domains, e-mail
addresses, IPv4/IPv6 addresses, MD5/SHA-1/SHA-256 hashes and CVE ids.

A single linear pass per kind, no parser combinators: candidates are raw strings that
`triage.observables.normalise` then validates, so a pattern here may be generous where
normalisation is strict (IP addresses, hex digests) and must be exact where it is not (which
names count as domains, where a URL ends). Behaviour follows the grammar of ioc-finder 9
(which triage used before) on the inputs triage sees; tests/test_observables.py keeps the
proof over the shipped samples.
"""

import re
from collections.abc import Iterable, Iterator
from functools import cache
from urllib.parse import unquote_plus

# The result keys, in the order they are reported (those of ioc-finder's find_iocs).
KINDS = ("urls", "domains", "email_addresses", "ipv4s", "ipv6s", "md5s", "sha1s", "sha256s", "cves")

Found = dict[str, list[str]]


# Defanged spellings analysts and vendors write: hxxp, [.], (dot), [:]//, " @ " … Each rule
# is (a cheap test that finds its core, the substitution with the spaces around it).
def _bracketed(inner: str) -> str:
    return r"[\[({] {0,3}" + inner + r" {0,3}[\])}]"


_FANGS: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (re.compile(core, flags), re.compile(around, flags), plain)
    for core, around, plain, flags in (
        (r"\[://\]", r"\[://\]", "://", 0),
        (_bracketed(r"\."), " {0,3}" + _bracketed(r"\.") + " {0,3}", ".", 0),
        (
            _bracketed("(?:dot|punto|punkt)"),
            " {0,3}" + _bracketed("(?:dot|punto|punkt)") + " {0,3}",
            ".",
            re.IGNORECASE,
        ),
        (_bracketed(":"), " {0,3}" + _bracketed(":") + " {0,3}", ":", 0),
        (
            _bracketed("(?:@|at)"),
            " {0,3}" + _bracketed("(?:@|at)") + " {0,3}",
            "@",
            0,
        ),
        (r"h(?:xx|XX)ps?(?::|\[:)", r"(?<![A-Za-z0-9])h(?:xx|XX)p(s?)(?=:|\[:)", r"http\1", 0),
        (r"fxp:", r"(?<![A-Za-z0-9])fxp(?=:)", "ftp", 0),
        (r"://[/ ]", r"://(?:/+| +)", "://", 0),
        (r"\[-\]", r"\[-\]", "-", 0),
    )
)

_LABEL = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}"
# A run of dotted labels; where it is a domain is decided against the list of TLDs.
_DOMAIN_RUN = re.compile(rf"(?<![A-Za-z0-9]){_LABEL}(?:\.{_LABEL})+(?![A-Za-z0-9])")
# Labels then a last label (a TLD): the host of a URL or the domain of an address.
_DOTTED_HOST = rf"(?:{_LABEL}\.)+[A-Za-z0-9-]+"
_IPV4_SHAPE = r"\d{1,3}(?:\.\d{1,3}){3}"
# URI schemes that carry an authority ("scheme://host"), as they occur in security data.
SCHEMES = frozenset(
    {
        *("http", "https", "ftp", "ftps", "sftp", "tftp", "ssh", "telnet", "file", "smb"),
        *("cifs", "nfs", "ldap", "ldaps", "ws", "wss", "rdp", "vnc", "git", "svn", "irc"),
        *("ircs", "rtsp", "rtmp", "mms", "imap", "imaps", "pop", "pop3", "pop3s", "smtp"),
        *("smtps", "nntp", "news", "gopher", "dav", "webdav", "s3", "gs", "hdfs", "redis"),
        *("mongodb", "mysql", "postgres", "postgresql", "jdbc", "ms-msdt", "search-ms"),
        *("chrome", "chrome-extension", "moz-extension", "about"),
    }
)


def _printable_except(excluded: str) -> str:
    """A character class of printable ASCII but `excluded` (no case folding can widen it)."""
    return "[" + "".join(re.escape(chr(c)) for c in range(33, 127) if chr(c) not in excluded) + "]"


_QUERY = r"\?" + _printable_except("#\"']") + "*"
_FRAGMENT = "#" + _printable_except("?\"']") + "*"
_URL = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    + "|".join(sorted(map(re.escape, SCHEMES), key=len, reverse=True))
    + r")://"
    r"(?:[A-Za-z0-9][A-Za-z0-9+_.-]*@)?"
    rf"(?P<host>{_DOTTED_HOST}|{_IPV4_SHAPE})"
    r"(?![A-Za-z0-9])(?::\d+)?(?:/[A-Za-z0-9\-._~!$&'()*+;=:%/]*)?"
    rf"(?:{_QUERY}(?:{_FRAGMENT})?|{_FRAGMENT}(?:{_QUERY})?)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z0-9][A-Za-z0-9+_.-]*@"
    rf"(?:(?P<domain>{_DOTTED_HOST})|\[(?P<ip>{_IPV4_SHAPE})\])"
)
_AT = re.compile("@")
_EMAIL_TAIL = re.compile(r"\[[^\]\s]{1,80}\]|[A-Za-z0-9._-]+")
# What may stand left of an '@' in an address as written (quoted and commented forms too).
_EMAIL_LOCAL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~.\"()\\"
)
_IPV4 = re.compile(r"(?<![A-Za-z0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![A-Za-z0-9])(?!\.\S)")
_IPV6 = re.compile(r"(?<![A-Za-z0-9:])(?:[0-9A-Fa-f]*:){2,}[0-9A-Fa-f]*(?![A-Za-z0-9:])")
# A hash may follow "0x"; an import hash or Authenticode hash is not a file hash.
_HASHES = {
    key: re.compile(rf"(?<![A-WYZa-wyz0-9])[A-Fa-f0-9]{{{length}}}(?![A-Za-z0-9])")
    for key, length in (("md5s", 32), ("sha1s", 40), ("sha256s", 64))
}
_HASH_LABEL_GAP = r"\s*[^a-z0-9\s]*\s*(?<![a-wyz0-9])"
_IMPHASH = re.compile(rf"(?:imphash|import hash){_HASH_LABEL_GAP}([a-f0-9]{{32}})(?![a-z0-9])")
_AUTHENTIHASH = re.compile(rf"authentihash{_HASH_LABEL_GAP}([a-f0-9]{{64}})(?![a-z0-9])")
_IPV4_HINT = re.compile(r"\d\.\d")
_HEX_HINT = re.compile(r"[A-Fa-f0-9]{32}")
_CVE_HINT = re.compile("cve", re.IGNORECASE)
_CVE = re.compile(r"(?<![A-Za-z0-9])cve[- ]+([12]\d{3})(-+)(\d{4,})(?![A-Za-z0-9])", re.IGNORECASE)


@cache
def top_level_domains() -> frozenset[str]:
    """The ICANN top-level domains of the bundled Public Suffix List (IDNs also in punycode)."""
    from triage.observables.normalise import suffix_extractor

    suffixes = suffix_extractor().tlds  # public suffixes only (no private domains)
    tlds = {s.lower() for s in suffixes if "." not in s and not s.startswith(("*", "!"))}
    for tld in list(tlds):
        if not tld.isascii():
            try:
                tlds.add(tld.encode("idna").decode("ascii"))
            except UnicodeError:
                continue
    return frozenset(tlds)


def fang(text: str) -> str:
    """Undo common defanging so defanged indicators are found like plain ones."""
    for core, around, plain in _FANGS:
        if core.search(text):
            text = around.sub(plain, text)
    return text


def find_indicators(text: str) -> Found:
    """Every candidate indicator of each kind in `text`, first occurrence first, deduplicated."""
    text = fang(text)
    original = text
    urls = _unique(_urls(text)) if "://" in text else []
    for url in urls:  # percent-encoded parts (?u=http%3A%2F%2F…) are read decoded
        decoded = unquote_plus(url)
        if decoded != url:
            text = text.replace(url, decoded)
    emails = _unique(_emails(text)) if "@" in text else []
    text = text.replace("[IPv6:", " ")
    found: Found = {key: [] for key in KINDS}
    found["urls"], found["email_addresses"] = urls, emails
    found["domains"] = _unique(_domains(text))
    if _IPV4_HINT.search(text):
        found["ipv4s"] = _unique(_ipv4s(text))
    if text.count(":") >= 2:
        found["ipv6s"] = _unique(m[0] for m in _IPV6.finditer(text) if _ipv6_shape(m[0]))
    if _HEX_HINT.search(text):
        lowered = text.lower()
        imphashes = {m[1] for m in _IMPHASH.finditer(lowered)} if "hash" in lowered else set()
        authentihashes = (
            {m[1] for m in _AUTHENTIHASH.finditer(lowered)}
            if imphashes or "authentihash" in lowered
            else set()
        )
        found["md5s"] = _unique(_hashes(text, "md5s", exclude=imphashes))
        found["sha1s"] = _unique(_hashes(text, "sha1s"))
        found["sha256s"] = _unique(_hashes(text, "sha256s", exclude=authentihashes))
    if _CVE_HINT.search(original):
        found["cves"] = _unique(f"CVE-{m[1]}{m[2]}{m[3]}" for m in _CVE.finditer(original))
    return found


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _is_tld(label: str) -> bool:
    return label.lower() in top_level_domains()


def _host_ok(host: str) -> bool:
    """A dotted name ending in a TLD, or a dotted quad of octets."""
    if _IPV4_EXACT.fullmatch(host):
        return _ipv4_value(host) is not None
    return _is_tld(host.rsplit(".", 1)[-1])


_IPV4_EXACT = re.compile(_IPV4_SHAPE)


def _urls(text: str) -> Iterator[str]:
    for match in _URL.finditer(text):
        host = match.group("host")
        if not _host_ok(host):
            continue
        yield _clean_url(match.group(0))


def _clean_url(url: str) -> str:
    """Drop what usually closes around a URL in prose or markup: ')', quotes, '/>'."""
    if ")" in url and "(" not in url:
        url = url.split(")")[0]
    url = url.rstrip('"').rstrip("'")
    return url.removesuffix("'/>").removesuffix('"/>')


def _emails(text: str) -> Iterator[str]:
    """Addresses around each '@', left to right without overlap: in "a@b@c.com" the second
    '@' has no local part of its own."""
    floor = 0
    for at in _AT.finditer(text):
        position = at.start()
        tail = _EMAIL_TAIL.match(text, position + 1)
        if position < floor or tail is None or text[position - 1 : position] == "\\":
            continue
        start = position
        while start > floor and text[start - 1] in _EMAIL_LOCAL_CHARS:
            start -= 1
        if start == position:
            continue
        floor = tail.end()
        match = _EMAIL.search(text, start, tail.end())
        if match is None:
            continue
        domain = match.group("domain")
        if domain is not None:
            if _is_tld(domain.rsplit(".", 1)[-1]):
                yield match.group(0).lower()
        elif _ipv4_value(match.group("ip")) is not None:
            yield match.group(0).lower()


def _domains(text: str) -> Iterator[str]:
    """The longest labels-then-TLD prefix of each dotted run ("foo.com.invalid" → "foo.com")."""
    for match in _DOMAIN_RUN.finditer(text):
        labels = match.group(0).lower().split(".")
        for end in range(len(labels) - 1, 0, -1):
            if _is_tld(labels[end]):
                yield ".".join(labels[: end + 1])
                break


def _ipv4_value(candidate: str) -> str | None:
    octets = [int(part) for part in candidate.split(".")]
    if len(octets) != 4 or any(octet > 255 for octet in octets):
        return None
    return ".".join(map(str, octets))


def _ipv4s(text: str) -> Iterator[str]:
    for match in _IPV4.finditer(text):
        value = _ipv4_value(match.group(0))
        if value is not None:
            yield value


def _ipv6_shape(candidate: str) -> bool:
    """Eight hex groups, or fewer around one '::' (ipaddress checks the rest later)."""
    halves = candidate.split("::")
    if len(halves) > 2:
        return False
    groups = [g for half in halves for g in (half.split(":") if half else [])]
    if len(halves) == 1 and len(groups) != 8:
        return False
    return len(groups) <= 8 and all(1 <= len(g) <= 4 for g in groups)


def _hashes(
    text: str, key: str, *, exclude: set[str] | frozenset[str] = frozenset()
) -> Iterator[str]:
    for match in _HASHES[key].finditer(text):
        # An import hash is taken out only where written as found (lower case).
        if match.group(0) not in exclude:
            yield match.group(0).lower()
