"""A local SQLite FTS5 (BM25) index of the playbook chunks, the lexical half of hybrid search."""

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from triage.knowledge.chunks import PlaybookChunk

MAX_QUERY_TERMS = 32
MAX_TERM_CHARS = 64
# Words too common in playbooks and questions to tell one playbook from another.
STOPWORD_TEXT = """
a an and are as at be by can could did do does for from had has have how i if in into is it its
me my of on or our should so that the their them then there these they this to was we were what
when where which who why will with would you your
"""
STOPWORDS = frozenset(STOPWORD_TEXT.split())
# A word, keeping dotted or hyphenated ids together (T1566.002, 4624, rundll32.exe, pass-the-hash).
TERM = re.compile(r"\w+(?:[.\-]\w+)*")
# bm25() weights, one per column in table order (unindexed columns count too).
COLUMN_WEIGHTS = (0.0, 0.0, 3.0, 3.0, 1.0)

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
    ref UNINDEXED, stored UNINDEXED, title, techniques, text, tokenize = 'porter unicode61'
)
"""


def fts_query(query: str) -> str:
    """The user's words as a safe FTS5 expression: each term a quoted string, OR-ed together.

    Quoting makes every term a literal, so operators, column filters and syntax errors
    cannot come from the query text.
    """
    terms: list[str] = []
    for term in TERM.findall(query.lower()):
        if term in STOPWORDS or term in terms or len(term) > MAX_TERM_CHARS:
            continue
        terms.append(term)
        if len(terms) == MAX_QUERY_TERMS:
            break
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


class LexicalIndex:
    """The FTS5 table in one SQLite file; each call opens its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        try:
            connection.execute(SCHEMA)
            with connection:
                yield connection
        finally:
            connection.close()

    def content_hashes(self) -> frozenset[str]:
        with self._connect() as db:
            rows = db.execute("SELECT stored FROM chunks").fetchall()
        return frozenset(json.loads(row[0])["metadata"]["content_hash"] for row in rows)

    def replace_all(self, chunks: Sequence[PlaybookChunk]) -> None:
        """Make the table hold exactly `chunks` (one transaction)."""
        with self._connect() as db:
            db.execute("DELETE FROM chunks")
            db.executemany(
                "INSERT INTO chunks (ref, stored, title, techniques, text) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        chunk.ref,
                        json.dumps({"text": chunk.text, "metadata": chunk.metadata()}),
                        chunk.title,
                        " ".join(chunk.techniques),
                        chunk.text,
                    )
                    for chunk in chunks
                ],
            )

    def search(self, query: str, *, limit: int) -> list[tuple[PlaybookChunk, float]]:
        """Best chunks first, with a positive BM25 score (higher is better)."""
        expression = fts_query(query)
        if not expression:
            return []
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        with self._connect() as db:
            rows = db.execute(
                f"SELECT stored, bm25(chunks, {weights}) AS rank FROM chunks "
                "WHERE chunks MATCH ? ORDER BY rank LIMIT ?",
                (expression, limit),
            ).fetchall()
        results = []
        for stored, rank in rows:
            record = json.loads(stored)
            results.append((PlaybookChunk.from_stored(record["text"], record["metadata"]), -rank))
        return results
