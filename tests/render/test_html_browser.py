"""The HTML report in a real browser: headless Chromium (Debian's `chromium`), started here.

It must show the verdict, the techniques and every evidence row; its stylesheet must pass its
own CSP; and nothing in it may reach the network: a local server counts every request, and an
<img>, <link> and <script> injected raw into the page (an escaping bug, simulated) are blocked
by the CSP, while the same page without the CSP does fetch them (the check can fail).
"""

import shutil
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.render.conftest import SAMPLE_REPORTS, sample_report
from triage.models import TriageReport
from triage.render import render_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium(page: Path, *args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.row_ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs).get("id") or ""
        if tag == "tr" and found.startswith("evidence-"):
            self.row_ids.append(found.removeprefix("evidence-"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _csp_violations(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Content Security Policy" in line]


@pytest.fixture
def requests_seen() -> Iterator[tuple[int, list[str]]]:
    """A server on 127.0.0.1 that records every request; yields (port, paths)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("which", ["hostile", *(p.stem for p in SAMPLE_REPORTS)])
def test_browser_shows_verdict_techniques_and_every_evidence_row(
    which: str, hostile_report: TriageReport, tmp_path: Path
) -> None:
    report = (
        hostile_report
        if which == "hostile"
        else sample_report(next(p for p in SAMPLE_REPORTS if p.stem == which))
    )
    page = tmp_path / "report.html"
    page.write_text(render_text(report, "html"), encoding="utf-8")
    done = chromium(page, "--dump-dom", profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)
    shown = " ".join(dom.text)
    assert report.verdict.classification.replace("_", " ").upper() in shown
    assert f"confidence {report.verdict.confidence:.2f}" in shown
    for technique in report.techniques:
        assert technique.id in shown
    assert dom.row_ids == [e.id for e in report.evidence]
    for e in report.evidence:
        if e.locator:
            assert e.locator in shown
    assert not {"script", "img", "a", "link", "iframe", "object"} & set(dom.tags)
    if report.timeline:
        assert dom.tags.count("circle") == len(report.timeline)
    assert _csp_violations(done.stderr) == []  # the stylesheet's hash matches: styles apply


def test_csp_blocks_every_request_even_from_injected_markup(
    hostile_report: TriageReport, tmp_path: Path, requests_seen: tuple[int, list[str]]
) -> None:
    port, seen = requests_seen
    base = f"http://127.0.0.1:{port}"
    injected = (
        f'<img src="{base}/img"><link rel="stylesheet" href="{base}/css">'
        f'<script src="{base}/js"></script><iframe src="{base}/frame"></iframe>'
        f'<div style="background:url({base}/inline-css)">x</div>'
    )
    text = f'{hostile_report.summary} <img src="{base}/escaped">'
    page_html = render_text(hostile_report.model_copy(update={"summary": text}), "html")
    guarded = tmp_path / "guarded.html"
    guarded.write_text(page_html.replace("<body>", "<body>" + injected, 1), encoding="utf-8")
    done = chromium(guarded, "--dump-dom", profile=tmp_path / "profile-1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert seen == []
    assert _csp_violations(done.stderr)  # the browser says it blocked them

    # The same page without its CSP: the probe does see the injected requests.
    head, _, rest = page_html.partition('<meta http-equiv="Content-Security-Policy"')
    unguarded = tmp_path / "unguarded.html"
    unguarded.write_text(
        (head + rest.partition(">")[2]).replace("<body>", "<body>" + injected, 1),
        encoding="utf-8",
    )
    done = chromium(unguarded, "--dump-dom", profile=tmp_path / "profile-2")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "/img" in seen
    assert "/escaped" not in seen  # escaped artifact markup never loads, CSP or not


def test_screenshot_is_drawn(tmp_path: Path) -> None:
    report = sample_report(SAMPLE_REPORTS[-1])
    page = tmp_path / "report.html"
    page.write_text(render_text(report, "html"), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = chromium(
        page, f"--screenshot={shot}", "--window-size=1280,1600", profile=tmp_path / "profile"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
