"""Connection-oriented DCE-RPC (MS-RPCE over TCP or an SMB named pipe): binds name the
interface of each presentation context, requests name the operation; Zeek's dce_rpc.log shape."""

import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from triage.ingest.packets.dcerpc_names import endpoint_name, operation_name

HEADER = 16
_BIND, _BIND_ACK, _ALTER, _ALTER_RESP = 11, 12, 14, 15
_REQUEST, _RESPONSE = 0, 2
_FIRST_FRAG = 0x01
_MAX_CONTEXTS = 64
_MAX_CALLS = 256


def looks_like_pdu(data: bytes) -> bool:
    """Version 5.0/5.1 and a bind, alter-context or request packet type."""
    return len(data) >= HEADER and data[0] == 5 and data[1] in (0, 1) and data[2] in (0, 11, 14)


def fragment_length(header: bytes) -> int:
    """The PDU length its header states (0 when the header is not DCE-RPC)."""
    if len(header) < HEADER or header[0] != 5:
        return 0
    order = "<" if header[4] & 0x10 else ">"
    return int(struct.unpack_from(f"{order}H", header, 8)[0])


@dataclass(frozen=True, slots=True)
class RpcCall:
    """One DCE-RPC request: which interface and operation, over which pipe."""

    ts: float
    number: int
    named_pipe: str | None
    endpoint: str
    operation: str
    opnum: int
    interface: str


@dataclass(kw_only=True)
class RpcSession:
    """The presentation contexts of one DCE-RPC association, fed whole PDUs (or their heads)."""

    on_call: Callable[[RpcCall], None]
    named_pipe: str | None = None
    contexts: dict[int, str] = field(default_factory=dict)
    pending: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    malformed: int = 0

    def client(self, pdu: bytes, *, ts: float, number: int) -> None:
        try:
            self._client(pdu, ts, number)
        except (struct.error, ValueError, IndexError):
            self.malformed += 1

    def server(self, pdu: bytes) -> None:
        try:
            self._server(pdu)
        except (struct.error, ValueError, IndexError):
            self.malformed += 1

    def _client(self, pdu: bytes, ts: float, number: int) -> None:
        if len(pdu) < HEADER or pdu[0] != 5:
            self.malformed += 1
            return
        little = bool(pdu[4] & 0x10)
        order = "<" if little else ">"
        kind, flags = pdu[2], pdu[3]
        (call_id,) = struct.unpack_from(f"{order}I", pdu, 12)
        if kind in (_BIND, _ALTER):
            offered = _contexts(pdu, order, little)
            for context_id, interface in offered:
                if len(self.contexts) < _MAX_CONTEXTS or context_id in self.contexts:
                    self.contexts[context_id] = interface
            if len(self.pending) < _MAX_CALLS:
                self.pending[call_id] = offered
        elif kind == _REQUEST and flags & _FIRST_FRAG:
            _, context_id, opnum = struct.unpack_from(f"{order}IHH", pdu, HEADER)
            bound = self.contexts.get(context_id)
            if bound is None:
                self.malformed += 1
                return
            endpoint = endpoint_name(bound)
            self.on_call(
                RpcCall(
                    ts=ts,
                    number=number,
                    named_pipe=self.named_pipe,
                    endpoint=endpoint,
                    operation=operation_name(endpoint, opnum),
                    opnum=opnum,
                    interface=bound,
                )
            )

    def _server(self, pdu: bytes) -> None:
        if len(pdu) < HEADER + 10 or pdu[0] != 5 or pdu[2] not in (_BIND_ACK, _ALTER_RESP):
            return
        order = "<" if pdu[4] & 0x10 else ">"
        (call_id,) = struct.unpack_from(f"{order}I", pdu, 12)
        offered = self.pending.pop(call_id, [])
        (address_length,) = struct.unpack_from(f"{order}H", pdu, HEADER + 8)
        at = HEADER + 10
        address = pdu[at : at + address_length].split(b"\0", 1)[0].decode("latin-1")
        if address and pdu[2] == _BIND_ACK:
            self.named_pipe = normalise_pipe(address)
        at += address_length
        at += -at % 4
        if at + 4 > len(pdu):
            return
        count = pdu[at]
        at += 4
        for index in range(min(count, len(offered))):
            if at + 24 > len(pdu):
                break
            (result,) = struct.unpack_from(f"{order}H", pdu, at)
            context_id, _ = offered[index]
            if result != 0:
                self.contexts.pop(context_id, None)
            at += 24


def _contexts(pdu: bytes, order: str, little: bool) -> list[tuple[int, str]]:
    """(context id, interface UUID) of each presentation context a bind offers."""
    at = HEADER + 8
    count = pdu[at]
    at += 4
    offered: list[tuple[int, str]] = []
    for _ in range(min(count, _MAX_CONTEXTS)):
        if at + 24 > len(pdu):
            break
        context_id, transfers = struct.unpack_from(f"{order}HB", pdu, at)
        raw = pdu[at + 4 : at + 20]
        interface = uuid.UUID(bytes_le=raw) if little else uuid.UUID(bytes=raw)
        offered.append((int(context_id), str(interface)))
        at += 24 + 20 * int(transfers)
    return offered


def normalise_pipe(name: str) -> str:
    """A pipe name as Zeek logs it: lower case, without a leading \\pipe\\ (TCP ports stay)."""
    lowered = name.replace("/", "\\").lower()
    head, marker, tail = lowered.partition("\\pipe\\")
    return tail if marker else head.lstrip("\\")
