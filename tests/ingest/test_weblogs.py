"""Web server logs: Tomcat/Apache/Nginx access logs and IIS/W3C extended logs."""

from datetime import UTC, datetime

import yaml

from tests.conftest import REALDATA, requires_realdata
from triage.ingest.base import ArtifactSource, decode_text
from triage.ingest.limits import Limits
from triage.ingest.weblogs import AccessLogLoader, W3cLoader
from triage.models import Record

ACCESS_CASE = REALDATA / "DEV-13"

COMBINED = (
    '203.0.113.9 - alice [10/Oct/2023:13:55:36 -0700] "POST /login.php HTTP/1.1" 302 0 '
    '"https://example.org/" "Mozilla/5.0 (X11; \\"quoted\\")"\n'
    '203.0.113.9 - - [10/Oct/2023:13:55:37 -0700] "GET /shell.jsp?cmd=id HTTP/1.1" 200 41\n'
    "garbage that is not a request\n"
)

W3C = (
    "#Software: Microsoft Internet Information Services 10.0\n"
    "#Version: 1.0\n"
    "#Date: 2024-03-01 10:00:00\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port c-ip "
    "cs(User-Agent) sc-status time-taken\n"
    "2024-03-01 10:00:01 10.0.0.1 GET /owa/auth/x.aspx cmd=whoami 443 198.51.100.7 "
    "curl/8.0 200 15\n"
    "2024-03-01 10:00:02 10.0.0.1 POST /ecp/y.js - 443 198.51.100.7 - 404 3\n"
)


def _load(loader: AccessLogLoader | W3cLoader, data: bytes) -> list[Record]:
    return loader.load(ArtifactSource(artifact_id="A1", path="x.log", data=data), Limits()).records


def test_combined_log_fields() -> None:
    login, shell, garbage = _load(AccessLogLoader(), COMBINED.encode())
    assert login.source == "web.access"
    assert login.fields["client_ip"] == "203.0.113.9"
    assert login.fields["user"] == "alice"
    assert login.fields["method"] == "POST"
    assert login.fields["status"] == 302
    assert login.fields["referrer"] == "https://example.org/"
    assert "quoted" in str(login.fields["user_agent"])
    assert login.timestamp == datetime(2023, 10, 10, 20, 55, 36, tzinfo=UTC)
    assert shell.fields["uri"] == "/shell.jsp?cmd=id"
    assert shell.fields["bytes"] == 41
    assert shell.fields["user_agent"] is None
    assert garbage.fields == {} and garbage.locator == "line:3"


def test_access_sniff_goes_by_the_majority() -> None:
    loader = AccessLogLoader()
    assert loader.sniff(COMBINED.encode(), COMBINED)
    mostly_text = "hello\nworld\n" + COMBINED.splitlines()[1] + "\nmore text\n"
    assert not loader.sniff(mostly_text.encode(), mostly_text)
    assert not loader.sniff(W3C.encode(), W3C)


def test_w3c_fields_named_by_the_fields_directive() -> None:
    assert W3cLoader().sniff(W3C.encode(), W3C)
    first, second = _load(W3cLoader(), W3C.encode())
    assert first.locator == "line:5" and second.locator == "line:6"
    assert first.source == "web.w3c"
    assert first.fields["cs-uri-query"] == "cmd=whoami"
    assert first.fields["c-ip"] == "198.51.100.7"
    assert first.fields["cs(User-Agent)"] == "curl/8.0"
    assert first.fields["sc-status"] == 200
    assert second.fields["cs-uri-query"] is None
    assert first.timestamp == datetime(2024, 3, 1, 10, 0, 1, tzinfo=UTC)


@requires_realdata
def test_real_tomcat_access_log() -> None:
    data = (ACCESS_CASE / "access_log.txt").read_bytes()
    label = yaml.safe_load((ACCESS_CASE / "label.yaml").read_text())
    text = decode_text(data)
    assert AccessLogLoader().sniff(data[:65536], decode_text(data[:65536]))
    records = _load(AccessLogLoader(), data)
    assert len(records) == label["artifacts"][0]["lines"]
    lines = text.splitlines()
    assert all(r.raw == lines[int(r.locator[5:]) - 1] for r in records)
    assert all(isinstance(r.fields["status"], int) for r in records)
    assert all(r.timestamp is not None for r in records)
    # Web-shell requests are parsed down to the URI; scanners' junk bytes stay readable.
    shell = [r for r in records if str(r.fields["uri"]).startswith("/error/cmd.jsp")]
    assert {r.fields["method"] for r in shell} >= {"GET", "POST"}
    assert any("\ufffd" in r.raw for r in records)
