"""Properties every loader keeps, whatever it is fed: it returns records or refuses with an
InputError (nothing else escapes), stays within the limits, and every line locator names the
line the record's text is on; JSON pointers name the value the record quotes."""

import json

import pytest
from hypothesis import strategies as st

from tests.property.strategies import (
    FAST_EXAMPLES,
    LIMITS,
    LONG_EXAMPLES,
    artifacts,
    check_json_pointers,
    check_loaded,
    field_value,
    json_keys,
    json_values,
    lines_of,
    load_or_refuse,
    nasty_text,
    run_property,
    word,
)
from triage.ingest.csvfile import CsvLoader
from triage.ingest.email import EmailLoader
from triage.ingest.evtx import EvtxLoader
from triage.ingest.flows import FlowLoader
from triage.ingest.jsondoc import JsonLoader, MalformedJson, parse_json
from triage.ingest.pcap import PcapLoader
from triage.ingest.registry import load_artifact
from triage.ingest.textlogs import (
    AccessLogLoader,
    AuditdLoader,
    PlainTextLoader,
    SyslogLoader,
    W3cLoader,
    XmlEventLoader,
    ZeekLoader,
)

EXAMPLES = [
    pytest.param(FAST_EXAMPLES, id="fast"),
    pytest.param(LONG_EXAMPLES, id="long", marks=pytest.mark.long),
]

# --- shaped inputs, one strategy per format -------------------------------------------------

syslog_line = st.one_of(
    st.builds(
        lambda host, prog, pid, msg: f"Mar  3 10:00:01 {host} {prog}[{pid}]: {msg}",
        word,
        word,
        field_value,
        nasty_text,
    ),
    st.builds(
        lambda pri, host, pid, msg: f"<{pri}>1 2026-03-03T10:00:03Z {host} sshd {pid} - - {msg}",
        st.integers(0, 999),
        word,
        field_value,
        nasty_text,
    ),
    st.builds(
        lambda host, msg: f"2026-03-03T10:00:03.123+01:00 {host} cron: {msg}", word, nasty_text
    ),
    nasty_text,
)
auditd_line = st.builds(
    lambda kind, time, serial, pairs: f"type={kind} msg=audit({time}:{serial}): {pairs}",
    st.sampled_from(["USER_LOGIN", "EXECVE", "PROCTITLE", "SYSCALL", "X"]),
    st.one_of(st.just("1700000000.123"), field_value),
    st.one_of(st.integers(0, 10**6).map(str), field_value),
    st.lists(
        st.builds(
            lambda key, value, quote: f"{key}={quote}{value}{quote}",
            st.sampled_from(["a0", "a1", "proctitle", "msg", "acct", "exe", "addr", "res"]),
            field_value,
            st.sampled_from(["", '"', "'"]),
        ),
        max_size=5,
    ).map(" ".join),
)
access_line = st.builds(
    lambda ip, user, path, status, size, agent: (
        f'{ip} - {user} [10/Oct/2025:13:55:36 +0000] "GET {path} HTTP/1.1" {status} {size} '
        f'"-" "{agent}"'
    ),
    st.one_of(st.just("203.0.113.9"), word),
    word,
    field_value,
    st.sampled_from(["200", "404", "-", "999"]),
    st.one_of(st.just("-"), st.integers(0, 10**30).map(str), st.just("9" * 5000)),
    nasty_text,
)
W3C_HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
    "#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs(User-Agent)\n"
)
w3c_line = st.lists(field_value, min_size=8, max_size=9).map(
    lambda values: " ".join(
        v.replace(" ", "+") or "-" for v in ["2025-10-10", "13:55:36", *values[2:]]
    )
)
ZEEK_HEADER = (
    "#separator \\x09\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\torig_bytes\tservice\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\n"
)
zeek_line = st.lists(field_value, min_size=7, max_size=9).map(
    lambda values: "\t".join(v.replace("\t", "\\x09") for v in values)
)
csv_cell = st.one_of(word, nasty_text.map(lambda v: '"' + v.replace('"', '""') + '"'), field_value)
csv_file = st.tuples(
    st.lists(word, min_size=2, max_size=5, unique=True),
    st.lists(st.lists(csv_cell, min_size=1, max_size=6), max_size=50),
    st.sampled_from([",", "\t", ";", "|"]),
).map(
    lambda parts: "\n".join(parts[2].join(row) for row in [parts[0], *parts[1]]).encode(
        "utf-8", "surrogatepass"
    )
)
flow_file = st.tuples(
    st.sampled_from(
        [
            "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt",
            "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,TotPkts,TotBytes",
            "Src IP,Dst IP,Src Port,Dst Port,Protocol,Flow Duration,Tot Fwd Pkts,TotLen Fwd Pkts",
            "srcip,sport,dstip,dsport,proto,dur,sbytes,dbytes,spkts,dpkts,stime",
        ]
    ),
    st.lists(
        st.lists(field_value.map(lambda v: v.replace(",", "")), min_size=1, max_size=12),
        max_size=50,
    ),
).map(
    lambda parts: "\n".join([parts[0], *(",".join(row) for row in parts[1])]).encode(
        "utf-8", "surrogatepass"
    )
)
event_xml = st.builds(
    lambda provider, event_id, record_id, name, value: (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        f"<Provider Name='{provider}'/><EventID>{event_id}</EventID>"
        f"<EventRecordID>{record_id}</EventRecordID><Channel>Security</Channel>"
        "<TimeCreated SystemTime='2026-01-02T03:04:05.1234567Z'/></System>"
        f"<EventData><Data Name='{name}'>{value}</Data></EventData></Event>"
    ),
    word,
    st.one_of(st.integers(0, 70000).map(str), field_value),
    st.one_of(st.integers(0, 10**6).map(str), field_value),
    word,
    field_value,
)
xml_line = st.one_of(event_xml, nasty_text, st.just("<Events>"), st.just("</Events>"))
json_document = json_values.map(
    lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")
)
alert_document = st.builds(
    lambda title, extra, evidence: json.dumps(
        {
            "alerts": [
                {"alertId": "1", "title": title, "severity": "High", **extra, "evidence": evidence}
            ]
        },
        ensure_ascii=False,
    ).encode("utf-8", "surrogatepass"),
    nasty_text,
    st.dictionaries(json_keys, json_values, max_size=4),
    st.lists(json_values, max_size=4),
)
json_lines = st.lists(
    st.one_of(json_values.map(lambda v: json.dumps(v, ensure_ascii=False)), nasty_text), max_size=50
).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))
CLOUD_ROWS = (
    {
        "eventType": "user.session.start",
        "published": "2026-01-02T03:04:05Z",
        "actor": {},
        "uuid": "x",
    },
    {"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog"}, "logName": "x"},
    {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "get", "requestURI": "/"},
    {"Workload": "Exchange", "Operation": "New-InboxRule", "CreationTime": "2026-01-02T03:04:05"},
    {"category": "SignInLogs", "operationName": "Sign-in activity", "properties": {}},
    {
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "eventTime": "2026-01-02T03:04:05Z",
    },
)
cloud_lines = st.lists(
    st.tuples(st.sampled_from(CLOUD_ROWS), st.dictionaries(json_keys, json_values, max_size=4)).map(
        lambda parts: json.dumps({**parts[0], **parts[1]}, ensure_ascii=False)
    ),
    min_size=1,
    max_size=30,
).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


@st.composite
def email_message(draw: st.DrawFn) -> bytes:
    headers = [
        f"From: {draw(field_value)} <a@example.com>",
        "To: b@example.com",
        f"Subject: {draw(st.one_of(nasty_text, st.just('=?utf-8?b?' + draw(word) + '?=')))}",
        f"Date: {draw(st.one_of(st.just('Tue, 3 Mar 2026 10:00:00 +0000'), field_value))}",
        "MIME-Version: 1.0",
    ]
    extra = draw(st.lists(st.tuples(word, field_value), max_size=4))
    headers += [f"{name}: {value}" for name, value in extra]
    parts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["text/plain", "text/html", "application/octet-stream", "message/rfc822"]
                ),
                st.sampled_from(["", "base64", "quoted-printable", "7bit"]),
                st.one_of(st.none(), field_value),
                nasty_text,
            ),
            max_size=6,
        )
    )
    if not parts:
        body = draw(nasty_text)
        return ("\n".join(headers) + "\n\n" + body).encode("utf-8", "surrogatepass")
    headers.append('Content-Type: multipart/mixed; boundary="B"')
    chunks = []
    for content_type, encoding, filename, body in parts:
        charset = draw(st.sampled_from(["utf-8", "x-nope", "latin-1"]))
        lines = ["--B", f"Content-Type: {content_type}; charset={charset}"]
        if encoding:
            lines.append(f"Content-Transfer-Encoding: {encoding}")
        if filename is not None:
            lines.append(f'Content-Disposition: attachment; filename="{filename}"')
        chunks.append("\n".join(lines) + "\n\n" + body)
    closing = draw(st.sampled_from(["\n--B--\n", "\n", ""]))
    return ("\n".join(headers) + "\n\n" + "\n".join(chunks) + closing).encode(
        "utf-8", "surrogatepass"
    )


pcap_file = st.tuples(
    st.sampled_from(
        [
            b"\xd4\xc3\xb2\xa1",
            b"\xa1\xb2\xc3\xd4",
            b"\x0a\x0d\x0d\x0a\x00\x00\x00\x00\x4d\x3c\x2b\x1a",
        ]
    ),
    st.binary(max_size=200),
).map(lambda parts: parts[0] + parts[1])


@st.composite
def evtx_file(draw: st.DrawFn) -> bytes:
    """The EVTX file header's fixed fields, then chunk-like blocks of arbitrary bytes."""
    import struct

    header = bytearray(4096)
    header[0:8] = b"ElfFile\x00"
    struct.pack_into("<QQQIHHHH", header, 8, 0, draw(st.integers(0, 3)), 1, 128, 1, 3, 4096, 1)
    chunks = b""
    for _ in range(draw(st.integers(0, 2))):
        chunk = bytearray(draw(st.binary(min_size=24, max_size=600)))
        chunk[0:8] = b"ElfChnk\x00"
        struct.pack_into("<QQ", chunk, 8, draw(st.integers(0, 5)), draw(st.integers(0, 5)))
        chunks += bytes(chunk).ljust(65536 if draw(st.booleans()) else len(chunk), b"\x00")
    return bytes(header) + chunks


LOADERS = {
    "syslog": (SyslogLoader(), lines_of(syslog_line)),
    "auditd": (AuditdLoader(), lines_of(auditd_line)),
    "access_log": (AccessLogLoader(), lines_of(access_line)),
    "w3c": (W3cLoader(), lines_of(w3c_line, header=W3C_HEADER)),
    "zeek": (ZeekLoader(), lines_of(zeek_line, header=ZEEK_HEADER)),
    "xml_events": (XmlEventLoader(), lines_of(xml_line)),
    "text": (PlainTextLoader(), lines_of(nasty_text)),
    "csv": (CsvLoader(), csv_file),
    "netflow": (FlowLoader(), flow_file),
    "json": (JsonLoader(), st.one_of(json_document, alert_document)),
    "jsonl": (JsonLoader(), json_lines),
    "cloudlogs": (JsonLoader(), cloud_lines),
    "eml": (EmailLoader(), email_message()),
    "pcap": (PcapLoader(), pcap_file),
    "evtx": (EvtxLoader(), evtx_file()),
}


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_returns_records_or_refuses(name: str, examples: int) -> None:
    loader, shaped = LOADERS[name]

    def check(data: bytes) -> None:
        loaded = load_or_refuse(loader.load, data)
        if loaded is not None:
            check_loaded(loaded, data)
            again = load_or_refuse(loader.load, data)
            assert again == loaded, "loading is deterministic"

    run_property(artifacts(shaped), check, examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_sniffing_picks_a_loader_or_refuses(examples: int) -> None:
    """Whatever the bytes, the registry's sniffing ends in a loader's records or an InputError."""
    everything = st.one_of(*(artifacts(shaped) for _, shaped in LOADERS.values()))

    def check(data: bytes) -> None:
        loaded = load_or_refuse(load_artifact, data)
        if loaded is not None:
            check_loaded(loaded, data)

    run_property(everything, check, examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_json_pointers_resolve_to_the_quoted_value(examples: int) -> None:
    def check(data: bytes) -> None:
        loaded = load_or_refuse(JsonLoader().load, data)
        if loaded is None or loaded.format != "json":
            return
        try:
            document = parse_json(data.decode("utf-8", "replace"), LIMITS)
        except MalformedJson:
            return
        check_json_pointers(loaded, document)

    run_property(st.one_of(json_document, alert_document), check, examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_record_count_cap_is_never_exceeded(examples: int) -> None:
    """More lines than max_records: the loaders refuse instead of returning a partial file."""
    many = st.integers(LIMITS.max_records + 1, LIMITS.max_records + 30)

    def check(data: bytes) -> None:
        for loader in (SyslogLoader(), PlainTextLoader(), JsonLoader(), CsvLoader()):
            loaded = load_or_refuse(loader.load, data)
            assert loaded is None or len(loaded.records) <= LIMITS.max_records

    run_property(
        many.map(lambda n: b"".join(b'{"a": %d}\n' % i for i in range(n))),
        check,
        max(1, examples // 5),
    )
