"""An agent run against a scripted OpenAI-compatible server on 127.0.0.1, recorded through the
real ChatOpenAI client: every model request is in the bundle, and the replay needs no server."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.replay.conftest import CASES, copy_bundle, read_lines, rewrite, socket_guard
from triage.replay.bundle import LLM, open_bundle
from triage.replay.diff import diff_reports
from triage.replay.play import UnrecordedCall, replay_bundle
from triage.settings import Settings

scripted = pytest.importorskip("tests.agent.scripted")
engine_tests = pytest.importorskip("tests.agent.test_engine")
PHISH = next(c for c in CASES if c.name.startswith("S01-"))


@pytest.fixture(scope="module")
def agent_bundle(replay_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from triage.replay.record import record_run

    folder = tmp_path_factory.mktemp("agent") / "bundle"
    script = [engine_tests.investigate(), engine_tests.answer()]
    with scripted.ScriptedServer(script) as server, socket_guard():
        settings = replace(
            replay_settings, engine="agent", model="scripted", base_url=server.base_url,
            llm_retries=0, offline=True,
        )  # fmt: skip
        report = record_run([str(PHISH)], settings=settings, folder=folder)
        assert len(server.requests) == report.run.llm_calls >= 2
    return folder


def test_every_model_exchange_is_in_the_bundle(agent_bundle: Path) -> None:
    report = json.loads((agent_bundle / "report.json").read_text())
    assert report["run"]["engine"] == "agent", report["run"]["fallback_reason"]
    exchanges = read_lines(agent_bundle / LLM)
    assert len(exchanges) == report["run"]["llm_calls"]
    first = exchanges[0]
    assert first["request"]["method"] == "POST"
    assert first["request"]["url"].endswith("/v1/chat/completions")
    assert json.loads(first["request"]["body"]["text"])["model"] == "scripted"
    assert json.loads(exchanges[-1]["response"]["body"]["text"])["choices"]
    assert "authorization" not in {k.lower() for k, _ in first["request"]["headers"]}


def test_the_agent_run_replays_identically_with_the_server_gone(
    agent_bundle: Path, replay_settings: Settings
) -> None:
    with socket_guard() as guard:
        done = replay_bundle(open_bundle(agent_bundle), current=replay_settings)
    assert not guard.attempts
    diff = diff_reports(done.recorded, done.replayed)
    assert diff.identical, [c.line() for c in diff.changes]
    assert done.replayed.run.engine == "agent"


def test_a_model_request_missing_from_the_bundle_is_named(
    agent_bundle: Path, replay_settings: Settings, tmp_path: Path
) -> None:
    bundle = copy_bundle(agent_bundle, tmp_path / "b")
    exchanges = read_lines(bundle / LLM)
    rewrite(bundle, LLM, "".join(json.dumps(e) + "\n" for e in exchanges[:-1]))
    with socket_guard(), pytest.raises(UnrecordedCall) as raised:
        replay_bundle(open_bundle(bundle), current=replay_settings)
    url = exchanges[-1]["request"]["url"]
    assert f"HTTP request #{len(exchanges)} POST {url}" in str(raised.value)
