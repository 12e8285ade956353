"""The semantic diff: run noise ignored, each kind of change named, renumbering not a change."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from triage.models import TriageReport
from triage.replay.diff import diff_reports

CASE = "S12-schtask-powershell-persistence"


@pytest.fixture
def report(sample_bundles: dict[str, Path]) -> TriageReport:
    return TriageReport.model_validate_json((sample_bundles[CASE] / "report.json").read_bytes())


def _lines(a: TriageReport, b: TriageReport) -> list[str]:
    return [c.line() for c in diff_reports(a, b).changes]


def test_run_noise_is_not_a_change(report: TriageReport) -> None:
    noisy = report.model_copy(
        update={
            "report_id": "TR-0000000000000000",
            "generated_at": datetime(2030, 1, 1, tzinfo=UTC),
            "run": report.run.model_copy(update={"duration_ms": report.run.duration_ms + 999}),
        }
    )
    assert diff_reports(report, noisy).identical
    # Any other run field is a change.
    slower = report.model_copy(update={"run": report.run.model_copy(update={"llm_calls": 3})})
    assert _lines(report, slower) == ["~ run: llm_calls: 0 → 3"]


def test_verdict_and_technique_changes_are_named(report: TriageReport) -> None:
    assert report.verdict.severity != "low" and report.techniques
    verdict = report.verdict.model_copy(update={"severity": "low"})
    dropped = report.techniques[0]
    changed = report.model_copy(update={"verdict": verdict, "techniques": report.techniques[1:]})
    lines = _lines(report, changed)
    assert lines == [
        f"~ verdict: severity: {report.verdict.severity} → low",
        f"- techniques: {dropped.id} {dropped.name}",
    ]


def test_renumbered_evidence_is_not_a_semantic_change(report: TriageReport) -> None:
    text = report.model_dump_json()
    assert '"E1"' in text and '"E2"' in text
    swapped = text.replace('"E1"', '"EX"').replace('"E2"', '"E1"').replace('"EX"', '"E2"')
    renumbered = TriageReport.model_validate(json.loads(swapped))
    assert _lines(report, renumbered) == ["~ evidence: numbering or order only"]


def test_a_changed_citation_is_a_change(report: TriageReport) -> None:
    finding = report.findings[0]
    other = next(e.id for e in report.evidence if e.id not in finding.evidence_ids)
    moved = finding.model_copy(update={"evidence_ids": (other,)})
    changed = report.model_copy(update={"findings": (moved, *report.findings[1:])})
    lines = _lines(report, changed)
    assert len(lines) == 1 and lines[0].startswith(f"~ findings: {finding.statement[:40]}")
