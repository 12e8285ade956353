"""Scorecard metrics: pure functions from case results to per-case rows and totals.

Every rate is a share in 0..1, or None when nothing is there to measure (no benign cases, no
technique labels, …). docs/eval.md defines each metric and the JSON keys.
"""

import math
from collections.abc import Callable, Sequence

from triage.eval.labels import BENIGN, MALICIOUS, CaseLabel, Truth, parent_id
from triage.models.base import Frozen, Severity, severity_rank
from triage.models.report import Classification

BINS = 10


class CaseResult(Frozen):
    """What triage said about one labelled case, or why it could not say anything."""

    label: CaseLabel
    seconds: float
    error: str | None = None
    classification: Classification | None = None
    severity: Severity | None = None
    confidence: float | None = None
    malicious_probability: float | None = None
    needs_human: bool = False
    techniques: tuple[str, ...] = ()
    verify_ok: bool | None = None
    bad_citations: int = 0


class CaseRow(Frozen):
    case: str
    path: str
    format: str
    truth: Truth | None
    expected: str | None
    got: str
    correct: bool
    error: str | None
    severity_expected: Severity | None
    severity_got: Severity | None
    p_malicious: float | None
    needs_human: bool | None
    techniques_expected: tuple[str, ...]
    techniques_got: tuple[str, ...]
    technique_hit: bool | None
    verify_ok: bool | None
    bad_citations: int
    seconds: float


class Totals(Frozen):
    """The metrics of a set of cases; the field names are the JSON keys and the gate names."""

    cases: int
    reports: int
    errors: int
    accuracy: float | None
    malicious_cases: int
    benign_cases: int
    malicious_recall: float | None
    benign_specificity: float | None
    f1_malicious: float | None
    f1_benign: float | None
    macro_f1: float | None
    severity_cases: int
    severity_exact: float | None
    severity_within_one: float | None
    technique_cases: int
    technique_precision: float | None
    technique_recall: float | None
    technique_f1: float | None
    technique_parent_precision: float | None
    technique_parent_recall: float | None
    technique_parent_f1: float | None
    technique_hit_rate: float | None
    citation_validity: float | None
    bad_citations: int
    calibration_cases: int
    brier: float | None
    ece: float | None
    undetermined_rate: float | None
    needs_human_rate: float | None
    latency_p50: float | None
    latency_p95: float | None
    latency_max: float | None


class ReliabilityBin(Frozen):
    bin: int
    low: float
    high: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None


class Scorecard(Frozen):
    cases: tuple[CaseRow, ...]
    totals: Totals
    by_format: dict[str, Totals]
    reliability: tuple[ReliabilityBin, ...]


METRICS: tuple[str, ...] = tuple(Totals.model_fields)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def predicted_class(classification: str | None) -> Truth | None:
    if classification in MALICIOUS:
        return "malicious"
    if classification in BENIGN:
        return "benign"
    return None


def is_correct(result: CaseResult) -> bool:
    """Samples name the exact classification; real data only malicious or benign."""
    if result.error is not None or result.classification is None:
        return False
    if result.label.kind == "sample" and result.label.classification is not None:
        return result.classification == result.label.classification
    return predicted_class(result.classification) == result.label.truth


def p_malicious(result: CaseResult) -> float | None:
    """The scoring model's probability; else derived from the classification and confidence."""
    if result.error is not None or result.classification is None:
        return None
    if result.malicious_probability is not None:
        return result.malicious_probability
    confidence = 0.5 if result.confidence is None else result.confidence
    side = predicted_class(result.classification)
    if side == "malicious":
        return confidence
    if side == "benign":
        return 1 - confidence
    return 0.5


def _f1(true_pos: int, false_pos: int, false_neg: int) -> float | None:
    denominator = 2 * true_pos + false_pos + false_neg
    return 2 * true_pos / denominator if denominator else None


def class_f1(results: Sequence[CaseResult], cls: Truth) -> float | None:
    """F1 of one class; undetermined and errors are misses of the truth class, no false alarm."""
    tp = sum(
        1 for r in results if r.label.truth == cls and predicted_class(r.classification) == cls
    )
    fp = sum(
        1
        for r in results
        if r.label.truth is not None
        and r.label.truth != cls
        and predicted_class(r.classification) == cls
    )
    fn = sum(
        1 for r in results if r.label.truth == cls and predicted_class(r.classification) != cls
    )
    return _f1(tp, fp, fn)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def technique_counts(
    result: CaseResult, *, level: Callable[[str], str] = str
) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of one case's technique ids.

    A compound campaign's list is the whole campaign's: it is one expected item, hit when any
    listed technique is named, and naming a listed one is never a false positive."""
    expected = {level(t) for t in result.label.techniques}
    got = {level(t) for t in result.techniques}
    hits = expected & got
    false_pos = len(got - expected)
    if result.label.compound:
        return (1, false_pos, 0) if hits else (0, false_pos, 1)
    return len(hits), false_pos, len(expected - got)


def technique_hit(result: CaseResult) -> bool | None:
    """At least one labelled technique named, compared at parent level; None without labels."""
    if not result.label.techniques:
        return None
    expected = {parent_id(t) for t in result.label.techniques}
    return bool(expected & {parent_id(t) for t in result.techniques})


def _technique_scores(
    results: Sequence[CaseResult], level: Callable[[str], str]
) -> tuple[float | None, float | None, float | None]:
    counts = [technique_counts(r, level=level) for r in results]
    tp, fp, fn = (sum(c[i] for c in counts) for i in range(3))
    return share(tp, tp + fp), share(tp, tp + fn), _f1(tp, fp, fn)


def _bin(p: float, bins: int) -> int:
    # 1 - 0.8 is 0.19999…: a hair of tolerance keeps a probability on a bin edge in that bin.
    return min(int(p * bins + 1e-9), bins - 1)


def reliability(results: Sequence[CaseResult], bins: int = BINS) -> tuple[ReliabilityBin, ...]:
    """Equal-width bins of p(malicious) over the cases with a truth and a prediction."""
    scored = [
        (p, r.label.truth == "malicious")
        for r in results
        if (p := p_malicious(r)) is not None and r.label.truth
    ]
    rows = []
    for index in range(bins):
        inside = [(p, y) for p, y in scored if _bin(p, bins) == index]
        rows.append(
            ReliabilityBin(
                bin=index,
                low=index / bins,
                high=(index + 1) / bins,
                count=len(inside),
                mean_predicted=_mean([p for p, _ in inside]),
                observed_rate=_mean([float(y) for _, y in inside]),
            )
        )
    return tuple(rows)


def _calibration(results: Sequence[CaseResult]) -> tuple[int, float | None, float | None]:
    scored = [
        (p, 1.0 if r.label.truth == "malicious" else 0.0)
        for r in results
        if (p := p_malicious(r)) is not None and r.label.truth is not None
    ]
    if not scored:
        return 0, None, None
    brier = sum((p - y) ** 2 for p, y in scored) / len(scored)
    ece = sum(
        b.count / len(scored) * abs((b.mean_predicted or 0.0) - (b.observed_rate or 0.0))
        for b in reliability(results)
        if b.count
    )
    return len(scored), brier, ece


def _severity(results: Sequence[CaseResult]) -> tuple[int, float | None, float | None]:
    labelled = [r for r in results if r.label.kind == "sample" and r.label.severity is not None]
    exact = within = 0
    for r in labelled:
        if r.severity is None or r.label.severity is None:
            continue
        gap = abs(severity_rank(r.severity) - severity_rank(r.label.severity))
        exact += gap == 0
        within += gap <= 1
    return len(labelled), share(exact, len(labelled)), share(within, len(labelled))


def totals(results: Sequence[CaseResult]) -> Totals:
    reports = [r for r in results if r.error is None]
    malicious = [r for r in results if r.label.truth == "malicious"]
    benign = [r for r in results if r.label.truth == "benign"]
    f1_mal, f1_ben = class_f1(results, "malicious"), class_f1(results, "benign")
    severity_cases, severity_exact, severity_within = _severity(results)
    with_techniques = [r for r in results if r.label.techniques]
    precision, recall, f1 = _technique_scores(with_techniques, str)
    parent_p, parent_r, parent_f1 = _technique_scores(with_techniques, parent_id)
    calibration_cases, brier, ece = _calibration(results)
    seconds = [r.seconds for r in results]
    return Totals(
        cases=len(results),
        reports=len(reports),
        errors=len(results) - len(reports),
        accuracy=share(sum(is_correct(r) for r in results), len(results)),
        malicious_cases=len(malicious),
        benign_cases=len(benign),
        malicious_recall=share(
            sum(r.classification in MALICIOUS for r in malicious), len(malicious)
        ),
        benign_specificity=share(sum(r.classification in BENIGN for r in benign), len(benign)),
        f1_malicious=f1_mal,
        f1_benign=f1_ben,
        macro_f1=_mean([f1_mal, f1_ben]),
        severity_cases=severity_cases,
        severity_exact=severity_exact,
        severity_within_one=severity_within,
        technique_cases=len(with_techniques),
        technique_precision=precision,
        technique_recall=recall,
        technique_f1=f1,
        technique_parent_precision=parent_p,
        technique_parent_recall=parent_r,
        technique_parent_f1=parent_f1,
        technique_hit_rate=share(
            sum(bool(technique_hit(r)) for r in with_techniques), len(with_techniques)
        ),
        citation_validity=share(sum(bool(r.verify_ok) for r in reports), len(reports)),
        bad_citations=sum(r.bad_citations for r in results),
        calibration_cases=calibration_cases,
        brier=brier,
        ece=ece,
        undetermined_rate=share(
            sum(r.classification == "undetermined" for r in reports), len(reports)
        ),
        needs_human_rate=share(sum(r.needs_human for r in reports), len(reports)),
        latency_p50=percentile(seconds, 0.5),
        latency_p95=percentile(seconds, 0.95),
        latency_max=max(seconds) if seconds else None,
    )


def case_row(result: CaseResult) -> CaseRow:
    label = result.label
    return CaseRow(
        case=label.case_id,
        path=str(label.folder),
        format=label.format,
        truth=label.truth,
        expected=label.classification or label.truth,
        got="error" if result.error is not None else (result.classification or "error"),
        correct=is_correct(result),
        error=result.error,
        severity_expected=label.severity if label.kind == "sample" else None,
        severity_got=result.severity,
        p_malicious=p_malicious(result),
        needs_human=None if result.error is not None else result.needs_human,
        techniques_expected=label.techniques,
        techniques_got=result.techniques,
        technique_hit=technique_hit(result),
        verify_ok=result.verify_ok,
        bad_citations=result.bad_citations,
        seconds=round(result.seconds, 3),
    )


def scorecard(results: Sequence[CaseResult]) -> Scorecard:
    formats = sorted({r.label.format for r in results})
    return Scorecard(
        cases=tuple(case_row(r) for r in results),
        totals=totals(results),
        by_format={f: totals([r for r in results if r.label.format == f]) for f in formats},
        reliability=reliability(results),
    )
