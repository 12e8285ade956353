"""Warm answers for the playbook layer, kept under TRIAGE_HOME/cache and keyed by content.

A run needs the linted playbook library and one playbook search; both depend only on the
playbook files (and triage's version), which rarely change between runs. Linting is redone
and Chroma and the embedding model are opened only when a playbook file changed or a query
was never asked before; otherwise the answer comes from a signed cache file and chromadb is
never imported. A shared Chroma server (chroma_url) is never cached: others refresh it.
"""

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from triage import __version__
from triage.detect.rule_cache import SignedCache
from triage.knowledge import PlaybookSearch
from triage.knowledge.config import COLLECTION_NAME, KnowledgeConfig
from triage.knowledge.playbook import Playbook
from triage.models import PlaybookHit

CACHE_FORMAT = 1
LIBRARY_FILE = "playbook-library.bin"
READY_FILE = "playbook-index.bin"
QUERY_FOLDER = "playbook-queries"


def cache_folder(config: KnowledgeConfig) -> Path:
    return config.home / "cache"


def playbooks_fingerprint(paths: Sequence[Path]) -> str:
    """sha256 over every playbook file that linting would read: its resolved path and bytes.

    A missing folder or file counts too, so fixing it changes the fingerprint.
    """
    from triage.knowledge.lint import PLAYBOOK_SUFFIXES

    digest = hashlib.sha256(f"{CACHE_FORMAT}:{__version__}:{COLLECTION_NAME}".encode())
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in PLAYBOOK_SUFFIXES)
        else:
            files = [path]
        digest.update(f"\0dir:{path}".encode())
        for file in files:
            try:
                content = file.read_bytes() if file.is_file() else b"\0not a file"
            except OSError as exc:
                content = f"\0unreadable: {exc}".encode()
            digest.update(f"\0{file.resolve()}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()


def load_library(config: KnowledgeConfig, *, fingerprint: str) -> tuple[Playbook, ...]:
    """The linted playbooks of config.playbook_dirs; PlaybookError as load_playbooks raises it.

    Only a library that linted clean is cached, so problems are reported on every run.
    """
    from triage.knowledge.lint import load_playbooks

    cache = SignedCache(cache_folder(config))
    stamp = {"fingerprint": fingerprint}
    stored = cache.load(LIBRARY_FILE, stamp)
    if isinstance(stored, list):
        try:
            return tuple(Playbook.model_validate(item) for item in stored)
        except ValueError:
            pass  # a cache written by an older model: lint again
    playbooks = load_playbooks(config.playbook_dirs)
    cache.store(LIBRARY_FILE, stamp, [p.model_dump(mode="json") for p in playbooks])
    return playbooks


Opener = Callable[[], PlaybookSearch]


class CachedPlaybookSearch:
    """A PlaybookSearch that answers a query asked before over the same playbooks from the
    cache, and opens the real index (through `opener`) at the first query it cannot answer."""

    def __init__(
        self,
        *,
        cache: SignedCache,
        fingerprint: str,
        opener: Opener,
        opened: PlaybookSearch | None = None,
    ) -> None:
        self.cache = cache
        self.fingerprint = fingerprint
        self._opener = opener
        self._search = opened
        self._failed: str | None = None

    @property
    def opened(self) -> bool:
        """Whether the real index has been opened (chromadb imported) by this search."""
        return self._search is not None

    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> tuple[PlaybookHit, ...]:
        request = [query, list(techniques), list(observable_types), limit]
        key = hashlib.sha256(json.dumps(request, ensure_ascii=True).encode()).hexdigest()
        name = f"{QUERY_FOLDER}/{key[:2]}/{key}.bin"
        stamp = {"fingerprint": self.fingerprint, "request": request}
        stored = self.cache.load(name, stamp)
        if isinstance(stored, list):
            try:
                return tuple(PlaybookHit.model_validate(item) for item in stored)
            except ValueError:
                pass
        search = self._open()
        if search is None:
            return ()
        hits = tuple(
            search.search(
                query, techniques=techniques, observable_types=observable_types, limit=limit
            )
        )
        self.cache.store(name, stamp, [hit.model_dump(mode="json") for hit in hits])
        return hits

    def _open(self) -> PlaybookSearch | None:
        if self._search is None and self._failed is None:
            try:
                self._search = self._opener()
            except Exception as exc:  # the index was fine when last opened: degrade, say so
                self._failed = f"{type(exc).__name__}: {str(exc)[:160]}"
                sys.stderr.write(f"triage: warning: playbook index unavailable ({self._failed})\n")
        return self._search


def open_cached_search(
    config: KnowledgeConfig, *, fingerprint: str, opener: Opener
) -> PlaybookSearch:
    """The playbook search for a run. The first run over a set of playbooks opens (and
    refreshes) the index at once, so a broken index surfaces here as it always did; later
    runs open it only for a query the cache cannot answer."""
    if config.chroma_url is not None:
        return opener()
    cache = SignedCache(cache_folder(config))
    stamp: dict[str, Any] = {"fingerprint": fingerprint}
    opened = None
    if cache.load(READY_FILE, stamp) is not True:
        opened = opener()
        cache.store(READY_FILE, stamp, True)
    return CachedPlaybookSearch(cache=cache, fingerprint=fingerprint, opener=opener, opened=opened)
