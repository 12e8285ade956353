"""Offline command-line analysis: decodes PowerShell -EncodedCommand and flags download
cradles, living-off-the-land binaries and obfuscation."""

import base64
import binascii
import re
from dataclasses import dataclass

from triage.enrich.provider import Details, verdict_for
from triage.models import EnrichmentResult, Observable

MAX_COMMAND = 64 * 1024
MAX_DECODED = 16 * 1024

# fmt: off
LOLBINS = frozenset((
    "certutil", "bitsadmin", "mshta", "regsvr32", "rundll32", "wmic", "msiexec", "installutil",
    "regasm", "regsvcs", "cmstp", "msbuild", "odbcconf", "forfiles", "pcalua", "schtasks",
    "wscript", "cscript", "hh", "control", "esentutl", "expand", "extrac32", "findstr",
    "makecab", "mavinject", "presentationhost", "replace", "syncappvpublishingserver", "msxsl",
    "certreq", "ieexec", "dnscmd", "ntdsutil", "vssadmin", "wevtutil", "bcdedit", "reg",
))
# fmt: on
# Possessive runs: the separator (spaces with at most one colon) is read once, not re-split.
_FLAG = re.compile(
    r"(?:^|\s)[-/–](\w++)(?:\s*+:\s*+|\s++)['\"]?([A-Za-z0-9+/=]{8,})", re.IGNORECASE
)
_EXE = re.compile(r"(?:^|[\\/\s\"'])([\w.-]+?)(?:\.exe)?(?=[\s\"']|$)", re.IGNORECASE)


@dataclass(frozen=True)
class InOrder:
    """`first`, then `then` later on the same line: what the regex `first.*?then` finds,
    without retrying the rest of the line from every occurrence of `first`."""

    first: re.Pattern[str]
    then: re.Pattern[str]

    def search(self, text: str) -> bool:
        position = 0
        while match := self.first.search(text, position):
            line_end = text.find("\n", match.end())
            line_end = len(text) if line_end < 0 else line_end
            if self.then.search(text, match.end(), line_end):
                return True
            position = line_end + 1
        return False


def _in_order(first: str, then: str, flags: int = re.IGNORECASE) -> InOrder:
    return InOrder(re.compile(first, flags), re.compile(then, flags))


Trait = re.Pattern[str] | InOrder
_CRADLES: tuple[tuple[Trait, str], ...] = (
    (re.compile(r"downloadstring|downloadfile|downloaddata|openread", re.I), "WebClient download"),
    (re.compile(r"net\.webclient|system\.net\.http|invoke-webrequest|\biwr\b", re.I),
     "web request from the command line"),
    (re.compile(r"invoke-restmethod|\birm\b\s+https?:", re.I), "Invoke-RestMethod download"),
    (re.compile(r"\biex\b|invoke-expression", re.I), "Invoke-Expression of built text"),
    (re.compile(r"start-bitstransfer", re.I), "BITS transfer"),
    (_in_order(r"bitsadmin\b", r"/transfer"), "BITS transfer"),
    (_in_order(r"certutil\b", r"-urlcache|-decode"), "certutil download/decode"),
    (_in_order(r"mshta\b", r"https?:|javascript:|vbscript:"), "mshta remote script"),
    (_in_order(r"regsvr32\b", r"/i:\s*+https?:"), "regsvr32 scriptlet (Squiblydoo)"),
    (_in_order(r"\b(?:curl|wget)(?:\.exe)?\s", r"https?://"), "curl/wget download"),
)  # fmt: skip
_OBFUSCATION: tuple[tuple[Trait, str], ...] = (
    (re.compile(r"(?:\w\^){2,}\w"), "caret insertion"),
    (_in_order(r"\w\^\w", r"\w\^\w", 0), "caret insertion"),
    (re.compile(r"(?:[a-z]`){2,}[a-z]", re.I), "backtick insertion"),
    (_in_order(r"[a-z]`[a-z]", r"[a-z]`[a-z]"), "backtick insertion"),
    (re.compile(r"\[char\]\s*\d+|\[convert\]::fromBase64String|frombase64string", re.I),
     "character codes / base64 decoding at run time"),
    (re.compile(r"['\"]\s*\+\s*['\"]"), "string concatenation"),
    (re.compile(r"(?:^|\s)[-/]noP\w*\b", re.I), "-NoProfile"),
    (re.compile(r"(?:^|\s)[-/]w\w*\s+(?:hidden|1)\b", re.I), "hidden window"),
    (re.compile(r"(?:^|\s)[-/](?:ep|exec\w*)\s+(?:bypass|unrestricted)\b", re.I),
     "execution policy bypass"),
    (re.compile(r"(?:^|\s)[-/]noni\w*\b", re.I), "-NonInteractive"),
    (re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{200,}={0,2}"), "long base64 blob"),
)  # fmt: skip


def _is_encoded_flag(flag: str) -> bool:
    flag = flag.lower()
    return flag == "ec" or (flag.startswith("e") and "encodedcommand".startswith(flag))


def decode_powershell(command: str) -> str | None:
    """The script of a `powershell -EncodedCommand <base64 UTF-16LE>` line, or None."""
    for match in _FLAG.finditer(command[:MAX_COMMAND]):
        if not _is_encoded_flag(match.group(1)):
            continue
        blob = match.group(2)[: MAX_DECODED * 3]
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4))
        except (binascii.Error, ValueError):
            continue
        text = raw[: MAX_DECODED * 2].decode("utf-16-le", errors="replace")
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if text and printable / len(text) > 0.9:
            return text
    return None


def lolbins_in(command: str) -> list[str]:
    names = {m.group(1).lower() for m in _EXE.finditer(command[:MAX_COMMAND])}
    return sorted(names & LOLBINS)


class CommandLineProvider:
    name = "command-line"
    observable_types = frozenset({"command_line", "process"})
    offline = True

    def lookup(self, observable: Observable) -> EnrichmentResult:
        command = observable.value[:MAX_COMMAND]
        decoded = decode_powershell(command)
        text = f"{command}\n{decoded}" if decoded else command
        score = 0.0
        reasons: list[str] = []
        details: Details = {}
        if decoded is not None:
            score += 35
            details["decoded_script"] = decoded
            reasons.append(f"encoded PowerShell decodes to: {_clip(decoded, 160)}")
        cradles = sorted({label for pattern, label in _CRADLES if pattern.search(text)})
        if cradles:
            score += 45
            details["download_cradles"] = list(cradles)
            reasons.append("download cradle: " + ", ".join(cradles))
        lolbins = lolbins_in(text)
        if lolbins:
            score += 15 if observable.type == "command_line" else 5
            details["lolbins"] = list(lolbins)
            reasons.append("living-off-the-land binaries: " + ", ".join(lolbins))
        tricks = sorted({label for pattern, label in _OBFUSCATION if pattern.search(text)})
        if tricks:
            score += min(40, 12 * len(tricks))
            details["obfuscation"] = list(tricks)
            reasons.append("obfuscation/evasion: " + ", ".join(tricks))
        return EnrichmentResult(
            provider=self.name,
            observable_type=observable.type,
            value=observable.value,
            status="ok",
            verdict=verdict_for(min(score, 100.0), malicious_at=80),
            score=min(score, 100.0),
            summary="; ".join(reasons) if reasons else "no suspicious traits in the command line",
            details=details,
        )


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
