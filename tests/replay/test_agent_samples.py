"""Agent-engine bundles of every shipped sample, recorded against the SCRIPTED server of
bench/agent_bundles.py (a script, not a model) through the real ChatOpenAI client; each
replays identically with the server gone and no network, and `eval --bundles` scores them all."""

import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.replay.conftest import CASES, read_lines, record_samples, socket_guard
from triage.replay.bundle import LLM, open_bundle
from triage.replay.diff import diff_reports
from triage.replay.play import DepsCache, replay_bundle
from triage.settings import Settings

bench = pytest.importorskip("bench.agent_bundles")


@pytest.fixture(scope="module")
def agent_bundles(
    replay_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    started = time.monotonic()
    with bench.scripted_server(len(CASES)) as server, socket_guard() as guard:
        settings = replace(
            replay_settings, engine="agent", model=bench.MODEL, base_url=server.base_url,
            llm_retries=0, offline=True,
        )  # fmt: skip
        bundles = record_samples(settings, tmp_path_factory.mktemp("agent-samples"))
    assert not guard.attempts, guard.attempts
    print(f"\nrecorded {len(bundles)} agent bundles in {time.monotonic() - started:.1f}s")
    return bundles


def test_every_sample_ran_the_agent_and_recorded_its_traffic(
    agent_bundles: dict[str, Path],
) -> None:
    assert len(agent_bundles) == len(CASES) >= 35
    for name, folder in agent_bundles.items():
        report = open_bundle(folder).report()
        assert report.run.engine == "agent", (name, report.run.fallback_reason)
        assert report.run.model == bench.MODEL
        # list_detections, search_playbooks, then the answer: one request each.
        assert report.run.tool_calls == 2, name
        assert len(read_lines(folder / LLM)) == report.run.llm_calls == 3, name


def test_every_agent_bundle_replays_identically_with_no_network(
    agent_bundles: dict[str, Path], replay_settings: Settings
) -> None:
    cache = DepsCache()
    changed = {}
    with socket_guard() as guard:  # the scripted server is gone: only the record answers
        for name, folder in agent_bundles.items():
            done = replay_bundle(open_bundle(folder), current=replay_settings, cache=cache)
            diff = diff_reports(done.recorded, done.replayed)
            if not diff.identical:
                changed[name] = [c.line() for c in diff.changes]
            assert done.replayed.run.engine == "agent", name
    assert not guard.attempts, guard.attempts
    assert not changed, changed


def test_eval_bundles_scores_every_agent_bundle(
    agent_bundles: dict[str, Path], replay_settings: Settings
) -> None:
    from triage.eval.bundles import score_bundles
    from triage.eval.labels import attack_renamer
    from triage.eval.metrics import scorecard

    root = next(iter(agent_bundles.values())).parent
    results = score_bundles([root], settings=replay_settings, rename=attack_renamer())
    card = scorecard(results)
    assert {r.label.case_id for r in results} == {c.name for c in CASES}
    assert card.totals.cases == card.totals.reports == len(CASES)
    assert card.totals.errors == 0
    assert card.totals.citation_validity == 1.0
    assert all(row.verify_ok for row in card.cases), [r.case for r in card.cases]
    assert card.totals.accuracy is not None and card.totals.brier is not None
