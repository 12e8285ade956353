"""--offline keeps the agent on loopback: a DNS name that looks like 127.x is refused before any
lookup, and a redirect from the loopback model endpoint is never followed (the run falls back)."""

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import SAMPLES, run_cli

S02 = str(SAMPLES / "S02-mde-word-encoded-powershell")


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every name lookup and connection attempt, refused."""
    seen: list[Any] = []

    def refuse_lookup(host: Any, *_args: Any, **_kwargs: Any) -> Any:
        seen.append(host)
        raise socket.gaierror(f"lookup refused in this test: {host!r}")

    def refuse_connect(_self: socket.socket, address: Any) -> Any:
        seen.append(address)
        raise OSError(f"connection refused in this test: {address!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    return seen


@pytest.mark.parametrize(
    "url",
    [
        "http://127.egress-test.invalid/v1",
        "http://127.0.0.1.nip.example/v1",
        "http://localhost.example.com/v1",
        "http://[::ffff:8.8.8.8]/v1",
    ],
)
def test_offline_refuses_names_that_only_look_like_loopback(
    cli_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lookups: list[Any],
    url: str,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("TRIAGE_MODEL", "x")
    code, out, err = run_cli(["run", S02, "--engine", "agent", "--offline"], capsys)
    assert code == 4, err
    assert "loopback" in err and "Traceback" not in err
    assert out == ""
    assert lookups == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.9.8.7", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.egress-test.invalid", False),
        ("127.0.0.1.example.com", False),
        ("sub.localhost.example", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    from triage.wiring import is_loopback_host

    assert is_loopback_host(host) is loopback


@pytest.fixture
def redirecting_endpoint() -> Iterator[tuple[str, list[str], list[str]]]:
    """A loopback model endpoint answering 307 to a second loopback server; yields the first
    one's base URL and what each of the two received."""
    first: list[str] = []
    second: list[str] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            second.append(self.path)
            self.send_response(500)
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *_args: object) -> None:
            return None

    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    elsewhere = f"http://127.0.0.1:{target.server_address[1]}/elsewhere"

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(min(length, 1 << 20))
            first.append(self.path)
            self.send_response(307)
            self.send_header("Location", elsewhere)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *_args: object) -> None:
            return None

    source = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    servers = (target, source)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{source.server_address[1]}/v1", first, second
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_redirecting_endpoint_is_a_model_error_and_the_target_gets_nothing(
    cli_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    redirecting_endpoint: tuple[str, list[str], list[str]],
) -> None:
    url, first, second = redirecting_endpoint
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("TRIAGE_MODEL", "x")
    args = ["run", S02, "--engine", "agent", "--offline", "-f", "json", "--llm-timeout", "10"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["run"]["engine"] == "rules"
    assert report["run"]["fallback_reason"]
    assert first, "the model endpoint was never asked"
    assert second == []


def test_an_injected_client_does_not_follow_redirects_either(
    redirecting_endpoint: tuple[str, list[str], list[str]],
) -> None:
    from langchain_core.messages import HumanMessage

    from triage.analysts.agent.chat import AgentConfig, chat_model

    url, first, second = redirecting_endpoint
    injected = httpx.Client(follow_redirects=True)  # as a careless recorder might build it
    config = AgentConfig(models=("x",), base_url=url, retries=0, http_client=injected)
    chat = chat_model(config, "x", timeout=5.0)
    with pytest.raises(Exception, match="307"):
        chat.invoke([HumanMessage("hello")])
    injected.close()
    assert first == ["/v1/chat/completions"]
    assert second == []
