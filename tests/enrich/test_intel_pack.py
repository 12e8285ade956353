"""The local intel pack: each feed format, CIDR and URL-host matches, allowlist, bad feeds."""

from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from triage.enrich.intel_pack import IntelPackProvider, load_pack
from triage.enrich.provider import ProviderUnavailable
from triage.models import Observable

FIXTURES = Path(__file__).parent / "fixtures" / "intel"


@pytest.fixture(scope="module")
def provider() -> IntelPackProvider:
    return IntelPackProvider(folder=FIXTURES)


@pytest.mark.parametrize(
    ("type_", "value", "label", "source", "feed"),
    [
        ("ipv4", "198.51.100.23", "c2 server", "fixture-csv-feed", "feed.csv"),
        ("domain", "MALWARE-DROP.example", "malware distribution", "fixture-csv-feed", "feed.csv"),
        (
            "url",
            "http://phish.example/login",
            "credential phishing",
            "fixture-csv-feed",
            "feed.csv",
        ),
        (
            "sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "ransomware payload",
            "fixture-list-feed",
            "blocklist.txt",
        ),
        (
            "email",
            "badsender@evil-mail.example",
            "ransomware payload",
            "fixture-list-feed",
            "blocklist.txt",
        ),
        (
            "domain",
            "beacon.stix-fixture.example",
            "beacon domain",
            "Fixture STIX Producer",
            "bundle.json",
        ),
        ("ipv4", "192.0.2.200", "beacon domain", "Fixture STIX Producer", "bundle.json"),
        ("sha256", "a" * 64, "dropper hash", "Fixture STIX Producer", "bundle.json"),
        (
            "email",
            "ceo@lookalike-fixture.example",
            "phishing sender",
            "Fixture STIX Producer",
            "bundle.json",
        ),
        (
            "url",
            "https://cdn.stix-fixture.example/p.ps1",
            "payload url",
            "Fixture STIX Producer",
            "bundle.json",
        ),
        ("ipv4", "192.0.2.99", "exfil endpoint", "Fixture MISP Org", "misp_event.json"),
        (
            "domain",
            "invoice-misp.example",
            "Fixture MISP event: invoice phishing wave",
            "Fixture MISP Org",
            "misp_event.json",
        ),
        (
            "md5",
            "0123456789abcdef0123456789abcdef",
            "macro document",
            "Fixture MISP Org",
            "misp_event.json",
        ),
        ("email", "billing@invoice-misp.example", "sender", "Fixture MISP Org", "misp_event.json"),
    ],
)
def test_hit_in_each_feed_format(
    provider: IntelPackProvider, type_: str, value: str, label: str, source: str, feed: str
) -> None:
    result = provider.lookup(Observable.model_validate({"type": type_, "value": value}))
    assert result.status == "ok"
    assert result.verdict in {"malicious", "suspicious"}
    assert label in result.details["labels"]  # type: ignore[operator]
    assert result.details["sources"] == [source]
    assert result.details["feeds"] == [feed]
    assert result.data_age is not None


def test_confidence_sets_score_and_verdict(provider: IntelPackProvider) -> None:
    strong = provider.lookup(Observable(type="ipv4", value="198.51.100.23"))
    weak = provider.lookup(Observable(type="url", value="http://phish.example/login"))
    assert (strong.score, strong.verdict) == (90, "malicious")
    assert (weak.score, weak.verdict) == (60, "suspicious")
    assert strong.details["first_seen"] == "2026-01-04"


def test_cidr_entry_matches_addresses_inside_it(provider: IntelPackProvider) -> None:
    inside = provider.lookup(Observable(type="ipv4", value="203.0.113.7"))
    outside = provider.lookup(Observable(type="ipv4", value="203.0.113.77"))
    assert inside.status == "ok" and "scanner range" in inside.summary
    assert outside.status == "not_found"


def test_url_matches_on_its_listed_host(provider: IntelPackProvider) -> None:
    result = provider.lookup(Observable(type="url", value="https://malware-drop.example/a/b.exe"))
    assert result.status == "ok"
    assert result.details["matched"] == ["malware-drop.example"]


def test_allowlisted_indicator_is_benign(provider: IntelPackProvider) -> None:
    result = provider.lookup(Observable(type="domain", value="intranet.corp.example"))
    assert (result.status, result.verdict, result.score) == ("ok", "benign", 0)


def test_miss_is_not_found_and_never_benign(provider: IntelPackProvider) -> None:
    result = provider.lookup(Observable(type="domain", value="unlisted.example"))
    assert result.status == "not_found"
    assert result.verdict == "unknown"


def test_unreadable_feed_is_noted_and_the_rest_load() -> None:
    pack = load_pack(FIXTURES)
    assert set(pack.feeds) == {"feed.csv", "blocklist.txt", "bundle.json", "misp_event.json"}
    assert any(p.startswith("broken.json") for p in pack.problems)
    assert not any(e.label == "garbage row" for entries in pack.entries.values() for e in entries)


def test_oversized_feed_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("triage.enrich.intel_feeds.MAX_FILE_BYTES", 10)
    (tmp_path / "big.txt").write_text("198.51.100.1\n198.51.100.2\n")
    pack = load_pack(tmp_path)
    assert pack.feeds == () and "big.txt" in pack.problems[0]


def test_missing_folder_makes_the_provider_unavailable(tmp_path: Path) -> None:
    provider = IntelPackProvider(folder=tmp_path / "absent")
    with pytest.raises(ProviderUnavailable):
        provider.lookup(Observable(type="ipv4", value="198.51.100.23"))


@pytest.mark.skipif(not (SAMPLES / "intel").is_dir(), reason="samples/intel not written yet")
def test_demo_pack_in_samples_loads() -> None:
    pack = load_pack(SAMPLES / "intel")
    assert pack.feeds and not pack.problems
    entry = next(iter(pack.entries.values()))[0]
    result = IntelPackProvider(folder=SAMPLES / "intel").lookup(
        Observable.model_validate(
            {"type": _observable_type(entry.kind, entry.indicator), "value": entry.indicator}
        )
    )
    assert result.status == "ok"


def _observable_type(kind: str, value: str) -> str:
    if kind == "ip":
        return "ipv6" if ":" in value else "ipv4"
    if kind == "hash":
        return {32: "md5", 40: "sha1", 64: "sha256"}[len(value)]
    return kind


def test_deeply_nested_json_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "ok.txt").write_text("198.51.100.1\n")
    pack = load_pack(tmp_path)
    assert pack.feeds == ("ok.txt",) and "deep.json" in pack.problems[0]


def test_pack_wide_entry_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("triage.enrich.intel_pack.MAX_PACK_ENTRIES", 3)
    (tmp_path / "a.txt").write_text("".join(f"198.51.100.{i}\n" for i in range(1, 6)))
    pack = load_pack(tmp_path)
    assert len(pack.entries) == 3 and "pack limit" in pack.problems[0]
