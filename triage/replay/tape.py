"""The tool traffic of a run: enrichment lookups and playbook searches, recorded as they happen
and answered back from the record on replay.

Recording wraps each enrichment provider (so the pipeline's lookups and the agent's tool calls
are both caught) and the playbook search. Replaying answers from the record; a call the record
cannot answer is noted as a miss, and the replay fails naming it once the run is over (the
enrichment service would otherwise turn the failure into an "error" result and carry on).
"""

import hashlib
import json
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.enrich.provider import Provider, ProviderUnavailable
from triage.knowledge import PlaybookSearch
from triage.models import EnrichmentResult, Observable, PlaybookHit, Record

EmailAnalyser = Callable[[Sequence[Record]], tuple[EnrichmentResult, ...]]
EMAIL_AUTH = "email-auth"
MAX_ERROR_NAME = 60
SEARCH_FIELDS = ("query", "techniques", "observable_types", "limit")


@dataclass
class Tape:
    """What one run asked its tools and what they answered, in order."""

    enrichment: list[dict[str, Any]] = field(default_factory=list)
    playbooks: list[dict[str, Any]] = field(default_factory=list)


class RecordedFailure(Exception):
    """A provider failure replayed; named after the original so the report reads the same."""


def _failure(kind: str, message: str) -> Exception:
    if kind == "ProviderUnavailable":
        return ProviderUnavailable(message)
    name = kind if kind.isidentifier() and len(kind) <= MAX_ERROR_NAME else "RecordedFailure"
    failure: type[Exception] = type(name, (RecordedFailure,), {})
    return failure(message)


def headers_key(headers: Sequence[Record]) -> str:
    """The e-mail headers an analysis ran on, as one hash."""
    payload = [r.model_dump(mode="json") for r in headers]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RecordingProvider:
    inner: Provider
    tape: Tape

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def observable_types(self) -> frozenset[str]:
        return self.inner.observable_types

    @property
    def offline(self) -> bool:
        return self.inner.offline

    def lookup(self, observable: Observable) -> EnrichmentResult:
        entry: dict[str, Any] = {
            "provider": self.name,
            "observable": observable.model_dump(mode="json", include={"type", "value"}),
        }
        try:
            result = self.inner.lookup(observable)
        except Exception as exc:
            entry["raised"] = {"type": type(exc).__name__, "message": str(exc)[:2000]}
            self.tape.enrichment.append(entry)
            raise
        entry["result"] = result.model_dump(mode="json")
        self.tape.enrichment.append(entry)
        return result


def recording_analyser(inner: EmailAnalyser, tape: Tape) -> EmailAnalyser:
    def analyse(headers: Sequence[Record]) -> tuple[EnrichmentResult, ...]:
        entry: dict[str, Any] = {"provider": EMAIL_AUTH, "headers": headers_key(headers)}
        try:
            results = inner(headers)
        except Exception as exc:
            entry["raised"] = {"type": type(exc).__name__, "message": str(exc)[:2000]}
            tape.enrichment.append(entry)
            raise
        entry["results"] = [r.model_dump(mode="json") for r in results]
        tape.enrichment.append(entry)
        return results

    return analyse


@dataclass(frozen=True)
class RecordingSearch:
    inner: PlaybookSearch
    tape: Tape

    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> Sequence[PlaybookHit]:
        hits = tuple(
            self.inner.search(
                query, techniques=techniques, observable_types=observable_types, limit=limit
            )
        )
        self.tape.playbooks.append(
            {
                **_search_key(query, techniques, observable_types, limit),
                "hits": [h.model_dump(mode="json") for h in hits],
            }
        )
        return hits


def _search_key(
    query: str, techniques: Sequence[str], observable_types: Sequence[str], limit: int
) -> dict[str, Any]:
    return {
        "query": query,
        "techniques": list(techniques),
        "observable_types": list(observable_types),
        "limit": limit,
    }


def _key(entry: Any) -> str:
    return json.dumps(entry, sort_keys=True)


@dataclass
class Answers:
    """The recorded answers, keyed by the call; `misses` names every call they could not answer.
    A call made more often than recorded gets the last recorded answer again: the same
    question to the same offline data has the same answer."""

    misses: list[str] = field(default_factory=list)
    _enrichment: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    _last: dict[str, dict[str, Any]] = field(default_factory=dict)
    _playbooks: dict[str, list[PlaybookHit]] = field(default_factory=dict)

    @classmethod
    def from_record(
        cls, enrichment: Sequence[dict[str, Any]], playbooks: Sequence[dict[str, Any]]
    ) -> "Answers":
        answers = cls()
        queues: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        for entry in enrichment:
            _check_entry(entry)
            queues[_enrichment_key(entry)].append(entry)
        answers._enrichment = dict(queues)
        for entry in playbooks:
            if not isinstance(entry, dict) or not isinstance(entry.get("hits", []), list):
                raise ValueError("a playbook search entry is not an object with hits")
            key = _key({k: entry.get(k) for k in SEARCH_FIELDS})
            answers._playbooks[key] = [PlaybookHit.model_validate(h) for h in entry.get("hits", [])]
        return answers

    def enrichment(self, key: dict[str, Any]) -> dict[str, Any] | None:
        name = _key(key)
        queue = self._enrichment.get(name)
        if queue:
            self._last[name] = queue.popleft()
        return self._last.get(name)

    def search(self, key: dict[str, Any]) -> list[PlaybookHit] | None:
        return self._playbooks.get(_key(key))


def _check_entry(entry: Any) -> None:
    """A recorded lookup must hold a result, results or a raised failure of the right shape:
    a bundle is untrusted, and a bad entry must fail the replay, not become an error result."""
    if not isinstance(entry, dict) or not isinstance(entry.get("provider"), str):
        raise ValueError("an enrichment entry is not an object with a provider")
    if "result" in entry:
        EnrichmentResult.model_validate(entry["result"])
    elif isinstance(entry.get("results"), list):
        for result in entry["results"]:
            EnrichmentResult.model_validate(result)
    elif not isinstance(entry.get("raised"), dict):
        raise ValueError(f"the {entry['provider']} entry holds no result")


def _enrichment_key(entry: dict[str, Any]) -> str:
    if entry.get("provider") == EMAIL_AUTH:
        return _key({"provider": EMAIL_AUTH, "headers": entry.get("headers")})
    return _key({"provider": entry.get("provider"), "observable": entry.get("observable")})


def _replayed(entry: dict[str, Any]) -> dict[str, Any]:
    raised = entry.get("raised")
    if isinstance(raised, dict):
        raise _failure(str(raised.get("type", "")), str(raised.get("message", "")))
    return entry


@dataclass(frozen=True)
class ReplayProvider:
    """A provider answered from the record; `fallback` (live re-runs) answers what it lacks."""

    name: str
    observable_types: frozenset[str]
    offline: bool
    answers: Answers
    fallback: Provider | None = None

    def lookup(self, observable: Observable) -> EnrichmentResult:
        key = {
            "provider": self.name,
            "observable": {"type": observable.type, "value": observable.value},
        }
        call = f"enrichment {self.name} lookup of {observable.type} {observable.value!r}"
        entry = self.answers.enrichment(key)
        if entry is None:
            if self.fallback is not None:
                return self.fallback.lookup(observable)
            self.answers.misses.append(call)
            raise ProviderUnavailable(f"not in the bundle: {call}")
        return EnrichmentResult.model_validate(_replayed(entry)["result"])


def replay_analyser(answers: Answers, fallback: EmailAnalyser | None = None) -> EmailAnalyser:
    def analyse(headers: Sequence[Record]) -> tuple[EnrichmentResult, ...]:
        digest = headers_key(headers)
        call = f"enrichment {EMAIL_AUTH} analysis of {len(headers)} header record(s) {digest[:12]}"
        entry = answers.enrichment({"provider": EMAIL_AUTH, "headers": digest})
        if entry is None:
            if fallback is not None:
                return fallback(headers)
            answers.misses.append(call)
            raise ProviderUnavailable(f"not in the bundle: {call}")
        return tuple(EnrichmentResult.model_validate(r) for r in _replayed(entry)["results"])

    return analyse


@dataclass(frozen=True)
class ReplaySearch:
    answers: Answers
    fallback: PlaybookSearch | None = None

    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> Sequence[PlaybookHit]:
        key = _search_key(query, techniques, observable_types, limit)
        call = f"playbook search {query[:120]!r} techniques={list(techniques)[:8]}"
        hits = self.answers.search(key)
        if hits is None:
            if self.fallback is not None:
                return self.fallback.search(
                    query, techniques=techniques, observable_types=observable_types, limit=limit
                )
            self.answers.misses.append(call)
            return ()
        return tuple(hits)
