"""The index check that runs before several workers start."""

from pathlib import Path

from triage.batch.prepare import index_is_current
from triage.settings import load_settings


def test_a_fresh_home_has_no_current_index_and_a_shared_server_is_not_judged(
    tmp_path: Path,
) -> None:
    settings = load_settings(env={"TRIAGE_HOME": str(tmp_path)}, cwd=tmp_path)
    assert index_is_current(settings) is False
    shared = settings.with_overrides(chroma_url="http://127.0.0.1:1")
    assert index_is_current(shared) is None


def test_an_index_without_the_playbooks_is_stale(tmp_path: Path) -> None:
    from triage.knowledge.lexical import LexicalIndex
    from triage.wiring import knowledge_config

    settings = load_settings(env={"TRIAGE_HOME": str(tmp_path)}, cwd=tmp_path)
    LexicalIndex(knowledge_config(settings).lexical_path).replace_all([])  # an empty index
    assert index_is_current(settings) is False
