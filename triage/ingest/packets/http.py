"""HTTP/1.x message heads in one direction of a TCP stream: each start line and its headers,
with bodies skipped by Content-Length or chunk sizes and never kept."""

from dataclasses import dataclass, field

from triage.ingest.base import small_int

MAX_HEAD = 16 * 1024  # one message's start line and headers
MAX_MESSAGES = 256  # per direction
BODY_PREFIX = 16  # first body bytes kept, for the file type
# Leading bytes → the MIME type Zeek's file analysis names.
MAGIC = (
    (b"MZ", "application/x-dosexec"),
    (b"\x7fELF", "application/x-executable"),
    (b"PK\x03\x04", "application/zip"),
    (b"%PDF", "application/pdf"),
    (b"\x1f\x8b", "application/x-gzip"),
    (b"Rar!", "application/x-rar"),
    (b"7z\xbc\xaf", "application/x-7z-compressed"),
    (b"MSCF", "application/vnd.ms-cab-compressed"),
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"<!DOCTYPE html", "text/html"),
    (b"<html", "text/html"),
)


def mime_type(prefix: bytes) -> str | None:
    lowered = prefix.lstrip()[:BODY_PREFIX]
    for magic, name in MAGIC:
        if lowered.startswith(magic) or (
            name == "text/html" and lowered.lower().startswith(magic.lower())
        ):
            return name
    return None


_NO_BODY = ("1", "204", "304")


@dataclass(frozen=True, slots=True)
class HttpMessage:
    ts: float
    number: int  # the packet that carried its first byte
    start: str
    headers: dict[str, str]


@dataclass(kw_only=True)
class HttpStream:
    """Feeds one direction; stops (for good) at what it cannot frame: a body read to the end of
    the connection, a head over MAX_HEAD, or MAX_MESSAGES messages."""

    request: bool
    messages: list[HttpMessage] = field(default_factory=list)
    bodies: dict[int, bytes] = field(default_factory=dict)  # message index → first body bytes
    stopped: bool = False
    _buffer: bytearray = field(default_factory=bytearray)
    _started: tuple[float, int] = (0.0, 0)
    _skip: int = 0
    _trailer: int = 0  # bytes at the end of the skip that are not body (a chunk's CRLF)
    _chunked: bool = False
    _chunk_line: bytearray = field(default_factory=bytearray)
    _last_request: str = ""

    def feed(self, data: bytes, *, ts: float, number: int) -> None:
        view = memoryview(data)
        while view and not self.stopped:
            if self._skip:
                taken = min(self._skip, len(view))
                self._keep_body(view[: max(0, min(taken, self._skip - self._trailer))])
                self._skip -= taken
                view = view[taken:]
            elif self._chunked:
                view = self._chunk(view)
            else:
                view = self._head(view, ts, number)

    def _keep_body(self, data: memoryview) -> None:
        index = len(self.messages) - 1
        kept = self.bodies.get(index, b"")
        if data and index >= 0 and len(kept) < BODY_PREFIX:
            self.bodies[index] = kept + bytes(data[: BODY_PREFIX - len(kept)])

    def _head(self, view: memoryview, ts: float, number: int) -> memoryview:
        if not self._buffer:
            self._started = (ts, number)
        room = MAX_HEAD - len(self._buffer)
        self._buffer += view[:room]
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) >= MAX_HEAD:
                self.stopped = True
            return view[len(view) :]
        used = end + 4 - (len(self._buffer) - min(room, len(view)))
        head = bytes(self._buffer[:end])
        self._buffer = bytearray()
        self._message(head)
        return view[used:]

    def _message(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        start = lines[0]
        if self.request != (not start.startswith("HTTP/")) or len(self.messages) >= MAX_MESSAGES:
            self.stopped = True
            return
        code = start.split(" ", 2)[1] if not self.request and " " in start else ""
        if code.startswith("1") and code != "101":
            return  # an interim response (100 Continue): the final one follows
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                headers.setdefault(name.strip().lower(), value.strip())
        self.messages.append(HttpMessage(*self._started, start, headers))
        length = headers.get("content-length", "")
        size = small_int(length) if len(length) <= 12 else None
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._chunked = True
        elif size is not None:
            self._skip, self._trailer = size, 0
        elif not self.request and not code.startswith(_NO_BODY):
            self.stopped = True  # the body runs to the end of the connection

    def _chunk(self, view: memoryview) -> memoryview:
        """Reads one chunk-size line (or the end of the trailers) and skips that chunk."""
        end = bytes(view[:64]).find(b"\n")
        if end < 0:
            self._chunk_line += view
            self.stopped = len(self._chunk_line) > 64
            return view[len(view) :]
        line = (bytes(self._chunk_line) + bytes(view[:end])).strip().split(b";")[0]
        self._chunk_line = bytearray()
        try:
            size = int(line, 16) if line else -1
        except ValueError:
            self.stopped = True
            return view
        if size == 0:
            self._chunked = False
            self._skip, self._trailer = 2, 2  # the empty line after the last chunk
        elif size > 0:
            self._skip, self._trailer = size + 2, 2
        return view[end + 1 :]
