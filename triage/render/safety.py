"""Output safety: artifact text made inert for every reader of a report.

Everything a report quotes was written by an attacker. Before it reaches a person it loses its
terminal escapes, its bidi tricks and its live links; before it reaches a machine (JSON) it
keeps its exact value but travels as \\uXXXX escapes, so a log viewer or `cat` cannot be driven
by it either.
"""

import re
from collections.abc import Iterable

from triage.models import TriageReport

# C0 controls but tab and newline, DEL and C1 (CSI 0x9b and OSC 0x9d among them): escape
# sequences must not recolour, retitle or rewrite the analyst's terminal.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Characters that reorder or hide text: the Arabic letter mark, LRM/RLM, the embeddings and
# overrides U+202A–U+202E, the isolates U+2066–U+2069, and the line/paragraph separators
# that some viewers treat as newlines.
_FORMAT = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f"[{_CONTROL}{_FORMAT}]")

# Types whose values a viewer may turn into links; their display form is defanged.
LINKABLE_TYPES = frozenset({"url", "domain", "ipv4", "ipv6", "email"})
MAX_KNOWN_IOCS = 2000
MAX_DOMAIN = 253  # RFC 1035: no longer name is a domain

# What a viewer may autolink in free text: scheme://…, www.…, mail addresses, dotted quads;
# then dotted names and IPv6-like tokens, defanged when the report observed them. Lookbehinds
# and possessive runs keep every alternative linear in the length of the text.
_LINKS = re.compile(
    r"(?P<url>\b[a-z][a-z0-9+.-]{1,15}://[^\s<>\"'`]+)"
    r"|(?P<www>\bwww\.[^\s/<>\"'`]+)"
    r"|(?P<email>(?<![\w.+-])[\w.+-]++@(?:[\w-]++\.)+[\w-]{2,})"
    r"|(?P<ipv4>\b(?:\d{1,3}\.){3}\d{1,3}\b)"
    r"|(?P<name>(?<![\w.-])[\w-]++(?:\.[\w-]++)+)"
    r"|(?P<ipv6>(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:]))",
    re.IGNORECASE,
)


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """Artifact text made inert for a terminal or page: controls and bidi shown as \\xNN/\\uNNNN."""
    return UNSAFE.sub(lambda m: _visible(m.group()), text)


def escape_json(dumped: str) -> str:
    """JSON text with every unsafe character as a \\uXXXX escape: same value, inert bytes.

    Safe on the whole document: these characters never appear outside a string in JSON that
    json or pydantic wrote, and inside a string an escape is the same value.
    """
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def _bracket(text: str, char: str) -> str:
    """Every `char` not already bracketed as `[char]` (defanging twice changes nothing)."""
    return re.sub(rf"(?<!\[){re.escape(char)}(?!\])", f"[{char}]", text)


def _defang_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    # Not a lookup: free text may glue a word to the scheme ("\\u202ehttp://").
    scheme = scheme.lower().replace("http", "hxxp").replace("ftp", "fxp")
    return f"{scheme}://{_bracket(_bracket(authority, '.'), '@')}{slash}{path}"


def _defang_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    return f"{local}[@]{_bracket(domain, '.')}"


def _defang(kind: str, value: str) -> str:
    match kind:
        case "url":
            return _defang_url(value) if "://" in value else _bracket(value, ".")
        case "email":
            return _defang_email(value)
        case "ipv6":
            return _bracket(value, ":")
        case _:
            return _bracket(value, ".")


def _domains_of(kind: str, value: str) -> tuple[str, ...]:
    """The host names a value names: a URL's host, a mail domain, and their parent domain
    (the last two labels), so that `evil.example` is defanged where `login.evil.example`
    was observed."""
    if kind == "url":
        host = value.partition("://")[2].split("/")[0].rpartition("@")[2].split(":")[0]
    elif kind == "email":
        host = value.rpartition("@")[2]
    elif kind == "domain":
        host = value
    else:
        return ()
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2 or labels[-1].isdigit():  # an IP address has no parent domain
        return ()
    return tuple(dict.fromkeys((".".join(labels), ".".join(labels[-2:]))))


class Neutraliser:
    """One report's text made safe for people: inert characters, no live links.

    Besides what any viewer autolinks (URLs, www. hosts, mail addresses, IPv4), the report's
    own linkable observables are defanged wherever they appear, bare domains included.
    """

    def __init__(self, known: Iterable[tuple[str, str]] = ()) -> None:
        kinds: dict[str, str] = {}
        for kind, value in known:
            if kind in LINKABLE_TYPES and value and len(kinds) < MAX_KNOWN_IOCS:
                kinds.setdefault(value.casefold(), kind)
                for domain in _domains_of(kind, value):
                    kinds.setdefault(domain.casefold(), "domain")
        self._kinds = kinds

    @classmethod
    def for_report(cls, report: TriageReport) -> "Neutraliser":
        return cls((o.type, o.value) for o in report.observables)

    def _observed(self, token: str) -> bool:
        """The token, or a parent domain of it, is one of the report's linkable observables."""
        if len(token) > MAX_DOMAIN:
            return False
        folded = token.casefold()
        if folded in self._kinds:
            return True
        labels = folded.split(".")
        return any(".".join(labels[i:]) in self._kinds for i in range(1, len(labels) - 1))

    def _replace(self, match: re.Match[str]) -> str:
        text = match.group()
        kind = match.lastgroup or ""
        if kind in ("name", "ipv6"):
            if not self._observed(text):
                return text
            kind = "domain" if kind == "name" else "ipv6"
        return _defang(kind, text)

    def __call__(self, text: str) -> str:
        return _LINKS.sub(self._replace, safe_text(text))
