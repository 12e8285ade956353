"""The CLI end to end: exit codes, one-line errors, stdin, output files, start-up cost."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import SAMPLES, run_cli
from triage.models import TriageReport

PHISH = SAMPLES / "S01-phish-credential-harvest"


pytestmark = pytest.mark.usefixtures("cli_environment")


def test_help_does_not_import_heavy_modules() -> None:
    probe = (
        "import sys\n"
        "from triage.cli import main\n"
        "code = main(['--help'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'langchain', 'langchain_core', 'langchain_openai', 'chromadb', 'onnxruntime', 'evtx'})\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_run_json_then_verify_and_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "report.json"
    code, _, err = run_cli(["run", str(PHISH), "-o", str(report_path), "--quiet"], capsys)
    assert code == 0, err
    data = json.loads(report_path.read_text())
    jsonschema.validate(data, TriageReport.model_json_schema())
    assert data["artifacts"][0]["format"] == "eml"
    code, out, _ = run_cli(["verify", str(report_path)], capsys)
    assert code == 0 and out.startswith("OK"), out
    code, out, _ = run_cli(["render", str(report_path), "-f", "md"], capsys)
    assert code == 0 and out.startswith("# ")


def test_verify_fails_on_a_tampered_quote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "report.json"
    assert run_cli(["run", str(PHISH), "-o", str(report_path), "-q"], capsys)[0] == 0
    data = json.loads(report_path.read_text())
    cited = next(e for e in data["evidence"] if e["artifact_id"])
    cited["quote"] = "this text is not in the artifact"
    report_path.write_text(json.dumps(data))
    code, out, _ = run_cli(["verify", str(report_path)], capsys)
    assert code == 1
    assert f"MISMATCH {cited['id']}" in out


def test_stdin_is_an_artifact(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    eml = next(PHISH.glob("*.eml"))
    done = subprocess.run(
        [sys.executable, "-m", "triage", "run", "-", "-f", "json"],
        input=eml.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["artifacts"][0]["path"] == "<stdin>"
    assert b"\x1b[" not in done.stdout  # no colour when not a terminal


def test_fail_on_sets_exit_code_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        ["run", str(PHISH), "-f", "json", "-q", "--fail-on", "severity>=informational"], capsys
    )
    assert code == 1
    assert json.loads(out)["verdict"]  # the report is still produced


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run"], 2),
        (["run", "x", "--fail-on", "nonsense"], 2),
        (["run", "x", "--format", "pdf"], 2),
        (["run", "/no/such/file"], 3),
        (["run", str(PHISH), "--engine", "agent"], 4),
    ],
)
def test_exit_codes(args: list[str], expected: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == expected, err
    assert "Traceback" not in err


def test_verify_refuses_a_path_that_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "report.json"
    assert run_cli(["run", str(PHISH), "-o", str(report_path), "-q"], capsys)[0] == 0
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    data = json.loads(report_path.read_text())
    data["artifacts"][0]["path"] = str(fifo)
    report_path.write_text(json.dumps(data))
    code, out, _ = run_cli(["verify", str(report_path)], capsys)  # must not block on the FIFO
    assert code == 1
    assert "not a regular file" in out


def test_a_working_folder_config_is_named_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "triage.toml").write_text("[triage]\noffline = true\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["run", str(PHISH), "-f", "json", "-q"], capsys)
    assert code == 0
    assert "using configuration from" in err and "triage.toml" in err


def test_reports_are_reproducible_with_source_date_epoch(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "triage", "run", "-f", "json", str(PHISH)],
            capture_output=True,
            env=env,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
