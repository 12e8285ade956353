"""The hostile-input corpus, generated on demand (nothing large is committed), and a runner that
puts one input through the real CLI in a child process, measuring wall time and peak RSS.

Used by tests/hostile/test_corpus.py (assertions) and bench/hostile_corpus.py (the table).
"""

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REALDATA = REPO.parent / "shared" / "realdata"

TIME_BUDGET_S = 5.0
# What a normal small input costs: the hostile inputs' budget is counted beyond it.
BASELINE_SAMPLE = REPO / "samples" / "S02-mde-word-encoded-powershell" / "incident.json"
MEMORY_BUDGET_MB = 1024

# Terminal escapes and bidi overrides, without spaces so that they fit any field of any format:
# CSI (clear screen, colour), OSC 8 (a hyperlink), OSC 0 (window title), OSC 52 (clipboard),
# and every bidi embedding, override and isolate (U+202A-U+202E, U+2066-U+2069).
ESCAPES = (
    "\x1b[2J\x1b[31mred\x1b[0m"
    "\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07"
    "\x1b]0;title\x07\x1b]52;c;ZXZpbA==\x07"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u202eexe.txt"
)
BIG = "9" * 5_000  # a 5,000-digit integer (Python's int() refuses more than 4,300 digits)
CRLF = "\r\nMar  3 10:00:09 web01 sshd[1]: Accepted password for root from 10.0.0.1"


@dataclass(frozen=True)
class Hostile:
    name: str  # also the file name: its suffix is not trusted by triage, only shown
    make: Callable[[], bytes]
    note: str


# --- deep nesting, huge numbers, NULs, CRLF -----------------------------------------------------


def deep_json() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


def deep_json_line() -> bytes:
    good = b'{"EventID": 4625, "Channel": "Security", "Computer": "ws1"}\n'
    return good + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"\n" + good


def big_integers_json() -> bytes:
    return (
        f'{{"alerts": [{{"alertId": {BIG}, "title": "big {BIG}", "severity": "High", '
        f'"count": -{BIG}, "{BIG}": [{BIG}, {BIG}.5e{BIG}], '
        f'"evidence": [{{"processId": {BIG}}}]}}]}}'
    ).encode()


def big_integers_jsonl() -> bytes:
    row = f'{{"EventID": {BIG}, "Channel": "Security", "EventRecordID": {BIG}, "ProcessId": {BIG}}}'
    return ((row + "\n") * 3).encode()


def big_integers_syslog() -> bytes:
    return (
        f"Mar  3 10:00:01 web01 sshd[{BIG}]: Failed password for root from 203.0.113.9\n"
        f"<{BIG}>Mar  3 10:00:02 web01 sshd[7]: Accepted password for bob\n"
        f"<13>1 2026-03-03T10:00:03Z web01 sshd {BIG} - - Failed password for admin\n"
        f"<13>1 2026-03-03T10:00:04Z web01 sshd \u00b2\u00b3 - - superscript digits pid\n"
    ).encode()


def big_integers_auditd() -> bytes:
    return (
        f"type=USER_LOGIN msg=audit({BIG}.{BIG}:{BIG}): pid={BIG} uid=0 "
        f'msg=\'op=login acct="root" exe="/usr/sbin/sshd" addr=203.0.113.9 res=failed\'\n'
        f'type=EXECVE msg=audit(1700000000.5:{BIG}): argc=2 a0={BIG} a1="-c"\n'
    ).encode()


def big_integers_access_log() -> bytes:
    return (
        f'203.0.113.9 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 {BIG} "-" "curl"\n'
        f'203.0.113.9 - - [10/Oct/2025:13:55:37 +0000] "GET /a HTTP/1.1" 404 {BIG} "-" "x"\n'
    ).encode()


def big_integers_w3c() -> bytes:
    return (
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes time-taken\n"
        f"2025-10-10 13:55:36 203.0.113.9 GET /shell.aspx {BIG} {BIG} \u00b2\n"
    ).encode()


def big_integers_zeek() -> bytes:
    return (
        "#separator \\x09\n#path\tconn\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\torig_bytes\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\n"
        f"{BIG}\tC1\t10.0.0.5\t{BIG}\t203.0.113.9\t\u00b2\t{BIG}\n"
    ).encode()


def big_integers_flows() -> bytes:
    return (
        "ts,sa,da,sp,dp,pr,ibyt,ipkt,td\n"
        f"{BIG},10.0.0.5,203.0.113.9,{BIG},443,{BIG},{BIG},{BIG},{BIG}.{BIG}\n"
        f"2025/10/10 13:55:36,10.0.0.5,203.0.113.9,0x{BIG},\u00b2,6,1e999,-{BIG},nan\n"
    ).encode()


def big_integers_csv() -> bytes:
    return f"timestamp,user,count\n{BIG},alice,{BIG}\n2025-10-10,bob,{BIG}\n".encode()


def nul_bytes_log() -> bytes:
    return b"Mar  3 10:00:01 web01 sshd[411]: Failed password for ro\x00ot from 203.0.113.9\n" * 50


def nul_bytes_json() -> bytes:
    return b'{"alerts": [{"title": "nul \\u0000 inside", "severity": "High", "a\\u0000b": 1}]}'


def nul_bytes_raw_in_json() -> bytes:
    return b'{"alerts": [{"title": "raw \x00 NUL", "severity": "High"}]}'


def crlf_syslog() -> bytes:
    # A bare CR inside a line, the classic log-forging payload: the viewer shows a second line.
    return (
        f"Mar  3 10:00:01 web01 sshd[411]: Failed password for root{CRLF.replace(chr(10), '')}\n"
        "Mar  3 10:00:02 web01 sshd[411]: Failed password for admin\r\n"
    ).encode()


def crlf_json() -> bytes:
    crlf = CRLF.replace("\r", "\\r").replace("\n", "\\n")
    return (
        f'{{"alerts": [{{"title": "t{crlf}", "severity": "High", "user{crlf}": "x{crlf}", '
        f'"evidence": [{{"commandLine": "cmd{crlf}"}}]}}]}}'
    ).encode()


def crlf_csv() -> bytes:
    return (
        f'timestamp,user,message\r\n2025-10-10T10:00:00Z,"alice{CRLF}","m{CRLF}"\r\n'
        "2025-10-10T10:00:01Z,bob,ok\r\n"
    ).encode()


def crlf_email() -> bytes:
    return (
        "From: a@example.com\r\nTo: b@example.com\r\n"
        "Subject: =?utf-8?q?hello=0D=0ABcc:_victim@example.com?=\r\n"
        "X-Note: =?utf-8?b?" + _b64("line1\r\nInjected: yes") + "?=\r\n"
        "Date: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\nbody\r\nInjected: no\r\n"
    ).encode()


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


# --- escapes and bidi overrides in every kind of field --------------------------------------


def escapes_syslog() -> bytes:
    e = ESCAPES
    return (
        f"Mar  3 10:00:01 host{e} prog{e}[411]: Failed password for {e} from 203.0.113.9\n"
        f'<13>1 2026-03-03T10:00:03Z h{e} app{e} 7 id{e} [sd{e} k="{e}"] m {e}\n'
    ).encode()


def escapes_auditd() -> bytes:
    e = ESCAPES
    return (
        f"type=USER_LOGIN msg=audit(1700000000.123:42): pid=1 uid=0 auid={e} "
        f'msg=\'op=login acct="{e}" exe="/usr/sbin/{e}" hostname={e} addr=203.0.113.9 '
        f"terminal={e} res=failed'\n"
        f'type=EXECVE msg=audit(1700000000.5:43): argc=2 a0="{e}" a1={e.encode().hex()}\n'
        f"type=PROCTITLE msg=audit(1700000000.5:43): proctitle={e.encode().hex()}\n"
    ).encode()


def escapes_access_log() -> bytes:
    e = ESCAPES
    return (
        f'203.0.113.9 - {e} [10/Oct/2025:13:55:36 +0000] "GET /{e}?q={e} HTTP/1.1" 200 2326 '
        f'"http://{e}/" "Mozilla{e}"\n'
    ).encode() * 2


def escapes_w3c() -> bytes:
    e = ESCAPES
    return (
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
        "#Fields: date time c-ip cs-username cs-method cs-uri-stem cs-uri-query sc-status "
        "cs(User-Agent)\n"
        f"2025-10-10 13:55:36 203.0.113.9 {e} GET /{e} q={e} 200 {e}\n"
    ).encode()


def escapes_zeek() -> bytes:
    e = ESCAPES
    zeek_escaped = "".join(f"\\x{ord(c):02x}" if ord(c) < 32 else c for c in e)
    return (
        "#separator \\x09\n#path\tssl\n"
        "#fields\tts\tuid\tid.orig_h\tid.resp_h\tserver_name\tsubject\n"
        "#types\ttime\tstring\taddr\taddr\tstring\tstring\n"
        f"1700000000.1\tC{e}\t10.0.0.5\t203.0.113.9\t{zeek_escaped}.example\tCN={e}\n"
    ).encode()


def escapes_json() -> bytes:
    import json

    e = ESCAPES
    alert = {
        "alertId": e,
        "title": f"title {e}",
        "severity": "High",
        e: e,
        "evidence": [{"fileName": f"{e}.exe", "url": f"http://{e}.example/{e}", "userName": e}],
    }
    return json.dumps({"title": e, "alerts": [alert]}, ensure_ascii=False).encode()


def escapes_jsonl() -> bytes:
    import json

    e = ESCAPES
    rows = [
        {"EventID": 4688, "Channel": e, "Computer": e, "CommandLine": e, "NewProcessName": e},
        {"eventSource": e, "eventName": e, "sourceIPAddress": e, "userAgent": e},
        {"ts": 1700000000.1, "uid": e, "id.orig_h": e, "conn_state": e},
    ]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def escapes_cloudtrail() -> bytes:
    import json

    e = ESCAPES
    event = {
        "eventVersion": "1.08",
        "eventSource": f"iam{e}.amazonaws.com",
        "eventName": f"StopLogging{e}",
        "eventTime": "2026-01-02T03:04:05Z",
        "sourceIPAddress": e,
        "userAgent": e,
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::111122223333:user/{e}"},
    }
    return json.dumps({"Records": [event]}, ensure_ascii=False).encode()


def escapes_csv() -> bytes:
    e = ESCAPES
    return f"timestamp,user{e[:20]},message\n2025-10-10T10:00:00Z,{e},{e}\n".encode() * 1


def escapes_flows() -> bytes:
    e = ESCAPES
    row = f"2025-10-10T10:00:00Z,{e},203.0.113.9,1,{e},{e},1,1\n"
    return ("ts,sa,da,sp,dp,pr,ibyt,ipkt\n" + row).encode()


def escapes_xml_events() -> bytes:
    e = ESCAPES
    ns = "http://schemas.microsoft.com/win/2004/08/events/event"
    event = (
        f"<Event xmlns='{ns}'><System><Provider Name='{e}'/><EventID>4688</EventID>"
        f"<TimeCreated SystemTime='2026-01-02T03:04:05Z'/><Channel>Security{e}</Channel>"
        f"<Computer>{e}</Computer></System><EventData><Data Name='{e}'>{e}</Data>"
        f"<Data Name='CommandLine'>{e}</Data></EventData></Event>\n"
    )
    # Once with raw control characters (not well-formed XML: salvaged), once as character refs.
    escaped = event.replace("\x1b", "&#x1b;").replace("\x07", "&#x7;")
    return (event + escaped).encode()


def escapes_email() -> bytes:
    e = ESCAPES
    html = f"<html><body><p>{e}</p><a href='http://{e}.example/'>{e}</a></body></html>"
    return (
        f'From: "{e}" <a@example.com>\nTo: b@example.com\nSubject: {e}\n'
        f"Subject: =?utf-8?b?{_b64(e)}?=\nDate: Tue, 3 Mar 2026 10:00:00 +0000\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain; charset=utf-8\n\n{e}\n"
        f"--B\nContent-Type: text/html; charset=utf-8\n\n{html}\n"
        "--B\nContent-Type: application/octet-stream\n"
        f'Content-Disposition: attachment; filename="{e}.exe"\n\nMZ\n'
        "--B--\n"
    ).encode()


def escapes_text() -> bytes:
    return f"plain text {ESCAPES}\n{ESCAPES}\n".encode()


# --- size and count bombs -------------------------------------------------------------------


def huge_line_text() -> bytes:
    return b"A" * (50 * 1024 * 1024)


def huge_line_json() -> bytes:
    # One valid JSON document on one line: the line cap does not apply, the value is huge.
    return (
        b'{"alerts": [{"title": "x", "severity": "High", "description": "'
        + (b"http://a.example/ 203.0.113.9 " * (50 * 1024 * 1024 // 30))
        + b'"}]}'
    )


def huge_line_jsonl() -> bytes:
    return b'{"a": 1}\n{"b": "' + b"x" * (50 * 1024 * 1024) + b'"}\n'


def gzip_bomb() -> bytes:
    # 1 GiB of zeros in about 1 MB; triage must not inflate it.
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        block = bytes(16 * 1024 * 1024)
        for _ in range(64):
            handle.write(block)
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    block = bytes(16 * 1024 * 1024)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for index in range(4):
            with archive.open(f"evil{index}.log", "w", force_zip64=True) as member:
                for _ in range(16):
                    member.write(block)
    return out.getvalue()


def email_with_zip_bomb() -> bytes:
    import base64

    attachment = base64.encodebytes(zip_bomb()).decode()
    return (
        "From: a@example.com\nTo: b@example.com\nSubject: invoice\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nsee attached\n"
        "--B\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n"
        'Content-Disposition: attachment; filename="invoice.zip"\n\n'
        f"{attachment}\n--B--\n"
    ).encode()


def email_many_parts() -> bytes:
    parts = "".join(
        f"--B\nContent-Type: text/plain\n\npart {index} http://p{index}.example/\n"
        for index in range(10_000)
    )
    return (
        "From: a@example.com\nTo: b@example.com\nSubject: many parts\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
        f"{parts}--B--\n"
    ).encode()


# --- EVTX with invalid UTF-16 ---------------------------------------------------------------


def real_evtx() -> bytes | None:
    """The smallest real EVTX file of ../shared/realdata (none is shipped in the repo)."""
    if not REALDATA.is_dir():
        return None
    files = sorted(REALDATA.glob("*/*.evtx"), key=lambda p: (p.stat().st_size, str(p)))
    return files[0].read_bytes() if files else None


def _with_lone_surrogates(data: bytes, needles: list[str]) -> bytes:
    patched = bytearray(data)
    for needle in needles:
        encoded = needle.encode("utf-16-le")
        start = 0
        while (found := patched.find(encoded, start)) >= 0:
            # Code unit 0 becomes a high surrogate with no low one after it; unit 2 a lone low one.
            patched[found : found + 2] = b"\x00\xd8"
            patched[found + 4 : found + 6] = b"\x00\xdc"
            start = found + len(encoded)
    return bytes(patched)


def _real_evtx_or_fail() -> bytes:
    data = real_evtx()
    if data is None:
        raise FileNotFoundError("no EVTX file under ../shared/realdata")
    return data


def evtx_invalid_utf16_values() -> bytes:
    """A real EVTX whose event values hold lone surrogates (a high one unpaired, a low one
    leading): every string of six or more ASCII characters the loader reads from it, but
    whole words of the XML, which may be names in the chunk's string table."""
    import re

    from triage.ingest.base import ArtifactSource
    from triage.ingest.evtx import EvtxLoader
    from triage.ingest.limits import Limits

    data = _real_evtx_or_fail()
    loaded = EvtxLoader().load(ArtifactSource(artifact_id="A1", path="x", data=data), Limits())
    names = {name for record in loaded.records for name in re.findall(r"\w+", record.raw)}
    values = {
        value
        for record in loaded.records
        for value in record.fields.values()
        if isinstance(value, str) and len(value) >= 6 and value.isascii() and value not in names
    }
    return _with_lone_surrogates(data, sorted(values, key=len, reverse=True))


def evtx_invalid_utf16_names() -> bytes:
    """The same file with the element and attribute names of its string table broken too."""
    names = ["EventData", "EventRecordID", "Computer", "Channel", "System", "Data", "Name"]
    return _with_lone_surrogates(evtx_invalid_utf16_values(), names)


CORPUS: tuple[Hostile, ...] = (
    Hostile("deep-100k.json", deep_json, "100,000-deep JSON nesting"),
    Hostile("deep-100k-line.jsonl", deep_json_line, "100,000-deep JSON line between good lines"),
    Hostile("bigint.json", big_integers_json, "5,000-digit integers (keys, values, exponents)"),
    Hostile("bigint.jsonl", big_integers_jsonl, "5,000-digit integers in JSON lines"),
    Hostile("bigint-syslog.log", big_integers_syslog, "5,000-digit pid and priority"),
    Hostile("bigint-auditd.log", big_integers_auditd, "5,000-digit audit time and serial"),
    Hostile("bigint-access.log", big_integers_access_log, "5,000-digit response size"),
    Hostile("bigint-iis.log", big_integers_w3c, "5,000-digit status and bytes"),
    Hostile("bigint-zeek.log", big_integers_zeek, "5,000-digit time, port and count"),
    Hostile("bigint-flows.csv", big_integers_flows, "5,000-digit ports, bytes, duration"),
    Hostile("bigint.csv", big_integers_csv, "5,000-digit CSV cells"),
    Hostile("nul.log", nul_bytes_log, "NUL bytes inside syslog lines"),
    Hostile("nul-escaped.json", nul_bytes_json, "\\u0000 in JSON keys and values"),
    Hostile("nul-raw.json", nul_bytes_raw_in_json, "a raw NUL inside a JSON string"),
    Hostile("crlf.log", crlf_syslog, "CR injected into a syslog message"),
    Hostile("crlf.json", crlf_json, "CRLF in JSON keys and values"),
    Hostile("crlf.csv", crlf_csv, "CRLF in quoted CSV cells"),
    Hostile("crlf.eml", crlf_email, "CRLF inside encoded e-mail headers"),
    Hostile("escapes-syslog.log", escapes_syslog, "ANSI/OSC/bidi in every syslog field"),
    Hostile("escapes-auditd.log", escapes_auditd, "ANSI/OSC/bidi in auditd fields (and hex)"),
    Hostile("escapes-access.log", escapes_access_log, "ANSI/OSC/bidi in access log fields"),
    Hostile("escapes-iis.log", escapes_w3c, "ANSI/OSC/bidi in W3C fields"),
    Hostile("escapes-zeek.log", escapes_zeek, "ANSI/OSC/bidi in Zeek fields (and \\x escapes)"),
    Hostile("escapes.json", escapes_json, "ANSI/OSC/bidi in alert keys and values"),
    Hostile("escapes.jsonl", escapes_jsonl, "ANSI/OSC/bidi in Windows, CloudTrail, Zeek rows"),
    Hostile("escapes-cloudtrail.json", escapes_cloudtrail, "ANSI/OSC/bidi in CloudTrail"),
    Hostile("escapes.csv", escapes_csv, "ANSI/OSC/bidi in CSV header and cells"),
    Hostile("escapes-flows.csv", escapes_flows, "ANSI/OSC/bidi in flow columns"),
    Hostile("escapes-events.xml", escapes_xml_events, "ANSI/OSC/bidi in event XML"),
    Hostile("escapes.eml", escapes_email, "ANSI/OSC/bidi in headers, bodies, file names"),
    Hostile("escapes.txt", escapes_text, "ANSI/OSC/bidi in plain text"),
    Hostile("huge-line.log", huge_line_text, "a 50 MB single line of text"),
    Hostile("huge-line.json", huge_line_json, "a 50 MB one-line JSON document"),
    Hostile("huge-line.jsonl", huge_line_jsonl, "a 50 MB JSON line"),
    Hostile("bomb.gz", gzip_bomb, "gzip bomb: 1 GiB of zeros"),
    Hostile("bomb.zip", zip_bomb, "zip bomb: 4 × 256 MiB members"),
    Hostile("bomb-attached.eml", email_with_zip_bomb, "an e-mail carrying the zip bomb"),
    Hostile("parts-10k.eml", email_many_parts, "an e-mail with 10,000 MIME parts"),
    Hostile("utf16-values.evtx", evtx_invalid_utf16_values, "lone surrogates in EVTX values"),
    Hostile("utf16-names.evtx", evtx_invalid_utf16_names, "lone surrogates in EVTX names too"),
)


# --- the runner -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


# A small launcher forks the triage process and reports its resource usage. Measured directly
# from a forked pytest process, ru_maxrss would carry the parent's size over the fork and exec:
# a large test process would make every input look like it used a gigabyte.
LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss}, out)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_triage(path: Path, *, home: Path, timeout: float = 60.0) -> Outcome:
    """`triage run -f json PATH` in a child process: exit code, wall and CPU time, and the
    child's own peak RSS, as a small launcher process measured it."""
    env = {
        **os.environ,
        "TRIAGE_HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "no-config"),
        "PYTHONPATH": str(REPO),
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TRIAGE_MODEL"):
        env.pop(name, None)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as scratch,
    ):
        usage_file = Path(scratch) / "usage.json"
        command = [sys.executable, "-c", LAUNCHER, str(usage_file)]
        command += ["-m", "triage", "run", "-f", "json", "-q", str(path)]
        started = time.perf_counter()
        child = subprocess.Popen(
            command,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=home,
            start_new_session=True,
        )
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        seconds = time.perf_counter() - started
        usage = json.loads(usage_file.read_text()) if usage_file.is_file() else {}
        out.seek(0)
        err.seek(0)
        return Outcome(
            exit_code=child.returncode,
            seconds=seconds,
            cpu_seconds=float(usage.get("cpu", seconds)),
            peak_rss_mb=float(usage.get("rss_kb", 0)) / 1024,  # kilobytes on Linux
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def warm_home(home: Path) -> None:
    """Build the playbook index once, so that a corpus run measures the input, not the index."""
    subprocess.run(
        [sys.executable, "-m", "triage", "index"],
        env={**os.environ, "TRIAGE_HOME": str(home), "PYTHONPATH": str(REPO)},
        capture_output=True,
        check=True,
        timeout=900,
    )
