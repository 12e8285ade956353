"""Arbitration against the rules verdict, and the endpoint memory."""

from pathlib import Path

from triage.analysts.agent.arbitration import arbitrate
from triage.analysts.agent.draft import DraftVerdict
from triage.analysts.agent.endpoint import EndpointMemory, endpoint_key
from triage.analysts.base import CaseFile
from triage.evidence import EvidenceCatalog
from triage.models import Artifact, Detection, Incident, Record, RecordRef, Verdict

ARTIFACT = Artifact(id="A1", path="x.log", sha256="0" * 64, format="syslog", size=1, records=2)
RECORDS = (
    Record(artifact_id="A1", locator="line:1", source="s", raw="mimikatz sekurlsa"),
    Record(artifact_id="A1", locator="line:2", source="s", raw="ticket: authorised red team"),
)
INCIDENT = Incident(id="I", input_digest="d", artifacts=(ARTIFACT,), records=RECORDS)
RULES = Verdict(
    classification="true_positive",
    determination="malicious activity",
    severity="high",
    confidence=0.9,
    needs_human=False,
    rationale="rules",
)


def case(level: str = "high") -> CaseFile:
    detection = Detection(
        rule_id="r1",
        title="Credential dumping tool",
        level=level,  # type: ignore[arg-type]
        records=(RecordRef(artifact_id="A1", locator="line:1"),),
    )
    return CaseFile(incident=INCIDENT, detections=(detection,))


def catalog() -> EvidenceCatalog:
    found = EvidenceCatalog(INCIDENT)
    for locator in ("line:1", "line:2"):
        found.cite_record(RecordRef(artifact_id="A1", locator=locator))
    return found


def proposal(classification: str, severity: str, **cites: list[str]) -> DraftVerdict:
    return DraftVerdict.model_validate(
        {
            "classification": classification,
            "severity": severity,
            "confidence": 0.8,
            "determination": "d",
            "rationale": "r",
            **cites,
        }
    )


def test_a_lower_call_without_counter_evidence_keeps_the_rules_verdict() -> None:
    decided = arbitrate(
        proposal("false_positive", "informational", evidence_ids=["E1"]),
        RULES,
        case=case(),
        catalog=catalog(),
    )
    assert decided.verdict.classification == "true_positive"
    assert decided.verdict.severity == "high" and decided.verdict.needs_human
    assert "rules verdict is kept" in decided.notes[0]


def test_unresolvable_counter_evidence_does_not_count() -> None:
    decided = arbitrate(
        proposal("benign_positive", "low", counter_evidence_ids=["E42"]),
        RULES,
        case=case(),
        catalog=catalog(),
    )
    assert decided.verdict.classification == "true_positive"


def test_verified_counter_evidence_may_lower_the_call_but_asks_a_person() -> None:
    decided = arbitrate(
        proposal("benign_positive", "low", counter_evidence_ids=["E2"]),
        RULES,
        case=case(),
        catalog=catalog(),
    )
    assert decided.verdict.classification == "benign_positive"
    assert decided.verdict.needs_human
    assert "counter-evidence E2" in decided.notes[0]


def test_without_hard_evidence_the_agent_may_lower_the_call() -> None:
    decided = arbitrate(
        proposal("undetermined", "low"), RULES, case=case(level="medium"), catalog=catalog()
    )
    assert decided.verdict.classification == "undetermined"
    assert "no hard evidence" in decided.notes[0]


def test_raising_needs_cited_evidence() -> None:
    low = RULES.model_copy(update={"classification": "undetermined", "severity": "low"})
    uncited = arbitrate(proposal("true_positive", "critical"), low, case=case(), catalog=catalog())
    assert uncited.verdict.severity == "low"
    cited = arbitrate(
        proposal("true_positive", "critical", evidence_ids=["E1"]),
        low,
        case=case(),
        catalog=catalog(),
    )
    assert cited.verdict.severity == "critical" and "raised" in cited.notes[0]


def test_endpoint_memory_steps_down_and_survives_a_broken_file(tmp_path: Path) -> None:
    memory = EndpointMemory(tmp_path)
    key = endpoint_key("http://127.0.0.1:8080/v1/", "smol")
    assert memory.modes(key) == ("json_schema", "json_object", "prompted")
    memory.remember_refusal(key, "json_schema", "HTTP 500")
    assert EndpointMemory(tmp_path).modes(key) == ("json_object", "prompted")
    assert memory.modes(endpoint_key("http://other/v1", "smol"))[0] == "json_schema"
    memory.path.write_text("{not json")
    assert memory.modes(key)[0] == "json_schema"
