"""Reading a pcap or pcapng capture with dpkt: each packet decoded down to its IP and TCP/UDP
headers, with every malformed packet counted rather than raised."""

import io
import socket
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dpkt  # type: ignore[import-untyped]

# Link types (LINKTYPE_* numbers) whose frames carry IP.
_ETHERNET = 1
_NULL, _LOOP = 0, 108
_RAW = frozenset({12, 14, 101, 228, 229})
_SLL, _SLL2 = 113, 276
_IP_PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}
_DECODE_ERRORS = (dpkt.Error, ValueError, IndexError, KeyError, TypeError, struct.error, OSError)


@dataclass(frozen=True, slots=True)
class Packet:
    """One IP packet as the connection table needs it."""

    number: int  # 1-based position in the capture
    ts: float
    src: str
    dst: str
    proto: str  # tcp, udp or icmp
    sport: int
    dport: int
    ip_bytes: int
    payload: bytes = b""
    flags: int = 0  # TCP flags
    seq: int = 0


@dataclass(kw_only=True)
class ReadStats:
    """What the reader skipped, for the loader's notes."""

    packets: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    stopped: str | None = None


def open_capture(data: bytes) -> Any:
    """A dpkt reader for a pcap or pcapng capture; ValueError (or a dpkt error) when neither."""
    stream = io.BytesIO(data)
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return dpkt.pcapng.Reader(stream)
    return dpkt.pcap.Reader(stream)


def read_packets(data: bytes, *, max_packets: int, stats: ReadStats) -> Iterator[Packet]:
    """The IP packets of a capture, in file order, at most max_packets frames read."""
    try:
        reader = open_capture(data)
        linktype = int(reader.datalink())
    except _DECODE_ERRORS as error:
        stats.stopped = f"capture header unreadable ({type(error).__name__})"
        return
    frames = iter(reader)
    while True:
        try:
            ts, frame = next(frames)
        except StopIteration:
            return
        except _DECODE_ERRORS as error:
            reason = type(error).__name__
            stats.stopped = (
                f"capture truncated or malformed after frame {stats.packets:,} ({reason})"
            )
            return
        if stats.packets >= max_packets:
            stats.stopped = f"stopped after {max_packets:,} frames (limit)"
            return
        stats.packets += 1
        try:
            packet = _decode(stats.packets, float(ts), bytes(frame), linktype)
        except _DECODE_ERRORS:
            stats.skipped["malformed frame"] += 1
            continue
        if isinstance(packet, str):
            stats.skipped[packet] += 1
            continue
        yield packet


def _network_layer(frame: bytes, linktype: int) -> Any:
    if linktype == _ETHERNET:
        return dpkt.ethernet.Ethernet(frame).data
    if linktype in _RAW:
        return dpkt.ip6.IP6(frame) if frame[:1] and frame[0] >> 4 == 6 else dpkt.ip.IP(frame)
    if linktype in (_NULL, _LOOP):
        return dpkt.loopback.Loopback(frame).data
    if linktype == _SLL:
        return dpkt.sll.SLL(frame).data
    if linktype == _SLL2:
        return dpkt.sll2.SLL2(frame).data
    return None


def _decode(number: int, ts: float, frame: bytes, linktype: int) -> Packet | str:
    """The packet, or why it was skipped."""
    ip = _network_layer(frame, linktype)
    if isinstance(ip, dpkt.ip.IP):
        if ip.mf or ip.offset:
            return "IP fragment"
        src, dst = (
            socket.inet_ntop(socket.AF_INET, ip.src),
            socket.inet_ntop(socket.AF_INET, ip.dst),
        )
        ip_bytes = int(ip.len)
    elif isinstance(ip, dpkt.ip6.IP6):
        src = socket.inet_ntop(socket.AF_INET6, ip.src)
        dst = socket.inet_ntop(socket.AF_INET6, ip.dst)
        ip_bytes = int(ip.plen) + 40
    elif linktype not in (_ETHERNET, *_RAW, _NULL, _LOOP, _SLL, _SLL2):
        return f"link type {linktype}"
    else:
        return "not IP"
    proto = _IP_PROTOCOLS.get(int(ip.p))
    layer = ip.data
    if proto == "tcp" and isinstance(layer, dpkt.tcp.TCP):
        return Packet(
            number,
            ts,
            src,
            dst,
            "tcp",
            int(layer.sport),
            int(layer.dport),
            ip_bytes,
            bytes(layer.data),
            int(layer.flags),
            int(layer.seq),
        )
    if proto == "udp" and isinstance(layer, dpkt.udp.UDP):
        payload = bytes(layer.data)
        return Packet(
            number, ts, src, dst, "udp", int(layer.sport), int(layer.dport), ip_bytes, payload
        )
    if proto == "icmp" and hasattr(layer, "type"):
        # Zeek writes ICMP type and code in the port fields.
        return Packet(number, ts, src, dst, "icmp", int(layer.type), int(layer.code), ip_bytes)
    return "other IP protocol" if proto is None else f"truncated {proto} header"
