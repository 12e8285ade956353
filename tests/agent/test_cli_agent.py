"""`triage run --engine agent` through the real CLI: fallback, --no-fallback and bad config."""

import json
import socket

import pytest

from tests.conftest import SAMPLES, run_cli

PHISH = str(SAMPLES / "S01-phish-credential-harvest")


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def unreachable(cli_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", closed_port_url())
    monkeypatch.setenv("TRIAGE_MODEL", "local-model")


def test_unreachable_endpoint_falls_back_and_says_so(
    unreachable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["run", PHISH, "-f", "json", "--llm-timeout", "5"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["run"]["engine"] == "rules"
    assert "Connection" in report["run"]["fallback_reason"]
    assert "warning: agent failed, rules engine used" in err
    assert report["verdict"]["classification"] == "true_positive"  # the rules engine's call


def test_no_fallback_exits_5(unreachable: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["run", PHISH, "-f", "json", "--no-fallback"], capsys)
    assert code == 5
    assert out == ""
    assert "--no-fallback" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"TRIAGE_REDACT_PII": "shoe_size"}, "unknown PII class"),
        ({"OPENAI_BASE_URL": "https://api.example.com/v1", "TRIAGE_OFFLINE": "1"}, "loopback"),
        ({"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}, "OPENAI_BASE_URL"),
        ({"TRIAGE_MAX_STEPS": "zero"}, "max_steps"),
    ],
)
def test_bad_agent_configuration_exits_4(
    unreachable: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    needle: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run_cli(["run", PHISH, "-f", "json", "--engine", "agent"], capsys)
    assert code == 4, err
    assert needle in err and "Traceback" not in err
