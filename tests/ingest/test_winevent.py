"""Windows-event XML → fields: System names, EventData/UserData items, hostile and broken XML."""

import time

import pytest

from triage.errors import InputError
from triage.ingest.winevent import event_fields_from_xml, windows_event_fields

NS = 'xmlns="http://schemas.microsoft.com/win/2004/08/events/event"'
SYSTEM = (
    '<System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625}"/>'
    '<EventID>4624</EventID><TimeCreated SystemTime="2024-05-01T08:00:00.1234567Z"/>'
    '<EventRecordID>77</EventRecordID><Execution ProcessID="4" ThreadID="8"/>'
    "<Channel>Security</Channel><Computer>DC01.corp.example</Computer></System>"
)


def test_system_and_event_data_fields() -> None:
    xml = (
        f'<?xml version="1.0" encoding="utf-16"?><Event {NS}>{SYSTEM}<EventData>'
        '<Data Name="TargetUserName">bob</Data><Data Name="LogonType">3</Data>'
        '<Data Name="IpAddress">203.0.113.9</Data><Data Name="Empty"></Data>'
        '<Data Name="EventID">1</Data></EventData></Event>'
    )
    fields = event_fields_from_xml(xml)
    assert fields["EventID"] == 4624  # System wins over an EventData item of the same name
    assert fields["EventRecordID"] == 77
    assert fields["Channel"] == "Security"
    assert fields["Provider"] == "Microsoft-Windows-Security-Auditing"
    assert fields["Computer"] == "DC01.corp.example"
    assert fields["TimeCreated"] == "2024-05-01T08:00:00.1234567Z"
    assert fields["Execution.ProcessID"] == "4"
    assert fields["TargetUserName"] == "bob"
    assert fields["LogonType"] == "3"
    assert fields["Empty"] is None


def test_user_data_and_unnamed_data_items() -> None:
    xml = (
        f"<Event {NS}>{SYSTEM}<UserData><LogFileCleared><SubjectUserName>eve</SubjectUserName>"
        "<SubjectDomainName>CORP</SubjectDomainName></LogFileCleared></UserData></Event>"
    )
    assert event_fields_from_xml(xml)["SubjectUserName"] == "eve"
    classic = (
        f"<Event {NS}>{SYSTEM}<EventData><Data>first</Data><Data>second</Data></EventData></Event>"
    )
    fields = event_fields_from_xml(classic)
    assert (fields["Data.0"], fields["Data.1"]) == ("first", "second")


@pytest.mark.parametrize(
    "xml",
    [
        '<!DOCTYPE Event [<!ENTITY x "boom">]><Event><System><EventID>1</EventID></System></Event>',
        '<!DOCTYPE Event SYSTEM "file:///etc/passwd"><Event/>',
        "<!ENTITY a 'b'><Event/>",
    ],
)
def test_dtd_and_entity_declarations_are_refused(xml: str) -> None:
    with pytest.raises(InputError, match="DTD"):
        event_fields_from_xml(xml)


def test_broken_agent_xml_is_salvaged() -> None:
    # Sysmon for Linux writes bare "&lt" and syslog cuts long messages short.
    xml = (
        '<Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID>'
        "<Channel>Linux-Sysmon/Operational</Channel></System><EventData>"
        '<Data Name="Image">&lt unknown process&gt </Data><Data Name="CommandLine">bash -i</Data>'
        '<Data Name="ParentImage">/usr/bin/ja'
    )
    fields = event_fields_from_xml(xml)
    assert fields["EventID"] == 1
    assert fields["Channel"] == "Linux-Sysmon/Operational"
    assert fields["CommandLine"] == "bash -i"
    assert fields["Image"] == "< unknown process> "
    assert "ParentImage" not in fields


def test_salvage_reads_attributes_and_stays_linear_on_hostile_xml() -> None:
    broken = '<Event><System><EventID Qualifiers="0">4625</EventID><Computer>dc & co</Computer>'
    assert event_fields_from_xml(broken)["EventID"] == 4625
    # The old salvage pattern ran past "<" looking for ">": 11 s for 11,000 repeats.
    hostile = "<Event>" + "<EventID " * 30_000
    started = time.perf_counter()
    with pytest.raises(InputError, match="malformed event XML"):
        event_fields_from_xml(hostile)
    with pytest.raises(InputError, match="malformed event XML"):
        event_fields_from_xml("<Event>" + '<Data Name="' * 30_000)
    assert time.perf_counter() - started < 2


def test_not_an_event_is_an_input_error() -> None:
    with pytest.raises(InputError):
        event_fields_from_xml("<Event><System>")
    with pytest.raises(InputError, match="not a Windows event"):
        event_fields_from_xml("<html><body/></html>")


def test_flat_exports_get_standard_names() -> None:
    fields = windows_event_fields(
        {
            "EventID": "4688",
            "EventSourceName": "Microsoft-Windows-Security-Auditing",
            "Hostname": "WS1",
            "EventRecordId": "912",
        }
    )
    assert fields["EventID"] == 4688
    assert fields["Provider"] == "Microsoft-Windows-Security-Auditing"
    assert fields["Computer"] == "WS1"
    assert fields["EventRecordID"] == 912
