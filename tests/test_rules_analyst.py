"""The rules engine: detections and enrichment verdicts → classification, severity, citations."""

from tests.test_report import INCIDENT
from triage.analysts.base import Assessment, CaseFile
from triage.analysts.rules import RulesAnalyst
from triage.evidence import EvidenceCatalog
from triage.models import Detection, EnrichmentResult, RecordRef
from triage.models.base import Severity

REF = RecordRef(artifact_id="A1", locator="line:3")


def detection(level: Severity, technique: str = "T1110.001") -> Detection:
    return Detection(
        rule_id=f"r-{level}",
        title=f"{level} thing",
        level=level,
        techniques=(technique,),
        records=(REF,),
        matched_fields={"user": "root"},
    )


def assess(case: CaseFile) -> Assessment:
    analyst = RulesAnalyst(name_technique=lambda t: ("Password Guessing", "Credential Access"))
    return analyst.assess(case, EvidenceCatalog(case.incident))


def test_nothing_found_is_undetermined_and_needs_a_human() -> None:
    verdict = assess(CaseFile(incident=INCIDENT)).verdict
    assert verdict.classification == "undetermined"
    assert verdict.needs_human


def test_a_high_detection_is_a_cited_true_positive() -> None:
    result = assess(CaseFile(incident=INCIDENT, detections=(detection("high"), detection("low"))))
    assert result.verdict.classification == "true_positive"
    assert result.verdict.severity == "high"
    assert result.techniques[0].id == "T1110.001"
    assert result.techniques[0].name == "Password Guessing"
    assert all(f.evidence_ids for f in result.findings)


def test_one_low_detection_is_not_enough_to_call_it() -> None:
    verdict = assess(CaseFile(incident=INCIDENT, detections=(detection("low"),))).verdict
    assert verdict.classification == "undetermined"
    assert verdict.severity == "low"


def test_authenticated_mail_with_nothing_else_is_benign() -> None:
    vouch = EnrichmentResult(
        provider="email-auth", observable_type="email", value="a@b.example", status="ok",
        verdict="benign", summary="sender authentication passed",
    )  # fmt: skip
    verdict = assess(CaseFile(incident=INCIDENT, enrichments=(vouch,))).verdict
    assert verdict.classification == "benign_positive"
    flagged = vouch.model_copy(update={"provider": "url-analysis", "verdict": "malicious"})
    verdict = assess(CaseFile(incident=INCIDENT, enrichments=(vouch, flagged))).verdict
    assert verdict.classification != "benign_positive"


def test_a_brand_domain_alone_does_not_vouch_for_the_incident() -> None:
    official = EnrichmentResult(
        provider="domain-analysis", observable_type="domain", value="microsoft.com",
        status="ok", verdict="benign",
    )  # fmt: skip
    verdict = assess(CaseFile(incident=INCIDENT, enrichments=(official,))).verdict
    assert verdict.classification == "undetermined"
