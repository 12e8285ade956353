"""Every hostile input through the real CLI (`triage run`, a child process): exit 3 with one
clear line, or a clean report; never a crash or a hang, within the time and memory budgets.

The time budget counts the child's CPU seconds beyond those of a small real sample's run (S02,
the issue's yardstick: it loads the rules and the playbook index as most inputs do), so that it
measures the input, not triage's start-up or a busy machine; wall time only guards hangs.
bench/hostile_corpus.py prints the full table (wall time included)."""

import json
from pathlib import Path

import pytest

from tests.hostile.corpus import (
    BASELINE_SAMPLE,
    CORPUS,
    MEMORY_BUDGET_MB,
    TIME_BUDGET_S,
    Hostile,
    Outcome,
    real_evtx,
    run_triage,
    warm_home,
)

HANG_GUARD_S = 120.0


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("hostile-home")
    warm_home(home)
    return home


@pytest.fixture(scope="module")
def baseline(home: Path) -> Outcome:
    outcome = run_triage(BASELINE_SAMPLE, home=home, timeout=HANG_GUARD_S)
    assert outcome.exit_code == 0, outcome.stderr
    return outcome


def _check(hostile: Hostile, outcome: Outcome, baseline: Outcome) -> None:
    assert outcome.exit_code in (0, 3), (outcome.exit_code, outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr
    assert "internal error" not in outcome.stderr
    if outcome.exit_code == 3:
        lines = outcome.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("triage: error: "), lines
        assert hostile.name in lines[0]
        assert outcome.stdout == ""
    else:
        report = json.loads(outcome.stdout)
        assert [a["path"].rsplit("/", 1)[-1] for a in report["artifacts"]] == [hostile.name]
    extra_cpu = outcome.cpu_seconds - baseline.cpu_seconds
    assert extra_cpu <= TIME_BUDGET_S, f"{extra_cpu:.1f} s of CPU beyond a trivial run"
    assert outcome.peak_rss_mb <= MEMORY_BUDGET_MB, f"{outcome.peak_rss_mb:.0f} MB peak RSS"


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.name for h in CORPUS])
def test_hostile_input_ends_cleanly(
    hostile: Hostile, home: Path, baseline: Outcome, tmp_path: Path
) -> None:
    if hostile.name.endswith(".evtx") and real_evtx() is None:
        pytest.skip("the EVTX inputs are patched from ../shared/realdata, absent here")
    path = tmp_path / hostile.name
    path.write_bytes(hostile.make())
    outcome = run_triage(path, home=home, timeout=HANG_GUARD_S)
    path.unlink()
    _check(hostile, outcome, baseline)


def test_corpus_covers_what_the_issue_names() -> None:
    names = " ".join(h.name for h in CORPUS)
    for needed in (
        "deep-100k.json",
        "deep-100k-line",
        "bigint",
        "nul",
        "crlf",
        "escapes",
        "huge-line",
        "utf16",
        "bomb.gz",
        "bomb.zip",
        "parts-10k.eml",
    ):
        assert needed in names
    assert {Path(h.name).suffix for h in CORPUS if h.name.startswith("escapes")} >= {
        ".log",
        ".json",
        ".jsonl",
        ".csv",
        ".xml",
        ".eml",
        ".txt",
    }
