"""Every shipped sample and every real-data case end to end: a schema-valid report whose every
citation `triage verify` can resolve, and EVTX record counts equal to the labels'."""

from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import SAMPLES, case_artifacts, realdata_cases
from triage.ingest import Limits, load_incident
from triage.models import TriageReport
from triage.pipeline import TriageDeps, triage_incident
from triage.settings import Settings
from triage.verify import verify_report
from triage.wiring import build_deps

SCHEMA = TriageReport.model_json_schema()
SAMPLE_CASES = sorted(p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())


@pytest.fixture(scope="module")
def settings(triage_home: Path) -> Settings:
    return Settings(home=triage_home, offline=True)


@pytest.fixture(scope="module")
def deps(settings: Settings) -> TriageDeps:
    return build_deps(settings)


def triage_case(case: Path, deps: TriageDeps, settings: Settings) -> TriageReport:
    incident = load_incident([str(p) for p in case_artifacts(case)], settings.limits)
    report = triage_incident(incident, deps=deps, settings=settings)
    jsonschema.validate(report.model_dump(mode="json"), SCHEMA)
    result = verify_report(report, base=Path.cwd(), limits=Limits())
    assert result.ok, result.mismatches[:5]
    # An empty or unreadable capture leaves nothing but playbook text to cite.
    assert result.checked > 0 or all(e.kind == "playbook" for e in report.evidence)
    return report


# Samples triage is known to get wrong, and why; strict, so that a fix is noticed.
KNOWN_MISSES = {
    "S24-benign-greenbone-scan-nginx": "an authorised scanner's traffic looks like the attack it "
    "imitates; the scan schedule that explains it is not read",
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(reason=KNOWN_MISSES[c.name], strict=True))
        if c.name in KNOWN_MISSES
        else c
        for c in SAMPLE_CASES
    ],
    ids=lambda p: p.name,
)
def test_sample(case: Path, deps: TriageDeps, settings: Settings) -> None:
    report = triage_case(case, deps, settings)
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    if expected["classification"] == "true_positive":
        assert report.verdict.classification != "benign_positive"
        assert report.findings, "a malicious sample must give at least one cited finding"
    else:
        assert report.verdict.classification != "true_positive"


@pytest.mark.parametrize("case", realdata_cases(), ids=lambda p: p.name)
def test_realdata_case(case: Path, deps: TriageDeps, settings: Settings) -> None:
    report = triage_case(case, deps, settings)
    label = yaml.safe_load((case / "label.yaml").read_text())
    by_name = {Path(a.path).name: a for a in report.artifacts}
    for artifact in label["artifacts"]:
        if "evtx_records" in artifact:
            assert by_name[artifact["file"]].records == artifact["evtx_records"]
