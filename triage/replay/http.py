"""Model traffic: an httpx transport that records every request and response, and one that
answers from the record, strictly, without opening a socket.

Requests are matched in order, by method, URL and body. A request body may carry tokens that
are random per run by design (the agent fences untrusted data with a random tag), so those are
masked before bodies are compared. Credentials never reach the record: authorisation headers
are dropped and a URL's user:password part is removed.
"""

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# Random per-run tokens in request bodies: the agent's datamark tag (guardrails.Datamark).
VOLATILE = re.compile(r"DATA-[0-9a-f]{12}")
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "api-key",
        "x-api-key",
        "cookie",
        "set-cookie",
        "proxy-authorization",
        "openai-organization",
        "openai-project",
    }
)
# Set by the transport from the body it returns; kept, they would describe bytes it no longer has.
FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
MAX_BODY_BYTES = 32 * 1024 * 1024


def public_url(url: str) -> str:
    """The URL without a user:password part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _body(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _bytes(body: Any) -> bytes:
    if not isinstance(body, dict):
        return b""
    if isinstance(body.get("text"), str):
        return str(body["text"]).encode("utf-8")
    if isinstance(body.get("base64"), str):
        return base64.b64decode(str(body["base64"]), validate=False)
    return b""


def _headers(headers: httpx.Headers, *, drop: frozenset[str]) -> list[list[str]]:
    return [[k, v] for k, v in headers.multi_items() if k.lower() not in drop]


def comparable_body(data: bytes) -> bytes:
    return VOLATILE.sub("DATA-*", data.decode("utf-8", "replace")).encode("utf-8")


class RecordingTransport(httpx.BaseTransport):
    """Passes every request on to `inner` (a real transport) and keeps the exchange."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.exchanges: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = request.read()
        entry: dict[str, Any] = {
            "request": {
                "method": request.method,
                "url": public_url(str(request.url)),
                "headers": _headers(request.headers, drop=SECRET_HEADERS),
                "body": _body(sent),
            }
        }
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            entry["error"] = {"type": type(exc).__name__, "message": str(exc)[:500]}
            self.exchanges.append(entry)
            raise
        try:
            content = response.read()
        finally:
            response.close()
        headers = _headers(response.headers, drop=SECRET_HEADERS | FRAMING_HEADERS)
        entry["response"] = {
            "status": response.status_code,
            "headers": headers,
            "body": _body(content),
        }
        self.exchanges.append(entry)
        pairs = [(k, v) for k, v in headers]
        return httpx.Response(response.status_code, headers=pairs, content=content)

    def close(self) -> None:
        self.inner.close()


@dataclass
class ReplayTransport(httpx.BaseTransport):
    """Answers request n with recorded exchange n when method, URL and (masked) body agree;
    anything else is a miss: noted in `misses` and refused with a transport error."""

    exchanges: Sequence[dict[str, Any]]
    misses: list[str] = field(default_factory=list)
    position: int = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        number = self.position + 1
        url = public_url(str(request.url))
        call = f"HTTP request #{number} {request.method} {url}"
        if self.position >= len(self.exchanges):
            return self._miss(request, f"{call}: the bundle recorded {len(self.exchanges)}")
        recorded = self.exchanges[self.position]
        self.position += 1
        wanted = recorded.get("request") or {}
        if wanted.get("method") != request.method or wanted.get("url") != url:
            was = f"{wanted.get('method')} {wanted.get('url')}"
            return self._miss(request, f"{call}: the bundle recorded {was} here")
        if comparable_body(request.read()) != comparable_body(_bytes(wanted.get("body"))):
            return self._miss(request, f"{call}: its body differs from the recorded request")
        if "response" not in recorded:
            error = recorded.get("error") or {}
            raise httpx.ConnectError(
                f"recorded failure: {error.get('message', '')}", request=request
            )
        response = recorded["response"]
        body = _bytes(response.get("body"))
        if len(body) > MAX_BODY_BYTES:
            return self._miss(request, f"{call}: the recorded response is over the size limit")
        headers = [(str(k), str(v)) for k, v in response.get("headers", [])][:200]
        return httpx.Response(int(response.get("status", 500)), headers=headers, content=body)

    def _miss(self, request: httpx.Request, call: str) -> httpx.Response:
        self.misses.append(call)
        raise httpx.ConnectError(f"not in the bundle: {call}", request=request)
