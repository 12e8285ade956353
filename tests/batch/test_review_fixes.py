"""Regression tests for reviewed batch bugs: output onto the input, a dead worker's exit code,
--timeout leaving the warm worker broken or overflowing, appending after a torn line, and
output that cannot be written."""

import json
import os
import subprocess
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_cli
from triage.batch.deadline import check_timeout
from triage.batch.items import BatchItem, read_items
from triage.batch.runner import BatchStopped, ProcessPoolBackend
from triage.batch.worker import BatchWorker, ItemOutcome, WorkerConfig
from triage.errors import UsageError
from triage.settings import load_settings

ALERTS = b'{"title": "first", "src_ip": "10.1.2.3"}\n{"title": "second"}\n'


@pytest.fixture
def alert_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(ALERTS)
    return path


@pytest.mark.usefixtures("cli_environment")
def test_output_onto_the_input_file_is_refused_and_the_input_kept(
    alert_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["batch", str(alert_file), "-o", str(alert_file)], capsys)
    assert code == 2 and "output is the input" in err
    assert alert_file.read_bytes() == ALERTS


@pytest.mark.usefixtures("cli_environment")
def test_output_onto_the_input_through_a_symlink_is_refused(
    alert_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link.jsonl"
    link.symlink_to(alert_file)
    for source, output in ((link, alert_file), (alert_file, link)):
        code, _, err = run_cli(["batch", str(source), "-o", str(output)], capsys)
        assert code == 2 and "output is the input" in err
    assert alert_file.read_bytes() == ALERTS


@pytest.mark.usefixtures("cli_environment")
def test_output_inside_the_input_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    code, _, err = run_cli(["batch", str(folder), "-o", str(folder / "out.jsonl")], capsys)
    assert code == 2 and "output is the input" in err
    assert not (folder / "out.jsonl").exists()


def test_a_dead_worker_process_stops_the_batch_as_an_internal_error() -> None:
    backend = ProcessPoolBackend.__new__(ProcessPoolBackend)  # no pool: only collect is used
    pending: Future[ItemOutcome] = Future()
    pending.set_exception(BrokenProcessPool("terminated abruptly"))
    with pytest.raises(BatchStopped) as raised:
        backend.collect(pending, BatchItem(index=0, label="x"))
    assert int(raised.value.exit_code) == 70 and "died" in str(raised.value)


@pytest.mark.parametrize("value", [float("inf"), 1e300, 7 * 86400 + 1.0, float("nan")])
def test_timeouts_no_timer_can_hold_are_usage_errors(value: float) -> None:
    with pytest.raises(UsageError):
        check_timeout(value)
    assert check_timeout(2.5) == 2.5 and check_timeout(None) is None


@pytest.mark.usefixtures("cli_environment")
@pytest.mark.parametrize("command", ["batch", "run"])
@pytest.mark.parametrize("value", ["inf", "1e300"])
def test_an_infinite_timeout_is_exit_2_on_the_cli(
    command: str, value: str, alert_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        str(alert_file) if command == "batch" else str(SAMPLES / "S01-phish-credential-harvest")
    )
    code, _, err = run_cli([command, source, "--timeout", value], capsys)
    assert code == 2 and "--timeout" in err and "Traceback" not in err


@pytest.fixture
def fresh_worker(triage_home: Path, tmp_path: Path) -> BatchWorker:
    env = {"TRIAGE_HOME": str(triage_home), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    settings = load_settings(env=env, cwd=tmp_path)
    return BatchWorker(WorkerConfig(settings=settings, timeout=30))


def test_the_worker_is_warm_before_its_first_item(fresh_worker: BatchWorker) -> None:
    from triage.enrich.ip import _load_geoip
    from triage.observables.normalise import suffix_extractor

    assert fresh_worker.deps is not None
    assert suffix_extractor.cache_info().currsize == 1
    assert _load_geoip.cache_info().currsize >= 1
    assert "numpy" in sys.modules  # imported whole, outside any alarm


def test_a_timed_out_item_leaves_the_worker_with_fresh_dependencies(
    fresh_worker: BatchWorker, alert_file: Path
) -> None:
    items = list(read_items(str(alert_file), fresh_worker.config.settings.limits))
    before = fresh_worker.deps
    fresh_worker.config = WorkerConfig(settings=fresh_worker.config.settings, timeout=1e-6)
    timed_out = fresh_worker.process(items[0])
    assert timed_out.exit_code == 3 and "timed out" in (timed_out.error or "")
    assert fresh_worker.deps is not None and fresh_worker.deps is not before
    fresh_worker.config = WorkerConfig(settings=fresh_worker.config.settings, timeout=30)
    assert fresh_worker.process(items[1]).ok


@pytest.mark.usefixtures("cli_environment")
def test_resume_appends_after_a_torn_last_line_on_a_line_of_its_own(
    alert_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    code, _, _ = run_cli(["batch", str(alert_file), "-q", "-o", str(out)], capsys)
    assert code == 0
    first, _second = out.read_text().splitlines()
    out.write_text(first + "\n" + '{"index": 1, "item": "in.jso')  # cut mid-record
    code, _, _ = run_cli(
        ["batch", str(alert_file), "-q", "--resume", str(out), "-o", str(out)], capsys
    )
    assert code == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and lines[1] == '{"index": 1, "item": "in.jso'
    assert json.loads(lines[0])["item"] == json.loads(lines[2])["item"].replace(":2", ":1")
    assert json.loads(lines[2])["item"].endswith(":2") and "report" in json.loads(lines[2])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.usefixtures("cli_environment")
@pytest.mark.parametrize("to_file", [True, False])
def test_an_output_that_cannot_be_written_is_one_line_and_exit_3(
    alert_file: Path, to_file: bool
) -> None:
    args = [sys.executable, "-m", "triage", "batch", str(alert_file), "-q"]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            args + (["-o", "/dev/full"] if to_file else []),
            stdout=subprocess.DEVNULL if to_file else full,
            stderr=subprocess.PIPE,
            env=os.environ,
            check=False,
        )
    err = done.stderr.decode()
    assert done.returncode == 3, err
    assert err.count("\n") == 1 and "cannot write" in err and "Traceback" not in err


@pytest.mark.usefixtures("cli_environment")
def test_a_reader_that_goes_away_is_a_quiet_exit_3(alert_file: Path) -> None:
    many = alert_file.parent / "many.jsonl"
    many.write_bytes(ALERTS * 20)
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None
    done = subprocess.run(
        [sys.executable, "-m", "triage", "batch", str(many), "-q"],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        env=os.environ,
        check=False,
    )
    reader.stdin.close()
    assert reader.stdout is not None and len(reader.stdout.read()) == 10
    assert reader.wait() == 0
    assert done.returncode == 3 and done.stderr == b""
