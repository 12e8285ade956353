"""Hybrid playbook retrieval: dense (Chroma) + lexical (FTS5) fused by reciprocal rank."""

import re
from collections.abc import Sequence
from typing import Literal

from triage.knowledge.chunks import PlaybookChunk
from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import MiniLmEncoder
from triage.knowledge.indexer import OpenIndex, Progress, open_index, refresh, sync_lexical
from triage.models import PlaybookHit

SearchMode = Literal["dense", "lexical", "hybrid"]

RRF_K = 60
# How deep each ranker looks before fusion; the index holds a few hundred chunks.
CANDIDATES = 50
# Boosts are on the RRF scale, where first place in one ranker is worth 1/61.
TECHNIQUE_BOOST = 1.5 / RRF_K
RELATED_TECHNIQUE_BOOST = 0.75 / RRF_K
OBSERVABLE_TYPE_BOOST = 0.15 / RRF_K
MAX_QUERY_CHARS = 2000
TECHNIQUE_ID = re.compile(r"\bT\d{4}(?:\.\d{3})?\b", re.IGNORECASE)


class HybridPlaybookSearch:
    """The PlaybookSearch of triage.knowledge over an opened index."""

    def __init__(self, index: OpenIndex, *, mode: SearchMode = "hybrid") -> None:
        self.index = index
        self.mode = mode

    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> tuple[PlaybookHit, ...]:
        """The best `limit` playbook sections for the query, best first."""
        query = query[:MAX_QUERY_CHARS]
        if limit <= 0 or not query.strip():
            return ()
        ranked: list[list[PlaybookChunk]] = []
        if self.mode in ("dense", "hybrid"):
            ranked.append(self._dense(query))
        if self.mode in ("lexical", "hybrid"):
            ranked.append(
                [chunk for chunk, _ in self.index.lexical.search(query, limit=CANDIDATES)]
            )

        chunks: dict[str, PlaybookChunk] = {}
        scores: dict[str, float] = {}
        for ranking in ranked:
            for rank, chunk in enumerate(ranking, start=1):
                chunks.setdefault(chunk.ref, chunk)
                scores[chunk.ref] = scores.get(chunk.ref, 0.0) + 1.0 / (RRF_K + rank)

        if self.mode == "hybrid":
            wanted = {t.upper() for t in techniques} | {
                t.upper() for t in TECHNIQUE_ID.findall(query)
            }
            types = {t.lower() for t in observable_types}
            for ref, chunk in chunks.items():
                scores[ref] += _technique_boost(chunk.techniques, wanted)
                if types & {t.lower() for t in chunk.observable_types}:
                    scores[ref] += OBSERVABLE_TYPE_BOOST

        best = sorted(scores, key=lambda ref: (-scores[ref], ref))[:limit]
        return tuple(chunks[ref].hit(round(scores[ref], 6)) for ref in best)

    def _dense(self, query: str) -> list[PlaybookChunk]:
        vector = self.index.encoder.embed([query])[0]
        result = self.index.collection.query(
            query_embeddings=[vector],
            n_results=CANDIDATES,
            include=["documents", "metadatas"],
        )
        documents = (result.get("documents") or [[]])[0]
        metadatas = (result.get("metadatas") or [[]])[0]
        return [
            PlaybookChunk.from_stored(text or "", dict(meta or {}))
            for text, meta in zip(documents, metadatas, strict=True)
        ]


def _technique_boost(chunk_techniques: Sequence[str], wanted: set[str]) -> float:
    """Full boost for the same technique, less for a parent or sibling; scaled by focus.

    Focus is the share of the playbook's techniques in the wanted families: the credential
    dumping playbook is about T1003, a red-team playbook merely lists it among many.
    """
    if not wanted or not chunk_techniques:
        return 0.0
    have = {t.upper() for t in chunk_techniques}
    families = {t.split(".")[0] for t in wanted}
    if have & wanted:
        boost = TECHNIQUE_BOOST
    elif {t.split(".")[0] for t in have} & families:
        boost = RELATED_TECHNIQUE_BOOST
    else:
        return 0.0
    focus = sum(t.split(".")[0] in families for t in have) / len(have)
    return boost * (0.5 + focus)


def open_knowledge(
    config: KnowledgeConfig,
    *,
    encoder: MiniLmEncoder | None = None,
    mode: SearchMode = "hybrid",
    progress: Progress | None = None,
) -> HybridPlaybookSearch:
    """Open the index, building or refreshing it first when it is missing or stale
    (`progress` hears of each playbook embedded).

    Against a shared server the index is only built when it is empty: refreshing a shared
    index is the job of whoever runs `triage index` for the team (docs/team-index.md).
    """
    index = open_index(config, encoder=encoder)
    if config.chroma_url is None or index.collection.count() == 0:
        refresh(index, config, progress=progress)
    else:
        sync_lexical(index)
    return HybridPlaybookSearch(index, mode=mode)
