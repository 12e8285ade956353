"""Coverage: which records some rule reads, and the incident-level status the verdict uses."""

from triage.detect.coverage import CoverageMeter
from triage.detect.rules import load_rule_set
from triage.models import Artifact, Incident, Record, Scalar


def incident(*records: Record, formats: tuple[str, ...] = ("evtx",)) -> Incident:
    artifacts = tuple(
        Artifact(id=f"A{i}", path=f"f{i}", sha256="0" * 64, format=f, size=1, records=len(records))
        for i, f in enumerate(formats, start=1)
    )
    return Incident(id="I", input_digest="d", artifacts=artifacts, records=records)


def record(source: str, number: int = 1, **fields: Scalar) -> Record:
    return Record(artifact_id="A1", locator=f"line:{number}", source=source, raw="x", fields=fields)


METER = CoverageMeter.for_rules(load_rule_set().rules)


def test_process_creation_and_named_events_are_covered() -> None:
    sysmon = "Microsoft-Windows-Sysmon/Operational"
    found = METER.measure(
        incident(
            record(sysmon, 1, Channel=sysmon, EventID=1, Image="a.exe"),
            record("Security", 2, Channel="Security", EventID=4720),
        )
    )
    assert found.status == "well_covered"
    assert found.share_covered == 1.0
    assert {c.logsource for c in found.logsources} >= {"windows/sysmon/process_creation"}


def test_an_event_no_rule_reads_is_not_covered() -> None:
    channel = "Microsoft-Windows-Made-Up/Operational"
    found = METER.measure(incident(record(channel, 1, Channel=channel, EventID=4242)))
    assert found.status == "not_covered"
    assert found.records_not_understood == 1


def test_mail_is_read_by_the_content_checks() -> None:
    found = METER.measure(
        incident(record("email.header", 1, name="From"), record("email.body", 2), formats=("eml",))
    )
    assert found.status == "well_covered"


def test_an_empty_capture_is_not_covered() -> None:
    found = METER.measure(
        Incident(
            id="I",
            input_digest="d",
            artifacts=(
                Artifact(id="A1", path="c.pcap", sha256="0" * 64, format="pcap", size=9, records=0),
            ),
            records=(),
        )
    )
    assert found.status == "not_covered"
    assert found.share_covered == 0.0
    assert "not parsed" in found.logsources[0].logsource


def test_plain_text_lines_are_not_understood() -> None:
    found = METER.measure(incident(record("unknown-kind", 1), record("unknown-kind", 2)))
    assert found.status == "not_covered"
