"""The shipped rule set and user rule folders: what loads, what is skipped and why."""

import fnmatch
import re
import uuid
from pathlib import Path

import pytest
import yaml

from triage.detect import SigmaDetector
from triage.detect.rules import (
    BUILTIN_RULES,
    load_rule_set,
    rule_files,
    techniques_from_tags,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sigmahq_style"
LEVELS = {"informational", "low", "medium", "high", "critical"}


def test_builtin_rules_all_load_with_no_skips() -> None:
    rule_set = load_rule_set()
    assert rule_set.stats.loaded >= 80
    assert rule_set.stats.skipped == ()
    assert len({rule.rule_id for rule in rule_set.rules}) == rule_set.stats.loaded


def test_builtin_rules_follow_the_sigmahq_format() -> None:
    for path in rule_files(BUILTIN_RULES):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = path.relative_to(BUILTIN_RULES)
        assert uuid.UUID(document["id"]), name
        assert document["author"] == "triage project", name
        assert document["level"] in LEVELS, name
        assert document["description"] and document["falsepositives"], name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(document["date"])), name
        assert techniques_from_tags(document["tags"]), f"{name} has no ATT&CK technique tag"
        assert any(not re.match(r"attack\.t\d", tag) for tag in document["tags"]), name


def test_technique_tags_are_normalised() -> None:
    tags = ["attack.credential_access", "attack.t1003.001", "attack.T1110", "cve.2021-44228"]
    assert techniques_from_tags(tags) == ("T1003.001", "T1110")


def test_sigmahq_style_folder_loads_good_rules_and_counts_skips() -> None:
    detector = SigmaDetector.from_rule_dirs([FIXTURES], builtin=False)
    stats = detector.stats
    assert stats.loaded == 3
    assert {rule.source for rule in detector.rules} <= {str(p) for p in FIXTURES.iterdir()}
    assert stats.skip_reasons == {
        "invalid YAML": 1,
        "correlation rule (use the built-in correlations)": 1,
        "aggregation in condition (| count() …)": 1,
        "unknown or invalid modifier": 1,
    }
    skipped_files = {Path(item.path).name for item in stats.skipped}
    assert "broken_yaml.yml" in skipped_files


def test_user_rules_add_to_the_builtin_set() -> None:
    builtin = load_rule_set()
    combined = load_rule_set([FIXTURES])
    assert combined.stats.loaded == builtin.stats.loaded + 3


def test_rule_set_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    rule = FIXTURES / "proc_creation_lnx_shell_history_wipe.yml"
    copy = tmp_path / "rule.yml"
    copy.write_text(rule.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_rule_set([tmp_path], builtin=False)
    assert load_rule_set([tmp_path], builtin=False) is first
    copy.write_text(rule.read_text(encoding="utf-8").replace("medium", "high") + "\n")
    changed = load_rule_set([tmp_path], builtin=False)
    assert changed is not first
    assert changed.rules[0].level == "high"


def test_hidden_folders_and_other_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    source = (FIXTURES / "proc_creation_lnx_shell_history_wipe.yml").read_text(encoding="utf-8")
    (tmp_path / ".git" / "rule.yml").write_text(source, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a rule", encoding="utf-8")
    assert load_rule_set([tmp_path], builtin=False).stats.loaded == 0


def test_every_builtin_selection_is_used_by_its_condition() -> None:
    """A selection the condition never names is silently ignored: almost always a typo."""
    for path in rule_files(BUILTIN_RULES):
        detection = yaml.safe_load(path.read_text(encoding="utf-8"))["detection"]
        condition = detection["condition"]
        words = set(re.findall(r"[\w*]+", condition)) - {"and", "or", "not", "of", "1", "all"}
        for name in set(detection) - {"condition"}:
            used = "them" in words or any(fnmatch.fnmatchcase(name, word) for word in words)
            assert used, f"{path.relative_to(BUILTIN_RULES)}: {name} unused by {condition!r}"


def test_the_library_covers_techniques_broadly() -> None:
    rule_set = load_rule_set()
    techniques = {t for rule in rule_set.rules for t in rule.techniques}
    assert rule_set.stats.loaded >= 400
    assert len(techniques) >= 150


SIGMAHQ = Path(__file__).resolve().parents[2].parent / "shared" / "sigmahq"


@pytest.mark.skipif(not SIGMAHQ.is_dir(), reason="../shared/sigmahq is not present")
def test_shipped_rules_share_no_id_or_title_with_sigmahq() -> None:
    """The shipped library is written for this project: no rule reuses a SigmaHQ id or title."""
    titles: set[str] = set()
    ids: set[str] = set()
    for path in SIGMAHQ.rglob("*.yml"):
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for document in documents:
            if isinstance(document, dict):
                titles.add(" ".join(str(document.get("title", "")).lower().split()))
                ids.add(str(document.get("id", "")).lower())
    clashes = []
    for path in rule_files(BUILTIN_RULES):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        title = " ".join(str(document["title"]).lower().split())
        if title in titles or str(document["id"]).lower() in ids:
            clashes.append(str(path.relative_to(BUILTIN_RULES)))
    assert not clashes, clashes
