"""`triage eval` through the real CLI on a few shipped samples (and the real data when present)."""

import json
from pathlib import Path

import pytest

from tests.conftest import REALDATA, SAMPLES, realdata_cases, requires_realdata, run_cli
from triage.eval.metrics import METRICS

CASES = [
    str(SAMPLES / name)
    for name in (
        "S01-phish-credential-harvest",
        "S09-lsass-minidump-comsvcs",
        "S10-benign-vendor-newsletter",
    )
]


pytestmark = pytest.mark.usefixtures("cli_environment")


def test_table_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    markdown = tmp_path / "scorecard.md"
    code, out, err = run_cli(["eval", *CASES, "--markdown", str(markdown)], capsys)
    assert code == 0, err
    for name in (
        "S01-phish-credential-harvest",
        "S10-benign-vendor-newsletter",
        "citation_validity",
    ):
        assert name in out
    assert "triage: eval: 3 cases" in err
    text = markdown.read_text()
    assert text.startswith("# triage eval scorecard")
    assert "| S09-lsass-minidump-comsvcs | sample |" in text


def test_json_keys_and_a_passing_gate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["eval", *CASES, "--json", "--gate", "citation_validity>=1", "--gate", "errors<=0"], capsys
    )
    assert code == 0, err
    card = json.loads(out)
    assert set(card) == {"cases", "totals", "by_format", "reliability"}
    assert list(card["totals"]) == list(METRICS)
    assert [row["case"] for row in card["cases"]] == [Path(c).name for c in CASES]
    assert {"truth", "got", "p_malicious", "verify_ok", "seconds"} <= set(card["cases"][0])
    assert list(card["by_format"]) == ["sample"]
    assert len(card["reliability"]) == 10
    assert card["totals"]["cases"] == 3 and card["totals"]["citation_validity"] == 1.0


def test_a_failing_gate_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["eval", CASES[0], "--json", "--gate", "brier<=-1"], capsys)
    assert code == 1
    assert "gate failed: brier<=-1" in err


def test_an_unknown_metric_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["eval", CASES[0], "--gate", "recall>=0.9"], capsys)
    assert code == 2
    assert "unknown metric 'recall'" in err


@requires_realdata
def test_every_realdata_case_gets_a_row(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["eval", str(REALDATA), "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)["cases"]
    assert sorted(row["case"] for row in rows) == sorted(c.name for c in realdata_cases())
