"""A scripted OpenAI-compatible chat server on 127.0.0.1: each request to /v1/chat/completions
takes the next step of a script, and every request is recorded (path, headers, raw body)."""

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = dict[str, Any]


@dataclass
class Reply:
    status: int = 200
    body: Body | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Step = Reply | Callable[[Body], Reply]


def completion(
    content: str | None = None,
    *,
    tool_calls: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    usage: tuple[int, int] = (100, 20),
    model: str = "scripted",
) -> Reply:
    """A chat.completion answer: text, or (parallel) tool calls."""
    message: Body = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{n}_{name}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for n, (name, args) in enumerate(tool_calls)
        ]
    return Reply(
        body={
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if tool_calls else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": sum(usage),
            },
        }
    )


def error(status: int, message: str, **headers: str) -> Reply:
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "scripted"}},
        headers=dict(headers),
    )


def texts(body: Body, *, role: str | None = None) -> str:
    """All message text of a request (of one role, when given), tool results included."""
    parts = []
    for message in body.get("messages", []):
        if role is not None and message.get("role") != role:
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [c.get("text", "") for c in content if isinstance(c, dict)]
    return "\n".join(parts)


def evidence_ids(body: Body) -> list[str]:
    """The evidence ids the request showed the model, in order of first mention."""
    return list(dict.fromkeys(re.findall(r'"(?:evidence_id|id)": "(E\d+)"', texts(body))))


def playbook_refs(body: Body) -> list[str]:
    """The playbook sections the tools returned."""
    found = re.findall(r'"playbook_ref": "([a-z0-9-]+#[a-z_]+)"', texts(body, role="tool"))
    return list(dict.fromkeys(found))


class ScriptedServer:
    """`gate` sees each request first; a reply from it answers without using a script step
    (an endpoint that refuses some features, whatever the model would say)."""

    def __init__(
        self, script: list[Step], *, gate: Callable[[Body], Reply | None] | None = None
    ) -> None:
        self.script = list(script)
        self.gate = gate
        self.requests: list[Body] = []
        self.raw: list[bytes] = []
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                owner.raw.append(raw)
                owner.paths.append(self.path)
                body = json.loads(raw or b"{}")
                owner.requests.append(body)
                reply = owner.gate(body) if owner.gate else None
                if reply is None:
                    step = owner.script.pop(0) if owner.script else error(599, "script exhausted")
                    try:
                        reply = step(body) if callable(step) else step
                    except Exception as exc:  # a broken script step fails the test visibly
                        reply = error(599, f"script step failed: {exc!r}")
                if reply.delay:
                    time.sleep(reply.delay)
                data = json.dumps(reply.body or {}).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def serve(script: list[Step]) -> Iterator[ScriptedServer]:
    with ScriptedServer(script) as server:
        yield server


def llama_cpp_gate(body: Body) -> Reply | None:
    """What llama.cpp's server does with the two features it lacks (measured, see issue 9):
    HTTP 500 to tool_choice "required", and a refusal of response_format json_schema."""
    if body.get("tool_choice") == "required":
        return error(500, "tool_choice 'required' is not supported")
    if (body.get("response_format") or {}).get("type") == "json_schema":
        return error(500, "response_format type json_schema is not supported")
    return None
