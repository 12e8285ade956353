"""Build and refresh the playbook index: only files whose content changed are re-embedded."""

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from triage.knowledge.chunks import PlaybookChunk, chunk_playbook
from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import MiniLmEncoder, chroma_embedding_function
from triage.knowledge.lexical import LexicalIndex
from triage.knowledge.lint import PLAYBOOK_SUFFIXES, PlaybookError, load_playbooks
from triage.knowledge.store import drop_playbook_collection, open_chroma, playbook_collection

# Called as (done, total, playbook_id) while changed playbooks are embedded.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class IndexStats:
    """What one build did: files changed or removed are counted once each, chunks in total."""

    files_seen: int
    files_changed: int
    files_removed: int
    chunks: int
    seconds: float
    rebuilt: bool = False

    @property
    def unchanged(self) -> bool:
        return not (self.files_changed or self.files_removed or self.rebuilt)


@dataclass(frozen=True)
class OpenIndex:
    """An opened Chroma collection with the encoder that fills and queries it."""

    client: Any
    collection: Any
    encoder: MiniLmEncoder
    lexical: LexicalIndex

    def recreated(self) -> "OpenIndex":
        """The same index emptied: its collection dropped and created again."""
        drop_playbook_collection(self.client)
        collection = playbook_collection(self.client, chroma_embedding_function(self.encoder))
        return OpenIndex(
            client=self.client, collection=collection, encoder=self.encoder, lexical=self.lexical
        )


def open_index(config: KnowledgeConfig, *, encoder: MiniLmEncoder | None = None) -> OpenIndex:
    encoder = encoder or MiniLmEncoder.load()
    client = open_chroma(config)
    collection = playbook_collection(client, chroma_embedding_function(encoder))
    return OpenIndex(
        client=client,
        collection=collection,
        encoder=encoder,
        lexical=LexicalIndex(config.lexical_path),
    )


def playbook_files(dirs: Sequence[Path]) -> dict[Path, str]:
    """Each playbook file (the direct *.yaml/*.yml children of `dirs`) → sha256 of its bytes."""
    files: dict[Path, str] = {}
    for folder in dirs:
        if not folder.is_dir():
            raise PlaybookError(f"playbook folder not found: {folder}")
        for path in sorted(folder.iterdir()):
            if path.suffix in PLAYBOOK_SUFFIXES and path.is_file():
                files[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def indexed_hashes(collection: Any) -> dict[str, str]:
    """content_hash → playbook_id for everything in the collection (the index's manifest)."""
    stored = collection.get(include=["metadatas"])
    return {
        str(meta["content_hash"]): str(meta["playbook_id"])
        for meta in stored["metadatas"] or ()
        if meta and meta.get("content_hash")
    }


def build_index(
    config: KnowledgeConfig,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    encoder: MiniLmEncoder | None = None,
) -> IndexStats:
    """Bring the index in step with the playbook folders; PlaybookError if a file is invalid."""
    started = time.perf_counter()
    index = open_index(config, encoder=encoder)
    if rebuild:
        index = index.recreated()
    stats = refresh(index, config, progress=progress, started=started)
    return replace(stats, rebuilt=rebuild)


def refresh(
    index: OpenIndex,
    config: KnowledgeConfig,
    *,
    progress: Progress | None = None,
    started: float | None = None,
) -> IndexStats:
    """Incremental update of an opened index from config.playbook_dirs."""
    started = time.perf_counter() if started is None else started
    collection = index.collection

    files = playbook_files(config.playbook_dirs)
    indexed = indexed_hashes(collection)
    local = set(files.values())
    changed_hashes = local - indexed.keys()
    removed_hashes = indexed.keys() - local
    changed_files = removed_ids = 0

    if changed_hashes or removed_hashes:
        # Validate everything together: ids must be unique across all folders.
        playbooks = load_playbooks(config.playbook_dirs) if files else ()
        by_stem = {path.stem: path for path in files}
        if removed_hashes:
            collection.delete(where={"content_hash": {"$in": sorted(removed_hashes)}})
        kept_ids = {p.id for p in playbooks}
        removed_ids = len({indexed[h] for h in removed_hashes} - kept_ids)
        todo = [p for p in playbooks if files[by_stem[p.id]] in changed_hashes]
        for done, playbook in enumerate(todo, start=1):
            path = by_stem[playbook.id]
            _upsert(index, chunk_playbook(playbook, content_hash=files[path], source=path))
            if progress is not None:
                progress(done, len(todo), playbook.id)
        changed_files = len(todo)

    chunk_count = sync_lexical(index)
    return IndexStats(
        files_seen=len(files),
        files_changed=changed_files,
        files_removed=removed_ids,
        chunks=chunk_count,
        seconds=time.perf_counter() - started,
    )


def _upsert(index: OpenIndex, chunks: Sequence[PlaybookChunk]) -> None:
    if not chunks:
        return
    index.collection.upsert(
        ids=[chunk.ref for chunk in chunks],
        documents=[chunk.text for chunk in chunks],
        metadatas=[chunk.metadata() for chunk in chunks],
        embeddings=index.encoder.embed([chunk.embedding_text for chunk in chunks]),
    )


def stored_chunks(collection: Any) -> list[PlaybookChunk]:
    stored = collection.get(include=["documents", "metadatas"])
    return [
        PlaybookChunk.from_stored(text or "", dict(meta or {}))
        for text, meta in zip(stored["documents"] or (), stored["metadatas"] or (), strict=True)
    ]


def sync_lexical(index: OpenIndex) -> int:
    """Rebuild the local lexical index from the collection's chunks when they differ."""
    chunks = stored_chunks(index.collection)
    if index.lexical.content_hashes() != {chunk.content_hash for chunk in chunks}:
        index.lexical.replace_all(chunks)
    return len(chunks)
