"""Offline means offline: no connection leaves the machine during run, enrich and index."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES, case_artifacts, realdata_cases
from triage.cli import main
from triage.ingest import load_incident
from triage.pipeline import triage_incident
from triage.settings import Settings
from triage.wiring import build_deps


def test_run_makes_no_network_connection(triage_home: Path, no_network: list[Any]) -> None:
    settings = Settings(home=triage_home, offline=True)
    deps = build_deps(settings)
    cases = sorted(p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())
    cases += realdata_cases()
    for case in cases:
        incident = load_incident([str(p) for p in case_artifacts(case)], settings.limits)
        report = triage_incident(incident, deps=deps, settings=settings)
        assert report.artifacts
    assert no_network == []


@pytest.mark.parametrize(
    "value", ["203.0.113.7", "hxxps://login.micros0ft-online[.]com/a", "evil.example.com"]
)
def test_enrich_makes_no_network_connection(
    value: str,
    triage_home: Path,
    no_network: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_HOME", str(triage_home))
    # Keys configured, yet --offline must keep the online providers from calling out.
    monkeypatch.setenv("TRIAGE_VT_API_KEY", "test-key")
    monkeypatch.setenv("TRIAGE_ABUSEIPDB_API_KEY", "test-key")
    assert main(["enrich", value, "--offline", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    online = {r["provider"]: r["status"] for r in results if r["provider"] == "virustotal"}
    assert online == {"virustotal": "skipped"}
    assert no_network == []


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="no network namespaces here (unshare -n)")
def test_index_builds_in_a_network_namespace_without_network(tmp_path: Path) -> None:
    env = {**os.environ, "TRIAGE_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "triage", "index", "--rebuild"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "indexed" in done.stdout and "0 embedded" not in done.stdout
