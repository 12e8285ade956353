"""TCP bookkeeping for the connection table: in-order delivery of each direction's bytes
(retransmissions trimmed, a few out-of-order segments held), and Zeek's history letters and
conn_state from the flags each side sent."""

from dataclasses import dataclass, field

from triage.ingest.packets.capture import Packet
from triage.ingest.packets.streams import Framer

MAX_OUT_OF_ORDER = 16  # segments held per direction while waiting for a missing one
SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10
_SEQ = 1 << 32


@dataclass(slots=True)
class Side:
    """One direction of a connection: counts, sequence state and what its bytes feed."""

    packets: int = 0
    ip_bytes: int = 0
    payload: int = 0
    missed: int = 0
    next_seq: int | None = None
    gap: bool = False
    head: bytearray = field(default_factory=bytearray)
    marks: list[tuple[int, float, int]] = field(default_factory=list)  # head offset, ts, number
    held: dict[int, bytes] = field(default_factory=dict)
    framer: Framer | None = None


def in_order(side: Side, packet: Packet) -> list[bytes]:
    """The new bytes this segment makes deliverable, in order; held segments included."""
    payload = packet.payload
    if not payload:
        return []
    seq = packet.seq
    if side.next_seq is None:
        side.next_seq = seq
    if side.gap:
        side.missed += len(payload)
        return []
    offset = (seq - side.next_seq) % _SEQ
    if offset and offset < _SEQ // 2:
        if len(side.held) >= MAX_OUT_OF_ORDER:
            side.gap = True
            side.missed += len(payload) + sum(len(data) for data in side.held.values())
            side.held.clear()
            return []
        side.held.setdefault(seq, payload)
        return []
    if offset:  # behind the expected byte: a retransmission, perhaps with new bytes at its end
        payload = payload[_SEQ - offset :]
    delivered = [payload] if payload else []
    side.next_seq = (side.next_seq + len(payload)) % _SEQ
    while side.held:
        ready = [s for s in side.held if (side.next_seq - s) % _SEQ < _SEQ // 2]
        if not ready:
            break
        for start in ready:
            data = side.held.pop(start)[(side.next_seq - start) % _SEQ :]
            if data:
                delivered.append(data)
                side.next_seq = (side.next_seq + len(data)) % _SEQ
    return delivered


def history_letter(packet: Packet, from_orig: bool) -> str:
    """The Zeek history letter of a segment (upper case: originator; "" for none)."""
    flags = packet.flags
    if flags & SYN:
        letter = "S" if not flags & ACK else "H"
    elif flags & RST:
        letter = "R"
    elif flags & FIN:
        letter = "F"
    elif packet.payload:
        letter = "D"
    elif flags & ACK:
        letter = "A"
    else:
        return ""
    return letter if from_orig else letter.lower()


def conn_state(proto: str, orig: int, resp: int, *, answered: bool, asked: bool = True) -> str:
    """Zeek's conn_state, from the TCP flags each side sent (UDP and ICMP: which sides spoke)."""
    if proto != "tcp":
        return ("SF" if asked else "SHR") if answered else "S0"
    syn = bool(orig & SYN)
    syn_ack = bool(resp & SYN)
    if syn and not syn_ack:
        if resp & RST:
            return "REJ"
        if orig & RST:
            return "RSTOS0"
        return "SH" if orig & FIN else "S0"
    if syn_ack and not syn:
        if resp & RST:
            return "RSTRH"
        return "SHR" if resp & FIN else "OTH"
    if not syn:
        return "OTH"
    if orig & RST:
        return "RSTO"
    if resp & RST:
        return "RSTR"
    if orig & FIN and resp & FIN:
        return "SF"
    if orig & FIN:
        return "S2"
    return "S3" if resp & FIN else "S1"
