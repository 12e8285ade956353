"""Packet captures: conn, dns, http, ssl, smb and dce_rpc rows in Zeek's shapes, built from
small captures written here with dpkt; hostile captures are read under their caps."""

import io
import socket
import struct
import time
import uuid
from collections.abc import Sequence

import dpkt  # type: ignore[import-untyped]
import pytest

from tests.conftest import case_artifacts, realdata_cases
from triage.detect.logsources import route
from triage.ingest.base import ArtifactSource, Loaded
from triage.ingest.limits import Limits
from triage.ingest.pcap import PcapLoader
from triage.ingest.registry import load_artifact
from triage.models import Record

CLIENT, SERVER = "10.1.2.3", "10.1.2.50"
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
SRVSVC = uuid.UUID("4b324fc8-1670-01d3-1278-5a47bf6ee188")
NAME = "update.example.net"
DRSUAPI = uuid.UUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2")


def _ip(src: str, dst: str, proto: int, layer: object) -> bytes:
    ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=proto, data=layer)
    ip.len = len(bytes(ip))
    frame = dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6, type=0x0800, data=ip)
    return bytes(frame)


def tcp(
    src: str, dst: str, sport: int, dport: int, flags: int, seq: int, data: bytes = b""
) -> bytes:
    segment = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, ack=1, flags=flags, data=data)
    return _ip(src, dst, 6, segment)


def udp(src: str, dst: str, sport: int, dport: int, data: bytes) -> bytes:
    datagram = dpkt.udp.UDP(sport=sport, dport=dport, data=data)
    datagram.ulen = 8 + len(data)
    return _ip(src, dst, 17, datagram)


def capture(frames: Sequence[bytes], *, start: float = 1_700_000_000.0) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out)
    for number, frame in enumerate(frames):
        writer.writepkt(frame, ts=start + number * 0.01)
    return out.getvalue()


class Conversation:
    """A TCP connection written segment by segment, sequence numbers kept."""

    def __init__(self, dport: int, sport: int = 50_000) -> None:
        self.sport, self.dport = sport, dport
        self.seq = {True: 1000, False: 5000}
        self.frames: list[bytes] = []

    def handshake(self) -> "Conversation":
        self.frames.append(tcp(CLIENT, SERVER, self.sport, self.dport, SYN, 999))
        self.frames.append(tcp(SERVER, CLIENT, self.dport, self.sport, SYN | ACK, 4999))
        self.frames.append(tcp(CLIENT, SERVER, self.sport, self.dport, ACK, 1000))
        return self

    def send(self, data: bytes, *, client: bool = True) -> "Conversation":
        src, dst = (CLIENT, SERVER) if client else (SERVER, CLIENT)
        sport, dport = (self.sport, self.dport) if client else (self.dport, self.sport)
        self.frames.append(tcp(src, dst, sport, dport, PSH | ACK, self.seq[client], data))
        self.seq[client] += len(data)
        return self

    def close(self) -> "Conversation":
        self.frames.append(tcp(CLIENT, SERVER, self.sport, self.dport, FIN | ACK, self.seq[True]))
        self.frames.append(tcp(SERVER, CLIENT, self.dport, self.sport, FIN | ACK, self.seq[False]))
        return self


def load(data: bytes, limits: Limits | None = None) -> Loaded:
    source = ArtifactSource(artifact_id="A1", path="capture.pcap", data=data)
    return PcapLoader().load(source, limits or Limits())


def of(loaded: Loaded, log: str) -> list[Record]:
    return [r for r in loaded.records if r.source == f"zeek.{log}"]


# SMB2 and DCE-RPC builders -----------------------------------------------------------------


def smb2(
    command: int, message_id: int, body: bytes, *, tree: int = 0, response: bool = False
) -> bytes:
    header = struct.pack(
        "<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 0, 0, command, 1, int(response), 0, message_id,
        0, tree, 0x1234, b"\0" * 16,
    )  # fmt: skip
    message = header + body
    return struct.pack(">I", len(message)) + message


def tree_connect(message_id: int, path: str) -> bytes:
    encoded = path.encode("utf-16-le")
    return smb2(3, message_id, struct.pack("<HHHH", 9, 0, 72, len(encoded)) + encoded)


def tree_connected(message_id: int, tree: int, share_type: int = 2) -> bytes:
    body = struct.pack("<HBBIII", 16, share_type, 0, 0, 0, 0x1F01FF)
    return smb2(3, message_id, body, tree=tree, response=True)


def create(message_id: int, tree: int, name: str) -> bytes:
    encoded = name.encode("utf-16-le")
    body = struct.pack(
        "<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019F, 0, 7, 1, 0, 120, len(encoded), 0, 0
    )
    return smb2(5, message_id, body + encoded, tree=tree)


def created(message_id: int, tree: int, file_id: bytes) -> bytes:
    body = struct.pack("<H", 89) + b"\0" * 62 + file_id + b"\0" * 8
    return smb2(5, message_id, body, tree=tree, response=True)


def write(message_id: int, tree: int, file_id: bytes, data: bytes) -> bytes:
    body = struct.pack("<HHIQ16sIIHHI", 49, 112, len(data), 0, file_id, 0, 0, 0, 0, 0)
    return smb2(9, message_id, body + data, tree=tree)


def bind(interface: uuid.UUID, *, call_id: int = 1, context: int = 0) -> bytes:
    element = struct.pack("<HBB", context, 1, 0) + interface.bytes_le + struct.pack("<I", 3)
    element += NDR.bytes_le + struct.pack("<I", 2)
    body = struct.pack("<HHIB3x", 4280, 4280, 0, 1) + element
    return struct.pack("<BBBB4sHHI", 5, 0, 11, 3, b"\x10\0\0\0", 16 + len(body), 0, call_id) + body


def request(opnum: int, *, call_id: int = 2, context: int = 0, stub: bytes = b"\0" * 8) -> bytes:
    body = struct.pack("<IHH", len(stub), context, opnum) + stub
    return struct.pack("<BBBB4sHHI", 5, 0, 0, 3, b"\x10\0\0\0", 16 + len(body), 0, call_id) + body


def smb_pipe_session(pipe: str, interface: uuid.UUID, opnums: Sequence[int]) -> Conversation:
    file_id = b"\x11" * 16
    talk = Conversation(445).handshake()
    talk.send(tree_connect(1, "\\\\fileserver\\IPC$")).send(tree_connected(1, 7), client=False)
    talk.send(create(2, 7, pipe)).send(created(2, 7, file_id), client=False)
    talk.send(write(3, 7, file_id, bind(interface)))
    for index, opnum in enumerate(opnums):
        talk.send(write(4 + index, 7, file_id, request(opnum, call_id=2 + index)))
    return talk.close()


# Tests --------------------------------------------------------------------------------------

GLOBAL_HEADER_TAIL = struct.pack("<HHiIII", 2, 4, 0, 0, 65535, 1)


def _pcapng_header(byte_order: str) -> bytes:
    return b"\x0a\x0d\x0d\x0a" + struct.pack(f"{byte_order}IIHHq", 28, 0x1A2B3C4D, 1, 0, -1)


@pytest.mark.parametrize(
    "head",
    [
        struct.pack("<I", 0xA1B2C3D4) + GLOBAL_HEADER_TAIL,
        struct.pack(">I", 0xA1B2C3D4) + GLOBAL_HEADER_TAIL,
        struct.pack("<I", 0xA1B23C4D) + GLOBAL_HEADER_TAIL,
        struct.pack(">I", 0xA1B23C4D) + GLOBAL_HEADER_TAIL,
        _pcapng_header("<"),
        _pcapng_header(">"),
    ],
    ids=["usec-le", "usec-be", "nsec-le", "nsec-be", "pcapng-le", "pcapng-be"],
)
def test_every_capture_variant_is_recognised_and_read(head: bytes) -> None:
    assert PcapLoader().sniff(head, "")
    loaded = load_artifact(ArtifactSource(artifact_id="A1", path="c", data=head), Limits())
    assert loaded.format == "pcap" and loaded.records == [] and loaded.notes


def test_other_bytes_are_not_claimed() -> None:
    assert not PcapLoader().sniff(b"\x0a\x0d\x0d\x0a" + b"\x00" * 20, "")
    assert not PcapLoader().sniff(b"ElfFile\x00", "")
    assert not PcapLoader().sniff(b"", "")


def test_realdata_captures_are_read_into_zeek_records() -> None:
    captures = [
        path
        for case in realdata_cases()
        for path in case_artifacts(case)
        if PcapLoader().sniff(path.read_bytes()[:64], "")
    ]
    if not captures:
        pytest.skip("no capture in ../shared/realdata")
    for path in captures:
        source = ArtifactSource(artifact_id="A1", path=str(path), data=path.read_bytes())
        loaded = load_artifact(source, Limits())
        assert loaded.format == "pcap" and loaded.records
        assert all(
            r.source.startswith("zeek.") and r.locator.startswith("packet:") for r in loaded.records
        )
        assert any(r.source == "zeek.conn" for r in loaded.records)


def test_sniffs_written_pcap_and_pcapng() -> None:
    loader = PcapLoader()
    assert loader.sniff(capture([])[:64], "")
    out = io.BytesIO()
    dpkt.pcapng.Writer(out).writepkt(udp(CLIENT, SERVER, 5000, 9999, b"x"), ts=1.0)
    assert loader.sniff(out.getvalue()[:64], "")
    assert not loader.sniff(b"#fields\tts\n", "#fields\tts\n")


def test_http_connection_becomes_conn_and_http_rows() -> None:
    talk = Conversation(8081).handshake()
    talk.send(b"GET /a/b.php?x=1 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: curl/8.0\r\n\r\n")
    talk.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop", client=False)
    loaded = load(capture(talk.close().frames))
    (conn,) = of(loaded, "conn")
    assert conn.fields["id.orig_h"] == CLIENT and conn.fields["id.resp_p"] == 8081
    assert conn.fields["conn_state"] == "SF" and conn.fields["service"] == "http"
    assert conn.fields["orig_pkts"] == 4 and conn.fields["resp_bytes"] == 48
    assert conn.locator == "packet:1/conn" and conn.timestamp is not None
    (http,) = of(loaded, "http")
    assert http.fields["method"] == "GET" and http.fields["host"] == "shop.example"
    assert http.fields["uri"] == "/a/b.php?x=1" and http.fields["user_agent"] == "curl/8.0"
    assert http.fields["status_code"] == 404 and http.fields["uid"] == conn.fields["uid"]
    assert "curl/8.0" in http.raw  # quotes cite the raw text
    logsource = route(http)
    assert logsource is not None and logsource.product == "zeek" and "http" in logsource.services


def test_tcp_states_follow_the_flags() -> None:
    frames = [
        tcp(CLIENT, SERVER, 40001, 22, SYN, 1),  # no answer
        tcp(CLIENT, SERVER, 40002, 23, SYN, 1),
        tcp(SERVER, CLIENT, 23, 40002, RST | ACK, 0),  # refused
    ]
    talk = Conversation(3389).handshake().send(b"\x03\x00\x00\x13")
    talk.frames.append(tcp(CLIENT, SERVER, talk.sport, 3389, RST, talk.seq[True]))
    states = {
        r.fields["id.resp_p"]: r.fields["conn_state"]
        for r in of(load(capture(frames + talk.frames)), "conn")
    }
    assert states == {22: "S0", 23: "REJ", 3389: "RSTO"}


def test_dns_query_and_answer_pair_into_one_row() -> None:
    query = dpkt.dns.DNS(id=77, qd=[dpkt.dns.DNS.Q(name=NAME, type=1)])
    answer = dpkt.dns.DNS(
        id=77, op=dpkt.dns.DNS_QR | dpkt.dns.DNS_RD, rcode=0, qd=query.qd,
        an=[dpkt.dns.DNS.RR(name=NAME, type=1, rdata=socket.inet_aton("192.0.2.9"))],
    )  # fmt: skip
    frames = [
        udp(CLIENT, "10.1.2.53", 53000, 53, bytes(query)),
        udp("10.1.2.53", CLIENT, 53, 53000, bytes(answer)),
    ]
    loaded = load(capture(frames))
    (dns,) = of(loaded, "dns")
    assert dns.fields["query"] == "update.example.net" and dns.fields["qtype_name"] == "A"
    assert dns.fields["answers"] == "192.0.2.9" and dns.fields["rcode_name"] == "NOERROR"
    assert dns.fields["rtt"] == 0.01
    (conn,) = of(loaded, "conn")
    assert conn.fields["proto"] == "udp" and conn.fields["conn_state"] == "SF"


def _client_hello(server_name: str) -> bytes:
    name = server_name.encode()
    sni = struct.pack(">HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack(">HH", 0, len(sni)) + sni
    body = b"\x03\x03" + b"\0" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack(">H", len(extensions)) + extensions
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack(">H", len(handshake)) + handshake


def test_tls_client_hello_gives_the_server_name() -> None:
    talk = Conversation(8443).handshake().send(_client_hello("Files.Example.ORG")).close()
    (ssl,) = of(load(capture(talk.frames)), "ssl")
    assert ssl.fields["server_name"] == "files.example.org"


def test_smb_named_pipe_rpc_gives_mapping_file_and_operations() -> None:
    talk = smb_pipe_session("srvsvc", SRVSVC, [15, 12, 12])
    loaded = load(capture(talk.frames))
    (mapping,) = of(loaded, "smb_mapping")
    assert mapping.fields["path"] == "\\\\fileserver\\IPC$"
    assert mapping.fields["share_type"] == "PIPE"
    (opened,) = of(loaded, "smb_files")
    assert opened.fields["name"] == "srvsvc" and opened.fields["action"] == "SMB::FILE_OPEN"
    calls = {r.fields["operation"]: r.fields for r in of(loaded, "dce_rpc")}
    assert set(calls) == {"NetrShareEnum", "NetrSessionEnum"}
    assert calls["NetrSessionEnum"]["endpoint"] == "srvsvc"
    assert calls["NetrSessionEnum"]["named_pipe"] == "srvsvc"
    assert calls["NetrSessionEnum"]["calls"] == 2
    (conn,) = of(loaded, "conn")
    assert conn.fields["service"] == "smb"


def test_rpc_over_tcp_names_the_interface_and_operation() -> None:
    talk = (
        Conversation(49667)
        .handshake()
        .send(bind(DRSUAPI))
        .send(request(0))
        .send(request(3, call_id=3))
    )
    operations = [r.fields["operation"] for r in of(load(capture(talk.close().frames)), "dce_rpc")]
    assert operations == ["DRSBind", "DRSGetNCChanges"]


def test_segments_out_of_order_are_put_back_in_order() -> None:
    talk = Conversation(80).handshake()
    talk.send(b"GET /late HTTP/1.1\r\n").send(b"Host: a.example\r\n\r\n")
    talk.frames[-2], talk.frames[-1] = talk.frames[-1], talk.frames[-2]
    talk.frames.append(talk.frames[-1])  # and a retransmission
    (http,) = of(load(capture(talk.frames)), "http")
    assert http.fields["uri"] == "/late" and http.fields["host"] == "a.example"


def test_pcapng_reads_like_pcap() -> None:
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out)
    for number, frame in enumerate(smb_pipe_session("srvsvc", SRVSVC, [12]).frames):
        writer.writepkt(frame, ts=1_700_000_000 + number)
    source = ArtifactSource(artifact_id="A1", path="x.pcapng", data=out.getvalue())
    loaded = load_artifact(source, Limits())
    assert loaded.format == "pcap"
    assert [r.fields["operation"] for r in of(loaded, "dce_rpc")] == ["NetrSessionEnum"]


def test_locators_are_unique_and_stable() -> None:
    data = capture(smb_pipe_session("srvsvc", SRVSVC, [15, 12]).frames)
    first, second = load(data), load(data)
    locators = [r.locator for r in first.records]
    assert len(set(locators)) == len(locators)
    assert [r.model_dump() for r in first.records] == [r.model_dump() for r in second.records]


# Hostile captures ---------------------------------------------------------------------------


def test_truncated_capture_keeps_what_was_read_and_says_so() -> None:
    data = capture(smb_pipe_session("srvsvc", SRVSVC, [12]).frames)
    for cut in (30, 100, len(data) // 2, len(data) - 7):
        loaded = load(data[:cut])
        assert all(r.source.startswith("zeek.") for r in loaded.records)
    assert any(
        "truncated" in note or "malformed" in note for note in load(data[: len(data) - 7]).notes
    )


def test_absurd_record_lengths_and_garbage_frames_do_not_crash() -> None:
    header = capture([])
    absurd = struct.pack("<IIII", 1, 0, 0xFFFFFFF0, 0xFFFFFFF0) + b"\x00" * 40
    garbage = [bytes(range(n % 256)) * 3 for n in range(1, 60)]
    loaded = load(header + absurd)
    assert loaded.records == []
    noisy = load(capture(garbage))
    assert noisy.records is not None and any("skipped" in note for note in noisy.notes)
    pcapng_bad = b"\x0a\x0d\x0d\x0a" + b"\x1c\x00\x00\x00" + b"\x4d\x3c\x2b\x1a" + b"\xff" * 40
    assert load(pcapng_bad).records == []


def test_malformed_smb_and_rpc_messages_are_skipped() -> None:
    file_id = b"\x22" * 16
    talk = Conversation(445).handshake()
    talk.send(smb2(3, 1, struct.pack("<HHHH", 9, 0, 0xFFF0, 0xFFFF)))  # path beyond the message
    talk.send(tree_connect(2, "\\\\h\\IPC$")).send(tree_connected(2, 9), client=False)
    talk.send(create(3, 9, "lsarpc")).send(created(3, 9, file_id), client=False)
    bogus_bind = bytearray(bind(SRVSVC))
    bogus_bind[24] = 250  # claims 250 contexts
    talk.send(write(4, 9, file_id, bytes(bogus_bind)))
    talk.send(write(5, 9, file_id, request(7, context=99)))  # unknown context
    talk.send(write(6, 9, file_id, b"\x05\x00\x00\x03\x10\x00\x00\x00\x04\x00"))  # short PDU
    talk.send(b"\x00\x00\x00\x08\xfeSMB\x00\x00\x00\x00")  # SMB2 header cut short
    talk.send(b"\x00\xff\xff\xff" + b"\xfeSMB" + b"\x00" * 200)  # absurd NetBIOS length
    loaded = load(capture(talk.close().frames))
    assert [r.fields["path"] for r in of(loaded, "smb_mapping")][-1] == "\\\\h\\IPC$"
    assert of(loaded, "conn")[0].fields["service"] == "smb"


def test_many_tiny_packets_are_read_fast_and_capped() -> None:
    frames = [
        udp(CLIENT, f"10.9.{n // 250 % 250}.{n % 250}", 1024 + n % 60000, 7, b"")
        for n in range(100_000)
    ]
    data = capture(frames)
    started = time.perf_counter()
    loaded = load(data, Limits(max_records=5_000))
    elapsed = time.perf_counter() - started
    assert len(loaded.records) <= 5_000
    assert any("limit" in note for note in loaded.notes)
    assert elapsed < 10


SVCCTL = uuid.UUID("367abb81-9844-35f1-ad32-98f038001003")


def test_zeek_rules_fire_on_a_capture() -> None:
    from triage.detect import SigmaDetector

    frames = smb_pipe_session("svcctl", SVCCTL, [15, 12, 19]).frames
    records = load(capture(frames)).records
    detections = SigmaDetector.from_rule_dirs().detect_records(records)
    titles = {d.title for d in detections}
    assert "Service created remotely over the Service Control Manager RPC (Zeek)" in titles
    cited = {ref.locator for d in detections for ref in d.records}
    assert cited & {r.locator for r in records if r.source == "zeek.dce_rpc"}


def test_each_request_of_a_kept_alive_connection_is_its_own_row() -> None:
    talk = Conversation(80).handshake()
    talk.send(b"GET /one HTTP/1.1\r\nHost: a.example\r\n\r\n")
    talk.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", client=False)
    talk.send(b"POST /two HTTP/1.1\r\nHost: a.example\r\nContent-Length: 1\r\n\r\nx")
    talk.send(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", client=False)
    rows = of(load(capture(talk.close().frames)), "http")
    assert [(r.locator, r.fields["uri"], r.fields["status_code"]) for r in rows] == [
        ("packet:4/http", "/one", 200),
        ("packet:6/http", "/two", 201),
    ]


def der(tag: int, content: bytes) -> bytes:
    size = len(content)
    length = bytes([size]) if size < 128 else bytes([0x82]) + size.to_bytes(2, "big")
    return bytes([tag]) + length + content


def principal(*parts: str) -> bytes:
    names = der(0x30, b"".join(der(0x1B, part.encode()) for part in parts))
    return der(0x30, der(0xA0, der(0x02, b"\x01")) + der(0xA1, names))


def test_kerberos_requests_pair_with_their_replies() -> None:
    realm = der(0x1B, b"CORP.EXAMPLE")
    body = der(
        0x30,
        der(0xA1, principal("alice"))
        + der(0xA2, realm)
        + der(0xA3, principal("krbtgt", "CORP.EXAMPLE")),
    )
    as_req = der(
        0x6A,
        der(0x30, der(0xA1, der(0x02, b"\x05")) + der(0xA2, der(0x02, b"\x0a")) + der(0xA4, body)),
    )
    error = der(0x7E, der(0x30, der(0xA0, der(0x02, b"\x05")) + der(0xA6, der(0x02, b"\x18"))))
    encrypted = der(0x30, der(0xA0, der(0x02, b"\x17")) + der(0xA2, der(0x04, b"\xaa" * 40)))
    ticket = der(0x61, der(0x30, der(0xA0, der(0x02, b"\x05")) + der(0xA3, encrypted)))
    tgs_body = der(0x30, der(0xA2, realm) + der(0xA3, principal("MSSQLSvc", "db01.corp.example")))
    tgs_req = der(0x6C, der(0x30, der(0xA1, der(0x02, b"\x05")) + der(0xA4, tgs_body)))
    tgs_rep = der(
        0x6D, der(0x30, der(0xA3, realm) + der(0xA4, principal("alice")) + der(0xA5, ticket))
    )
    talk = Conversation(88, sport=50_100).handshake()
    talk.send(len(tgs_req).to_bytes(4, "big") + tgs_req)
    talk.send(len(tgs_rep).to_bytes(4, "big") + tgs_rep, client=False)
    frames = [
        udp(CLIENT, SERVER, 50_000, 88, as_req),
        udp(SERVER, CLIENT, 88, 50_000, error),
        *talk.close().frames,
    ]
    loaded = load(capture(frames))
    first, second = (r.fields for r in of(loaded, "kerberos"))
    assert (first["request_type"], first["client"], first["service"]) == (
        "AS",
        "alice/CORP.EXAMPLE",
        "krbtgt/CORP.EXAMPLE",
    )
    assert (first["success"], first["error_msg"]) == ("F", "KDC_ERR_PREAUTH_FAILED")
    assert (second["request_type"], second["service"], second["cipher"]) == (
        "TGS",
        "MSSQLSvc/db01.corp.example",
        "rc4-hmac",
    )
    assert second["client"] == "alice/CORP.EXAMPLE" and second["success"] == "T"


def test_mutated_captures_never_raise() -> None:
    import random

    chooser = random.Random(7)
    talk = smb_pipe_session("srvsvc", SRVSVC, [12, 15])
    talk.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    base = capture([*talk.frames, udp(CLIENT, SERVER, 5, 88, b"\x6a\x84\xff\xff\xff\xff\x30")])
    for _ in range(150):
        mutated = bytearray(base)
        for _ in range(chooser.randint(1, 40)):
            mutated[chooser.randrange(24, len(mutated))] = chooser.randrange(256)
        loaded = load(bytes(mutated))
        assert all(r.locator.startswith("packet:") for r in loaded.records)


def smb1(
    command: int, mid: int, words: bytes, data: bytes, *, tid: int = 0, reply: bool = False
) -> bytes:
    header = struct.pack(
        "<4sBIBHH8sHHHHH", b"\xffSMB", command, 0, 0x80 if reply else 0x18, 0xC807, 0,
        b"\0" * 8, 0, tid, 0x100, 0x800, mid,
    )  # fmt: skip
    message = header + bytes([len(words) // 2]) + words + struct.pack("<H", len(data)) + data
    return struct.pack(">I", len(message)) + message


def smb1_pipe_rpc(fid: int, mid: int, pdu: bytes) -> bytes:
    name = "\\PIPE\\\0".encode("utf-16-le")
    words = struct.pack(
        "<HHHHBBHIHHHHHBBHH",
        0,
        len(pdu),
        0,
        1024,
        0,
        0,
        0,
        0,
        0,
        0,
        84,
        len(pdu),
        84,
        2,
        0,
        0x26,
        fid,
    )
    return smb1(0x25, mid, words, b"\0" + name + b"\0\0" + pdu, tid=3)


def test_smb1_tree_connect_create_and_pipe_transactions() -> None:
    path = "\\\\OLDHOST\\IPC$\0".encode("utf-16-le")
    tree_words = struct.pack("<BBHHH", 0xFF, 0, 0, 0, 1)
    tree_reply = smb1(0x75, 1, struct.pack("<BBHH", 0xFF, 0, 0, 1), b"IPC\0", tid=3, reply=True)
    name = "\\samr\0".encode("utf-16-le")
    create_words = struct.pack(
        "<BBHBHIIIQIIIIIB", 0xFF, 0, 0, 0, len(name), 0, 0, 0x2019F, 0, 0, 3, 1, 0, 2, 0
    )
    create_reply_words = struct.pack("<BBHBH", 0xFF, 0, 0, 0, 0x4001) + b"\0" * 61
    talk = Conversation(139).handshake()
    talk.send(smb1(0x75, 1, tree_words, b"\0" + path + b"?????\0")).send(tree_reply, client=False)
    talk.send(smb1(0xA2, 2, create_words, b"\0" + name, tid=3))
    talk.send(smb1(0xA2, 2, create_reply_words, b"", tid=3, reply=True), client=False)
    talk.send(smb1_pipe_rpc(0x4001, 3, bind(uuid.UUID("12345778-1234-abcd-ef00-0123456789ac"))))
    talk.send(smb1_pipe_rpc(0x4001, 4, request(13)))
    loaded = load(capture(talk.close().frames))
    (mapping,) = of(loaded, "smb_mapping")
    assert (mapping.fields["path"], mapping.fields["service"]) == ("\\\\OLDHOST\\IPC$", "IPC")
    assert [r.fields["name"] for r in of(loaded, "smb_files")] == ["samr"]
    (call,) = of(loaded, "dce_rpc")
    assert (call.fields["endpoint"], call.fields["operation"]) == (
        "samr",
        "SamrEnumerateUsersInDomain",
    )


def test_encrypted_smb3_is_noted_not_parsed() -> None:
    transform = b"\xfdSMB" + b"\x00" * 48 + b"\x99" * 64
    talk = Conversation(445).handshake().send(struct.pack(">I", len(transform)) + transform)
    loaded = load(capture(talk.close().frames))
    assert of(loaded, "smb_mapping") == [] and of(loaded, "conn")[0].fields["service"] == "smb"
    assert any("encrypted" in note for note in loaded.notes)


def test_http_bodies_are_skipped_whatever_their_size() -> None:
    talk = Conversation(8080).handshake()
    upload = b"A" * 50_000
    talk.send(b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 50000\r\n\r\n")
    for at in range(0, len(upload), 1400):
        talk.send(upload[at : at + 1400])
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1f40\r\n" + b"z" * 8000
    talk.send(chunked + b"\r\n0\r\n\r\n", client=False)
    talk.send(b"GET /after HTTP/1.1\r\nHost: h\r\nUser-Agent: late\r\n\r\n")
    talk.send(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", client=False)
    rows = [r.fields for r in of(load(capture(talk.close().frames)), "http")]
    assert [(r["method"], r["uri"], r["status_code"]) for r in rows] == [
        ("POST", "/upload", 200),
        ("GET", "/after", 302),
    ]
    assert rows[0]["request_body_len"] == 50_000 and rows[1]["user_agent"] == "late"


def authenticate(domain: str, user: str, host: str) -> bytes:
    payload, fields = b"", []
    for text in (domain, user, host):
        encoded = text.encode("utf-16-le")
        fields.append(struct.pack("<HHI", len(encoded), len(encoded), 64 + len(payload)))
        payload += encoded
    empty = struct.pack("<HHI", 0, 0, 64)
    header = b"NTLMSSP\x00\x03\x00\x00\x00" + empty + empty + b"".join(fields) + empty
    return header + struct.pack("<I", 0x1) + payload


def test_ntlm_session_setup_logs_the_account_and_the_outcome() -> None:
    blob = authenticate("CORP", "svc_backup", "WKS7")
    body = struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, len(blob), 0) + blob
    failed = smb2(1, 2, struct.pack("<HHHH", 9, 0, 0, 0), response=True)
    failed = failed[:12] + struct.pack("<I", 0xC000006D) + failed[16:]  # STATUS_LOGON_FAILURE
    talk = Conversation(445).handshake().send(smb2(1, 2, body)).send(failed, client=False)
    (row,) = of(load(capture(talk.close().frames)), "ntlm")
    assert (row.fields["domainname"], row.fields["username"], row.fields["hostname"]) == (
        "CORP",
        "svc_backup",
        "WKS7",
    )
    assert row.fields["success"] == "F"


def test_past_the_parsed_stream_limit_http_comes_from_the_first_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from triage.ingest.packets import conns

    monkeypatch.setattr(conns, "MAX_PARSED_STREAMS", 0)
    talk = Conversation(80).handshake().send(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    talk.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", client=False)
    (row,) = of(load(capture(talk.close().frames)), "http")
    assert (row.fields["uri"], row.fields["status_code"]) == ("/x", 200)


def test_a_downloaded_program_becomes_a_files_row() -> None:
    body = b"MZ\x90\x00" + b"\x00" * 3000
    talk = Conversation(80).handshake().send(b"GET /tool HTTP/1.1\r\nHost: dl.example\r\n\r\n")
    head = b'HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename="t.exe"\r\n'
    talk.send(head + b"Content-Length: 3004\r\n\r\n" + body[:1000], client=False)
    talk.send(body[1000:], client=False)
    loaded = load(capture(talk.close().frames))
    (http,) = of(loaded, "http")
    assert http.fields["resp_mime_types"] == "application/x-dosexec"
    (file,) = of(loaded, "files")
    assert (file.fields["mime_type"], file.fields["filename"]) == ("application/x-dosexec", "t.exe")
    assert file.fields["tx_hosts"] == SERVER and file.fields["total_bytes"] == 3004


# Review fixes: digits, parser errors, direction, folding, SMB2 chains, RPC locators ---------


def test_unicode_digits_in_lengths_and_status_codes_are_not_numbers() -> None:
    # "²" and "¹" (latin-1 0xB2, 0xB9) pass str.isdigit() but not int().
    talk = Conversation(80).handshake()
    talk.send(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: \xb2\r\n\r\n")
    talk.send(b"HTTP/1.1 2\xb30 OK\r\nContent-Length: \xb9\r\n\r\nMZ\x90\x00", client=False)
    loaded = load(capture(talk.close().frames))
    (http,) = of(loaded, "http")
    assert http.fields["request_body_len"] == 0 and http.fields["response_body_len"] == 0
    assert http.fields["status_code"] is None
    assert of(loaded, "conn")[0].fields["service"] == "http"
    from triage.ingest.packets import apps
    from triage.ingest.packets.streams import ConnId

    conn = ConnId("C1", CLIENT, 50_000, SERVER, 80, "tcp")
    row = apps.http_file_row({"content-length": "\xb3"}, "application/x-dosexec", conn)
    assert row["total_bytes"] is None


@pytest.mark.parametrize(
    "error",
    [ValueError, IndexError, KeyError, struct.error, UnicodeDecodeError, OverflowError],
)
def test_a_parser_bug_skips_the_message_not_the_run(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    from triage.ingest.packets import apps, http, kerberos, smb

    def boom(*_args: object, **_kwargs: object) -> None:
        if error is UnicodeDecodeError:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "planted")
        raise error("planted")

    for owner, name in [
        (smb.SmbSession, "_smb2"),
        (http.HttpStream, "_message"),
        (apps, "dns_query_row"),
        (apps, "tls_client_hello"),
        (kerberos, "parse"),
    ]:
        monkeypatch.setattr(owner, name, boom)
    query = dpkt.dns.DNS(id=5, qd=[dpkt.dns.DNS.Q(name=NAME, type=1)])
    frames = [
        *smb_pipe_session("srvsvc", SRVSVC, [15]).frames,
        *Conversation(80, sport=50_001).handshake().send(b"GET / HTTP/1.1\r\n\r\n").frames,
        *Conversation(443, sport=50_002).handshake().send(_client_hello("a.example")).frames,
        udp(CLIENT, SERVER, 40_000, 53, bytes(query)),
        udp(CLIENT, SERVER, 40_001, 88, b"\x6a\x03\x02\x01\x05"),
    ]
    loaded = load(capture(frames))
    assert len(of(loaded, "conn")) == 5
    assert not of(loaded, "smb_mapping") and not of(loaded, "http") and not of(loaded, "dns")
    assert any("malformed" in note for note in loaded.notes)


def test_a_capture_started_mid_session_keeps_the_client_as_originator() -> None:
    frames = []
    for port in (443, 80, 22, 3389, 8080, 5000):
        frames.append(tcp(SERVER, CLIENT, port, 51_000, PSH | ACK, 9000, b"server bytes"))
        frames.append(tcp(CLIENT, SERVER, 51_000, port, ACK, 100))
    frames.append(udp(SERVER, CLIENT, 123, 40_123, b"\x24" + b"\0" * 47))  # an NTP reply
    frames.append(udp(SERVER, CLIENT, 40_000, 50_000, b"x"))  # no service port: the lower one
    conns = [r.fields for r in of(load(capture(frames)), "conn")]
    assert all(c["id.orig_h"] == CLIENT and c["id.resp_h"] == SERVER for c in conns)
    assert [c["id.resp_p"] for c in conns] == [443, 80, 22, 3389, 8080, 5000, 123, 40_000]
    assert conns[6]["conn_state"] == "SHR"  # only the responder was heard


def _dns_query(name: str, trans_id: int) -> bytes:
    return bytes(dpkt.dns.DNS(id=trans_id, qd=[dpkt.dns.DNS.Q(name=name, type=16)]))


def test_a_flood_of_single_query_flows_folds_into_a_few_rows() -> None:
    resolver = "10.1.2.53"
    frames = [
        udp(CLIENT, resolver, 1024 + n, 53, _dns_query("a.example.com", n)) for n in range(2000)
    ]
    frames += [
        udp(CLIENT, resolver, 9000 + n, 53, _dns_query("b.example.com", n)) for n in range(3)
    ]
    frames += [udp(CLIENT, SERVER, 40_000, 1000 + port, b"probe") for port in range(20)]
    loaded = load(capture(frames))
    conns = of(loaded, "conn")
    dns_flows = [c.fields for c in conns if c.fields["id.resp_p"] == 53]
    assert len(dns_flows) == 17 and [c.get("flows") for c in dns_flows] == [None] * 16 + [1987]
    folded = dns_flows[-1]
    assert folded["orig_pkts"] == 1987 and folded["conn_state"] == "S0"
    assert folded["duration"] == 0.0  # the longest flow, not the span of them all
    assert folded["ts"] == round(1_700_000_000.0 + 16 * 0.01, 6)
    assert folded["last_ts"] == round(1_700_000_000.0 + 2002 * 0.01, 6)
    assert len(conns) == 37  # one probe per port stays one row per port
    counts = {r.fields["query"]: r.fields.get("count") for r in of(loaded, "dns")}
    assert counts == {"a.example.com": 2000, "b.example.com": 3}
    assert any("folded" in note for note in loaded.notes)


def test_folded_udp_flows_keep_the_rhythm_of_a_beacon() -> None:
    from triage.detect import SigmaDetector
    from triage.detect.correlations import builtin_correlations
    from triage.detect.rules import RuleSet, RuleStats

    frames = [udp(CLIENT, "198.51.100.7", 40_000 + n, 4444, b"ping") for n in range(40)]
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out)
    for number, frame in enumerate(frames):
        writer.writepkt(frame, ts=1_700_000_000.0 + number * 60.0)
    loaded = load(out.getvalue())
    assert len(of(loaded, "conn")) == 17
    detector = SigmaDetector(
        RuleSet(rules=(), stats=RuleStats()), correlations=builtin_correlations()
    )
    fired = {d.rule_id for d in detector.detect_records(loaded.records)}
    assert "triage-corr-zeek-beacon" in fired


def test_dns_lookups_with_different_answers_are_not_folded() -> None:
    frames = []
    for n, address in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.1"]):
        query = dpkt.dns.DNS(id=n, qd=[dpkt.dns.DNS.Q(name=NAME, type=1)])
        answer = dpkt.dns.DNS(
            id=n, op=dpkt.dns.DNS_QR, qd=query.qd,
            an=[dpkt.dns.DNS.RR(name=NAME, type=1, rdata=socket.inet_aton(address))],
        )  # fmt: skip
        frames.append(udp(CLIENT, "10.1.2.53", 30_000 + n, 53, bytes(query)))
        frames.append(udp("10.1.2.53", CLIENT, 53, 30_000 + n, bytes(answer)))
    rows = [r.fields for r in of(load(capture(frames)), "dns")]
    assert [(r["answers"], r.get("count")) for r in rows] == [("192.0.2.1", 2), ("192.0.2.2", None)]


def _smb2_chained(message_id: int, path: str, following: int) -> bytes:
    """An SMB2 tree connect (no NetBIOS header) whose NextCommand is `following`."""
    encoded = path.encode("utf-16-le")
    header = struct.pack(
        "<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 0, 0, 3, 1, 0, following, message_id, 0, 0,
        0x1234, b"\0" * 16,
    )  # fmt: skip
    return header + struct.pack("<HHHH", 9, 0, 72, len(encoded)) + encoded


@pytest.mark.parametrize(("following", "paths"), [(152, 2), (150, 1), (8, 1)])
def test_smb2_compound_offsets_must_be_aligned_and_past_a_header(
    following: int, paths: int
) -> None:
    first = _smb2_chained(1, "\\\\h\\IPC$", following).ljust(following, b"\0")
    chain = first + _smb2_chained(2, "\\\\h\\C$", 0)
    talk = Conversation(445).handshake().send(struct.pack(">I", len(chain)) + chain)
    loaded = load(capture(talk.close().frames))
    assert len(of(loaded, "smb_mapping")) == paths
    assert (paths == 1) == any("malformed" in note for note in loaded.notes)


def test_an_rpc_row_names_the_packet_its_request_starts_in() -> None:
    call = request(3, stub=b"\0" * 3000)
    talk = Conversation(49667).handshake().send(bind(DRSUAPI))
    talk.send(call[:1400]).send(call[1400:])  # frames 5 and 6
    (row,) = of(load(capture(talk.close().frames)), "dce_rpc")
    assert row.locator == "packet:5/dce_rpc"
    piped = smb_pipe_session("srvsvc", SRVSVC, [])
    message = write(4, 7, b"\x11" * 16, request(15, stub=b"\0" * 3000))
    piped.frames = piped.frames[:-2]  # reopen: drop the closing FINs
    piped.send(message[:1400]).send(message[1400:])
    number = len(piped.frames) - 1
    (row,) = of(load(capture(piped.close().frames)), "dce_rpc")
    assert row.locator == f"packet:{number}/dce_rpc"
