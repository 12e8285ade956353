"""The shipped sample cases: well-formed labels, and every cited record resolves via the loaders."""

import base64
import binascii
import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SAMPLES, case_artifacts

LABEL_KEYS = [
    "id",
    "title",
    "classification",
    "severity",
    "techniques",
    "description",
    "key_evidence",
]
OPTIONAL_KEYS = ["playbook"]  # the playbook family the case should surface (S13 onwards)
CLASSIFICATIONS = {"true_positive", "benign_positive", "false_positive"}
SEVERITIES = {"informational", "low", "medium", "high", "critical"}
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
ENCODED_COMMAND = re.compile(r"-EncodedCommand\s+([A-Za-z0-9+/=]{16,})", re.IGNORECASE)
INTEL = SAMPLES / "intel"
PLAYBOOKS = SAMPLES.parent / "playbooks"

CASES = sorted(p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())


def _label(case: Path) -> dict[str, Any]:
    label = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(label, dict)
    return label


def _load(case: Path) -> Any:
    """Load a case folder with the real loaders; skip while those loaders are not in place."""
    from triage.ingest import Limits, load_incident

    try:
        return load_incident([str(case)], Limits())
    except ImportError as exc:
        pytest.skip(f"loaders not available yet: {exc}")


def test_there_are_enough_varied_cases() -> None:
    assert len(CASES) >= 24
    classifications = [_label(case)["classification"] for case in CASES]
    assert "true_positive" in classifications
    assert sum(c in {"benign_positive", "false_positive"} for c in classifications) >= 6


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_label_has_the_schema(case: Path) -> None:
    label = _label(case)
    assert list(label)[: len(LABEL_KEYS)] == LABEL_KEYS
    assert set(list(label)[len(LABEL_KEYS) :]) <= set(OPTIONAL_KEYS)
    if "playbook" in label:
        assert (PLAYBOOKS / f"{label['playbook']}.yaml").is_file(), label["playbook"]
    assert label["id"] == case.name
    assert label["classification"] in CLASSIFICATIONS
    assert label["severity"] in SEVERITIES
    assert all(TECHNIQUE_ID.match(technique) for technique in label["techniques"])
    if label["classification"] != "true_positive":
        assert label["techniques"] == []
    assert label["key_evidence"]
    artifact_names = {path.name for path in case_artifacts(case)}
    for entry in label["key_evidence"]:
        assert set(entry) == {"file", "locator", "contains"}
        assert entry["file"] in artifact_names
        assert entry["contains"]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_key_evidence_resolves_to_a_record(case: Path) -> None:
    incident = _load(case)
    ids_by_name = {Path(artifact.path).name: artifact.id for artifact in incident.artifacts}
    assert set(ids_by_name) == {path.name for path in case_artifacts(case)}
    for artifact in incident.artifacts:
        assert artifact.records > 0, f"{artifact.path} parsed to no records"
    for entry in _label(case)["key_evidence"]:
        artifact_id = ids_by_name[entry["file"]]
        matches = [
            record
            for record in incident.records
            if record.artifact_id == artifact_id and record.locator == entry["locator"]
        ]
        assert matches, f"{entry['file']} has no record at {entry['locator']}"
        assert any(entry["contains"] in record.raw for record in matches), (
            f"{entry['file']} {entry['locator']} does not contain {entry['contains']!r}"
        )


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_encoded_powershell_is_real_utf16_base64(case: Path) -> None:
    for path in case_artifacts(case):
        for token in ENCODED_COMMAND.findall(path.read_text(encoding="utf-8", errors="replace")):
            try:
                script = base64.b64decode(token, validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError) as exc:
                pytest.fail(f"{path.name}: -EncodedCommand is not UTF-16LE base64: {exc}")
            assert script.isprintable()


def _readme_playbooks() -> dict[str, str]:
    """Case id → playbook from the table in samples/README.md (its last column)."""
    rows = {}
    for line in (SAMPLES / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| S") and len(cells) >= 5:
            rows[cells[0]] = cells[-1]
    return rows


def test_every_playbook_family_has_a_case() -> None:
    listed = _readme_playbooks()
    assert set(listed) == {case.name for case in CASES}, "every case has one README row"
    for case in CASES:
        label = _label(case)
        if "playbook" in label:
            assert listed[case.name] == label["playbook"], case.name
    families = {path.stem for path in PLAYBOOKS.glob("*.yaml")}
    assert families, "no playbooks found"
    assert set(listed.values()) <= families
    assert not families - set(listed.values()), "playbook families without a sample case"


def _case_text() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for case in CASES
        for path in case_artifacts(case)
    )


def test_intel_pack_parses_and_overlaps_the_cases() -> None:
    with (INTEL / "feed.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert list(rows[0]) == ["indicator", "type", "label", "source", "confidence", "first_seen"]
    assert all(0 <= int(row["confidence"]) <= 100 for row in rows)

    listed = [
        line.strip()
        for line in (INTEL / "blocklist.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    bundle = json.loads((INTEL / "stix-bundle.json").read_text(encoding="utf-8"))
    patterns = [obj["pattern"] for obj in bundle["objects"] if obj["type"] == "indicator"]
    assert bundle["type"] == "bundle" and patterns
    assert all(re.fullmatch(r"\[[a-z0-9-]+:[^=]+ = '[^']+'\]", pattern) for pattern in patterns)
    event = json.loads((INTEL / "misp-event.json").read_text(encoding="utf-8"))
    attributes = event["Event"]["Attribute"]
    assert attributes and all(attribute["value"] for attribute in attributes)

    corpus = _case_text()
    indicators = {row["indicator"] for row in rows} | set(listed)
    indicators |= {pattern.split("'")[-2] for pattern in patterns}
    indicators |= {attribute["value"] for attribute in attributes}
    found = {indicator for indicator in indicators if indicator in corpus}
    assert found, "no intel indicator appears in any sample case"
    assert found != indicators, "every indicator matches: the pack should include unrelated ones"
