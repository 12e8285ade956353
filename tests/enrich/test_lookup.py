"""`triage enrich VALUE`: type detection, refanging, enrichment, tool listing."""

from pathlib import Path

import pytest

from triage.enrich import (
    EnrichmentConfig,
    Secret,
    build_service,
    detect_type,
    enrich_value,
    list_tools,
)
from triage.errors import UsageError
from triage.settings import load_settings
from triage.wiring import enrichment_config


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8.8.8.8", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("d41d8cd98f00b204e9800998ecf8427e", "md5"),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"),
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256"),
        ("https://evil.example/a", "url"),
        ("alice@example.com", "email"),
        ("login.micros0ft.com", "domain"),
        ("CVE-2024-3400", "cve"),
        ("HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "registry_key"),
        ("C:\\Windows\\Temp\\a.exe", "file_path"),
        ("powershell -nop -enc AAAA", "command_line"),
        ("WS-0142", "host"),
    ],
)
def test_detect_type(value: str, expected: str) -> None:
    assert detect_type(value) == expected


def test_enrich_value_refangs_and_enriches() -> None:
    service = build_service(EnrichmentConfig(offline=True))
    observable, results = enrich_value("hxxps://micros0ft[.]com/login", service=service)
    assert observable.type == "url" and observable.value == "https://micros0ft.com/login"
    assert results[0].provider == "url-analysis" and results[0].verdict in {
        "suspicious",
        "malicious",
    }


def test_explicit_type_is_respected_and_checked() -> None:
    service = build_service(EnrichmentConfig(offline=True))
    observable, results = enrich_value("Example.COM", type="domain", service=service)
    assert observable.value == "example.com" and results[0].provider == "domain-analysis"
    with pytest.raises(UsageError):
        enrich_value("x", type="planet", service=service)


def test_list_tools_reports_status_per_configuration(tmp_path: Path) -> None:
    plain = {t.name: t for t in list_tools(EnrichmentConfig())}
    assert plain["virustotal"].status == "no API key" and plain["virustotal"].kind == "online"
    assert plain["intel-pack"].status == "intel folder not set"
    assert plain["geoip"].status == "ready" and plain["geoip"].observable_types == ("ipv4", "ipv6")
    assert {"attack-lookup", "windows-event", "email-auth"} <= set(plain)
    keyed = {
        t.name: t
        for t in list_tools(
            EnrichmentConfig(offline=True, intel_dir=tmp_path, virustotal_key=Secret("k"))
        )
    }
    assert keyed["virustotal"].status == "offline mode"
    assert keyed["intel-pack"].status == "ready"
    missing = {t.name: t for t in list_tools(EnrichmentConfig(intel_dir=tmp_path / "nope"))}
    assert missing["intel-pack"].status.startswith("intel folder missing")


def test_config_from_settings_wraps_keys(tmp_path: Path) -> None:
    env = {"TRIAGE_VT_API_KEY": "secret-vt", "TRIAGE_OFFLINE": "1", "TRIAGE_INTEL_DIR": "/x"}
    config = enrichment_config(load_settings(env=env, cwd=tmp_path))
    assert config.offline and config.intel_dir == Path("/x")
    assert config.virustotal_key is not None and config.virustotal_key.reveal() == "secret-vt"
    assert "secret-vt" not in repr(config)


@pytest.mark.parametrize("value", ["", "   ", "-", "(null)", "127.0.0.1", "0.0.0.0"])
def test_values_a_run_would_drop_are_usage_errors(value: str) -> None:
    service = build_service(EnrichmentConfig(offline=True))
    with pytest.raises(UsageError) as raised:
        enrich_value(value, service=service)
    assert raised.value.exit_code == 2 and str(raised.value)


def test_out_of_range_dotted_numbers_are_not_a_host() -> None:
    """Decision: four dotted numbers are meant as an IPv4 address; enriching them as a host
    name would answer a question nobody asked, so the analyst is told instead."""
    service = build_service(EnrichmentConfig(offline=True))
    with pytest.raises(UsageError, match="not a valid IP address"):
        enrich_value("999.999.1.1", service=service)


def test_enrich_and_run_normalise_alike() -> None:
    from triage.observables.normalise import normalise

    service = build_service(EnrichmentConfig(offline=True))
    for raw in ("evil[.]example[.]com", "ALICE(at)Corp[dot]com", "fxp://files[.]evil.net/a"):
        observable, _ = enrich_value(raw, service=service)
        assert observable.value == normalise(observable.type, raw)
