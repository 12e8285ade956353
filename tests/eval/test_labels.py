"""Reading sample and real-data labels into one model; technique ids resolved through ATT&CK."""

from pathlib import Path

import pytest

from tests.conftest import SAMPLES, realdata_cases, requires_realdata
from triage.errors import InputError
from triage.eval.labels import attack_renamer, find_cases, format_family, read_label


def write_case(folder: Path, label: str, *, name: str = "label.yaml") -> Path:
    folder.mkdir(parents=True)
    (folder / name).write_text(label, encoding="utf-8")
    (folder / "artifact.json").write_text("{}", encoding="utf-8")
    return folder


def test_sample_label() -> None:
    label = read_label(SAMPLES / "S09-lsass-minidump-comsvcs")
    assert label.kind == "sample" and label.format == "sample"
    assert label.truth == "malicious" and label.classification == "true_positive"
    assert label.severity == "critical"
    assert "T1003.001" in label.techniques
    assert [p.name for p in label.artifacts] and all(
        p.name != "expected.yaml" for p in label.artifacts
    )


def test_benign_sample_label() -> None:
    label = read_label(SAMPLES / "S10-benign-vendor-newsletter")
    assert label.truth == "benign" and label.classification == "false_positive"
    assert label.techniques == ()


def test_realdata_label_parent_ids_revoked_ids_and_compound(tmp_path: Path) -> None:
    case = write_case(
        tmp_path / "DEV-X",
        "id: DEV-X\n"
        "source: {paths: [datasets/compound/LSASS_campaign_02/x.zip]}\n"
        "format: 'json-lines (OTRF/Mordor flattened Windows events)'\n"
        "expected_verdict: malicious\n"
        "expected_severity: null\n"
        "expected_techniques: [T1098.xxx, T1086, T1003.001]\n"
        "tactic: [TA0006 Credential Access]\n",
    )
    label = read_label(case, rename=attack_renamer())
    assert label.kind == "realdata" and label.format == "json-lines"
    assert label.truth == "malicious" and label.severity is None
    assert label.published_techniques == ("T1098", "T1086", "T1003.001")
    assert label.techniques == ("T1098", "T1059.001", "T1003.001")  # T1086 was revoked
    assert label.compound
    assert [p.name for p in label.artifacts] == ["artifact.json"]


def test_bad_verdict_is_an_input_error(tmp_path: Path) -> None:
    case = write_case(tmp_path / "bad", "expected_verdict: maybe\n")
    with pytest.raises(InputError, match="expected_verdict"):
        read_label(case)


def test_find_cases_accepts_a_case_or_a_folder_of_cases(tmp_path: Path) -> None:
    shipped = len([p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file()])
    assert shipped >= 24
    assert len(find_cases([SAMPLES])) == shipped
    one = find_cases([SAMPLES / "S01-phish-credential-harvest", SAMPLES])
    assert len(one) == shipped  # named twice, read once
    with pytest.raises(InputError, match="no labelled case"):
        find_cases([tmp_path])


def test_format_family() -> None:
    assert format_family("multi: json-lines (Sentinel) + pcap") == "multi"
    assert format_family("web access log (Tomcat)") == "web access log"
    assert format_family("eml") == "eml"


@requires_realdata
def test_every_realdata_label_reads() -> None:
    labels = [read_label(case) for case in realdata_cases()]
    assert labels and all(label.truth in ("malicious", "benign") for label in labels)
    assert any(label.compound for label in labels)
