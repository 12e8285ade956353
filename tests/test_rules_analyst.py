"""The rules engine: detections and enrichment verdicts → classification, severity, citations."""

from tests.test_report import INCIDENT
from triage.analysts.base import Assessment, CaseFile
from triage.analysts.rules import WEAK_EVIDENCE_AT, RulesAnalyst
from triage.evidence import EvidenceCatalog
from triage.models import Coverage, Detection, EnrichmentResult, RecordRef
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
    assert verdict.classification != "true_positive"
    assert verdict.needs_human
    assert verdict.malicious_probability is not None
    # The labelled data says a lone low rule is often an attack; the verdict still asks for
    # more than the model's inclination before it calls one.
    assert verdict.malicious_probability < WEAK_EVIDENCE_AT


def test_a_low_rule_with_a_notable_event_elsewhere_is_corroborated() -> None:
    from triage.analysts.rules import _substantive

    features = {"intel": 0.0, "weak_breadth": 0.0}
    low = detection("low")
    elsewhere = low.model_copy(
        update={
            "rule_id": "notable:x",
            "layer": "notable",
            "records": (RecordRef(artifact_id="A1", locator="line:9"),),
        }
    )
    same_event = elsewhere.model_copy(update={"records": low.records})
    assert not _substantive((low,), features)
    assert _substantive((low, elsewhere), features)
    # The same event read twice (a rule and the notable layer) is one signal, not two.
    assert not _substantive((low, same_event), features)
    assert _substantive((detection("medium"),), features)


def test_low_rules_of_different_tactics_add_up() -> None:
    analyst = RulesAnalyst(
        name_technique=lambda t: {"T1087": ("Account Discovery", "Discovery")}.get(
            t, ("Credentials from Password Stores", "Credential Access")
        )
    )
    two = (
        detection("low", "T1087").model_copy(update={"rule_id": "r-a"}),
        detection("low", "T1555").model_copy(update={"rule_id": "r-b"}),
    )
    case = CaseFile(incident=INCIDENT, detections=two)
    verdict = analyst.assess(case, EvidenceCatalog(INCIDENT)).verdict
    one = analyst.assess(
        CaseFile(incident=INCIDENT, detections=two[:1]), EvidenceCatalog(INCIDENT)
    ).verdict
    assert verdict.malicious_probability is not None and one.malicious_probability is not None
    assert verdict.malicious_probability >= one.malicious_probability
    assert one.classification == "undetermined"
    # Breadth across two tactics makes weak evidence substantive; one tactic does not.
    from triage.analysts.rules import _substantive

    assert _substantive(two, {"intel": 0.0, "weak_breadth": 2 / 4})
    assert not _substantive(two, {"intel": 0.0, "weak_breadth": 1 / 4})


def covered(share: float = 1.0) -> Coverage:
    status = "well_covered" if share >= 0.8 else "not_covered"
    return Coverage(
        status=status, share_covered=share, records_examined=10, records_not_understood=0
    )


def test_nothing_found_in_well_covered_telemetry_is_no_threats_found() -> None:
    verdict = assess(CaseFile(incident=INCIDENT, coverage=covered())).verdict
    assert verdict.classification == "false_positive"
    assert verdict.determination == "no threats found"
    assert "well covered" in verdict.rationale
    assert verdict.confidence == round(1 - (verdict.malicious_probability or 0), 3)
    assert verdict.needs_human == (verdict.confidence < 0.7)


def test_nothing_found_in_telemetry_triage_barely_reads_needs_a_human() -> None:
    verdict = assess(CaseFile(incident=INCIDENT, coverage=covered(0.1))).verdict
    assert verdict.classification == "undetermined"
    assert verdict.needs_human
    assert "not covered" in verdict.rationale


def test_an_authenticated_sender_never_vouches_on_its_own() -> None:
    vouch = EnrichmentResult(
        provider="email-auth", observable_type="email", value="a@b.example", status="ok",
        verdict="benign", summary="sender authentication passed",
    )  # fmt: skip
    verdict = assess(CaseFile(incident=INCIDENT, enrichments=(vouch,))).verdict
    assert verdict.classification == "undetermined"
    phish = detection("high", "T1566.002")
    case = CaseFile(
        incident=INCIDENT, enrichments=(vouch,), detections=(phish,), coverage=covered()
    )
    assert assess(case).verdict.classification == "true_positive"


def test_notable_events_weigh_less_than_a_rule_of_the_same_level() -> None:
    rule = detection("medium")
    notable = rule.model_copy(update={"layer": "notable", "rule_id": "notable:x"})
    p_rule = assess(CaseFile(incident=INCIDENT, detections=(rule,))).verdict.malicious_probability
    p_notable = assess(
        CaseFile(incident=INCIDENT, detections=(notable,))
    ).verdict.malicious_probability
    assert p_rule is not None and p_notable is not None
    assert p_notable <= p_rule


def test_a_brand_domain_alone_does_not_vouch_for_the_incident() -> None:
    official = EnrichmentResult(
        provider="domain-analysis", observable_type="domain", value="microsoft.com",
        status="ok", verdict="benign",
    )  # fmt: skip
    verdict = assess(CaseFile(incident=INCIDENT, enrichments=(official,))).verdict
    assert verdict.classification == "undetermined"


def test_only_a_case_of_mail_alone_takes_the_mail_base_rate() -> None:
    from triage.analysts.scoring import is_mail_case
    from triage.models import Record

    def rec(source: str) -> Record:
        return Record(artifact_id="A1", locator="line:1", source=source, raw="x")

    assert is_mail_case([rec("email.header"), rec("email.body")])
    assert not is_mail_case([rec("email.header"), rec("Microsoft-Windows-Sysmon/Operational")])
    assert not is_mail_case([])


def test_mail_traits_of_one_cause_count_once() -> None:
    from triage.analysts.scoring import case_features

    def trait(key: str, level: Severity) -> Detection:
        return Detection(
            rule_id=f"email-phishing:{key}", title=key, level=level, techniques=("T1566",),
            records=(RecordRef(artifact_id="A1", locator="header:From#1"),),
        )  # fmt: skip

    one_link = case_features(
        (trait("credential-request-off-domain", "medium"), trait("recipient-in-link", "medium")),
        [], None, stages=0, mail=True,
    )  # fmt: skip
    two_causes = case_features(
        (trait("credential-request-off-domain", "medium"), trait("hosting-sender", "medium")),
        [], None, stages=0, mail=True,
    )  # fmt: skip
    assert one_link["mail_medium"] < two_causes["mail_medium"]
    lure_only = case_features((trait("lure-language", "low"),), [], None, stages=0, mail=True)
    assert lure_only["mail_low"] == 0  # it raised the others; it breaks the silence instead
