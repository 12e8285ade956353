"""A hostile e-mail triaged once through the real CLI: its report feeds every renderer test.

Subject, body and attachment name carry a right-to-left override, ANSI and OSC escapes
(an OSC 8 hyperlink among them), CRLF, C1 controls, and Markdown/HTML injection.
"""

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.models import TriageReport

RLO = "\u202e"
ANSI = "\x1b[31;1mRED\x1b[0m"
OSC_LINK = "\x1b]8;;http://osc.evil.test/x\x07click\x1b]8;;\x07"
OSC_TITLE = "\x1b]0;pwned-title\x07"
INJECTION = (
    "[verify now](http://md-link.evil.test/login) ![img](http://img.evil.test/p.png) "
    '<img src="http://127.0.0.1:9/leak.png"> <script>alert(1)</script> &#x202e; | cell'
)
SUBJECT = f"Invoice {RLO}fdp.exe{ANSI}{OSC_TITLE}\r\nX-Injected: yes {INJECTION}"
ATTACHMENT = f"invoice{RLO}gpj.exe"
BODY = (
    f"Dear user,\r\nplease {OSC_LINK} or open https://payroll-update.evil.test/login?u=1 "
    f"now.\r\n{INJECTION}\r\nC1 CSI: \x9b31m and a bell \x07 and isolate \u2066x\u2069\r\n"
    f"mail phish@sender.evil.test or www.lure.evil.test\r\n"
)


def _encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def hostile_eml() -> bytes:
    attachment = base64.b64encode(b"MZ not really an executable\n").decode()
    lines = [
        'From: "Pay Roll" <payroll@sender.evil.test>',
        "To: victim@corp.example",
        f"Subject: {_encoded_word(SUBJECT)}",
        "Date: Tue, 10 Mar 2026 07:42:11 +0000",
        "Message-ID: <hostile.1@sender.evil.test>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="BOUNDARY"',
        "",
        "--BOUNDARY",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(BODY.encode()).decode(),
        "--BOUNDARY",
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment; filename*=utf-8''"
        + "".join(f"%{b:02X}" for b in ATTACHMENT.encode()),
        "Content-Transfer-Encoding: base64",
        "",
        attachment,
        "--BOUNDARY--",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture(scope="session")
def hostile_email_report(
    triage_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TriageReport]:
    """The report of the hostile e-mail, from `triage run … -f json` (the real pipeline)."""
    from triage.cli import main
    from triage.verify import read_report

    folder = tmp_path_factory.mktemp("hostile-email")
    message = folder / "message.eml"
    message.write_bytes(hostile_eml())
    out = folder / "report.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRIAGE_HOME", str(triage_home))
        patch.setenv("XDG_CONFIG_HOME", str(folder / "no-config"))
        patch.chdir(folder)
        code = main(["run", str(message), "--offline", "-q", "-f", "json", "-o", str(out)])
    assert code == 0
    yield read_report(out)


DATA = Path(__file__).parent / "data"
SAMPLE_REPORTS = sorted(DATA.glob("S*-report.json"))


def sample_report(path: Path) -> TriageReport:
    """A report that `triage run samples/… -f json` wrote (saved: re-rendering needs no run)."""
    return TriageReport.model_validate_json(path.read_text(encoding="utf-8"))


def quoted_everywhere(report: TriageReport) -> TriageReport:
    """The e-mail's decoded subject, body and attachment name in every text field a renderer
    shows, as an agent quoting the message would put them (the rules engine quotes less)."""
    from triage.models import Evidence, Finding, IncidentSummary, TimelineEntry

    when = report.incident.first_seen or report.generated_at
    return report.model_copy(
        update={
            "incident": IncidentSummary(
                id=report.incident.id, title=SUBJECT, first_seen=when, last_seen=when
            ),
            "summary": f"{report.summary} {BODY}",
            "findings": (
                *report.findings,
                Finding(
                    id=f"F{len(report.findings) + 1}", statement=SUBJECT, evidence_ids=("EX1",)
                ),
            ),
            "timeline": (
                TimelineEntry(time=when, description=SUBJECT, evidence_ids=("EX1",)),
                TimelineEntry(time=when, description=ATTACHMENT, evidence_ids=("EX2",)),
            ),
            "evidence": (
                *report.evidence,
                Evidence(
                    id="EX1",
                    kind="artifact",
                    artifact_id="A1",
                    locator="header:Subject#1",
                    quote=SUBJECT,
                ),
                Evidence(id="EX2", kind="artifact", artifact_id="A1", locator="part:1", quote=BODY),
            ),
        }
    )


@pytest.fixture(scope="session")
def hostile_report(hostile_email_report: TriageReport) -> TriageReport:
    return quoted_everywhere(hostile_email_report)
