"""Bring the playbook index up to date once, before the workers start: several workers opening a
stale embedded index at the same moment would each try to rebuild it."""

from triage.settings import Settings


def index_is_current(settings: Settings) -> bool | None:
    """True when the local index matches the playbook files, False when it is missing or
    stale, None when there is nothing local to judge (a shared Chroma server)."""
    from triage.knowledge.indexer import playbook_files
    from triage.knowledge.lexical import LexicalIndex
    from triage.wiring import knowledge_config

    config = knowledge_config(settings)
    if config.chroma_url:
        return None
    if not config.lexical_path.is_file():
        return False
    files = set(playbook_files(config.playbook_dirs).values())
    return LexicalIndex(config.lexical_path).content_hashes() == files


def prepare_index(settings: Settings) -> None:
    """Build or refresh the embedded index when it is not current (a broken index is left for
    the workers to report, as a run would)."""
    from triage.knowledge.indexer import build_index
    from triage.knowledge.lint import PlaybookError
    from triage.wiring import knowledge_config

    try:
        if index_is_current(settings) is False:
            build_index(knowledge_config(settings))
    except PlaybookError:
        raise
    except Exception:  # Chroma or the model failed: each worker then runs without playbooks
        return
