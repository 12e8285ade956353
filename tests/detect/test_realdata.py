"""Real incident data: does the detection layer (Sigma rules, vendor alerts, e-mail content
checks, as a run wires them) find the labelled techniques?

A case counts when at least one detection carries a labelled technique, parent or sub-technique
(T1003 matches T1003.001 and the reverse). E-mail-only cases have no host telemetry and are left
out; network-only (Zeek) cases are reported separately, not asserted.
"""

import tempfile
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.conftest import case_artifacts, realdata_cases, requires_realdata
from triage.detect import Detector
from triage.ingest import Limits, load_incident
from triage.models import Detection, Incident
from triage.models.base import severity_rank
from triage.settings import Settings
from triage.wiring import build_detector

pytestmark = [requires_realdata, pytest.mark.realdata]


@cache
def detector() -> Detector:
    return build_detector(Settings(home=Path(tempfile.mkdtemp(prefix="triage-realdata-"))))[0]


def expected_techniques(case: Path) -> set[str]:
    label = yaml.safe_load((case / "label.yaml").read_text(encoding="utf-8"))
    return set(label.get("expected_techniques") or ())


def load(case: Path) -> Incident:
    return load_incident([str(p) for p in case_artifacts(case)], Limits())


def same_technique(a: str, b: str) -> bool:
    return a == b or a.split(".")[0] == b.split(".")[0]


def hit(detections: list[Detection], expected: set[str]) -> bool:
    return any(same_technique(t, e) for d in detections for t in d.techniques for e in expected)


def kind(incident: Incident) -> str:
    sources = {record.source for record in incident.records}
    if sources and all(s.startswith("email.") for s in sources):
        return "email"
    if sources and all(s.startswith("zeek.") for s in sources):
        return "network"
    return "host"


def test_labelled_techniques_are_detected_in_most_host_and_cloud_cases() -> None:
    outcomes: dict[str, bool] = {}
    network: dict[str, bool] = {}
    for case in realdata_cases():
        expected = expected_techniques(case)
        if not expected:
            continue
        incident = load(case)
        detections = list(detector().detect(incident))
        kinds = {"host": outcomes, "network": network}
        if kind(incident) in kinds:
            kinds[kind(incident)][case.name] = hit(detections, expected)
    print(f"host/cloud technique hits: {outcomes}; network only: {network}")
    assert len(outcomes) >= 5
    # A floor under the measured 34 of 58 (the goal is 0.8; see the closing note of issue 7):
    # it fails when a change loses technique hits, not when the goal is still ahead.
    assert sum(outcomes.values()) / len(outcomes) >= 0.55


def test_benign_email_mostly_gets_nothing_above_low() -> None:
    quiet: dict[str, bool] = {}
    for case in realdata_cases():
        label = yaml.safe_load((case / "label.yaml").read_text(encoding="utf-8"))
        if label.get("expected_verdict") != "benign":
            continue
        detections = detector().detect(load(case))
        quiet[case.name] = all(severity_rank(d.level) <= severity_rank("low") for d in detections)
    print(f"benign cases with nothing above low: {quiet}")
    if quiet:
        # Measured 26 of 31; a floor, not the goal (every legitimate mail quiet).
        assert sum(quiet.values()) / len(quiet) >= 0.8


def test_every_detection_cites_records_of_the_incident() -> None:
    for case in realdata_cases()[:10]:
        incident = load(case)
        known = {(r.artifact_id, r.locator) for r in incident.records}
        for found in detector().detect(incident):
            assert found.records
            assert {(r.artifact_id, r.locator) for r in found.records} <= known
