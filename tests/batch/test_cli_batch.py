"""`triage batch` end to end through the real CLI: stdin, files, folders, --jobs 2, --resume,
--quiet, progress and the exit codes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_cli

pytestmark = pytest.mark.usefixtures("cli_environment")


def _records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_alerts_from_stdin_with_two_worker_processes(alerts: tuple[Path, int]) -> None:
    path, bad_line = alerts
    done = subprocess.run(
        [sys.executable, "-m", "triage", "batch", "-", "--jobs", "2", "--progress"],
        input=path.read_bytes(),
        capture_output=True,
        env=os.environ,
        check=False,
    )
    records = _records(done.stdout.decode())
    assert done.returncode == 3, done.stderr  # one item failed input
    assert [r["index"] for r in records] == list(range(12))
    errors = [r for r in records if "error" in r]
    assert [e["item"] for e in errors] == [f"<stdin>:{bad_line}"]
    assert sum("report" in r for r in records) == 11
    stderr = done.stderr.decode()
    assert "triage batch: 12 items, 11 reports" in stderr and "1 failed (exit 3: 1)" in stderr
    assert "Traceback" not in stderr


def test_quiet_keeps_stderr_empty_and_fail_on_sets_exit_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "two.jsonl"
    lines = [
        {"title": "Credential dumping tool detected", "severity": "critical", "alertId": "a1"},
        {"title": "Unusual sign-in", "severity": "low", "alertId": "a2"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out, err = run_cli(["batch", str(path), "-q", "--fail-on", "severity>=high"], capsys)
    assert err == ""
    records = _records(out)
    met = [bool(r["fail_on"]) for r in records]
    severities = [r["report"]["verdict"]["severity"] for r in records]  # type: ignore[index]
    assert met == [s in {"high", "critical"} for s in severities]
    assert code == (1 if any(met) else 0)


def test_a_folder_of_cases_and_resume_into_the_same_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases"
    for name in ("S01-phish-credential-harvest", "S05-zeek-tls-beacon"):
        shutil.copytree(SAMPLES / name, cases / name)
    (cases / "broken").mkdir()
    (cases / "broken" / "empty.txt").symlink_to("/etc/hostname")  # no artifact to read
    out = tmp_path / "out.jsonl"
    code, _, err = run_cli(["batch", str(cases), "-o", str(out)], capsys)
    first = _records(out.read_text())
    assert code == 3, err
    assert [Path(str(r["item"])).name for r in first] == [
        "S01-phish-credential-harvest",
        "S05-zeek-tls-beacon",
        "broken",
    ]
    assert "error" in first[2] and first[2]["exit_code"] == 3
    # The broken case is mended; resuming triages only it and appends its report.
    (cases / "broken" / "empty.txt").unlink()
    shutil.copy(next((SAMPLES / "S01-phish-credential-harvest").glob("*.eml")), cases / "broken")
    code, _, err = run_cli(["batch", str(cases), "-o", str(out), "--resume", str(out)], capsys)
    assert code == 0, err
    assert "1 items, 1 reports" in err and "2 skipped (resumed)" in err
    appended = _records(out.read_text())[len(first) :]
    assert [Path(str(r["item"])).name for r in appended] == ["broken"]
    assert "report" in appended[0]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["batch", "/no/such/alerts.jsonl"], 3, "no such file"),
        (["batch", "-", "--jobs", "0"], 2, "--jobs"),
        (["batch", "-", "--fail-on", "colour=red"], 2, "--fail-on"),
        (["batch", "-", "--engine", "agent"], 4, "needs a model"),
    ],
)
def test_batch_level_errors_are_one_line_and_a_documented_code(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, out, err = run_cli(args, capsys)
    assert got == code and message in err and out == ""
    assert "Traceback" not in err


def test_the_per_item_timeout_fails_items_not_the_batch(
    alerts: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["batch", str(alerts[0]), "--timeout", "0.1", "-q"], capsys)
    records = _records(out)
    assert len(records) == 12 and code == 3
    timed_out = [r for r in records if "timed out after 0.1 s" in str(r.get("error", ""))]
    # Items are cheap once the worker is warm, so most finish; whichever did not says why.
    assert all(r["exit_code"] == 3 for r in timed_out)
    assert all("report" in r or "error" in r for r in records)
