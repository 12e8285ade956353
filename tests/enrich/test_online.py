"""Online providers against a scripted fake API on 127.0.0.1: retries, 429, cache, key hygiene."""

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from triage.enrich import EnrichmentConfig, Secret, build_service
from triage.models import Observable

KEY = "sk-test-4f1d9a7c2b8e"
VT_IP = {
    "data": {
        "attributes": {
            "reputation": -40,
            "last_analysis_stats": {
                "malicious": 12,
                "suspicious": 1,
                "harmless": 50,
                "undetected": 20,
                "timeout": 0,
            },
        }
    }
}
ABUSE = {
    "data": {
        "ipAddress": "198.51.100.23",
        "abuseConfidenceScore": 100,
        "totalReports": 42,
        "countryCode": "NL",
        "isp": "Example Hosting",
        "isWhitelisted": False,
    }
}


@dataclass
class FakeApi:
    """Answers each path from its script of (status, headers, body); the last entry repeats."""

    scripts: dict[str, list[tuple[int, dict[str, str], object]]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def hits(self, prefix: str) -> int:
        return sum(path.startswith(prefix) for path, _ in self.requests)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append((self.path, dict(self.headers.items())))
            route = next((p for p in fake.scripts if self.path.startswith(p)), None)
            script = fake.scripts.get(route or "", [(404, {}, {"error": "NotFoundError"})])
            status, headers, body = script.pop(0) if len(script) > 1 else script[0]
            if "X-Test-Delay" in headers:
                time.sleep(float(headers["X-Test-Delay"]))
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def _service(api: FakeApi, cache: Path, **overrides: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "virustotal_key": Secret(KEY),
        "abuseipdb_key": Secret(KEY),
        "virustotal_url": f"{api.base}/api/v3",
        "abuseipdb_url": f"{api.base}/api/v2",
        "cache_dir": cache,
        "backoff_s": 0.01,
        "max_retry_after_s": 1.0,
        "requests_per_minute": 60_000,
        "timeout_s": 2.0,
        **overrides,
    }
    return build_service(EnrichmentConfig(**options))  # type: ignore[arg-type]


def _one(service, provider: str, observable: Observable):  # type: ignore[no-untyped-def]
    return next(r for r in service.enrich([observable], only={provider}))


IP = Observable(type="ipv4", value="198.51.100.23")


def test_500_is_retried_then_answer_is_cached(
    api: FakeApi, tmp_path: Path, no_network: list[object]
) -> None:
    api.scripts["/api/v3/ip_addresses/198.51.100.23"] = [(500, {}, {}), (200, {}, VT_IP)]
    service = _service(api, tmp_path)
    first = _one(service, "virustotal", IP)
    assert first.status == "ok" and first.verdict == "malicious"
    assert first.details["engines_malicious"] == 12
    assert api.hits("/api/v3/ip_addresses") == 2
    second = _one(_service(api, tmp_path), "virustotal", IP)  # a new process-like service
    assert second.model_dump(exclude={"data_age"}) == first.model_dump(exclude={"data_age"})
    assert api.hits("/api/v3/ip_addresses") == 2  # served from the on-disk cache
    assert no_network == []


def test_429_with_short_retry_after_is_waited_out(api: FakeApi, tmp_path: Path) -> None:
    api.scripts["/api/v2/check"] = [(429, {"Retry-After": "0"}, {}), (200, {}, ABUSE)]
    result = _one(_service(api, tmp_path), "abuseipdb", IP)
    assert result.status == "ok" and result.verdict == "malicious" and result.score == 100
    assert result.details["total_reports"] == 42
    assert api.hits("/api/v2/check") == 2


def test_429_with_long_retry_after_is_rate_limited_and_blocks(api: FakeApi, tmp_path: Path) -> None:
    api.scripts["/api/v2/check"] = [(429, {"Retry-After": "3600"}, {})]
    service = _service(api, tmp_path)
    first = _one(service, "abuseipdb", IP)
    second = _one(service, "abuseipdb", Observable(type="ipv4", value="198.51.100.24"))
    assert first.status == second.status == "rate_limited"
    assert first.verdict != "benign"
    assert api.hits("/api/v2/check") == 1  # the bucket holds back until Retry-After
    assert {h.provider: h.status for h in service.health()}["abuseipdb"] == "degraded"


def test_persistent_5xx_becomes_error_after_retries(api: FakeApi, tmp_path: Path) -> None:
    api.scripts["/api/v3/domains/"] = [(503, {}, {})]
    result = _one(
        _service(api, tmp_path, max_retries=2),
        "virustotal",
        Observable(type="domain", value="evil.example"),
    )
    assert result.status == "error" and "HTTP 503 after 3 attempts" in result.summary
    assert api.hits("/api/v3/domains/") == 3


def test_404_is_not_found_and_url_uses_vt_identifier(api: FakeApi, tmp_path: Path) -> None:
    url = Observable(type="url", value="http://phish.example/login")
    result = _one(_service(api, tmp_path), "virustotal", url)
    assert result.status == "not_found"
    assert api.requests[-1][0] == "/api/v3/urls/aHR0cDovL3BoaXNoLmV4YW1wbGUvbG9naW4"


def test_rejected_key_is_an_error_not_clean(api: FakeApi, tmp_path: Path) -> None:
    api.scripts["/api/v3/files/"] = [(401, {}, {"error": {"code": "WrongCredentialsError"}})]
    result = _one(_service(api, tmp_path), "virustotal", Observable(type="md5", value="0" * 32))
    assert result.status == "error" and result.verdict == "unknown"


def test_key_never_leaks(api: FakeApi, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.scripts["/api/v3/ip_addresses/"] = [(500, {}, {}), (200, {}, VT_IP)]
    api.scripts["/api/v2/check"] = [(429, {"Retry-After": "3600"}, {})]
    config_kwargs = {"cache_dir": tmp_path}
    service = _service(api, tmp_path, **config_kwargs)
    results = service.enrich([IP, Observable(type="domain", value="evil.example")])
    sent = [headers for path, headers in api.requests if path.startswith("/api/v3")]
    assert sent and all(h.get("x-apikey") == KEY for h in sent)  # the key is sent, as a header
    visible = [
        caplog.text,
        json.dumps([r.model_dump(mode="json") for r in results]),
        repr(service.health()),
        repr(EnrichmentConfig(virustotal_key=Secret(KEY))),
        str(Secret(KEY)),
        *(path for path, _ in api.requests),
        *(p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()),
    ]
    assert not [text for text in visible if KEY in text]


def test_timeouts_are_retried_then_error(api: FakeApi, tmp_path: Path) -> None:
    api.scripts["/api/v3/ip_addresses/"] = [(200, {"X-Test-Delay": "0.5"}, VT_IP)]
    result = _one(_service(api, tmp_path, timeout_s=0.1, max_retries=1), "virustotal", IP)
    assert result.status == "error"
    assert "timed out after 2 attempts" in result.summary
    assert api.hits("/api/v3/ip_addresses/") == 2


def test_refused_connection_is_an_error(api: FakeApi, tmp_path: Path) -> None:
    service = _service(api, tmp_path, virustotal_url="http://127.0.0.1:9/api/v3", max_retries=1)
    result = _one(service, "virustotal", IP)
    assert result.status == "error" and "connection failed" in result.summary
