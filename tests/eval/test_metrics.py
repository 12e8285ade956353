"""Scorecard metrics on small hand-built results, including the degenerate sets."""

from pathlib import Path

import pytest

from triage.errors import UsageError
from triage.eval.gates import failed_gates, parse_gate
from triage.eval.labels import CaseLabel
from triage.eval.metrics import CaseResult, percentile, scorecard, totals


def label(
    case_id: str,
    truth: str | None,
    *,
    kind: str = "realdata",
    classification: str | None = None,
    severity: str | None = None,
    techniques: tuple[str, ...] = (),
    compound: bool = False,
) -> CaseLabel:
    return CaseLabel.model_validate(
        {
            "case_id": case_id,
            "folder": Path(case_id),
            "kind": kind,
            "format": "sample" if kind == "sample" else "evtx",
            "truth": truth,
            "classification": classification,
            "severity": severity,
            "published_techniques": techniques,
            "techniques": techniques,
            "compound": compound,
        }
    )


def result(case: CaseLabel, got: str | None, **fields: object) -> CaseResult:
    values: dict[str, object] = {"label": case, "seconds": 1.0, "classification": got}
    if got is not None:
        values |= {"confidence": 0.8, "verify_ok": True, "severity": "high"}
    return CaseResult.model_validate(values | fields)


def test_classification_metrics() -> None:
    results = [
        result(label("m1", "malicious"), "true_positive"),
        result(label("m2", "malicious"), "undetermined"),
        result(label("m3", "malicious"), "benign_positive"),
        result(label("b1", "benign"), "false_positive"),
        result(label("b2", "benign"), "true_positive"),
    ]
    t = totals(results)
    assert t.accuracy == pytest.approx(2 / 5)
    assert t.malicious_recall == pytest.approx(1 / 3)
    assert t.benign_specificity == pytest.approx(1 / 2)
    # malicious: tp 1, fp 1, fn 2 → 2/5; benign: tp 1, fp 1, fn 1 → 1/2
    assert t.f1_malicious == pytest.approx(0.4)
    assert t.f1_benign == pytest.approx(0.5)
    assert t.macro_f1 == pytest.approx(0.45)
    assert t.undetermined_rate == pytest.approx(0.2)


def test_samples_need_the_exact_classification_and_severity_is_scored() -> None:
    bp = label("s1", "benign", kind="sample", classification="benign_positive", severity="low")
    tp = label("s2", "malicious", kind="sample", classification="true_positive", severity="high")
    results = [
        result(bp, "false_positive", severity="informational"),
        result(tp, "true_positive", severity="critical"),
    ]
    t = totals(results)
    assert t.accuracy == 0.5  # false_positive for a benign_positive label is wrong
    assert t.benign_specificity == 1.0  # but it is still kept benign
    assert t.severity_cases == 2
    assert t.severity_exact == 0.0
    assert t.severity_within_one == 1.0


def test_realdata_is_not_scored_on_severity() -> None:
    t = totals([result(label("r", "malicious"), "true_positive")])
    assert t.severity_cases == 0 and t.severity_exact is None


def test_no_benign_cases() -> None:
    t = totals([result(label("m", "malicious"), "true_positive")])
    assert t.benign_cases == 0 and t.benign_specificity is None
    assert t.f1_benign is None and t.f1_malicious == 1.0 and t.macro_f1 == 1.0


def test_no_technique_labels() -> None:
    t = totals([result(label("m", "malicious"), "true_positive", techniques=("T1059.001",))])
    assert t.technique_cases == 0
    assert t.technique_precision is None and t.technique_recall is None
    assert t.technique_hit_rate is None


def test_all_undetermined() -> None:
    results = [
        result(label("m", "malicious"), "undetermined", confidence=0.3),
        result(label("b", "benign"), "undetermined", confidence=0.9),
    ]
    t = totals(results)
    assert t.accuracy == 0.0 and t.malicious_recall == 0.0 and t.benign_specificity == 0.0
    assert t.f1_malicious == 0.0 and t.f1_benign == 0.0 and t.macro_f1 == 0.0
    assert t.undetermined_rate == 1.0
    assert t.brier == pytest.approx(0.25)  # p = 0.5 for both
    assert t.ece == pytest.approx(0.0)


def test_technique_scores_exact_and_parent() -> None:
    case = label("m", "malicious", techniques=("T1003.001", "T1059.001"))
    r = result(case, "true_positive", techniques=("T1003", "T1059.001", "T1105"))
    t = totals([r])
    assert t.technique_precision == pytest.approx(1 / 3)
    assert t.technique_recall == pytest.approx(1 / 2)
    assert t.technique_parent_precision == pytest.approx(2 / 3)
    assert t.technique_parent_recall == pytest.approx(1.0)
    assert t.technique_hit_rate == 1.0


def test_compound_campaign_counts_one_hit() -> None:
    campaign = label("c", "malicious", techniques=("T1105", "T1003.001", "T1082"), compound=True)
    t = totals([result(campaign, "true_positive", techniques=("T1105",))])
    assert t.technique_recall == 1.0 and t.technique_precision == 1.0
    missed = totals([result(campaign, "true_positive", techniques=("T1046",))])
    assert missed.technique_recall == 0.0 and missed.technique_hit_rate == 0.0


def test_calibration_uses_the_probability_else_derives_it() -> None:
    results = [
        result(label("m", "malicious"), "true_positive", malicious_probability=0.95),
        result(label("b", "benign"), "benign_positive", confidence=0.8),  # p = 0.2
    ]
    card = scorecard(results)
    assert card.totals.brier == pytest.approx((0.05**2 + 0.2**2) / 2)
    assert card.totals.ece == pytest.approx((0.05 + 0.2) / 2)
    counts = {b.bin: b.count for b in card.reliability}
    assert len(card.reliability) == 10 and counts[9] == 1 and counts[2] == 1
    assert [row.p_malicious for row in card.cases] == [0.95, pytest.approx(0.2)]


def test_an_error_is_a_scored_failure() -> None:
    results = [
        result(label("m", "malicious"), "true_positive", techniques=()),
        result(label("e", "malicious", techniques=("T1003",)), None, error="bad file"),
    ]
    card = scorecard(results)
    assert card.totals.errors == 1 and card.totals.reports == 1
    assert card.totals.accuracy == 0.5 and card.totals.malicious_recall == 0.5
    assert card.totals.citation_validity == 1.0  # of the reports produced
    assert card.totals.calibration_cases == 1
    assert card.cases[1].got == "error" and card.cases[1].error == "bad file"
    assert card.totals.technique_recall == 0.0


def test_latency_percentiles() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([], 0.5) is None
    t = totals([result(label(str(i), "malicious"), "true_positive", seconds=i) for i in (1, 2, 9)])
    assert (t.latency_p50, t.latency_max) == (2.0, 9.0)


def test_by_format_rows() -> None:
    card = scorecard(
        [
            result(label("m", "malicious"), "true_positive"),
            result(
                label("s", "benign", kind="sample", classification="false_positive"),
                "true_positive",
            ),
        ]
    )
    assert set(card.by_format) == {"evtx", "sample"}
    assert card.by_format["sample"].accuracy == 0.0


def test_gates() -> None:
    t = totals([result(label("m", "malicious"), "true_positive")])
    passing, failing = parse_gate("malicious_recall>=0.9"), parse_gate("brier <= 0.0001")
    assert failed_gates([passing], t) == []
    assert failed_gates([failing], t) == ["brier<=0.0001 (got 0.04)"]
    assert failed_gates([parse_gate("benign_specificity>=0.5")], t) == [
        "benign_specificity>=0.5 (got undefined)"
    ]
    with pytest.raises(UsageError, match="unknown metric"):
        parse_gate("recall>=1")
    with pytest.raises(UsageError, match="METRIC>=X"):
        parse_gate("brier=0.1")
