"""The connection table: packets grouped by 5-tuple into Zeek-style conn rows (state, history,
bytes and packets each way), each TCP direction's payload delivered in order to the SMB,
DCE-RPC or HTTP parser or kept (its first bytes) for TLS, DNS and Kerberos; UDP DNS and
Kerberos read per datagram. Every parser call is guarded: a message it cannot read is counted
and skipped. Single-exchange UDP flows between the same two hosts and port past the first few
fold into one conn row with a `flows` count, and repeated identical DNS lookups into one dns
row with a `count`, so that a query flood does not become a record flood."""

import bisect
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ParamSpec

from triage.ingest.packets import apps, kerberos
from triage.ingest.packets.capture import Packet
from triage.ingest.packets.dcerpc import (
    HEADER,
    RpcCall,
    RpcSession,
    fragment_length,
    looks_like_pdu,
)
from triage.ingest.packets.http import HttpStream, mime_type
from triage.ingest.packets.smb import MESSAGE_HEAD, SmbSession, nbss_length
from triage.ingest.packets.streams import ConnId, Entry, Framer, Row, RowSink
from triage.ingest.packets.tcp import ACK, FIN, RST, SYN, Side, conn_state, history_letter, in_order

HEAD_BYTES = 8 * 1024  # first payload bytes kept per direction for HTTP, TLS and DNS
HEAD_BUDGET = 64 * 1024 * 1024  # all kept first bytes together
MAX_PARSED_STREAMS = 20_000  # connections handed to the SMB, DCE-RPC or HTTP parser
# Single-exchange UDP flows of one client, server, port and outcome kept as their own conn rows
# before the rest fold into one: enough for the beacon correlation to see their rhythm.
FOLD_AFTER = 16
_PORT_SERVICES = {
    21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns", 67: "dhcp", 68: "dhcp",
    80: "http", 88: "krb", 110: "pop3", 123: "ntp", 135: "dce_rpc", 137: "netbios-ns",
    139: "smb", 143: "imap", 161: "snmp", 389: "ldap", 443: "ssl", 445: "smb", 465: "smtp",
    587: "smtp", 636: "ssl", 993: "ssl", 995: "ssl", 1433: "mssql", 3306: "mysql",
    3389: "rdp", 5060: "sip", 5985: "http", 5986: "ssl", 8080: "http", 8443: "ssl",
}  # fmt: skip
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUMMED = ("orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "orig_ip_bytes",
           "resp_pkts", "resp_ip_bytes")  # fmt: skip
P = ParamSpec("P")


@dataclass(slots=True)
class Connection:
    conn: ConnId
    first_number: int
    first_ts: float
    last_ts: float
    orig: Side = field(default_factory=Side)
    resp: Side = field(default_factory=Side)
    flags_orig: int = 0
    flags_resp: int = 0
    history: str = ""
    mode: str | None = None  # smb, dce_rpc or head, once the first payload is seen
    smb: SmbSession | None = None
    rpc: RpcSession | None = None
    http: tuple[HttpStream, HttpStream] | None = None  # requests, responses
    calls: dict[tuple[str | None, str, str], Row] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        both_fin = self.flags_orig & FIN and self.flags_resp & FIN
        return bool(both_fin or (self.flags_orig | self.flags_resp) & RST)


def _uid(number: int) -> str:
    """A Zeek-like connection uid, stable for a capture: from the connection's first packet."""
    digest = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=17).digest()
    return "C" + "".join(_ALPHABET[byte % 62] for byte in digest)


@dataclass(kw_only=True)
class ConnectionTable:
    sink: RowSink
    max_connections: int
    connections: dict[tuple[object, ...], Connection] = field(default_factory=dict)
    finished: list[Connection] = field(default_factory=list)
    untracked: int = 0
    parsed_streams: int = 0
    head_bytes: int = 0
    dns_pending: dict[tuple[str, int], Row] = field(default_factory=dict)
    malformed_app: int = 0
    folded_flows: int = 0  # single-exchange UDP flows folded into another flow's conn row
    folded_dns: int = 0  # dns rows folded into an identical earlier lookup's row
    encrypted_smb: int = 0
    current: tuple[float, int] = (0.0, 0)  # the packet being read: its time and number

    def add(self, packet: Packet) -> None:
        self.current = (packet.ts, packet.number)
        a, b = (packet.src, packet.sport), (packet.dst, packet.dport)
        if packet.proto == "icmp":
            key: tuple[object, ...] = ("icmp", *sorted((packet.src, packet.dst)))
        else:
            key = (packet.proto, *sorted((a, b)))
        connection = self.connections.get(key)
        new_syn = packet.proto == "tcp" and packet.flags & (SYN | ACK) == SYN
        if connection is not None and new_syn and connection.closed:
            self.finished.append(self.connections.pop(key))
            connection = None
        if connection is None:
            if len(self.connections) + len(self.finished) >= self.max_connections:
                self.untracked += 1
                return
            connection = self.connections[key] = self._open(key, packet)
        self._update(connection, packet)

    def _safely(self, parse: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> bool:
        """Run one application parser call; a message it cannot read is counted, not raised."""
        try:
            parse(*args, **kwargs)
        except apps.DECODE_ERRORS:
            self.malformed_app += 1
            return False
        return True

    def _open(self, key: tuple[object, ...], packet: Packet) -> Connection:
        if _sender_originates(packet):
            conn = ConnId(
                _uid(packet.number),
                packet.src,
                packet.sport,
                packet.dst,
                packet.dport,
                packet.proto,
            )
        else:
            conn = ConnId(
                _uid(packet.number),
                packet.dst,
                packet.dport,
                packet.src,
                packet.sport,
                packet.proto,
            )
        return Connection(
            conn=conn, first_number=packet.number, first_ts=packet.ts, last_ts=packet.ts
        )

    def _update(self, connection: Connection, packet: Packet) -> None:
        conn = connection.conn
        from_orig = (packet.src, packet.sport) == (conn.orig_h, conn.orig_p)
        if conn.proto == "icmp":
            from_orig = packet.src == conn.orig_h
        side = connection.orig if from_orig else connection.resp
        side.packets += 1
        side.ip_bytes += packet.ip_bytes
        connection.last_ts = max(connection.last_ts, packet.ts)
        if conn.proto == "udp":
            side.payload += len(packet.payload)
            if 53 in (conn.orig_p, conn.resp_p):
                self._safely(self._dns, connection, packet, from_orig)
            elif conn.resp_p == 88:
                self._safely(self._kerberos, connection, packet.payload)
            return
        if conn.proto != "tcp":
            side.payload += len(packet.payload)
            return
        if from_orig:
            connection.flags_orig |= packet.flags
        else:
            connection.flags_resp |= packet.flags
        letter = history_letter(packet, from_orig)
        if letter and letter not in connection.history:
            connection.history += letter
        if packet.flags & SYN:
            side.next_seq = (packet.seq + 1) % (1 << 32)
        for data in in_order(side, packet):
            side.payload += len(data)
            self._payload(connection, side, data, from_orig, packet)

    def _payload(
        self, connection: Connection, side: Side, data: bytes, from_orig: bool, packet: Packet
    ) -> None:
        if connection.mode is None and from_orig:
            connection.mode = self._choose(connection, data)
        if connection.http is not None:
            stream = connection.http[0 if from_orig else 1]
            if not self._safely(stream.feed, data, ts=packet.ts, number=packet.number):
                stream.stopped = True  # where its next message starts is no longer known
        elif side.framer is not None:
            framer = side.framer
            if not self._safely(framer.feed, data, packet=(packet.ts, packet.number)):
                framer.broken = True
        elif connection.mode in (None, "head") and len(side.head) < HEAD_BYTES:
            keep = min(HEAD_BYTES - len(side.head), len(data), HEAD_BUDGET - self.head_bytes)
            if keep > 0:
                side.marks.append((len(side.head), packet.ts, packet.number))
                side.head += data[:keep]
                self.head_bytes += keep

    def _choose(self, connection: Connection, data: bytes) -> str:
        is_smb = data[:1] in (b"\x00", b"\x81") and data[4:8] in (
            b"\xfeSMB",
            b"\xffSMB",
            b"\xfdSMB",
            b"",
        )
        if self.parsed_streams >= MAX_PARSED_STREAMS:
            return "head"
        if is_smb and (data[4:8] or connection.conn.resp_p in (139, 445)):
            self.parsed_streams += 1
            self._start_smb(connection)
            return "smb"
        if looks_like_pdu(data):
            self.parsed_streams += 1
            self._start_rpc(connection)
            return "dce_rpc"
        if apps.is_http_request(data):
            self.parsed_streams += 1
            connection.http = (HttpStream(request=True), HttpStream(request=False))
            return "http"
        return "head"

    def _start_smb(self, connection: Connection) -> None:
        smb = SmbSession(
            on_mapping=lambda path, kind: self._smb_mapping(connection, path, kind),
            on_file=lambda action, tree, name, prev: self._smb_file(
                connection, action, tree, name, prev
            ),
            on_call=lambda call: self._rpc_call(connection, call),
            on_ntlm=lambda row: self._row(connection, "ntlm", row),
        )
        connection.smb = smb

        def reader(handler: Callable[[bytes, bool], None]) -> Framer:
            def message(data: bytes, cut: bool) -> None:
                smb.ts, smb.number = framer.started  # the packet of the message's first byte
                self._safely(handler, data, cut)

            framer = Framer(
                header_size=4, length_of=nbss_length, head_cap=MESSAGE_HEAD, on_message=message
            )
            return framer

        connection.orig.framer = reader(smb.client_message)
        connection.resp.framer = reader(smb.server_message)

    def _start_rpc(self, connection: Connection) -> None:
        rpc = RpcSession(on_call=lambda call: self._rpc_call(connection, call))
        connection.rpc = rpc

        def client(pdu: bytes, _cut: bool) -> None:
            ts, number = client_framer.started  # the packet of the PDU's first byte
            self._safely(rpc.client, pdu, ts=ts, number=number)

        def server(pdu: bytes, _cut: bool) -> None:
            self._safely(rpc.server, pdu)

        connection.orig.framer = client_framer = Framer(
            header_size=HEADER, length_of=fragment_length, head_cap=1024, on_message=client
        )
        connection.resp.framer = Framer(
            header_size=HEADER, length_of=fragment_length, head_cap=1024, on_message=server
        )

    # Rows ---------------------------------------------------------------------------------

    def _row(self, connection: Connection, log: str, row: Row) -> Row | None:
        ts, number = self.current
        return self.sink.add(number=number, ts=ts, log=log, conn=connection.conn, row=row)

    def _smb_mapping(self, connection: Connection, path: str, share_type: str | None) -> Row | None:
        row: Row = {"path": path, "service": None, "native_file_system": None,
                    "share_type": share_type}  # fmt: skip
        return self._row(connection, "smb_mapping", row)

    def _smb_file(
        self, connection: Connection, action: str, tree: str, name: str, previous: str | None
    ) -> None:
        key = (f"smb_files {action}", tree, name)
        if key in connection.calls:
            return
        row: Row = {"fuid": None, "action": action, "path": tree or None, "name": name,
                    "size": None, "prev_name": previous}  # fmt: skip
        added = self._row(connection, "smb_files", row)
        if added is not None:
            connection.calls[key] = added

    def _rpc_call(self, connection: Connection, call: RpcCall) -> None:
        """One dce_rpc row per pipe and operation in a connection; repeats are counted."""
        key = (call.named_pipe, call.endpoint, call.operation)
        known = connection.calls.get(key)
        if known is not None:
            calls = known.get("calls")
            known["calls"] = (calls if isinstance(calls, int) else 1) + 1
            return
        row: Row = {"rtt": None, "named_pipe": call.named_pipe, "endpoint": call.endpoint,
                    "operation": call.operation, "opnum": call.opnum,
                    "interface_uuid": call.interface, "calls": 1}  # fmt: skip
        added = self.sink.add(
            number=call.number, ts=call.ts, log="dce_rpc", conn=connection.conn, row=row
        )
        if added is not None:
            connection.calls[key] = added

    def _kerberos(self, connection: Connection, message: bytes) -> None:
        """A request opens a kerberos row; the reply or error that follows completes it."""
        try:
            parsed = kerberos.parse(message)
        except (ValueError, IndexError):
            parsed = None
        if parsed is None:
            self.malformed_app += 1
            return
        kind, fields = parsed
        key = ("kerberos pending", "", "")
        pending = connection.calls.pop(key, None)
        if kind == "reply" and pending is not None:
            pending.update({k: v for k, v in fields.items() if v is not None or k not in pending})
            return
        base: Row = {
            "request_type": None,
            "client": None,
            "service": None,
            "success": None,
            "error_code": None,
            "error_msg": None,
            "cipher": None,
        }
        row = self._row(connection, "kerberos", {**base, **fields})
        if row is not None and kind == "request":
            connection.calls[key] = row

    def _dns(self, connection: Connection, packet: Packet, from_orig: bool) -> None:
        message = apps.dns_message(packet.payload)
        if message is None:
            return
        self._dns_message(connection, message, packet.ts)

    def _dns_message(self, connection: Connection, message: object, ts: float) -> None:
        try:
            is_response = bool(message.qr)  # type: ignore[attr-defined]
            trans_id = int(message.id)  # type: ignore[attr-defined]
            pending_key = (connection.conn.uid, trans_id)
            if not is_response:
                row = self._row(
                    connection,
                    "dns",
                    {"proto": connection.conn.proto, **apps.dns_query_row(message)},
                )
                if row is not None and len(self.dns_pending) < 65_536:
                    self.dns_pending[pending_key] = row
                return
            row = self.dns_pending.pop(pending_key, None)
            if row is None:
                row = self._row(
                    connection,
                    "dns",
                    {"proto": connection.conn.proto, **apps.dns_query_row(message)},
                )
            elif isinstance(row.get("ts"), float):
                row["rtt"] = round(ts - float(row["ts"]), 6)  # type: ignore[arg-type]
            if row is not None:
                row.update(apps.dns_answer_fields(message))
        except apps.DECODE_ERRORS:
            self.malformed_app += 1

    # The end of the capture ----------------------------------------------------------------

    def finish(self) -> None:
        """Rows from each connection's first bytes, then one conn row per connection (past
        FOLD_AFTER, single-exchange UDP flows of one kind folded into one), then repeated
        lookups folded."""
        connections = [*self.finished, *self.connections.values()]
        exchanges: dict[tuple[object, ...], list[tuple[Connection, Row]]] = {}
        for connection in connections:
            row = _conn_fields(connection, self._service(connection))
            conn = connection.conn
            if conn.proto == "udp" and connection.orig.packets + connection.resp.packets <= 2:
                key = (conn.orig_h, conn.resp_h, conn.resp_p, row["service"], row["conn_state"])
                exchanges.setdefault(key, []).append((connection, row))
            else:
                self._conn_row(connection, row)
        for group in exchanges.values():
            for connection, row in group[:FOLD_AFTER]:
                self._conn_row(connection, row)
            if len(group) > FOLD_AFTER:
                self._conn_row(group[FOLD_AFTER][0], _folded(group[FOLD_AFTER:]))
                self.folded_flows += len(group) - FOLD_AFTER - 1
        self._fold_dns()
        for connection in connections:
            for rpc in _rpc_sessions(connection):
                self.malformed_app += rpc.malformed
            if connection.smb is not None:
                self.malformed_app += connection.smb.malformed
                self.encrypted_smb += connection.smb.encrypted

    def _service(self, connection: Connection) -> str | None:
        """Rows from the connection's first bytes, and the service they show."""
        try:
            return self._heads(connection)
        except apps.DECODE_ERRORS:
            self.malformed_app += 1
            return None

    def _heads(self, connection: Connection) -> str | None:
        conn, orig, resp = connection.conn, bytes(connection.orig.head), bytes(connection.resp.head)
        self.current = (connection.first_ts, connection.first_number)
        if connection.http is None and apps.is_http_request(orig):
            # Past the parsed-stream limit: the messages within the first bytes only.
            connection.http = (HttpStream(request=True), HttpStream(request=False))
            connection.http[0].feed(orig, ts=connection.first_ts, number=connection.first_number)
            connection.http[1].feed(resp, ts=connection.first_ts, number=connection.first_number)
        if connection.http is not None:
            self._http(connection, *connection.http)
            return "http"
        if connection.mode in ("smb", "dce_rpc"):
            return connection.mode
        if conn.proto != "tcp":
            return "dns" if 53 in (conn.orig_p, conn.resp_p) and conn.proto == "udp" else None
        hello = apps.tls_client_hello(orig) if orig[:1] == b"\x16" else None
        if hello is not None:
            self._at(connection.orig, 0)
            self._row(connection, "ssl", {**hello, **apps.tls_server_hello(resp)})
            return "ssl"
        if orig.startswith(b"SSH-") or resp.startswith(b"SSH-"):
            return "ssh"
        if conn.resp_p == 88 and orig:
            for message, side in _interleaved(connection):
                self._at(side, message[0])
                self._kerberos(connection, message[1])
            return "krb"
        if 53 in (conn.resp_p, conn.orig_p) and orig:
            for message in [*apps.tcp_dns_messages(orig), *apps.tcp_dns_messages(resp)]:
                self._dns_message(connection, message, connection.first_ts)
            return "dns"
        return None

    def _http(self, connection: Connection, requests: HttpStream, replies: HttpStream) -> None:
        """An http row per request, completed by its reply; a files row per typed body."""
        for index in range(len(requests.messages)):
            self._safely(self._http_exchange, connection, requests, replies, index)

    def _http_exchange(
        self, connection: Connection, requests: HttpStream, replies: HttpStream, index: int
    ) -> None:
        message = requests.messages[index]
        row = apps.http_request_row(message.start, message.headers, index + 1)
        self.current = (message.ts, message.number)
        mime = None
        if index < len(replies.messages):
            reply = replies.messages[index]
            row.update(apps.http_response_fields(reply.start, reply.headers))
            mime = mime_type(replies.bodies.get(index, b""))
            row["resp_mime_types"] = mime
        self._row(connection, "http", row)
        if mime is not None:
            self.current = (reply.ts, reply.number)
            self._row(connection, "files", apps.http_file_row(reply.headers, mime, connection.conn))

    def _at(self, side: Side, offset: int) -> None:
        """Make the packet that carried this byte of the side's first bytes the current one."""
        index = bisect.bisect_right(side.marks, (offset, float("inf"), 0)) - 1
        if index >= 0:
            _, ts, number = side.marks[index]
            self.current = (ts, number)

    def _conn_row(self, connection: Connection, row: Row) -> None:
        self.sink.add(
            number=connection.first_number,
            ts=connection.first_ts,
            log="conn",
            conn=connection.conn,
            row=row,
        )

    def _fold_dns(self) -> None:
        """A lookup repeated with the same answer (same client, server, name, type, response
        code and answer set) becomes one row: the first, with a `count` and the `last_ts`."""
        kept: list[Entry] = []
        first: dict[tuple[object, ...], Row] = {}
        for entry in sorted(self.sink.entries, key=lambda e: e.number):
            row = entry.row
            if entry.log != "dns":
                kept.append(entry)
                continue
            answers = row.get("answers")
            key = (
                *(row.get(name) for name in ("id.orig_h", "id.resp_h", "proto", "query")),
                *(row.get(name) for name in ("qtype", "rcode", "AA", "TC")),
                frozenset(answers.split(",")) if isinstance(answers, str) else None,
            )
            earlier = first.get(key)
            if earlier is None:
                first[key] = row
                kept.append(entry)
                continue
            count = earlier.get("count")
            earlier["count"] = (count if isinstance(count, int) else 1) + 1
            earlier["last_ts"] = row.get("ts")
            self.folded_dns += 1
        self.sink.entries = kept


def _sender_originates(packet: Packet) -> bool:
    """Whether a connection's first packet came from its originator: a SYN tells; otherwise (a
    capture started mid-session, UDP) the responder is the side on a well-known service port,
    else the side on the lower port."""
    if packet.proto == "icmp":
        return True
    if packet.proto == "tcp" and packet.flags & SYN:
        return not packet.flags & ACK
    source, destination = _service_rank(packet.sport), _service_rank(packet.dport)
    if source != destination:
        return destination > source
    return packet.dport <= packet.sport


def _service_rank(port: int) -> int:
    return 2 if port in _PORT_SERVICES else 1 if port <= 1023 else 0


def _conn_fields(connection: Connection, service: str | None) -> Row:
    """A Zeek conn row's fields (the connection's id aside)."""
    conn, orig, resp = connection.conn, connection.orig, connection.resp
    if service is None and (orig.payload or resp.payload):
        service = _PORT_SERVICES.get(conn.resp_p) if conn.proto != "icmp" else None
    return {
        "proto": conn.proto,
        "service": service,
        "duration": round(connection.last_ts - connection.first_ts, 6),
        "orig_bytes": orig.payload,
        "resp_bytes": resp.payload,
        "conn_state": conn_state(
            conn.proto,
            connection.flags_orig,
            connection.flags_resp,
            answered=resp.packets > 0,
            asked=orig.packets > 0,
        ),
        "local_orig": None,
        "local_resp": None,
        "missed_bytes": orig.missed + resp.missed,
        "history": connection.history or None,
        "orig_pkts": orig.packets,
        "orig_ip_bytes": orig.ip_bytes,
        "resp_pkts": resp.packets,
        "resp_ip_bytes": resp.ip_bytes,
    }


def _folded(group: list[tuple[Connection, Row]]) -> Row:
    """One conn row for single-exchange UDP flows of one client, server, port and outcome: the
    first flow's row with the others' bytes and packets added, `flows` and the `last_ts`; its
    duration stays the longest single flow's, not the span of them all."""
    row = dict(group[0][1])
    for _, other in group[1:]:
        for name in _SUMMED:
            total, more = row[name], other[name]
            if isinstance(total, int) and isinstance(more, int):
                row[name] = total + more
    durations = [d for _, other in group if isinstance(d := other["duration"], float | int)]
    row["duration"] = max(durations, default=0.0)
    row["flows"] = len(group)
    row["last_ts"] = round(max(connection.first_ts for connection, _ in group), 6)
    return row


def _length_prefixed(head: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, message) of each message behind a 4-byte big-endian length (Kerberos on TCP)."""
    at = 0
    while at + 4 <= len(head):
        length = int.from_bytes(head[at : at + 4], "big")
        if not length or length > 1 << 20:
            return
        yield at, head[at + 4 : at + 4 + length]
        at += 4 + length


def _interleaved(connection: Connection) -> list[tuple[tuple[int, bytes], Side]]:
    """Messages of both directions, in the order their first packets arrived."""
    found = []
    for side in (connection.orig, connection.resp):
        for offset, message in _length_prefixed(bytes(side.head)):
            index = bisect.bisect_right(side.marks, (offset, float("inf"), 0)) - 1
            number = side.marks[index][2] if index >= 0 else 0
            found.append((number, (offset, message), side))
    found.sort(key=lambda item: item[0])
    return [(message, side) for _, message, side in found]


def _rpc_sessions(connection: Connection) -> list[RpcSession]:
    sessions = connection.smb.rpc_sessions() if connection.smb is not None else []
    return sessions + ([connection.rpc] if connection.rpc is not None else [])
