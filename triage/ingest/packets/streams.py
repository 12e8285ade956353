"""What every protocol parser shares: the sink that collects Zeek-shaped rows under a cap, and
a framer that cuts a byte stream into length-prefixed messages, keeping only each one's head."""

from collections.abc import Callable
from dataclasses import dataclass, field

from triage.models import Scalar

Row = dict[str, Scalar]


@dataclass(frozen=True, slots=True)
class ConnId:
    """A connection as Zeek names it: uid and the originator/responder endpoints."""

    uid: str
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    proto: str

    def fields(self) -> Row:
        return {
            "uid": self.uid,
            "id.orig_h": self.orig_h,
            "id.orig_p": self.orig_p,
            "id.resp_h": self.resp_h,
            "id.resp_p": self.resp_p,
        }


@dataclass(frozen=True, slots=True)
class Entry:
    """One row on its way to a Record: the packet it starts at, and its Zeek log name."""

    number: int
    log: str
    row: Row


@dataclass(kw_only=True)
class RowSink:
    """Collects rows up to max_rows; rows stay mutable until the capture is read, so a parser
    can fill in what a later packet tells (a response code, a share type)."""

    max_rows: int
    entries: list[Entry] = field(default_factory=list)
    dropped: int = 0

    def add(self, *, number: int, ts: float, log: str, conn: ConnId, row: Row) -> Row | None:
        if len(self.entries) >= self.max_rows:
            self.dropped += 1
            return None
        full: Row = {"ts": round(ts, 6), **conn.fields(), **row}
        self.entries.append(Entry(number, log, full))
        return full


@dataclass(kw_only=True)
class Framer:
    """Splits a stream into messages whose header states their length; hands on at most
    head_cap bytes of each (and whether it was cut), skipping the rest without keeping it."""

    header_size: int
    length_of: Callable[[bytes], int]
    head_cap: int
    on_message: Callable[[bytes, bool], None]
    broken: bool = False
    started: tuple[float, int] = (0.0, 0)  # time and packet of the current message's first byte
    _head: bytearray = field(default_factory=bytearray)
    _length: int = 0
    _seen: int = 0

    def feed(
        self, data: bytes, *, missing: int = 0, packet: tuple[float, int] | None = None
    ) -> None:
        """Feed the next bytes; `missing` more bytes followed them that the caller never had.
        `packet` (time, number) carried them: a message is named by the one of its first byte."""
        at = 0
        while at < len(data) and not self.broken:
            if not self._length and not self._head and packet is not None:
                self.started = packet
            if not self._length:
                take = min(self.header_size - len(self._head), len(data) - at)
                self._head += data[at : at + take]
                at += take
                if len(self._head) < self.header_size:
                    break
                length = self.length_of(bytes(self._head))
                if length < self.header_size:
                    self.broken = True
                    break
                self._length, self._seen = length, self.header_size
            take = min(self._length - self._seen, len(data) - at)
            keep = max(0, min(take, self.head_cap - len(self._head)))
            self._head += data[at : at + keep]
            self._seen += take
            at += take
            if self._seen >= self._length:
                self._finish()
        if missing and not self.broken:
            self._skip(missing)

    def _skip(self, count: int) -> None:
        if not self._length:
            # Bytes lost inside a header: the message boundaries cannot be found again.
            self.broken = True
            return
        self._seen += count
        if self._seen > self._length:
            self.broken = True
        elif self._seen == self._length:
            self._finish()

    def _finish(self) -> None:
        head, cut = bytes(self._head), len(self._head) < self._length
        self._head = bytearray()
        self._length = self._seen = 0
        self.on_message(head, cut)
