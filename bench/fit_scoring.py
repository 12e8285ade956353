"""Fit the verdict's scoring model on labelled cases and write triage/data/scoring.json.

    python bench/fit_scoring.py [CASES_DIR ...] [--write] [--l2 1.0]

Cases are folders with expected.yaml (samples) or label.yaml (realdata); by default the shipped
samples and ../shared/realdata. Each case runs through the real pipeline (rules engine, offline)
up to the analyst, and its features are those triage.analysts.scoring.case_features computes.
The model is an L2-regularised logistic regression; weights of evidence are kept non-negative
(more evidence never lowers the probability) except coverage, which may go either way. Prints
the weights, leave-one-out Brier score and ECE (honest: each case scored by a model fitted
without it), the in-sample figures, a reliability table, and the per-format counts.
Reproducible: no randomness; the same cases and code give the same file.
"""

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from triage.analysts.scoring import (  # noqa: E402
    FEATURES,
    MODEL_FILE,
    case_features,
    is_mail_case,
)

LABELS = ("expected.yaml", "label.yaml")
# Signals whose weight may be negative (they can speak for a benign reading); every other
# weight is evidence for malice and kept non-negative.
FREE_SIGN = frozenset({"quiet_coverage", "weak_only", "mail"})


def cases(folders: list[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if any((p / n).is_file() for n in LABELS))
    return found


def truth(case: Path) -> tuple[int, str]:
    label_file = next(case / n for n in LABELS if (case / n).is_file())
    label = yaml.safe_load(label_file.read_text(encoding="utf-8"))
    if "expected_verdict" in label:
        return int(label["expected_verdict"] == "malicious"), str(label.get("format", "?"))
    return int(label["classification"] == "true_positive"), "sample"


def extract(case_dirs: list[Path]) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    from triage.analysts.rules import FLAGGED_VERDICTS, RulesAnalyst
    from triage.ingest import load_incident
    from triage.observables import extract_observables
    from triage.settings import load_settings
    from triage.wiring import build_deps

    settings = load_settings(offline=True)
    deps = build_deps(settings)
    analyst = deps.analyst
    assert isinstance(analyst, RulesAnalyst), "the scoring model is the rules engine's"
    rows, labels, names, formats = [], [], [], []
    for case in case_dirs:
        files = [str(p) for p in sorted(case.iterdir()) if p.is_file() and p.name not in LABELS]
        incident = load_incident(files, settings.limits)
        detections = tuple(deps.detector.detect(incident))
        observables = extract_observables(incident)
        enrichments = deps.enricher.enrich_incident(incident, observables)
        flagged = [e for e in enrichments if e.status == "ok" and e.verdict in FLAGGED_VERDICTS]
        coverage = deps.coverage.measure(incident) if deps.coverage else None
        features = case_features(
            detections,
            flagged,
            coverage,
            stages=analyst.attack_stages(detections),
            weak_stages=analyst.attack_stages(detections, level="low"),
            mail=is_mail_case(incident.records),
        )
        rows.append([features[n] for n in FEATURES])
        label, fmt = truth(case)
        labels.append(label)
        names.append(case.name)
        formats.append(fmt)
    return np.array(rows, dtype=float), np.array(labels, dtype=float), names, formats


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 4000) -> tuple[float, np.ndarray]:
    """Projected gradient descent on the regularised log-loss (the intercept is not penalised)."""
    free = np.array([name in FREE_SIGN for name in FEATURES])
    w = np.zeros(x.shape[1])
    b = 0.0
    rate = 0.5
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        grad_w = x.T @ (p - y) / len(y) + l2 * w / len(y)
        grad_b = float(np.mean(p - y))
        w -= rate * grad_w
        b -= rate * grad_b
        w = np.where(free, w, np.maximum(w, 0.0))
        w = _ordered(w)
    return b, w


INDEX = {name: i for i, name in enumerate(FEATURES)}
LEVELS = ("rule_low", "rule_medium", "rule_high", "rule_critical")
MAIL_LEVELS = ("mail_low", "mail_medium", "mail_high")


def _ordered(w: np.ndarray) -> np.ndarray:
    """A higher rule level never weighs less than a lower one, and a notable event never more
    than a medium rule (the notable layer is context, weighed below the rules)."""
    w = w.copy()
    for levels in (LEVELS, MAIL_LEVELS):
        for lower, higher in itertools.pairwise(levels):
            w[INDEX[higher]] = max(w[INDEX[higher]], w[INDEX[lower]])
    w[INDEX["notable"]] = min(w[INDEX["notable"]], w[INDEX["rule_medium"]])
    return w


def predict(b: float, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + b)))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list[list[float]]]:
    table, ece = [], 0.0
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        mask = (p >= low) & ((p < high) if i < bins - 1 else (p <= high))
        if not mask.any():
            continue
        mean_p, rate = float(p[mask].mean()), float(y[mask].mean())
        ece += mask.sum() / len(p) * abs(mean_p - rate)
        table.append(
            [round(low, 1), round(high, 1), int(mask.sum()), round(mean_p, 3), round(rate, 3)]
        )
    return round(ece, 4), table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true", help="write triage/data/scoring.json")
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args()
    folders = args.folders or [REPO / "samples", REPO.parent / "shared" / "realdata"]
    case_dirs = cases(folders)
    x, y, names, formats = extract(case_dirs)
    b, w = fit(x, y, args.l2)
    p_in = predict(b, w, x)
    p_loo = np.zeros(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        bi, wi = fit(x[keep], y[keep], args.l2, steps=1500)
        p_loo[i] = predict(bi, wi, x[i : i + 1])[0]
    brier_in = float(np.mean((p_in - y) ** 2))
    brier_loo = float(np.mean((p_loo - y) ** 2))
    ece_in, _ = reliability(p_in, y)
    ece_loo, table_loo = reliability(p_loo, y)
    print(f"cases {len(y)} (malicious {int(y.sum())}, benign {int(len(y) - y.sum())})")
    print("weights: " + ", ".join(f"{n}={v:.3f}" for n, v in zip(FEATURES, w, strict=True)))
    print(f"intercept {b:.3f}")
    print(f"Brier in-sample {brier_in:.4f}  leave-one-out {brier_loo:.4f}")
    print(f"ECE   in-sample {ece_in:.4f}  leave-one-out {ece_loo:.4f}")
    print("reliability (leave-one-out): low high n mean_p observed")
    for row in table_loo:
        print("  ", *row)
    by_format: dict[str, list[int]] = {}
    for fmt, label, prob in zip(formats, y, p_loo, strict=True):
        entry = by_format.setdefault(fmt[:40], [0, 0, 0])
        entry[0] += 1
        entry[1] += int((prob >= 0.5) == bool(label))
        entry[2] += int(label)
    print("per format (leave-one-out, p>=0.5 as malicious): n right malicious")
    for fmt, (n, right, malicious) in sorted(by_format.items()):
        print(f"   {fmt:40} {n:4} {right:4} {malicious:4}")
    wrong = [
        (n, round(float(q), 3), int(t))
        for n, q, t in zip(names, p_loo, y, strict=True)
        if (q >= 0.5) != bool(t)
    ]
    print(f"wrong at 0.5 (leave-one-out): {len(wrong)}: {wrong}")
    if args.write:
        current = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
        document = {
            "intercept": round(b, 4),
            "weights": {n: round(float(v), 4) for n, v in zip(FEATURES, w, strict=True)},
            "thresholds": current["thresholds"],  # chosen by hand: docs/scoring.md
            "fitted": {
                "script": "bench/fit_scoring.py",
                "l2": args.l2,
                "cases": len(y),
                "malicious": int(y.sum()),
                "benign": int(len(y) - y.sum()),
                "brier_in_sample": round(brier_in, 4),
                "brier_leave_one_out": round(brier_loo, 4),
                "ece_leave_one_out": ece_loo,
                "reliability_leave_one_out": table_loo,
            },
        }
        MODEL_FILE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
