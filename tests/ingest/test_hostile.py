"""Hostile and broken artifacts through the real CLI: exit 3, one clear line, no traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from triage.ingest import Limits, load_incident


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
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
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
