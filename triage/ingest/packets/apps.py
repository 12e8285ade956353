"""Application records from the first bytes of a connection: DNS messages, HTTP requests and
responses, and the TLS ClientHello server name, in Zeek's dns, http and ssl shapes."""

import socket
import struct
from collections.abc import Iterator

import dpkt  # type: ignore[import-untyped]
from dpkt import ssl_ciphersuites

from triage.ingest.base import small_int
from triage.ingest.packets.streams import ConnId, Row

# What a parser may raise on bytes it did not expect: the message is skipped and counted.
DECODE_ERRORS = (
    dpkt.Error,
    ValueError,
    UnicodeError,
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    struct.error,
)
MAX_ANSWERS = 32
HTTP_METHODS = (
    b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"CONNECT ", b"PATCH ",
    b"TRACE ", b"PROPFIND ", b"MKCOL ", b"COPY ", b"MOVE ", b"LOCK ", b"UNLOCK ", b"SEARCH ",
    b"RPC_IN_DATA ", b"RPC_OUT_DATA ",
)  # fmt: skip
QTYPES = {
    1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 10: "NULL", 12: "PTR", 13: "HINFO", 15: "MX",
    16: "TXT", 28: "AAAA", 33: "SRV", 35: "NAPTR", 43: "DS", 46: "RRSIG", 47: "NSEC",
    48: "DNSKEY", 52: "TLSA", 64: "SVCB", 65: "HTTPS", 99: "SPF", 251: "IXFR", 252: "AXFR",
    255: "*", 257: "CAA",
}  # fmt: skip
RCODES = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
    6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
}  # fmt: skip
TLS_VERSIONS = {
    0x0300: "SSLv3", 0x0301: "TLSv10", 0x0302: "TLSv11", 0x0303: "TLSv12", 0x0304: "TLSv13",
}  # fmt: skip


def dns_message(payload: bytes) -> dpkt.dns.DNS | None:
    try:
        return dpkt.dns.DNS(payload)
    except DECODE_ERRORS:
        return None


def dns_query_row(message: dpkt.dns.DNS) -> Row:
    """The query half of a Zeek dns row (a lone response fills it too)."""
    row: Row = {"trans_id": int(message.id), "rtt": None, "query": None}
    question = message.qd[0] if message.qd else None
    if question is not None:
        qtype = int(question.type)
        row.update(
            query=_text(question.name).lower() or None,
            qclass=int(question.cls),
            qclass_name="C_INTERNET" if question.cls == 1 else None,
            qtype=qtype,
            qtype_name=QTYPES.get(qtype, str(qtype)),
        )
    row["RD"] = "T" if message.op & 0x0100 else "F"
    return row


def dns_answer_fields(message: dpkt.dns.DNS) -> Row:
    """What a response adds to its query's row."""
    rcode = int(message.rcode)
    answers = [value for value in map(_answer, message.an[:MAX_ANSWERS]) if value]
    ttls = [str(int(rr.ttl)) for rr in message.an[:MAX_ANSWERS]]
    return {
        "rcode": rcode,
        "rcode_name": RCODES.get(rcode, str(rcode)),
        "AA": "T" if message.aa else "F",
        "TC": "T" if message.op & 0x0200 else "F",
        "RA": "T" if message.ra else "F",
        "answers": ",".join(answers) or None,
        "TTLs": ",".join(ttls) or None,
        "rejected": "T" if rcode == 5 else "F",
    }


def _answer(rr: dpkt.dns.DNS.RR) -> str:
    kind = int(rr.type)
    if kind == 1 and len(rr.rdata) == 4:
        return socket.inet_ntop(socket.AF_INET, rr.rdata)
    if kind == 28 and len(rr.rdata) == 16:
        return socket.inet_ntop(socket.AF_INET6, rr.rdata)
    for attribute in ("cname", "ptrname", "nsname", "mxname", "srvname"):
        value = getattr(rr, attribute, None)
        if isinstance(value, str | bytes):
            return _text(value)
    text = getattr(rr, "text", None)
    if isinstance(text, list) and text:
        joined = " ".join(_text(part) for part in text)
        return f"TXT {len(joined)} {joined}"
    return ""


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def tcp_dns_messages(head: bytes) -> Iterator[dpkt.dns.DNS]:
    """DNS over TCP: each message behind a two-byte length."""
    at = 0
    while at + 2 <= len(head):
        (length,) = struct.unpack_from(">H", head, at)
        if not length or at + 2 + length > len(head):
            return
        message = dns_message(head[at + 2 : at + 2 + length])
        if message is None:
            return
        yield message
        at += 2 + length


def is_http_request(head: bytes) -> bool:
    return head.startswith(HTTP_METHODS)


def http_request_row(start: str, headers: dict[str, str], depth: int) -> Row:
    method, _, rest = start.partition(" ")
    uri, _, version = rest.rpartition(" ")
    if not version.startswith("HTTP/"):
        uri, version = rest, ""
    return {
        "trans_depth": depth,
        "method": method,
        "host": headers.get("host"),
        "uri": uri or None,
        "referrer": headers.get("referer"),
        "version": version.removeprefix("HTTP/") or None,
        "user_agent": headers.get("user-agent"),
        "origin": headers.get("origin"),
        "request_body_len": _length(headers) or 0,
        "response_body_len": 0,
        "status_code": None,
        "status_msg": None,
    }


def http_response_fields(start: str, headers: dict[str, str]) -> Row:
    _, _, rest = start.partition(" ")
    code, _, message = rest.partition(" ")
    return {
        "status_code": small_int(code) if len(code) == 3 else None,
        "status_msg": message or None,
        "response_body_len": _length(headers) or 0,
    }


def _length(headers: dict[str, str]) -> int | None:
    """Content-Length in ASCII digits, of at most 12 of them; None for anything else."""
    length = headers.get("content-length", "")
    return small_int(length) if len(length) <= 12 else None


def http_file_row(headers: dict[str, str], mime: str, conn: ConnId) -> Row:
    """A Zeek files row for a reply body whose leading bytes name its type."""
    disposition = headers.get("content-disposition", "")
    _, marker, name = disposition.partition("filename=")
    return {
        "fuid": None,
        "tx_hosts": conn.resp_h,
        "rx_hosts": conn.orig_h,
        "source": "HTTP",
        "depth": 0,
        "analyzers": None,
        "mime_type": mime,
        "filename": name.split(";")[0].strip().strip('"') or None if marker else None,
        "is_orig": "F",
        "seen_bytes": None,
        "total_bytes": _length(headers),
        "missing_bytes": 0,
    }


def tls_client_hello(head: bytes) -> Row | None:
    """server_name (SNI) of a ClientHello at the start of a stream, or None when not TLS."""
    body = _handshake(head, 1)
    if body is None:
        return None
    at = 2 + 32
    at += 1 + body[at]  # session id
    (suites,) = struct.unpack_from(">H", body, at)
    at += 2 + suites
    at += 1 + body[at]  # compression methods
    row: Row = {"server_name": None, "established": "F"}
    for kind, data in _extensions(body, at):
        if kind == 0 and len(data) > 5:
            (length,) = struct.unpack_from(">H", data, 3)
            row["server_name"] = data[5 : 5 + length].decode("latin-1").lower() or None
    return row


def tls_server_hello(head: bytes) -> Row:
    """version and cipher of a ServerHello (empty when there is none)."""
    body = _handshake(head, 2)
    if body is None:
        return {}
    (version,) = struct.unpack_from(">H", body, 0)
    at = 2 + 32
    at += 1 + body[at]
    (cipher,) = struct.unpack_from(">H", body, at)
    for kind, data in _extensions(body, at + 3):
        if kind == 43 and len(data) == 2:
            (version,) = struct.unpack_from(">H", data, 0)
    suite = ssl_ciphersuites.BY_CODE.get(cipher)
    return {
        "version": TLS_VERSIONS.get(version, f"unknown-{version}"),
        "cipher": suite.name if suite is not None else f"unknown-{cipher}",
        "established": "T",
    }


def _handshake(head: bytes, kind: int) -> bytes | None:
    if len(head) < 9 or head[0] != 0x16 or head[1] != 3:
        return None
    if head[5] != kind:
        return None
    length = int.from_bytes(head[6:9], "big")
    body = head[9 : 9 + length]
    return body if len(body) >= 38 else None


def _extensions(body: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    if at + 2 > len(body):
        return
    (total,) = struct.unpack_from(">H", body, at)
    at += 2
    end = min(len(body), at + total)
    while at + 4 <= end:
        kind, length = struct.unpack_from(">HH", body, at)
        yield kind, body[at + 4 : at + 4 + length]
        at += 4 + length
