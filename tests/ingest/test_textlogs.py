"""Syslog, auditd, Windows event XML lines and the plain-text fallback."""

import time

import pytest
import yaml

from tests.conftest import REALDATA, requires_realdata
from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, Loader
from triage.ingest.limits import Limits
from triage.ingest.textlogs import (
    AccessLogLoader,
    AuditdLoader,
    PlainTextLoader,
    SyslogLoader,
    W3cLoader,
    XmlEventLoader,
    ZeekLoader,
)

AUDIT_CASE = REALDATA / "DEV-10"

SYSLOG = (
    b"Mar  3 04:05:06 web01 sshd[2211]: Failed password for root from 198.51.100.4 port 5022\n"
    b"<86>1 2024-03-03T04:05:07.123Z web01 sudo 4242 ID47 - alice : COMMAND=/bin/bash\n"
    b"2024-03-03T04:05:08.5+01:00 web01 kernel: eth0 link up \xff\xfe\n"
    b"\n"
    b"this line is not syslog at all\n"
)

SECURITY_EVENT = (
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
    '<Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4625</EventID>'
    '<TimeCreated SystemTime="2024-03-03T04:05:06.1234567Z"/><EventRecordID>77</EventRecordID>'
    "<Channel>Security</Channel><Computer>dc01</Computer></System><EventData>"
    '<Data Name="TargetUserName">admin</Data><Data Name="IpAddress">198.51.100.4</Data>'
    "</EventData></Event>"
)
SYSMON_EVENT = (
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
    '<Provider Name="Microsoft-Windows-Sysmon"/><EventID>1</EventID>'
    "<Channel>Microsoft-Windows-Sysmon/Operational</Channel></System><EventData>"
    '<Data Name="Image">C:\\Windows\\System32\\cmd.exe</Data></EventData></Event>'
)


def _load(loader: Loader, data: bytes) -> Loaded:
    return loader.load(ArtifactSource(artifact_id="A1", path="x.txt", data=data), Limits())


def _sniff(loader: Loader, text: str) -> bool:
    return loader.sniff(text.encode(), text)


def test_syslog_rfc3164_rfc5424_and_rfc3339_lines() -> None:
    loaded = _load(SyslogLoader(), SYSLOG)
    bsd, modern, iso, odd = loaded.records
    assert [r.locator for r in loaded.records] == ["line:1", "line:2", "line:3", "line:5"]
    assert bsd.source == "syslog"
    assert (bsd.fields["host"], bsd.fields["program"], bsd.fields["pid"]) == ("web01", "sshd", 2211)
    assert str(bsd.fields["message"]).startswith("Failed password for root")
    assert bsd.timestamp is None  # RFC 3164 has no year
    assert (modern.fields["program"], modern.fields["pid"]) == ("sudo", 4242)
    assert modern.fields["message"] == "alice : COMMAND=/bin/bash"
    assert modern.timestamp is not None and modern.timestamp.second == 7
    assert iso.fields["program"] == "kernel" and iso.fields["pid"] is None
    assert iso.timestamp is not None and iso.timestamp.hour == 3  # +01:00 → UTC
    assert "\ufffd" in iso.raw  # invalid UTF-8 replaced, not fatal
    assert odd.fields == {}
    assert any("did not parse" in note for note in loaded.notes)


def test_syslog_sniff_needs_a_majority() -> None:
    one_of_four = "hello\n" + SYSLOG.decode(errors="replace").splitlines()[0] + "\nfoo\nbar\n"
    assert not _sniff(SyslogLoader(), one_of_four)
    assert _sniff(SyslogLoader(), SYSLOG.decode(errors="replace"))


def test_auditd_user_record_flattens_nested_pairs() -> None:
    line = (
        "type=USER_AUTH msg=audit(1700000000.123:501): pid=9 uid=0 auid=4294967295 "
        'msg=\'op=PAM:authentication acct="root" exe="/usr/sbin/sshd" '
        "addr=198.51.100.4 res=failed'\n"
    )
    (record,) = _load(AuditdLoader(), line.encode()).records
    assert record.fields["type"] == "USER_AUTH"
    assert record.fields["audit_serial"] == 501
    assert record.fields["acct"] == "root"
    assert record.fields["addr"] == "198.51.100.4"
    assert record.fields["res"] == "failed"
    assert record.fields["pid"] == "9"


def test_auditd_hex_proctitle_and_hostile_spacing() -> None:
    lines = (
        "type=PROCTITLE msg=audit(1700000000.5:7): proctitle=6C73002D6C61\n"
        "type=SYSCALL msg=audit(1700000000.5:8): a=b" + " " * 100_000 + 'x exe="/bin/ls"\n'
    )
    started = time.perf_counter()
    first, second = _load(AuditdLoader(), lines.encode()).records
    assert time.perf_counter() - started < 2
    assert first.fields["proctitle"] == "ls -la"
    assert second.fields["a"] == "b" + " " * 100_000 + "x"
    assert second.fields["exe"] == "/bin/ls"


def test_line_limit_counts_utf8_bytes_not_characters() -> None:
    limits = Limits(max_line_bytes=100)
    source = ArtifactSource(artifact_id="A1", path="x.txt", data=("é" * 50 + "\n").encode())
    assert len(PlainTextLoader().load(source, limits).records) == 1  # 50 characters, 100 bytes
    emoji = ArtifactSource(artifact_id="A1", path="x.txt", data=("ok\n" + "🦀" * 26).encode())
    with pytest.raises(InputError, match="line 2 is 104 bytes, over the 100-byte limit"):
        PlainTextLoader().load(emoji, limits)  # only 26 characters


@requires_realdata
def test_real_auditd_log() -> None:
    data = (AUDIT_CASE / "artifact.log").read_bytes()
    label = yaml.safe_load((AUDIT_CASE / "label.yaml").read_text())
    assert _sniff(AuditdLoader(), data.decode())
    records = _load(AuditdLoader(), data).records
    assert len(records) == label["artifacts"][0]["lines"]
    lines = data.decode().splitlines()
    assert all(r.raw == lines[int(r.locator[5:]) - 1] for r in records)
    assert all(r.source == "auditd" and r.timestamp is not None for r in records)
    titles = [r for r in records if r.fields["type"] == "PROCTITLE"]
    assert titles
    for record in titles:
        hex_value = record.raw.rsplit("proctitle=", 1)[1]
        expected = bytes.fromhex(hex_value).replace(b"\x00", b" ").decode().strip()
        assert record.fields["proctitle"] == expected
        assert hex_value in record.raw  # the raw line keeps the hex
    execs = [r for r in records if r.fields["type"] == "SYSCALL"]
    assert all(str(r.fields["exe"]).startswith("/") for r in execs)


def test_xml_event_lines_one_per_line() -> None:
    data = f"{SECURITY_EVENT}\n\n{SYSMON_EVENT}\n<Event><System>broken\n".encode()
    assert XmlEventLoader().sniff(data, data.decode())
    loaded = _load(XmlEventLoader(), data)
    security, sysmon, broken = loaded.records
    assert security.locator == "line:1" and sysmon.locator == "line:3"
    assert security.source == "Security"
    assert security.fields["EventID"] == 4625
    assert security.fields["TargetUserName"] == "admin"
    assert security.timestamp is not None and security.timestamp.year == 2024
    assert sysmon.source == "Microsoft-Windows-Sysmon/Operational"
    assert sysmon.fields["Image"] == "C:\\Windows\\System32\\cmd.exe"
    assert broken.fields == {} and broken.locator == "line:4"
    assert loaded.notes


def test_xml_event_stream_pretty_printed_with_wrapper() -> None:
    pretty = SECURITY_EVENT.replace("><", ">\n  <")
    data = f'<?xml version="1.0"?>\n<Events>\n{pretty}\n{SYSMON_EVENT}{SECURITY_EVENT}\n</Events>\n'
    assert XmlEventLoader().sniff(data.encode(), data)
    records = _load(XmlEventLoader(), data.encode()).records
    second_line = 3 + pretty.count("\n") + 1  # two events share the line after the first
    assert [r.locator for r in records] == ["line:3", f"line:{second_line}", f"line:{second_line}"]
    assert [r.fields["EventID"] for r in records] == [4625, 1, 4625]


def test_xml_entities_are_never_expanded() -> None:
    hostile = (
        '<Event><!DOCTYPE x [<!ENTITY a "boom">]><System><EventID>1</EventID></System>'
        "<EventData><Data Name='x'>&a;</Data></EventData></Event>\n"
    )
    (record,) = _load(XmlEventLoader(), hostile.encode()).records
    assert record.fields == {}
    assert "boom" in record.raw and record.raw.count("boom") == 1


def test_plain_text_one_record_per_non_empty_line() -> None:
    data = b"first\n\n  \nsecond \xff line\n"
    assert PlainTextLoader().sniff(data, data.decode(errors="replace"))
    records = _load(PlainTextLoader(), data).records
    assert [(r.locator, r.source, r.fields) for r in records] == [
        ("line:1", "text", {}),
        ("line:4", "text", {}),
    ]
    assert records[1].raw == "second \ufffd line"
    binary = b"\x00\x01\x02MZ\x90\x00" * 100
    assert not PlainTextLoader().sniff(binary, binary.decode(errors="replace"))


def test_line_sniffers_leave_json_csv_and_each_other_alone() -> None:
    loaders = [
        ZeekLoader(),
        W3cLoader(),
        AuditdLoader(),
        XmlEventLoader(),
        SyslogLoader(),
        AccessLogLoader(),
    ]
    json_lines = '{"a": 1}\n{"a": 2}\n{"a": 3}\n'
    json_doc = '{\n  "Records": [\n    {"eventName": "GetObject"}\n  ]\n}\n'
    csv_text = "time,host,user\n2024-01-01,web01,alice\n2024-01-02,web02,bob\n"
    for text in (json_lines, json_doc, csv_text):
        assert not any(_sniff(loader, text) for loader in loaders), text
    syslog_text = SYSLOG.decode(errors="replace")
    assert [loader.format for loader in loaders if _sniff(loader, syslog_text)] == ["syslog"]
