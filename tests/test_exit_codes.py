"""The exit-code contract of ARCHITECTURE.md, code by code, through the real CLI (triage.cli.main).

0 report · 1 --fail-on met · 2 usage · 3 input (also --timeout) · 4 configuration ·
5 model failure no fallback absorbed · 70 internal error. Every failure is one line on stderr.
"""

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_cli
from triage.models.base import SEVERITY_ORDER

pytestmark = pytest.mark.usefixtures("cli_environment")

PHISH = SAMPLES / "S01-phish-credential-harvest"
BENIGN = SAMPLES / "S06-benign-sccm-patch-window"


def _one_line_error(err: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("triage: ")]
    assert lines and "Traceback" not in err, err
    assert lines[-1].startswith(("triage: error: ", "triage: internal error: ")), err


@pytest.fixture(scope="module")
def verdicts(triage_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:  # type: ignore[type-arg]
    """The verdict of each case as `triage run` reports it (to judge --fail-on against)."""
    from triage.cli import main

    found = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIAGE_HOME", str(triage_home))
        env.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("no-config")))
        for case in (PHISH, BENIGN):
            out = tmp_path_factory.mktemp("v") / "report.json"
            assert main(["run", str(case), "-q", "-o", str(out)]) == 0
            found[case.name] = json.loads(out.read_text())["verdict"]
    return found


def _holds(expression: str, verdict: dict) -> bool:  # type: ignore[type-arg]
    """An independent reading of the few expressions below."""
    results = []
    for part in expression.split(","):
        if part == "severity>=high":
            results.append(
                SEVERITY_ORDER.index(verdict["severity"]) >= SEVERITY_ORDER.index("high")
            )
        elif part == "classification=true_positive":
            results.append(verdict["classification"] == "true_positive")
        elif part == "needs_human=true":
            results.append(verdict["needs_human"] is True)
        elif part == "confidence>=0.99":
            results.append(verdict["confidence"] >= 0.99)
    return any(results)


@pytest.mark.parametrize("case", [PHISH, BENIGN], ids=lambda p: p.name[:3])
@pytest.mark.parametrize(
    "expression",
    [
        "severity>=high",
        "classification=true_positive",
        "needs_human=true",
        "confidence>=0.99,needs_human=true",
        "severity>=high,classification=true_positive",
    ],
)
def test_codes_0_and_1_follow_the_fail_on_expression(
    case: Path,
    expression: str,
    verdicts: dict[str, dict],  # type: ignore[type-arg]
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(["run", str(case), "-f", "json", "--fail-on", expression], capsys)
    assert json.loads(out)["verdict"] == verdicts[case.name]  # the report is always produced
    expected = 1 if _holds(expression, verdicts[case.name]) else 0
    assert code == expected, err
    assert ("--fail-on met" in err) is (expected == 1)


def test_the_two_cases_cover_both_outcomes(verdicts: dict[str, dict]) -> None:  # type: ignore[type-arg]
    met = {_holds("severity>=high", v) for v in verdicts.values()}
    assert met == {True, False}, "pick cases on both sides of the condition"


def test_quiet_silences_notes_but_not_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["run", str(PHISH), "-f", "json", "--quiet", "--fail-on", "severity>=informational"],
        capsys,
    )
    assert code == 1 and err == "" and json.loads(out)["verdict"]


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", str(PHISH), "--format", "pdf"],
        ["run", str(PHISH), "--fail-on", "severity>>high"],
        ["run", str(PHISH), "--timeout", "-1"],
        ["batch", str(PHISH), "--jobs", "-3"],
        ["doctor", "--no-such-flag"],
    ],
)
def test_code_2_usage(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "Traceback" not in err


def test_code_3_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200 + "]" * 200)
    for args in (["run", "/no/such/file"], ["run", str(deep)]):
        code, out, err = run_cli(args, capsys)
        assert code == 3 and out == "", err
        _one_line_error(err)


def test_code_3_timeout_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "auth.log"  # 200,000 lines: far more than a tenth of a second of work
    line = "Mar  2 10:{m:02d}:{s:02d} host sshd[42]: Failed password for root from 203.0.113.{n}\n"
    log.write_text("".join(line.format(m=i % 60, s=i % 60, n=i % 250) for i in range(200_000)))
    code, out, err = run_cli(["run", str(log), "--timeout", "0.1", "-f", "json"], capsys)
    assert code == 3 and out == ""
    _one_line_error(err)
    assert "timed out after 0.1 s (--timeout)" in err


def test_code_4_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_cli(["run", str(PHISH), "--engine", "agent"], capsys)
    assert code == 4
    _one_line_error(err)
    (tmp_path / "triage.toml").write_text("[triage]\nengine = 3\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["run", str(PHISH)], capsys)
    assert code == 4 and "engine must be a str" in err
    _one_line_error(err)


@pytest.fixture
def failing_model() -> Iterator[str]:
    """An OpenAI-compatible endpoint on 127.0.0.1 that answers every request with HTTP 500."""

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.dumps({"error": {"message": "model exploded", "type": "server_error"}})
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        do_GET = do_POST

        def log_message(self, *_args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_code_5_model_failure_without_fallback(
    failing_model: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("triage.analysts.agent", reason="the agent engine is not in this tree")
    monkeypatch.setenv("OPENAI_BASE_URL", failing_model)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("TRIAGE_LLM_RETRIES", "0")
    args = ["run", str(PHISH), "--engine", "agent", "--model", "m", "--offline", "--no-fallback"]
    code, out, err = run_cli([*args, "-f", "json"], capsys)
    assert code == 5, err
    assert out == ""
    _one_line_error(err)
    assert "test-key" not in err


def test_code_70_internal_error_is_one_line_and_debug_shows_the_trace(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # triage has no switch to provoke a bug on purpose (and should not): the test stands in
    # for one by making the pipeline raise what no layer expects.
    def bug(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("triage.pipeline.triage_paths", bug)
    code, out, err = run_cli(["run", str(PHISH)], capsys)
    assert code == 70 and out == ""
    assert err == (
        "triage: internal error: ZeroDivisionError: division by zero (rerun with --debug)\n"
    )
    with pytest.raises(ZeroDivisionError):
        run_cli(["run", str(PHISH), "--debug"], capsys)
