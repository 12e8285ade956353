from pathlib import Path

import pytest

from triage.knowledge.lexical import MAX_QUERY_TERMS, LexicalIndex, fts_query


def test_query_terms_are_quoted_literals() -> None:
    assert fts_query('T1566.002 "NEAR(" title:x OR *') == '"t1566.002" OR "near" OR "title" OR "x"'


def test_stopwords_and_repeats_are_dropped_and_terms_capped() -> None:
    assert fts_query("the the is of") == ""
    words = " ".join(f"w{i}" for i in range(100))
    assert fts_query(words).count(" OR ") == MAX_QUERY_TERMS - 1


@pytest.mark.parametrize(
    "hostile", ['"', "'; DROP TABLE chunks; --", "NEAR(a b)", "^title", "a AND NOT b", "\x00"]
)
def test_hostile_query_text_never_breaks_the_search(tmp_path: Path, hostile: str) -> None:
    index = LexicalIndex(tmp_path / "fts.sqlite3")
    index.replace_all([])
    assert index.search(hostile, limit=5) == []
    assert index.content_hashes() == frozenset()
