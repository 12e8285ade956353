"""Replay: strict and offline, identical reports for unchanged bundles, the diff of a rule
change, a named error for an unrecorded call, and eval of the recorded reports."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tests.replay.conftest import copy_bundle, read_lines, rewrite, socket_guard
from triage.replay.bundle import ENRICHMENT, PLAYBOOKS, open_bundle
from triage.replay.diff import diff_reports
from triage.replay.play import DepsCache, LiveChange, UnrecordedCall, replay_bundle
from triage.settings import Settings

pytestmark = pytest.mark.usefixtures("cli_environment")

# A rule written for this test: a task registered under a collaboration app's folder name.
EXTRA_RULE = """\
title: Replay test - task registered under the Teams folder name
id: 0c4f9a52-7e1d-4b8a-9d36-2f5e8b71a0c4
status: test
description: A scheduled task whose name sits under Microsoft\\Teams, as an update check would.
author: triage tests
date: '2026-12-02'
tags:
  - attack.defense-evasion
  - attack.t1036.004
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4698
    TaskName|contains: '\\Microsoft\\Teams\\'
  condition: selection
level: high
"""
RULE_CASE = "S12-schtask-powershell-persistence"


def test_every_sample_bundle_replays_identically_offline(
    sample_bundles: dict[str, Path], replay_settings: Settings
) -> None:
    cache = DepsCache()
    with socket_guard() as guard:
        for name, folder in sample_bundles.items():
            done = replay_bundle(open_bundle(folder), current=replay_settings, cache=cache)
            diff = diff_reports(done.recorded, done.replayed)
            assert diff.identical, (name, [c.line() for c in diff.changes])
            assert done.replayed.report_id == done.recorded.report_id
    assert not guard.attempts, guard.attempts


def test_replay_check_of_a_folder_from_the_cli(
    sample_bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = sorted(sample_bundles)[:3]
    for name in names:
        copy_bundle(sample_bundles[name], tmp_path / "lib" / name / ".bundle")
    with socket_guard() as guard:
        code, out, _ = run_cli(["replay", str(tmp_path / "lib"), "--check"], capsys)
    assert code == 0, out
    assert not guard.attempts
    assert out.count(": identical") == 3 and "3 bundles: 0 changed, 0 error(s)" in out
    code, out, _ = run_cli(["replay", str(tmp_path / "lib"), "--check", "--json"], capsys)
    assert code == 0 and [r["identical"] for r in json.loads(out)] == [True] * 3


def test_replay_without_check_prints_the_replayed_report(
    sample_bundles: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = sample_bundles[RULE_CASE]
    with socket_guard():
        code, out, _ = run_cli(["replay", str(bundle), "-f", "json"], capsys)
    assert code == 0
    recorded = json.loads((bundle / "report.json").read_text())
    assert json.loads(out)["verdict"] == recorded["verdict"]


def test_an_added_rule_shows_in_the_diff_and_exits_1(
    sample_bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "extra_rules"
    rules.mkdir()
    (rules / "teams_task.yml").write_text(EXTRA_RULE, encoding="utf-8")
    bundle = sample_bundles[RULE_CASE]
    recorded = json.loads((bundle / "report.json").read_text())
    assert "T1036.004" not in {t["id"] for t in recorded["techniques"]}
    with socket_guard() as guard:
        code, out, _ = run_cli(["replay", str(bundle), "--rules", str(rules)], capsys)
    assert not guard.attempts
    assert code == 1, out
    lines = out.splitlines()
    assert any(
        line.startswith("  + detections: 0c4f9a52-7e1d-4b8a-9d36-2f5e8b71a0c4 Replay test")
        for line in lines
    ), out
    assert any(line.startswith("  + techniques: T1036.004 ") for line in lines), out
    assert any("run: rule_packs" in line for line in lines), out
    # The same replay without the extra rule is back to identical.
    assert run_cli(["replay", str(bundle), "--check"], capsys)[0] == 0


def test_an_unrecorded_enrichment_call_fails_naming_it(
    sample_bundles: dict[str, Path],
    replay_settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle = copy_bundle(sample_bundles["S01-phish-credential-harvest"], tmp_path / "b")
    entries = read_lines(bundle / ENRICHMENT)
    dropped = next(e for e in entries if "observable" in e)
    kept = [e for e in entries if e is not dropped]
    rewrite(bundle, ENRICHMENT, "".join(json.dumps(e) + "\n" for e in kept))
    with pytest.raises(UnrecordedCall) as raised:
        replay_bundle(open_bundle(bundle), current=replay_settings)
    value = dropped["observable"]["value"]
    assert f"enrichment {dropped['provider']} lookup of" in str(raised.value)
    assert repr(value) in str(raised.value)
    code, out, err = run_cli(["replay", str(bundle), "--check"], capsys)
    assert code == 5 and out == ""
    assert "unrecorded call under strict replay" in err and repr(value) in err


def test_an_unrecorded_playbook_search_fails_naming_it(
    sample_bundles: dict[str, Path], replay_settings: Settings, tmp_path: Path
) -> None:
    bundle = copy_bundle(sample_bundles[RULE_CASE], tmp_path / "b")
    searches = read_lines(bundle / PLAYBOOKS)
    assert searches
    rewrite(bundle, PLAYBOOKS, "")
    with pytest.raises(UnrecordedCall, match="playbook search") as raised:
        replay_bundle(open_bundle(bundle), current=replay_settings)
    assert searches[0]["query"][:40] in str(raised.value)


def test_live_rerun_with_another_engine_setting_reports_no_false_change(
    sample_bundles: dict[str, Path], replay_settings: Settings
) -> None:
    # --engine rules on a rules bundle: a live re-run, answered from the same offline data.
    with socket_guard():
        done = replay_bundle(
            open_bundle(sample_bundles[RULE_CASE]),
            current=replay_settings,
            change=LiveChange(engine="rules"),
        )
    assert done.live
    assert diff_reports(done.recorded, done.replayed).identical


def test_eval_scores_the_recorded_reports(
    sample_bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "library"
    for name, folder in sample_bundles.items():
        shutil.copytree(folder, library / name)
    code, out, err = run_cli(["eval", "--bundles", str(library), "--json"], capsys)
    assert code == 0, err
    card = json.loads(out)
    rows = card["cases"]
    assert len(rows) == len(sample_bundles)
    for row in rows:
        name = row["case"]
        label = yaml.safe_load((library / name / "label" / "expected.yaml").read_text())
        report = json.loads((library / name / "report.json").read_text())
        assert row["expected"] == label["classification"]
        assert row["got"] == report["verdict"]["classification"]
        assert row["verify_ok"] is True, row
    assert card["totals"]["errors"] == 0


def test_eval_refuses_a_bundle_without_a_label(
    replay_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.replay.conftest import CASES
    from triage.replay.record import record_run

    # One artifact file, not a labelled case folder: the bundle has nothing to score against.
    artifact = next(p for p in sorted(CASES[0].iterdir()) if p.name != "expected.yaml")
    with socket_guard():
        record_run([str(artifact)], settings=replay_settings, folder=tmp_path / "b")
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["label"] is None
    code, out, err = run_cli(["eval", "--bundles", str(tmp_path)], capsys)
    assert code == 3 and out == ""
    assert "carries no label" in err


@pytest.mark.parametrize("content", ["5\n", '{"provider": "geoip"}\n', '{"provider": 1}\n'])
def test_malformed_tool_traffic_is_an_input_error(
    content: str,
    sample_bundles: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle = copy_bundle(sample_bundles[RULE_CASE], tmp_path / "b")
    rewrite(bundle, ENRICHMENT, content)
    code, out, err = run_cli(["replay", str(bundle), "--check"], capsys)
    assert code == 3 and out == ""
    assert "bad recorded tool traffic" in err and len(err.strip().splitlines()) == 1
