"""A warm worker triages item after item for real: reports, error records, timeouts, --fail-on."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from triage.batch.items import BatchItem, read_items
from triage.batch.memo import RememberedPlaybookSearch
from triage.batch.worker import BatchWorker, WorkerConfig
from triage.failon import parse_fail_on
from triage.models import TriageReport
from triage.settings import load_settings

PHISH = SAMPLES / "S01-phish-credential-harvest"


@pytest.fixture(scope="module")
def worker(triage_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchWorker]:
    env = {"TRIAGE_HOME": str(triage_home), "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("c"))}
    settings = load_settings(env=env, cwd=tmp_path_factory.mktemp("cwd"))
    config = WorkerConfig(settings=settings, conditions=parse_fail_on("severity>=high"))
    yield BatchWorker(config)


def test_each_alert_line_becomes_a_valid_report(
    worker: BatchWorker, alerts: tuple[Path, int]
) -> None:
    path, bad_line = alerts
    outcomes = [
        worker.process(item) for item in read_items(str(path), worker.config.settings.limits)
    ]
    good = [o for o in outcomes if o.ok]
    assert len(good) == len(outcomes) - 1
    for outcome in good:
        record = json.loads(outcome.record())
        report = TriageReport.model_validate(record["report"])
        assert report.artifacts[0].path == f"<{outcome.item}>"
        assert report.detections, "the alert's own title should be a vendor detection"
        high = report.verdict.severity in {"high", "critical"}
        assert (outcome.exit_code == 1) is high and bool(outcome.fail_on) is high
    (bad,) = [o for o in outcomes if not o.ok]
    assert bad.item.endswith(f":{bad_line}") and bad.exit_code == 3
    assert "not valid JSON" in (bad.error or "")


@pytest.mark.parametrize(
    ("alert", "problem"),
    [(b"[1, 2]", "not a JSON object"), (b"[" * 100_000, "not valid JSON")],
)
def test_alerts_that_are_not_json_objects_are_input_errors(
    worker: BatchWorker, alert: bytes, problem: str
) -> None:
    outcome = worker.process(BatchItem(index=4, label="x.jsonl:5", alert=alert))
    assert (outcome.ok, outcome.exit_code, outcome.index) == (False, 3, 4)
    assert problem in (outcome.error or "")


def test_an_item_that_could_not_be_read_gets_its_problem_as_the_error(worker: BatchWorker) -> None:
    outcome = worker.process(BatchItem(index=0, label="x.jsonl:1", problem="line over the cap"))
    assert outcome.error == "x.jsonl:1: line over the cap" and outcome.exit_code == 3


def test_a_case_folder_is_triaged_like_triage_run(worker: BatchWorker, tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(PHISH, case)
    outcome = worker.process(BatchItem(index=0, label=str(case), case_dir=case))
    report = json.loads(outcome.record())["report"]
    assert report["artifacts"][0]["format"] == "eml"
    assert not any(a["path"].endswith(".yaml") for a in report["artifacts"])  # labels skipped


def test_an_item_over_the_timeout_is_a_clean_input_error(
    worker: BatchWorker, alerts: tuple[Path, int]
) -> None:
    item = next(read_items(str(alerts[0]), worker.config.settings.limits))
    slow = BatchWorker.__new__(BatchWorker)  # the same warm dependencies, a tiny time limit
    slow.config = WorkerConfig(settings=worker.config.settings, timeout=1e-6)
    slow.deps, slow.setup_error = worker.deps, None
    outcome = slow.process(item)
    assert outcome.exit_code == 3 and "timed out" in (outcome.error or "")
    assert worker.process(item).ok  # the worker is still good afterwards


def test_an_unexpected_exception_is_an_internal_error_record(
    worker: BatchWorker, monkeypatch: pytest.MonkeyPatch, alerts: tuple[Path, int]
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("triage.pipeline.triage_incident", broken)
    item = next(read_items(str(alerts[0]), worker.config.settings.limits))
    outcome = worker.process(item)
    assert outcome.exit_code == 70 and outcome.error == "internal error: KeyError: 'a bug'"


def test_a_worker_with_a_bad_configuration_answers_fatally(tmp_path: Path) -> None:
    settings = load_settings(env={"TRIAGE_HOME": str(tmp_path)}, cwd=tmp_path)
    broken = WorkerConfig(settings=settings.with_overrides(rules_dirs=(tmp_path / "none",)))
    outcome = BatchWorker(broken).process(BatchItem(index=0, label="a", alert=b"{}"))
    assert (
        outcome.fatal
        and outcome.exit_code == 4
        and "rule folder not found" in (outcome.error or "")
    )


def test_playbook_answers_are_remembered_per_worker(worker: BatchWorker) -> None:
    search = worker.deps.playbooks if worker.deps else None
    assert isinstance(search, RememberedPlaybookSearch)
    before = search.hits
    first = search.search("suspicious powershell", techniques=["T1059.001"])
    again = search.search("suspicious powershell", techniques=["T1059.001"])
    assert again == first and search.hits == before + 1
    other = search.search("phishing email link", techniques=["T1566.002"])
    assert search.hits == before + 1 and other != first
