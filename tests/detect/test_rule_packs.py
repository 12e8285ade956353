"""Rule packs and the on-disk cache of compiled rules: install, hostile archives, cache hits,
invalidation and corruption, rule status and pack on detections, SigmaHQ's share loaded."""

import stat
import zipfile
from pathlib import Path

import pytest

from triage.detect.engine import SigmaDetector, rule_packs_used
from triage.detect.packs import (
    MANIFEST,
    install_pack,
    installed_packs,
    pack_sources,
    remove_pack,
)
from triage.detect.rules import RuleSource, load_rule_set
from triage.errors import InputError, UsageError
from triage.models import Record

SIGMAHQ = Path(__file__).parents[2] / ".." / "shared" / "sigmahq"

RULE = """title: Whoami run by {who}
id: {rule_id}
status: {status}
date: {date}
description: Test rule.
tags:
    - attack.discovery
    - attack.t1033
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\whoami.exe'
        User|contains: '{who}'
    condition: selection
level: low
"""
CORRELATION = """title: Many whoami
correlation:
    type: event_count
    rules: [x]
    timespan: 5m
    condition: {gte: 5}
"""


def rule(who: str, *, status: str = "test", date: str = "2024-05-01", number: int = 1) -> str:
    rule_id = f"00000000-0000-4000-8000-{number:012d}"
    return RULE.format(who=who, rule_id=rule_id, status=status, date=date)


def write_rules(folder: Path) -> Path:
    (folder / "windows").mkdir(parents=True)
    (folder / "windows" / "alice.yml").write_text(rule("alice", status="stable"))
    (folder / "windows" / "bob.yml").write_text(rule("bob", date="2025/02/03", number=2))
    (folder / "windows" / "old.yml").write_text(rule("carol", status="deprecated", number=3))
    (folder / "windows" / "corr.yml").write_text(CORRELATION)
    (folder / "README.md").write_text("not a rule")
    return folder


def whoami(user: str) -> Record:
    fields = {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Image": "C:\\Windows\\System32\\whoami.exe",
        "User": user,
    }
    return Record(artifact_id="A1", locator="record:1", source="evtx", fields=fields, raw="")


def test_install_from_a_folder_counts_what_loaded_and_why_the_rest_did_not(
    tmp_path: Path,
) -> None:
    source = write_rules(tmp_path / "src")
    manifest = install_pack(source, home=tmp_path / "home", name="team")
    assert (manifest.name, manifest.files, manifest.loaded) == ("team", 4, 2)
    assert manifest.skipped == {
        "status deprecated": 1,
        "correlation rule (use the built-in correlations)": 1,
    }
    assert manifest.version == "2025-02-03" and manifest.version_from == "newest rule date"
    assert len(manifest.sha256) == 64 and manifest.installed_at
    assert (tmp_path / "home" / "rules" / "team" / MANIFEST).is_file()
    assert not (tmp_path / "home" / "rules" / "team" / "README.md").exists()
    assert [m.name for m in installed_packs(tmp_path / "home")] == ["team"]
    remove_pack(tmp_path / "home", "team")
    assert installed_packs(tmp_path / "home") == []
    with pytest.raises(UsageError):
        remove_pack(tmp_path / "home", "team")


def test_install_from_a_release_zip_takes_its_version(tmp_path: Path) -> None:
    archive = tmp_path / "sigma_core.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("version.txt", "r2026-08-01\n")
        bundle.writestr("rules/windows/alice.yml", rule("alice"))
        bundle.writestr("rules/windows/bob.yml", rule("bob", number=2))
    manifest = install_pack(archive, home=tmp_path / "home")
    assert (manifest.name, manifest.version, manifest.loaded) == ("sigmahq", "r2026-08-01", 2)
    assert (tmp_path / "home" / "rules" / "sigmahq" / "rules" / "windows" / "bob.yml").is_file()


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in members.items():
            bundle.writestr(name, text)
    return path


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"../evil.yml": "x"}, "outside"),
        ({"/etc/evil.yml": "x"}, "outside"),
        ({"rules/../../evil.yml": "x"}, "outside"),
        ({"big.yml": "a" * (600 * 1024)}, "over"),
    ],
)
def test_hostile_archives_are_refused(
    tmp_path: Path, members: dict[str, str], problem: str
) -> None:
    archive = _zip(tmp_path / "evil.zip", members)
    with pytest.raises(InputError, match=problem):
        install_pack(archive, home=tmp_path / "home")
    assert installed_packs(tmp_path / "home") == []
    assert not (tmp_path / "evil.yml").exists()


def test_archive_with_a_symlink_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        info = zipfile.ZipInfo("rules/link.yml")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        install_pack(archive, home=tmp_path / "home")


def test_archive_with_too_many_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("triage.detect.packs.MAX_RULE_FILES", 3)
    archive = _zip(tmp_path / "many.zip", {f"r{n}.yml": rule("x", number=n) for n in range(5)})
    with pytest.raises(InputError, match="rule files"):
        install_pack(archive, home=tmp_path / "home")


def test_second_load_comes_from_the_disk_cache(tmp_path: Path) -> None:
    folder = write_rules(tmp_path / "src")
    cache = tmp_path / "cache"
    source = RuleSource(folder, "team", "1")
    first = load_rule_set(builtin=False, packs=[source], cache_dir=cache)
    assert (first.stats.files_compiled, first.stats.files_cached) == (4, 0)
    # A new RuleSource value misses the per-process cache, so this reads the disk cache.
    second = load_rule_set(builtin=False, packs=[RuleSource(folder, "team", "2")], cache_dir=cache)
    assert (second.stats.files_compiled, second.stats.files_cached) == (0, 4)
    assert [r.rule_id for r in second.rules] == [r.rule_id for r in first.rules]
    hits = SigmaDetector(second).detect_records([whoami("CORP\\bob")])
    assert [d.title for d in hits] == ["Whoami run by bob"]


def test_a_changed_rule_file_is_compiled_again_and_only_it(tmp_path: Path) -> None:
    folder = write_rules(tmp_path / "src")
    cache = tmp_path / "cache"
    load_rule_set(builtin=False, packs=[RuleSource(folder, "team", "1")], cache_dir=cache)
    (folder / "windows" / "bob.yml").write_text(rule("dave", number=2))
    changed = load_rule_set(builtin=False, packs=[RuleSource(folder, "team", "2")], cache_dir=cache)
    assert (changed.stats.files_compiled, changed.stats.files_cached) == (1, 3)
    assert "Whoami run by dave" in {r.title for r in changed.rules}


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign-key"])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rebuilt(
    tmp_path: Path, damage: str
) -> None:
    folder = write_rules(tmp_path / "src")
    cache = tmp_path / "cache"
    load_rule_set(builtin=False, packs=[RuleSource(folder, "team", "1")], cache_dir=cache)
    (cached,) = cache.glob("rules-*.bin")
    data = cached.read_bytes()
    if damage == "truncate":
        cached.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        cached.write_bytes(data[:40] + bytes([data[40] ^ 0xFF]) + data[41:])
    else:
        (cache / "cache.key").write_bytes(b"k" * 32)
    again = load_rule_set(builtin=False, packs=[RuleSource(folder, "team", "2")], cache_dir=cache)
    assert (again.stats.files_compiled, again.stats.loaded) == (4, 2)
    third = load_rule_set(builtin=False, packs=[RuleSource(folder, "team", "3")], cache_dir=cache)
    assert third.stats.files_cached == 4


def test_deprecated_rules_are_skipped_unless_asked_for(tmp_path: Path) -> None:
    folder = write_rules(tmp_path / "src")
    default = load_rule_set([folder], builtin=False)
    assert default.stats.skip_reasons["status deprecated"] == 1
    everything = load_rule_set([folder], builtin=False, skip_statuses=())
    assert "Whoami run by carol" in {r.title for r in everything.rules}


def test_detections_carry_the_rule_status_and_pack(tmp_path: Path) -> None:
    home = tmp_path / "home"
    install_pack(write_rules(tmp_path / "src"), home=home, name="team")
    detector = SigmaDetector.from_rule_dirs(packs=pack_sources(home), cache_dir=home / "cache")
    (hit,) = [d for d in detector.detect_records([whoami("alice")]) if d.pack == "team"]
    assert (hit.status, hit.pack, hit.pack_version) == ("stable", "team", "2025-02-03")
    assert hit.techniques == ("T1033",)
    used = {p.name: p for p in rule_packs_used(detector)}
    assert used["team"].rules == 2 and used["team"].version == "2025-02-03"
    assert used["builtin"].rules > 100


@pytest.mark.skipif(not SIGMAHQ.is_dir(), reason="no SigmaHQ snapshot in ../shared/sigmahq")
def test_sigmahq_share_loaded_is_at_least_98_percent(tmp_path: Path) -> None:
    rule_set = load_rule_set(
        builtin=False, packs=[RuleSource(SIGMAHQ.resolve(), "sigmahq")], cache_dir=tmp_path
    )
    stats = rule_set.stats
    assert stats.loaded / (stats.loaded + len(stats.skipped)) >= 0.98, stats.skip_reasons
    assert set(stats.skip_reasons) <= {
        "placeholder values (|expand) need a pipeline",
        "correlation rule (use the built-in correlations)",
        "filter rule (needs a processing pipeline)",
        "status deprecated",
        "status unsupported",
    }, stats.skip_reasons
