"""Hostile and broken artifacts through the real CLI: exit 3, one clear line, no traceback.

The generated corpus (deep nesting, huge numbers, escapes, bombs, 50 MB lines …) with its time
and memory budgets is tests/hostile/; the regressions it found are pinned here, in process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from triage.ingest import Limits, load_incident
from triage.ingest.base import ArtifactSource
from triage.ingest.email import MAX_DELIMITERS, MAX_PARTS, EmailLoader
from triage.ingest.registry import load_artifact


def triage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "triage", "run", "-f", "json", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("triage: error: ")
    assert done.stdout == ""
    return lines[0]


HOSTILE = {
    "truncated.json": b'{"alerts": [{"title": "x", "severity": "High"',
    "binary.json": bytes(range(256)) * 8,
    "binary.evtx": b"\x00\x01\x02\xff" * 1000,
    "empty.log": b"",
    "cut-short.evtx": b"ElfFile\x00" + b"\x00" * 100,
    "deep-mime.eml": (
        b'From: a@example.com\nSubject: deep\nContent-Type: multipart/mixed; boundary="b0"\n\n'
        + b"".join(
            b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' % (level, level + 1)
            for level in range(3_000)
        )
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gives_exit_3(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    line = one_line_error(triage(str(path)))
    assert name in line


def test_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"Jan  1 00:00:00 host sshd[1]: Accepted password for bob\n" * 40_000)
    line = one_line_error(triage("--max-file-mb", "1", str(path)))
    assert "size limit" in line


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(
        b"Mar  3 10:00:01 web01 sshd[411]: Failed password for r\xffoot from 203.0.113.9 port 2\n"
        b"Mar  3 10:00:03 web01 sshd[411]: Accepted password for alice from 198.51.100.4 port 3\n"
    )
    done = triage(str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["artifacts"][0]["records"] == 2
    incident = load_incident([str(path)], Limits())
    assert "r\ufffdoot" in incident.records[0].raw


def test_misleading_extension_is_sniffed_by_content(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        json.dumps(
            {
                "Records": [
                    {
                        "eventVersion": "1.08",
                        "eventSource": "cloudtrail.amazonaws.com",
                        "eventName": "StopLogging",
                        "eventTime": "2026-01-02T03:04:05Z",
                        "sourceIPAddress": "203.0.113.5",
                        "userIdentity": {
                            "type": "IAMUser",
                            "arn": "arn:aws:iam::111122223333:user/ops",
                        },
                    }
                ]
            }
        )
    )
    done = triage(str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["artifacts"][0]["format"] == "json"


BIG = "9" * 5_000  # more digits than Python's int() accepts (4,300)


def _load(data: str) -> list[dict[str, object]]:
    source = ArtifactSource(artifact_id="A1", path="hostile", data=data.encode())
    return [dict(record.fields) for record in load_artifact(source, Limits()).records]


def test_syslog_pid_of_5000_digits_or_superscripts_stays_text() -> None:
    fields = _load(
        f"Mar  3 10:00:01 web01 sshd[{BIG}]: Failed password for root\n"
        "<13>1 2026-03-03T10:00:03Z web01 sshd \u00b2 - - Failed password for admin\n"
        "Mar  3 10:00:04 web01 sshd[411]: Accepted password for bob\n"
    )
    assert [f["pid"] for f in fields] == [BIG, "\u00b2", 411]


def test_auditd_serial_of_5000_digits_stays_text() -> None:
    fields = _load(f"type=USER_LOGIN msg=audit(1700000000.1:{BIG}): pid=1 res=failed\n" * 2)
    assert fields[0]["audit_serial"] == BIG


def test_web_log_numbers_that_int_refuses_are_not_numbers() -> None:
    access = _load(f'203.0.113.9 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 {BIG}\n' * 2)
    assert access[0]["status"] == 200 and access[0]["bytes"] is None
    w3c = _load(
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
        "#Fields: date time sc-status sc-bytes\n2025-10-10 13:55:36 \u00b2 " + BIG + "\n"
    )
    assert w3c[0]["sc-status"] == "\u00b2" and w3c[0]["sc-bytes"] == BIG


def test_zeek_counts_that_int_refuses_stay_text() -> None:
    fields = _load(
        "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_p\torig_bytes\n"
        "#types\ttime\tport\tcount\n"
        f"1700000000.5\t\u00b2\t{BIG}\n1700000000.6\t443\t10\n"
    )
    assert fields[0]["id.orig_p"] == "\u00b2" and fields[0]["orig_bytes"] == BIG
    assert fields[1]["id.orig_p"] == 443


def test_email_with_10000_parts_is_read_up_to_a_cap_with_a_note() -> None:
    parts = "".join(f"--B\nContent-Type: text/plain\n\npart {n}\n" for n in range(10_000))
    message = (
        "From: a@example.com\nTo: b@example.com\nSubject: parts\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="B"\n\n{parts}--B--\n'
    )
    source = ArtifactSource(artifact_id="A1", path="parts.eml", data=message.encode())
    loaded = EmailLoader().load(source, Limits())
    bodies = [r for r in loaded.records if r.source == "email.body"]
    assert len(bodies) == MAX_PARTS
    assert bodies[-1].raw == f"part {MAX_PARTS - 1}"
    assert any(f"more than {MAX_DELIMITERS:,} MIME parts" in note for note in loaded.notes)


def test_email_under_the_delimiter_cap_is_not_cut() -> None:
    parts = "".join(f"--B\nContent-Type: text/plain\n\npart {n}\n" for n in range(20))
    message = (
        "From: a@example.com\nTo: b@example.com\nSubject: parts\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="B"\n\n{parts}--B--\n'
    )
    source = ArtifactSource(artifact_id="A1", path="parts.eml", data=message.encode())
    loaded = EmailLoader().load(source, Limits())
    assert len([r for r in loaded.records if r.source == "email.body"]) == 20
    assert loaded.notes == ()
