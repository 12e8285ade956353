"""E-mail messages (.eml, RFC 5322/MIME): header, body and attachment records; nothing is rendered.

Attachments are described (name, types, size, SHA-256) and never executed, opened or unpacked.
"""

import email
import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.errors import MessageDefect
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, cap_raw
from triage.ingest.limits import Limits
from triage.models import Record, Scalar

MAX_PARTS = 500
# The stdlib parser costs about a millisecond per part: a message is cut before it reads more
# part delimiters than this (containers have delimiters too, hence the slack over MAX_PARTS).
MAX_DELIMITERS = MAX_PARTS + 100
MAX_DEPTH = 20
# Deeper than this the stdlib parser's recursion could exhaust the stack: refuse before parsing.
MAX_NESTING = 50
MAX_NOTES = 20

_HEADER_LINE = re.compile(r"[!-9;-~]+:")
# Header names that mark a mail message; two of them in the header block are needed to claim it.
_MAIL_HEADERS = frozenset(
    {
        "received",
        "return-path",
        "delivered-to",
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "reply-to",
        "content-type",
        "dkim-signature",
        "authentication-results",
        "x-mailer",
        "arc-seal",
        "x-received",
    }
)
MAX_ADDRESS_HEADER = 65_536
MAX_HTML_CHARS = 256 * 1024


def mail_addresses(value: str) -> list[tuple[str, str]]:
    """(name, address) pairs of an address header. The standard parser recurses once per group
    prefix ("g:g:g:…"), so attacker-sized headers are cut and a parse that fails is empty."""
    try:
        return getaddresses([value[:MAX_ADDRESS_HEADER]])
    except (RecursionError, ValueError, IndexError):
        return []


_HTML_FORM = re.compile(r"<form\b[^>]{0,2000}>", re.IGNORECASE)
MAX_FORM_SCAN = 2_000_000
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]*)"|([^\s;"]+))""", re.IGNORECASE)
_EMBEDDED_MESSAGE = re.compile(rb"content-type\s*:\s*message/", re.IGNORECASE)

# (magic prefix, offset, sniffed type) for what phishing attachments usually are.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "pdf"),
    (b"PK\x03\x04", 0, "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "ole"),
    (b"MZ", 0, "pe"),
    (b"\x7fELF", 0, "elf"),
    (b"Rar!\x1a\x07", 0, "rar"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z"),
    (b"\x1f\x8b", 0, "gzip"),
    (b"MSCF", 0, "cab"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", 0, "lnk"),
    (b"{\\rtf", 0, "rtf"),
    (b"CD001", 0x8001, "iso"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"GIF8", 0, "gif"),
    (b"\xff\xd8\xff", 0, "jpeg"),
)
_SCRIPT_MARKERS = (
    b"#!",
    b"powershell",
    b"wscript",
    b"createobject",
    b"activexobject",
    b"<job",
    b"@echo off",
)


class EmailLoader:
    format = "eml"

    def sniff(self, head: bytes, text_head: str) -> bool:
        lines = text_head.lstrip("\r\n").splitlines()
        if lines and lines[0].startswith("From "):  # mbox separator line
            lines = lines[1:]
        block: list[str] = []
        for line in lines:
            if not line.strip():
                break
            block.append(line)
            if len(block) >= 40:
                break
        if not block or not _HEADER_LINE.match(block[0]):
            return False
        shaped = sum(1 for line in block if _HEADER_LINE.match(line) or line[:1] in (" ", "\t"))
        names = {line.split(":", 1)[0].lower() for line in block if _HEADER_LINE.match(line)}
        return shaped * 2 > len(block) and len(names & _MAIL_HEADERS) >= 2

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        if mime_nesting(source.data, limit=MAX_NESTING) > MAX_NESTING:
            raise InputError(
                f"MIME parts nested more than {MAX_NESTING} deep (limit)", source=source.path
            )
        walk = _PartWalk(source=source, limits=limits)
        data = source.data
        cut = delimiter_cut(data, limit=MAX_DELIMITERS)
        if cut is not None:
            data = data[:cut]
            walk.note(f"more than {MAX_DELIMITERS:,} MIME parts; read up to byte {cut:,} only")
        try:
            message = email.message_from_bytes(data, policy=policy.default)
            records = _header_records(message, source=source, limits=limits)
            walk.message(message)
        except RecursionError:  # nesting the pre-scan could not see (encoded parts and the like)
            raise InputError(
                "MIME structure nested too deeply to parse", source=source.path
            ) from None
        records += walk.records
        if len(records) > limits.max_records:
            raise InputError(
                f"more than {limits.max_records:,} records (limit)", source=source.path
            )
        return Loaded(format=self.format, records=records, notes=walk.notes())


def mime_nesting(data: bytes, *, limit: int) -> int:
    """How deep multipart containers nest, read from boundary declarations and delimiter lines
    without parsing; the count stops at limit + 1. A header block declaring a boundary opens a
    level; a delimiter line closes the levels opened inside its own."""
    open_boundaries: list[bytes] = []  # never longer than limit + 1, so lookups stay cheap
    deepest = 0
    in_headers = True
    embedded_message = False
    for line in data.split(b"\n"):
        line = line.rstrip(b"\r")
        if in_headers:
            if not line.strip():
                # The body of a message/rfc822 part starts with that message's own headers.
                in_headers, embedded_message = embedded_message, False
                continue
            embedded_message = embedded_message or bool(_EMBEDDED_MESSAGE.match(line))
            declared = _BOUNDARY.search(line)
            if declared:
                open_boundaries.append(declared[1] or declared[2])
                deepest = max(deepest, len(open_boundaries))
                if deepest > limit:
                    return deepest
        elif line.startswith(b"--") and open_boundaries:
            delimiter = line[2:].rstrip()
            if delimiter in open_boundaries:  # the next part of that container
                del open_boundaries[_last_index(open_boundaries, delimiter) + 1 :]
                in_headers = True
            elif delimiter.endswith(b"--") and delimiter[:-2] in open_boundaries:  # its end
                del open_boundaries[_last_index(open_boundaries, delimiter[:-2]) :]
    return deepest


def delimiter_cut(data: bytes, *, limit: int) -> int | None:
    """Offset of the part delimiter line past the first `limit` (of any declared boundary),
    or None when there are no more than that; read without parsing."""
    boundaries: set[bytes] = set()
    delimiters = 0
    offset = 0
    for line in data.split(b"\n"):
        text = line.rstrip(b"\r")
        if text.startswith(b"--") and text[2:].rstrip() in boundaries:
            delimiters += 1
            if delimiters > limit:
                return offset
        elif declared := _BOUNDARY.search(text):
            boundaries.add(declared[1] or declared[2])
        offset += len(line) + 1
    return None


def _last_index(items: list[bytes], item: bytes) -> int:
    return len(items) - 1 - items[::-1].index(item)


def _header_records(message: Message, *, source: ArtifactSource, limits: Limits) -> list[Record]:
    records: list[Record] = []
    seen: dict[str, int] = {}
    for name, value in message.raw_items():
        name = _clean(name)
        occurrence = seen[name.lower()] = seen.get(name.lower(), 0) + 1
        text = _clean(_UNFOLD.sub("", str(value))).strip()
        decoded = _decoded_header(text)
        records.append(
            Record(
                artifact_id=source.artifact_id,
                locator=f"header:{name}#{occurrence}",
                source="email.header",
                raw=cap_raw(f"{name}: {text}", limits),
                fields={"name": name, "value": decoded},
                timestamp=_header_time(name, text),
            )
        )
    return records


def _decoded_header(text: str) -> str:
    """RFC 2047 encoded words (=?utf-8?B?…?=) to text; the raw record keeps them as written."""
    if "=?" not in text:
        return text
    try:
        return _clean(str(make_header(decode_header(text))))
    except Exception:  # hostile encoded words raise assorted parser errors; keep them as written
        return text


def _header_time(name: str, text: str) -> datetime | None:
    """Date headers, and the date after the last ';' of a Received header."""
    lowered = name.lower()
    if lowered == "date":
        when = text
    elif lowered == "received" and ";" in text:
        when = text.rsplit(";", 1)[1]
    else:
        return None
    try:
        parsed = parsedate_to_datetime(when.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _clean(text: str) -> str:
    """The parser smuggles undecodable bytes through as surrogates; make them U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class _PartWalk:
    """Numbers MIME parts as IMAP does (1, 2, 2.1 …) and turns each leaf into a record."""

    def __init__(self, *, source: ArtifactSource, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.records: list[Record] = []
        self.parts = 0
        self._notes: list[str] = []

    def note(self, note: str) -> None:
        self._notes.append(note)

    def notes(self) -> tuple[str, ...]:
        unique = list(dict.fromkeys(self._notes))
        if len(unique) > MAX_NOTES:
            unique = [*unique[:MAX_NOTES], f"… and {len(unique) - MAX_NOTES} more MIME notes"]
        return tuple(unique)

    def message(self, message: Message) -> None:
        self._defects(message.defects, "message")
        if message.is_multipart():
            self._children(message, prefix="", depth=1)
        else:
            self._leaf(message, path="1")

    def _children(self, container: Message, *, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self._notes.append(f"MIME nesting deeper than {MAX_DEPTH}; deeper parts not read")
            return
        payload = container.get_payload()
        children = payload if isinstance(payload, list) else []
        for index, child in enumerate(children, start=1):
            if not isinstance(child, Message):
                continue
            if self.parts >= MAX_PARTS:
                self._notes.append(f"more than {MAX_PARTS} MIME parts; the rest were not read")
                return
            path = f"{prefix}{index}"
            self._defects(child.defects, f"part {path}")
            if child.is_multipart():
                self._children(child, prefix=f"{path}.", depth=depth + 1)
            else:
                self._leaf(child, path=path)

    def _leaf(self, part: Message, *, path: str) -> None:
        self.parts += 1
        try:
            self._describe(part, path=path)
        except Exception as exc:  # the stdlib header parser has crash bugs on hostile input
            self._notes.append(f"part {path}: could not be read ({type(exc).__name__})")

    def _describe(self, part: Message, *, path: str) -> None:
        content_type = part.get_content_type()
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if content_type.startswith("text/") and disposition != "attachment" and not filename:
            self._body(part, path=path, content_type=content_type)
        else:
            self._attachment(part, path=path, content_type=content_type, filename=filename)

    def _payload(self, part: Message, path: str) -> bytes:
        try:
            payload = part.get_payload(decode=True)
        except Exception as exc:  # a hostile part must not stop the rest of the message
            self._notes.append(f"part {path}: payload could not be decoded ({type(exc).__name__})")
            return b""
        self._defects(part.defects, f"part {path}")
        if isinstance(payload, bytes):
            return payload
        if isinstance(payload, Message):  # message/rfc822: keep its source bytes
            return _clean(payload.as_string()).encode("utf-8")
        return b""

    def _body(self, part: Message, *, path: str, content_type: str) -> None:
        payload = self._payload(part, path)
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            self._notes.append(f"part {path}: unknown charset {charset!r}, read as UTF-8")
            text = payload.decode("utf-8", errors="replace")
        fields: dict[str, Scalar] = {"content_type": content_type, "charset": charset}
        if content_type == "text/html":
            # A form in the message itself posts what the reader types; the text view loses it.
            fields["html_form"] = _HTML_FORM.search(text, 0, MAX_FORM_SCAN) is not None
            text = html_to_text(text)
        self.records.append(
            Record(
                artifact_id=self.source.artifact_id,
                locator=f"part:{path}",
                source="email.body",
                raw=cap_raw(text, self.limits),
                fields=fields,
            )
        )

    def _attachment(
        self, part: Message, *, path: str, content_type: str, filename: str | None
    ) -> None:
        payload = self._payload(part, path)
        sniffed = sniff_file_type(payload)
        digest = hashlib.sha256(payload).hexdigest()
        fields: dict[str, Scalar] = {
            "filename": filename,
            "declared_type": content_type,
            "sniffed_type": sniffed,
            "size": len(payload),
            "sha256": digest,
        }
        description = (
            f"attachment {filename or '(no name)'}: declared {content_type}, "
            f"looks like {sniffed}, {len(payload):,} bytes, sha256 {digest}"
        )
        self.records.append(
            Record(
                artifact_id=self.source.artifact_id,
                locator=f"part:{path}",
                source="email.attachment",
                raw=cap_raw(description, self.limits),
                fields=fields,
            )
        )

    def _defects(self, defects: list[MessageDefect], where: str) -> None:
        for defect in defects:
            self._notes.append(f"MIME defect in {where}: {type(defect).__name__}")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # malformed RFC 2231 parameters raise from deep inside the parser
        return None
    return _clean(str(name)) if name else None


def sniff_file_type(data: bytes) -> str:
    """What the bytes are, by magic numbers and content, whatever the name or declared type says."""
    if not data:
        return "empty"
    for magic, offset, kind in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if kind == "zip" and b"[Content_Types].xml" in data[:4096]:
                return "ooxml"
            return kind
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<script", b"<head", b"<body")) or (
        b"<html" in start or b"<script" in start
    ):
        return "html"
    if start.startswith(b"<svg") or (start.startswith(b"<?xml") and b"<svg" in start):
        return "svg"
    if any(marker in start for marker in _SCRIPT_MARKERS):
        return "script"
    if b"\x00" in start:
        return "binary"
    return "text"


class _TextFromHtml(HTMLParser):
    """Visible text of an HTML body; script and style dropped, link targets kept after the text."""

    _BLOCKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skipping = max(0, self._skipping - 1)
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href and href.strip():
                self.chunks.append(f" <{href.strip()}>")
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Text of an HTML part for reading and URL extraction; links become "anchor text <URL>"."""
    parser = _TextFromHtml()
    # The standard parser rescans unclosed tags on every feed: quadratic on "<form<form…", so
    # only the head of a huge HTML part is read (the lures and links sit at the top).
    parser.feed(html[:MAX_HTML_CHARS])
    parser.close()
    text = "".join(parser.chunks)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
