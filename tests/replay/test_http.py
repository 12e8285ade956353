"""The model-traffic transports against a local HTTP server on 127.0.0.1: recording keeps
every exchange without credentials; replay answers in order, offline, and names a miss."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.replay.conftest import socket_guard
from triage.replay.http import RecordingTransport, ReplayTransport

SECRET = "sk-test-secret-0000"


class _Echo(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Echo.count += 1
        payload = {
            "n": _Echo.count,
            "echo": json.loads(body),
            "auth": bool(self.headers["Authorization"]),
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/chat/completions"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _ask(client: httpx.Client, url: str, text: str) -> dict[str, Any]:
    response = client.post(url, json={"messages": [{"content": text}]},
                           headers={"Authorization": f"Bearer {SECRET}"})  # fmt: skip
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _record(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    recorder = RecordingTransport()
    with httpx.Client(transport=recorder) as client:
        answers = [
            _ask(client, url, "<<DATA-0123456789ab>> first <</DATA-0123456789ab>>"),
            _ask(client, url, "second"),
        ]
    return recorder.exchanges, answers


def test_recording_keeps_every_exchange_but_no_credential(server: str) -> None:
    exchanges, answers = _record(server)
    assert [a["echo"]["messages"][0]["content"] for a in answers][1] == "second"
    assert len(exchanges) == 2
    assert exchanges[0]["request"]["method"] == "POST"
    assert exchanges[0]["request"]["url"] == server
    assert json.loads(exchanges[1]["response"]["body"]["text"]) == answers[1]
    assert SECRET not in json.dumps(exchanges)
    assert answers[0]["auth"] is True  # the key was sent, only not recorded


def test_replay_answers_in_order_without_the_server(server: str) -> None:
    exchanges, answers = _record(server)
    before = _Echo.count
    replay = ReplayTransport(exchanges)
    with socket_guard() as guard, httpx.Client(transport=replay) as client:
        # Another run's datamark tag: masked, so the request still matches.
        first = _ask(client, server, "<<DATA-fedcba987654>> first <</DATA-fedcba987654>>")
        second = _ask(client, server, "second")
    assert [first, second] == answers
    assert _Echo.count == before and not guard.attempts and not replay.misses


def test_an_unrecorded_request_is_refused_and_named(server: str) -> None:
    exchanges, _ = _record(server)
    replay = ReplayTransport(exchanges)
    with httpx.Client(transport=replay) as client:
        _ask(client, server, "<<DATA-0123456789ab>> first <</DATA-0123456789ab>>")
        with pytest.raises(httpx.ConnectError, match="not in the bundle"):
            _ask(client, server, "a question never asked")
        with pytest.raises(httpx.ConnectError):
            _ask(client, server, "third")
    assert replay.misses[0] == (
        f"HTTP request #2 POST {server}: its body differs from the recorded request"
    )
    assert replay.misses[1] == f"HTTP request #3 POST {server}: the bundle recorded 2"


def test_user_and_password_in_the_url_are_not_recorded(server: str) -> None:
    recorder = RecordingTransport()
    with httpx.Client(transport=recorder) as client:
        client.post(server.replace("http://", "http://me:pw-secret@"), json={"messages": []})
    assert "pw-secret" not in json.dumps(recorder.exchanges)
    assert recorder.exchanges[0]["request"]["url"] == server
