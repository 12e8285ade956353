"""`triage batch --ray`: a Ray head on 127.0.0.1 started by the test, two warm actors, the same
records as the local workers. Skipped when Ray (the `triage[ray]` extra) is not installed."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is the optional triage[ray] extra")

# Loopback only, no usage report, no dashboard: nothing leaves the machine.
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
START_TIMEOUT = 240


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ray start --head --block` in its own process group, stopped by killing that group
    (never `ray stop`, which would stop every Ray on the machine)."""
    port = _free_port()
    temp = tmp_path_factory.mktemp("ray")
    ray = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [str(ray), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
         "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
         "--disable-usage-stats", "--temp-dir", str(temp)],
        env={**os.environ, **RAY_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not list(temp.glob("session_*/logs/raylet.out")) or not _listening(port):
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the Ray head did not start")
            time.sleep(1)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _batch(args: list[str], *, home: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process: Ray reads RAY_* settings when it is first imported."""
    env = {**os.environ, **RAY_ENV, "TRIAGE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "triage", "batch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_batch_on_two_ray_actors_gives_every_record_in_order(
    ray_head: str, alerts: tuple[Path, int], triage_home: Path
) -> None:
    path, bad_line = alerts
    done = _batch([str(path), "--ray", ray_head, "--jobs", "2"], home=triage_home)
    code, out, err = done.returncode, done.stdout, done.stderr
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 3, err
    assert [r["index"] for r in records] == list(range(12))
    assert [r["item"] for r in records if "error" in r] == [f"alerts.jsonl:{bad_line}"]
    reports = [r["report"] for r in records if "report" in r]
    assert len(reports) == 11 and all(r["verdict"]["severity"] for r in reports)
    assert "12 items, 11 reports" in err


def test_an_unreachable_cluster_is_a_configuration_error(tmp_path: Path) -> None:
    alerts = tmp_path / "one.jsonl"
    alerts.write_text('{"title": "x", "severity": "low"}\n')
    done = _batch([str(alerts), "--ray", f"127.0.0.1:{_free_port()}"], home=tmp_path)
    assert done.returncode == 4 and done.stdout == ""
    assert "cannot join the Ray cluster" in done.stderr and "Traceback" not in done.stderr
