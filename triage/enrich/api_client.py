"""A small JSON-over-HTTPS client for online providers: token-bucket rate limit, retries with
exponential backoff, bounded Retry-After on 429, and an on-disk TTL cache (sqlite).

API keys travel only in request headers; cache keys, logs and errors never contain them.
"""

import contextlib
import email.utils
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from triage.enrich.provider import Secret

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024


class ApiError(Exception):
    """The API could not answer (after retries); the message never holds the key."""


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.0f}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    fetched_at: float  # epoch seconds when the API answered
    cached: bool = False


class TokenBucket:
    """Allows `rate_per_minute` requests with bursts up to `burst`; thread-safe."""

    def __init__(
        self,
        *,
        rate_per_minute: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = rate_per_minute / 60.0
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def block_until(self, moment: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, moment)

    def acquire(self, *, max_wait: float) -> bool:
        """Take a token, waiting at most `max_wait` seconds; False when that is not enough."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            wait = max(self._blocked_until - now, (1 - self._tokens) / self._rate, 0.0)
            if wait > max_wait:
                return False
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)
        return True


class ResponseCache:
    """Answers by request (provider + path + params), kept `ttl_s` seconds in one sqlite file."""

    def __init__(self, *, folder: Path, ttl_s: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / "enrichment-cache.sqlite3"
        self._ttl = ttl_s
        with contextlib.closing(sqlite3.connect(self._path)) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers "
                "(key TEXT PRIMARY KEY, stored_at REAL, status INTEGER, body TEXT)"
            )

    def get(self, key: str) -> ApiResponse | None:
        with contextlib.closing(sqlite3.connect(self._path, timeout=5)) as db:
            row = db.execute(
                "SELECT stored_at, status, body FROM answers WHERE key = ?", (key,)
            ).fetchone()
        if row is None or time.time() - row[0] > self._ttl:
            return None
        return ApiResponse(status=row[1], body=json.loads(row[2]), fetched_at=row[0], cached=True)

    def put(self, key: str, response: ApiResponse) -> None:
        with contextlib.closing(sqlite3.connect(self._path, timeout=5)) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                (key, response.fetched_at, response.status, json.dumps(response.body)),
            )


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    timeout_s: float = 10.0
    max_retries: int = 2
    backoff_s: float = 0.5
    max_retry_after_s: float = 5.0


class ApiClient:
    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        auth_header: str,
        key: Secret,
        policy: RetryPolicy,
        bucket: TokenBucket,
        cache: ResponseCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._base = base_url.rstrip("/")
        self._auth_header = auth_header
        self._key = key
        self._policy = policy
        self._bucket = bucket
        self._cache = cache
        self._sleep = sleep

    def get_json(self, path: str, *, params: Mapping[str, str] | None = None) -> ApiResponse:
        """200 and 404 answers (cached); raises RateLimited or ApiError otherwise."""
        import httpx

        query = f"?{urlencode(sorted(params.items()))}" if params else ""
        key = f"{self.name}:{path}{query}"
        if self._cache is not None and (hit := self._cache.get(key)) is not None:
            return hit
        policy = self._policy
        problem = "no attempt made"
        for attempt in range(policy.max_retries + 1):
            if not self._bucket.acquire(max_wait=policy.max_retry_after_s):
                raise RateLimited(policy.max_retry_after_s)
            try:
                with httpx.Client(timeout=policy.timeout_s) as client:
                    reply = client.get(
                        f"{self._base}{path}",
                        params=dict(params or {}),
                        headers={
                            self._auth_header: self._key.reveal(),
                            "Accept": "application/json",
                        },
                    )
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.HTTPError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if reply.status_code == 429:
                    wait = _retry_after(reply.headers.get("Retry-After"), policy.backoff_s)
                    if wait > policy.max_retry_after_s or attempt == policy.max_retries:
                        self._bucket.block_until(time.monotonic() + wait)
                        raise RateLimited(wait)
                    log.info("%s: rate limited, waiting %.1fs", self.name, wait)
                    self._sleep(wait)
                    continue
                if reply.status_code < 500:
                    return self._accept(key, reply.status_code, reply.content)
                problem = f"HTTP {reply.status_code}"
            log.info("%s: %s on attempt %d", self.name, problem, attempt + 1)
            if attempt < policy.max_retries:
                self._sleep(policy.backoff_s * 2**attempt)
        raise ApiError(f"{self.name}: {problem} after {policy.max_retries + 1} attempts")

    def _accept(self, key: str, status: int, content: bytes) -> ApiResponse:
        if status not in (200, 404):
            raise ApiError(f"{self.name}: HTTP {status}")
        if len(content) > MAX_BODY:
            raise ApiError(f"{self.name}: answer larger than {MAX_BODY} bytes")
        try:
            body = json.loads(content) if content else None
        except ValueError as exc:
            raise ApiError(f"{self.name}: answer is not JSON") from exc
        response = ApiResponse(status=status, body=body, fetched_at=time.time())
        if self._cache is not None:
            self._cache.put(key, response)
        return response


def _retry_after(header: str | None, default: float) -> float:
    if not header:
        return default
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())
