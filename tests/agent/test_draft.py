"""The draft check: unknown ids, quotes, technique ids and playbook sections."""

from typing import Any

from triage.analysts.agent.draft import Draft, check_draft, parse_draft
from triage.enrich.attack import AttackCatalog
from triage.evidence import EvidenceCatalog
from triage.knowledge.lint import load_playbooks
from triage.models import Artifact, Incident, Record, RecordRef
from triage.settings import Settings
from triage.wiring import playbook_dirs, technique_namer

RAW = "Mar 3 sshd[99]: Failed password for root from 203.0.113.5 port 22"


def catalog() -> EvidenceCatalog:
    artifact = Artifact(id="A1", path="x.log", sha256="0" * 64, format="syslog", size=1, records=1)
    record = Record(artifact_id="A1", locator="line:1", source="syslog", raw=RAW)
    incident = Incident(id="I", input_digest="d", artifacts=(artifact,), records=(record,))
    found = EvidenceCatalog(incident)
    assert found.cite_record(RecordRef(artifact_id="A1", locator="line:1")) == "E1"
    return found


def draft(**changes: Any) -> Draft:
    data: dict[str, Any] = {
        "verdict": {
            "classification": "undetermined",
            "severity": "low",
            "confidence": 0.5,
            "determination": "brute force",
            "rationale": "E1",
            "evidence_ids": ["E1"],
        },
        "title": "t",
        "summary": "s",
        "findings": [
            {
                "statement": "failed root login",
                "evidence_ids": ["E1"],
                "technique_ids": ["T1110"],
                "quote": "Failed password for root",
            }
        ],
        "actions": [
            {
                "text": "Block the source",
                "priority": "high",
                "playbook_ref": "brute-force-password-spray#containment",
            }
        ],
    }
    data.update(changes)
    return Draft.model_validate(data)


def problems(checked: Draft) -> list[str]:
    library = {p.id: p for p in load_playbooks(playbook_dirs(Settings()))}
    return check_draft(
        checked,
        catalog=catalog(),
        playbooks=library,
        name_technique=technique_namer(AttackCatalog()),
    )


def test_a_grounded_draft_passes() -> None:
    library = {p.id for p in load_playbooks(playbook_dirs(Settings()))}
    assert "brute-force-password-spray" in library
    assert problems(draft()) == []


def test_each_kind_of_unsupported_claim_is_named() -> None:
    bad = draft(
        findings=[
            {"statement": "x", "evidence_ids": ["E7"], "technique_ids": ["T0000"]},
            {"statement": "y", "evidence_ids": ["E1"], "quote": "Accepted password"},
        ],
        actions=[{"text": "z", "priority": "low", "playbook_ref": "made-up#containment"}],
    )
    found = "\n".join(problems(bad))
    assert "'E7' does not exist" in found
    assert "'T0000' is not an ATT&CK technique id" in found
    assert "the quote is not in evidence E1" in found
    assert "'made-up#containment' is not a playbook section" in found


def test_parse_finds_fenced_json_and_explains_bad_shapes() -> None:
    text = "Here it is:\n```json\n" + draft().model_dump_json() + "\n```"
    parsed, problem = parse_draft(text)
    assert parsed is not None and problem is None
    parsed, problem = parse_draft('{"verdict": {"classification": "maybe"}}')
    assert parsed is None and problem and "verdict" in problem
    assert parse_draft("no json here") == (None, "the answer is not a JSON object")
