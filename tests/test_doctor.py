"""`triage doctor`: where each setting came from, masked secrets, endpoint reachability
(loopback only with --offline), index state, rule packs and the dated bundled data."""

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh TRIAGE_HOME, no user config, no model settings, a working folder of our own."""
    for name in ("TRIAGE_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "TRIAGE_OFFLINE",
                 "TRIAGE_ENGINE", "AZURE_OPENAI_ENDPOINT", "TRIAGE_INTEL_DIR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRIAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def _doctor(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli(["doctor", "--json", *flags], capsys)
    return code, json.loads(out)


def _setting(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in result["configuration"] if row["setting"] == name)


def test_each_setting_names_its_layer(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("triage.toml").write_text('[triage]\nengine = "rules"\nmax_file_mb = 5\n')
    monkeypatch.setenv("TRIAGE_MODEL", "small-model")
    code, result = _doctor(capsys, "--offline")
    assert code == 0
    assert _setting(result, "home")["source"] == "env TRIAGE_HOME"
    assert _setting(result, "model") == {
        "setting": "model",
        "value": "small-model",
        "source": "env TRIAGE_MODEL",
    }
    assert _setting(result, "engine")["source"].startswith("file ")
    assert _setting(result, "engine")["source"].endswith("triage.toml")
    assert _setting(result, "max_file_bytes") == {
        "setting": "max_file_bytes", "value": 5 * 1024 * 1024,
        "source": _setting(result, "engine")["source"],
    }  # fmt: skip
    assert _setting(result, "offline") == {"setting": "offline", "value": True, "source": "flag"}
    assert _setting(result, "chroma_url")["source"] == "default"


def test_secrets_are_masked(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    monkeypatch.setenv("TRIAGE_VT_API_KEY", "vt-secret-value")
    code, out, _ = run_cli(["doctor", "--json", "--offline"], capsys)
    assert code == 0
    assert "secret-value" not in out
    result = json.loads(out)
    assert _setting(result, "api_key") == {
        "setting": "api_key",
        "value": "set (masked)",
        "source": "env OPENAI_API_KEY",
    }
    assert _setting(result, "vt_api_key")["value"] == "set (masked)"
    _, text, _ = run_cli(["doctor", "--offline"], capsys)
    assert "secret-value" not in text and "set (masked)" in text


@pytest.fixture
def model_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback OpenAI-compatible /models endpoint; yields its base URL and the headers seen."""
    seen: list[str] = []

    class Models(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(str(self.headers))
            body = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]})
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *_args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
    server.server_close()


def test_a_loopback_endpoint_is_checked_even_offline_and_gets_no_key(
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    model_server: tuple[str, list[str]],
) -> None:
    url, seen = model_server
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-sent")
    code, result = _doctor(capsys, "--offline")
    assert result["model_endpoint"]["status"] == "ok"
    assert result["model_endpoint"]["detail"] == "HTTP 200" and code == 0
    assert len(seen) == 1 and "sk-never-sent" not in seen[0]


def test_offline_skips_a_remote_endpoint_without_touching_the_network(
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_network: list[Any],
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://models.example.com/v1")
    _, result = _doctor(capsys, "--offline")
    assert result["model_endpoint"]["status"] == "skipped"
    assert no_network == []


def test_an_unreachable_endpoint_is_a_problem_and_exit_one(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    code, result = _doctor(capsys, "--offline")
    assert result["model_endpoint"]["status"] == "problem" and code == 1
    assert "unreachable" in result["model_endpoint"]["detail"]


def test_no_model_means_no_request(
    clean_env: Path, capsys: pytest.CaptureFixture[str], no_network: list[Any]
) -> None:
    code, result = _doctor(capsys)
    assert result["model_endpoint"]["status"] == "not configured" and code == 0
    assert no_network == []


def test_index_and_rule_packs_state(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, result = _doctor(capsys, "--offline")
    assert result["playbook_index"]["status"] == "not built"  # a fresh TRIAGE_HOME
    packs = result["rule_packs"]
    assert packs["shipped_rules"] > 100 and packs["packs"] == [] and packs["status"] == "ok"


def test_bundled_data_carry_dates_read_from_the_data(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    intel = clean_env / "intel"
    intel.mkdir()
    (intel / "bad-ips.txt").write_text("203.0.113.9\n")
    monkeypatch.setenv("TRIAGE_INTEL_DIR", str(intel))
    _, result = _doctor(capsys, "--offline")
    rows = {row["name"].split(" (")[0]: row for row in result["data_sets"]}
    assert set(rows) == {"MITRE ATT&CK", "GeoIP", "Public Suffix List", "threat-intel pack"}
    today = dt.datetime.now(dt.UTC).date()
    for row in rows.values():
        assert "problem" not in row, row
        date = dt.date.fromisoformat(row["date"])
        assert row["age_days"] == (today - date).days >= 0
    from triage.enrich.attack import ATTACK_VERSION

    assert rows["MITRE ATT&CK"]["version"] == ATTACK_VERSION
    assert rows["GeoIP"]["date"].replace("-", "") in rows["GeoIP"]["version"]
    assert rows["Public Suffix List"]["version"].startswith(rows["Public Suffix List"]["date"])
    assert rows["threat-intel pack"]["date"] == today.isoformat()


def test_credentials_in_the_endpoint_url_are_masked_and_never_sent(
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    model_server: tuple[str, list[str]],
) -> None:
    url, seen = model_server
    secret_url = (
        url.replace("http://", "http://alice:pw-in-userinfo@") + "?key=q-secret&api-version=1"
    )
    monkeypatch.setenv("OPENAI_BASE_URL", secret_url)
    code, out, _ = run_cli(["doctor", "--json", "--offline"], capsys)
    assert "pw-in-userinfo" not in out and "q-secret" not in out and "alice" not in out
    result = json.loads(out)
    shown = _setting(result, "base_url")["value"]
    assert shown.startswith(url) and "api-version=1" in shown and "key=***" in shown
    assert result["model_endpoint"]["endpoint"] == shown
    assert result["model_endpoint"]["status"] == "ok" and code == 0
    _, text, _ = run_cli(["doctor", "--offline"], capsys)
    assert "pw-in-userinfo" not in text and "q-secret" not in text and url in text
    assert len(seen) == 2
    assert all("authorization" not in headers.lower() for headers in seen)


@pytest.fixture
def redirecting_models() -> Iterator[tuple[str, list[str]]]:
    """A loopback /models answering 302 to a second loopback server; yields the first one's
    base URL and the paths the second one was asked for."""
    second: list[str] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            second.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_address[1]}/x")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    source = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (target, source):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{source.server_address[1]}/v1", second
    for server in (target, source):
        server.shutdown()
        server.server_close()


def test_a_redirect_is_reported_not_followed(
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    redirecting_models: tuple[str, list[str]],
) -> None:
    url, second = redirecting_models
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    code, result = _doctor(capsys, "--offline")
    assert result["model_endpoint"]["status"] == "problem"
    assert "HTTP 302" in result["model_endpoint"]["detail"]
    assert second == [] and code == 1


@pytest.mark.parametrize(
    "url", ["http://127.egress-test.invalid/v1", "http://127.0.0.1.example.com/v1"]
)
def test_offline_skips_names_that_only_look_like_loopback(
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    import socket

    lookups: list[Any] = []

    def refuse(host: Any, *_args: Any, **_kwargs: Any) -> Any:
        lookups.append(host)
        raise socket.gaierror("refused in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    _, result = _doctor(capsys, "--offline")
    assert result["model_endpoint"]["status"] == "skipped"
    assert lookups == []


def test_urls_inside_any_printed_value_are_scrubbed() -> None:
    from triage.cli.doctor import scrubbed

    value = {"where": ["shared server https://u:p4ss@chroma.example:8000/?token=t0k#frag"]}
    shown = json.dumps(scrubbed(value))
    assert "p4ss" not in shown and "t0k" not in shown and "frag" not in shown
    assert "https://chroma.example:8000/?token=***" in shown


def test_doctor_shows_what_the_endpoint_refused_before(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.analysts.agent.endpoint import EndpointMemory, endpoint_key
    from triage.settings import load_settings

    base = "http://127.0.0.1:9/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", base)
    monkeypatch.setenv("TRIAGE_MODEL", "small,large")
    home = load_settings().home
    EndpointMemory(home).remember_refusal(endpoint_key(base, "small"), "json_schema", "HTTP 500")
    _, result = _doctor(capsys, "--offline")
    support = result["model_endpoint"]["structured_output"]
    assert support["small"] == {"modes": ["json_object", "prompted"], "refused": ["json_schema"]}
    assert support["large"]["refused"] == []
