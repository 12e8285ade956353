"""E-mail: header occurrences, decoded bodies, described (unopened) attachments, hostile MIME."""

import base64
import hashlib
import re
import time
from pathlib import Path

import pytest

from tests.conftest import REALDATA, requires_realdata
from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, decode_text
from triage.ingest.email import EmailLoader, html_to_text, sniff_file_type
from triage.ingest.limits import Limits

EMAIL_CASES = [REALDATA / case / "artifact.eml" for case in ("DEV-14", "DEV-15", "DEV-16")]

PE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4
MULTIPART = (
    b"Return-Path: <bounce@attacker.example>\r\n"
    b"Received: from mx1.example (mx1.example [198.51.100.1]) by mx2.example;"
    b" Tue, 5 Mar 2024 10:00:00 +0000\r\n"
    b"Received: from evil.example (unknown [203.0.113.66])\r\n"
    b"\tby mx1.example; Tue, 5 Mar 2024 09:59:58 +0000\r\n"
    b"From: =?utf-8?B?UGF5cm9sbA==?= <payroll@attacker.example>\r\n"
    b"Subject: Invoice\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Caf=E9 invoice attached.\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<html><style>p{}</style><script>alert(1)</script>"
    b'<p>Pay <a href="https://pay.attacker.example/x">here</a></p></html>\r\n'
    b"--inner--\r\n"
    b"--outer\r\n"
    b'Content-Type: application/pdf; name="invoice.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
    b"\r\n" + base64.encodebytes(PE_BYTES).replace(b"\n", b"\r\n") + b"--outer--\r\n"
)


def _load(data: bytes) -> Loaded:
    return EmailLoader().load(ArtifactSource(artifact_id="A1", path="m.eml", data=data), Limits())


def test_headers_bodies_and_attachment_of_a_multipart_message() -> None:
    loaded = _load(MULTIPART)
    by_locator = {r.locator: r for r in loaded.records}
    assert by_locator["header:Received#1"].fields["value"].startswith("from mx1.example")
    second_hop = by_locator["header:Received#2"]
    assert second_hop.raw == (
        "Received: from evil.example (unknown [203.0.113.66])\tby mx1.example;"
        " Tue, 5 Mar 2024 09:59:58 +0000"
    )
    assert second_hop.timestamp is not None and second_hop.timestamp.second == 58
    sender = by_locator["header:From#1"]
    assert sender.source == "email.header"
    assert sender.fields == {"name": "From", "value": "Payroll <payroll@attacker.example>"}
    assert "=?utf-8?B?" in sender.raw  # raw keeps the header as written

    plain, html = by_locator["part:1.1"], by_locator["part:1.2"]
    assert plain.source == "email.body" and plain.raw.strip() == "Café invoice attached."
    assert plain.fields == {"content_type": "text/plain", "charset": "iso-8859-1"}
    assert html.raw == "Pay here <https://pay.attacker.example/x>"

    attachment = by_locator["part:2"]
    assert attachment.source == "email.attachment"
    assert attachment.fields == {
        "filename": "invoice.pdf",
        "declared_type": "application/pdf",
        "sniffed_type": "pe",
        "size": len(PE_BYTES),
        "sha256": hashlib.sha256(PE_BYTES).hexdigest(),
    }
    assert "\n" not in attachment.raw


def test_html_to_text_drops_scripts_and_keeps_link_targets() -> None:
    html = (
        "<div>Hello<script>var u='https://hidden.example'</script></div>"
        '<a href="http://login.example/reset">Reset &amp; verify</a><style>a{}</style>'
    )
    text = html_to_text(html)
    assert "hidden.example" not in text
    assert "Reset & verify <http://login.example/reset>" in text


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"PK\x03\x04....[Content_Types].xml", "ooxml"),
        (b"PK\x03\x04....", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
        (b"\x7fELF\x02", "elf"),
        (b"  <!DOCTYPE html><html>", "html"),
        (b'Set o = CreateObject("WScript.Shell")', "script"),
        (b"plain words", "text"),
        (b"", "empty"),
    ],
)
def test_sniff_file_type_by_magic(data: bytes, kind: str) -> None:
    assert sniff_file_type(data) == kind


def test_malformed_mime_becomes_notes_not_a_crash() -> None:
    broken = (
        b"From: a@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"@@@not base64@@@=\r\n--b\r\nthis part has no headers\xff\r\n"
    )
    loaded = _load(broken)
    assert any(r.locator == "header:Subject#1" for r in loaded.records)
    assert any("defect" in note.lower() for note in loaded.notes)


def test_part_count_is_capped() -> None:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(600))
    data = (
        b'From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"'
        b"\r\n\r\n" + parts + b"--b--\r\n"
    )
    loaded = _load(data)
    bodies = [r for r in loaded.records if r.source == "email.body"]
    assert len(bodies) == 500
    assert any("more than 500 MIME parts" in note for note in loaded.notes)


def test_sniff_claims_mail_headers_only() -> None:
    loader = EmailLoader()
    text = MULTIPART.decode()
    assert loader.sniff(MULTIPART, text)
    mbox = "From someone@example.com Tue Mar  5 10:00:00 2024\n" + text
    assert loader.sniff(mbox.encode(), mbox)
    others = [
        '{"From": "x", "Subject": "y"}\n',
        "From,Subject,Date\na,b,c\n",
        "Mar  3 04:05:06 web01 sshd[1]: From: x Subject: y\n",
        "Note: this is a text file\nAuthor: me\n",
    ]
    for other in others:
        assert not loader.sniff(other.encode(), other), other


def _header_block(path: Path) -> list[str]:
    lines = decode_text(path.read_bytes()).splitlines()
    return lines[: lines.index("")]


@requires_realdata
@pytest.mark.parametrize("path", EMAIL_CASES, ids=lambda p: p.parent.name)
def test_real_email_header_occurrences(path: Path) -> None:
    data = path.read_bytes()
    assert EmailLoader().sniff(data[:65536], decode_text(data[:65536]))
    loaded = _load(data)
    block = _header_block(path)
    written = [line.split(":", 1)[0] for line in block if re.match(r"[!-9;-~]+:", line)]
    headers = [r for r in loaded.records if r.source == "email.header"]
    assert [r.fields["name"] for r in headers] == written
    received = [r.locator for r in headers if r.fields["name"] == "Received"]
    assert received == [f"header:Received#{k}" for k in range(1, written.count("Received") + 1)]
    assert any(r.source == "email.body" and r.raw.strip() for r in loaded.records)


@requires_realdata
def test_real_html_attachment_hash_matches_its_base64_body() -> None:
    path = REALDATA / "DEV-15" / "artifact.eml"
    lines = decode_text(path.read_bytes()).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Content-Disposition: att"))
    body_start = lines.index("", start) + 1
    body_end = next(i for i in range(body_start, len(lines)) if lines[i].startswith("--"))
    payload = base64.b64decode("".join(lines[body_start:body_end]))
    (attachment,) = [r for r in _load(path.read_bytes()).records if r.source == "email.attachment"]
    assert attachment.fields["sha256"] == hashlib.sha256(payload).hexdigest()
    assert attachment.fields["size"] == len(payload)
    assert attachment.fields["declared_type"] == "text/html"
    assert str(attachment.fields["filename"]).endswith(".html")


def _nested(levels: int, *, siblings: int = 1) -> bytes:
    """`siblings` multipart/mixed containers side by side, each nesting `levels` deep."""
    head = b"From: a@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    top = b'Content-Type: multipart/mixed; boundary="top"\r\n\r\n'
    chain = b""
    for sibling in range(siblings):
        opening = b"".join(
            b'--%d.%d\r\nContent-Type: multipart/mixed; boundary="%d.%d"\r\n\r\n'
            % (sibling, level - 1, sibling, level)
            for level in range(1, levels)
        )
        closing = b"".join(
            b"--%d.%d--\r\n" % (sibling, level) for level in range(levels - 1, 0, -1)
        )
        leaf = b"--%d.%d\r\nContent-Type: text/plain\r\n\r\nleaf %d\r\n" % (
            sibling,
            levels - 1,
            sibling,
        )
        chain += b'--top\r\nContent-Type: multipart/mixed; boundary="%d.0"\r\n\r\n' % sibling
        chain += opening + leaf + closing + b"--%d.0--\r\n" % sibling
    return head + top + chain + b"--top--\r\n"


def test_deeply_nested_multipart_is_an_input_error_before_parsing() -> None:
    # 3,000 levels exhausted the stdlib parser's recursion: a crash, exit 70.
    started = time.perf_counter()
    with pytest.raises(InputError, match="nested more than 50 deep") as caught:
        _load(_nested(3_000))
    assert time.perf_counter() - started < 2
    assert caught.value.exit_code == 3


def test_moderate_nesting_and_many_sibling_containers_still_load() -> None:
    shallow = _load(_nested(5, siblings=80))
    leaves = [r for r in shallow.records if r.source == "email.body"]
    assert len(leaves) == 80 and "leaf 79" in leaves[-1].raw
    deeper = _load(_nested(30))
    assert any(r.locator == "header:Subject#1" for r in deeper.records)
    assert any("MIME nesting deeper than 20" in note for note in deeper.notes)
