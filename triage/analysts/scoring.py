"""The verdict's scoring model: a logistic model over a few signals of the case, fitted on
labelled cases by bench/fit_scoring.py and shipped as triage/data/scoring.json.

Signals are evidence counts by kind and level (rules weighed by their status), notable events,
intelligence hits, attack stages, e-mail context and telemetry coverage. docs/scoring.md says how
the model was fitted and how well it is calibrated.
"""

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from triage.detect.email_traits import TRAIT_FAMILY
from triage.models import Coverage, Detection, EnrichmentResult, Record
from triage.models.base import severity_rank

MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "scoring.json"

# How much one rule match counts by the rule's maturity: a stable rule has proven itself, an
# experimental one may be a hunting lead. These are priors, not fitted (status is rarely in
# labelled data).
STATUS_FACTOR: Mapping[str, float] = {
    "stable": 1.0,
    "test": 0.85,
    "experimental": 0.7,
    "": 0.85,
}
MAX_STAGES = 4
INFORMATIONAL_SHARE = 0.3  # an informational rule match counts as this much of a low one
NOTABLE_SHARE = 0.5  # a notable event counts half of a rule match (it names no behaviour)
FEATURES = (
    "rule_critical",
    "rule_high",
    "rule_medium",
    "rule_low",
    "notable",
    "intel",
    "stages",
    "quiet_coverage",
    "weak_only",
    "weak_breadth",
    "mail",
    "mail_high",
    "mail_medium",
    "mail_low",
)
MAIL_TRAIT = "email-phishing:"  # rule id prefix of the e-mail content checks
QUIET_TRAITS = frozenset({"informational", "low"})


@dataclass(frozen=True)
class ScoringModel:
    intercept: float
    weights: Mapping[str, float]
    true_positive_at: float
    benign_below: float

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept + sum(self.weights.get(n, 0.0) * features.get(n, 0.0) for n in FEATURES)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


@functools.cache
def load_model(path: Path = MODEL_FILE) -> ScoringModel:
    document = json.loads(path.read_text(encoding="utf-8"))
    return ScoringModel(
        intercept=float(document["intercept"]),
        weights={str(k): float(v) for k, v in document["weights"].items()},
        true_positive_at=float(document["thresholds"]["true_positive_at"]),
        benign_below=float(document["thresholds"]["benign_below"]),
    )


def case_features(
    detections: Sequence[Detection],
    flagged: Iterable[EnrichmentResult],
    coverage: Coverage | None,
    *,
    stages: int,
    weak_stages: int = 0,
    mail: bool = False,
) -> dict[str, float]:
    """The model's inputs for one case. Counts enter as log(1 + n): the tenth hit of a rule
    family says less than the first."""
    by_level = {"critical": 0.0, "high": 0.0, "medium": 0.0, "low": 0.0}
    notable = 0.0
    weak_rules: set[str] = set()
    traits = {"high": 0.0, "medium": 0.0, "low": 0.0}
    families: dict[str, int] = {}
    for detection in detections:
        if detection.layer == "notable":
            notable += NOTABLE_SHARE * (1 + severity_rank(detection.level) / 2)
            continue
        if is_mail_trait(detection):
            # E-mail traits are a family of their own: each is a weak reading of one message,
            # and legitimate mail shows single traits often, so they get their own weights.
            # Traits of one cause (one link, one rented server) count once, at their highest.
            key = detection.rule_id.removeprefix(MAIL_TRAIT)
            if key == "lure-language":
                continue  # the lure already raised every trait beside it by a level
            family = TRAIT_FAMILY.get(key, key)
            rank = min(severity_rank(detection.level), severity_rank("high"))
            families[family] = max(families.get(family, rank), rank)
            continue
        factor = STATUS_FACTOR.get(detection.status or "", STATUS_FACTOR[""])
        if detection.level == "low":
            weak_rules.add(detection.rule_id)
        if detection.level == "informational":
            by_level["low"] += INFORMATIONAL_SHARE * factor
        else:
            by_level[detection.level] += factor
    for rank in families.values():
        if rank >= severity_rank("low"):
            traits[("low", "medium", "high")[rank - severity_rank("low")]] += 1.0
    intel = 0.0
    for result in flagged:
        intel = max(intel, 1.0 if result.verdict == "malicious" else 0.5)
    return {
        "rule_critical": math.log1p(by_level["critical"]),
        "rule_high": math.log1p(by_level["high"]),
        "rule_medium": math.log1p(by_level["medium"]),
        "rule_low": math.log1p(by_level["low"]),
        "notable": math.log1p(notable),
        "intel": intel,
        "stages": min(stages, MAX_STAGES) / MAX_STAGES,
        # Coverage speaks only when nothing was found: it is how much the silence is worth.
        # With a detection in hand, seeing more telemetry must not weaken it.
        # A low-level e-mail trait is a reading of one message that ordinary mail shows too: it
        # does not break the silence. A message that asks the reader to sign in, pay or act
        # does: that request is what phishing and fraud are made of.
        "quiet_coverage": (coverage.share_covered if coverage is not None else 0.0)
        if not has_evidence([d for d in detections if not _quiet_trait(d)], intel)
        else 0.0,
        # Only low-level rule matches and nothing else: the shape of ordinary activity that
        # brushes a hunting rule. Its weight may go either way.
        "weak_only": 1.0
        if by_level["low"] > 0
        and not (by_level["critical"] or by_level["high"] or by_level["medium"] or notable)
        and not (traits["high"] or traits["medium"])
        else 0.0,
        # Several different low-level rules across different tactics: each alone brushes
        # ordinary activity, together they trace the steps of an intrusion (discovery, then
        # credential access, then collection). One rule firing many times is not breadth.
        "weak_breadth": min(weak_stages, MAX_STAGES) / MAX_STAGES if len(weak_rules) >= 2 else 0.0,
        # The case is (or holds) an e-mail: the base rate of a reported message differs from
        # that of a log extract, and real labelled mail of both kinds is there to learn it from.
        "mail": 1.0 if mail else 0.0,
        "mail_high": math.log1p(traits["high"]),
        "mail_medium": math.log1p(traits["medium"]),
        "mail_low": math.log1p(traits["low"]),
    }


def is_mail_case(records: Iterable[Record]) -> bool:
    """The case is a reported message: it holds e-mail and nothing else. An incident that also
    carries endpoint or sign-in telemetry is judged on the base rate of logs."""
    sources = [r.source for r in records]
    return bool(sources) and all(s.startswith("email.") for s in sources)


def _quiet_trait(detection: Detection) -> bool:
    return (
        is_mail_trait(detection)
        and detection.level in QUIET_TRAITS
        and detection.rule_id != MAIL_TRAIT + "lure-language"
    )


def is_mail_trait(detection: Detection) -> bool:
    return detection.rule_id.startswith(MAIL_TRAIT)


def has_evidence(detections: Sequence[Detection], intel: float) -> bool:
    """Something to stand on: a detection of low level or above, or a malicious intelligence
    verdict (a "suspicious" one alone is context, not evidence)."""
    return intel >= 1 or any(severity_rank(d.level) >= severity_rank("low") for d in detections)
