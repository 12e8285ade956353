"""The warm playbook caches: the linted library and query answers, keyed by playbook content."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from triage.detect.rule_cache import SignedCache
from triage.knowledge.cache import (
    QUERY_FOLDER,
    CachedPlaybookSearch,
    cache_folder,
    load_library,
    open_cached_search,
    playbooks_fingerprint,
)
from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.lint import PlaybookError, load_playbooks
from triage.models import PlaybookHit


class CountingSearch:
    """A PlaybookSearch whose answer names the query, counting how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> Sequence[PlaybookHit]:
        self.calls += 1
        return tuple(
            PlaybookHit(
                playbook_id="dns-tunnelling",
                section="containment",
                title=f"{query} {rank}",
                text="- block the resolver",
                score=1.0 / (rank + 1),
                techniques=tuple(techniques),
            )
            for rank in range(limit)
        )


class Opener:
    def __init__(self, search: CountingSearch | None = None, *, fails: bool = False) -> None:
        self.search = search or CountingSearch()
        self.fails = fails
        self.opened = 0

    def __call__(self) -> CountingSearch:
        self.opened += 1
        if self.fails:
            raise RuntimeError("chroma is broken")
        return self.search


def cached(config: KnowledgeConfig, opener: Opener) -> CachedPlaybookSearch:
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    return CachedPlaybookSearch(
        cache=SignedCache(cache_folder(config)), fingerprint=fingerprint, opener=opener
    )


def test_fingerprint_follows_content_not_time(config: KnowledgeConfig, playbook_dir: Path) -> None:
    before = playbooks_fingerprint(config.playbook_dirs)
    path = playbook_dir / "dns-tunnelling.yaml"
    text = path.read_text()
    path.write_text(text)  # same bytes, new mtime
    assert playbooks_fingerprint(config.playbook_dirs) == before
    path.write_text(text.replace("DNS", "Dns", 1))
    assert playbooks_fingerprint(config.playbook_dirs) != before
    (playbook_dir / "extra.yml").write_text(text)
    assert playbooks_fingerprint(config.playbook_dirs) != before


def test_library_comes_back_equal_from_the_cache(config: KnowledgeConfig) -> None:
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    first = load_library(config, fingerprint=fingerprint)
    assert (cache_folder(config) / "playbook-library.bin").is_file()
    assert load_library(config, fingerprint=fingerprint) == first
    assert first == load_playbooks(config.playbook_dirs)


def test_library_changes_when_a_playbook_changes(
    config: KnowledgeConfig, playbook_dir: Path
) -> None:
    load_library(config, fingerprint=playbooks_fingerprint(config.playbook_dirs))
    path = playbook_dir / "dns-tunnelling.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Renamed ", 1))
    library = load_library(config, fingerprint=playbooks_fingerprint(config.playbook_dirs))
    titles = {p.id: p.title for p in library}
    assert titles["dns-tunnelling"].startswith("Renamed ")


def test_an_invalid_library_is_reported_on_every_run(
    config: KnowledgeConfig, playbook_dir: Path
) -> None:
    (playbook_dir / "broken.yaml").write_text("id: Not Valid\n")
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    for _ in range(2):
        with pytest.raises(PlaybookError):
            load_library(config, fingerprint=fingerprint)


def test_a_repeated_query_is_answered_without_opening_the_index(
    config: KnowledgeConfig,
) -> None:
    warm = Opener()
    first = cached(config, warm).search("dns tunnel", techniques=["T1071.004"], limit=3)
    assert warm.opened == 1 and warm.search.calls == 1

    cold = Opener()
    again = cached(config, cold)
    assert again.search("dns tunnel", techniques=["T1071.004"], limit=3) == first
    assert cold.opened == 0 and not again.opened
    again.search("dns tunnel", techniques=["T1071"], limit=3)  # other filters: another query
    assert cold.opened == 1 and cold.search.calls == 1


def test_answers_are_not_reused_once_the_playbooks_change(
    config: KnowledgeConfig, playbook_dir: Path
) -> None:
    cached(config, Opener()).search("dns tunnel")
    path = playbook_dir / "dns-tunnelling.yaml"
    path.write_text(path.read_text() + "\n# reviewed\n")
    opener = Opener()
    cached(config, opener).search("dns tunnel")
    assert opener.opened == 1


def test_a_tampered_answer_is_ignored(config: KnowledgeConfig) -> None:
    cached(config, Opener()).search("dns tunnel")
    (stored,) = (cache_folder(config) / QUERY_FOLDER).rglob("*.bin")
    data = bytearray(stored.read_bytes())
    data[-3] ^= 0xFF
    stored.write_bytes(bytes(data))
    opener = Opener()
    hits = cached(config, opener).search("dns tunnel")
    assert opener.opened == 1 and hits[0].title == "dns tunnel 0"


def test_first_open_is_eager_and_later_ones_lazy(config: KnowledgeConfig) -> None:
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    first = Opener()
    open_cached_search(config, fingerprint=fingerprint, opener=first)
    assert first.opened == 1  # a broken index surfaces while the run is being built

    later = Opener()
    open_cached_search(config, fingerprint=fingerprint, opener=later)
    assert later.opened == 0


def test_a_broken_index_on_first_open_raises(config: KnowledgeConfig) -> None:
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    with pytest.raises(RuntimeError):
        open_cached_search(config, fingerprint=fingerprint, opener=Opener(fails=True))


def test_a_lazy_open_that_fails_degrades_to_no_hits(
    config: KnowledgeConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    fingerprint = playbooks_fingerprint(config.playbook_dirs)
    open_cached_search(config, fingerprint=fingerprint, opener=Opener())
    search = open_cached_search(config, fingerprint=fingerprint, opener=Opener(fails=True))
    assert tuple(search.search("never asked")) == ()
    assert "playbook index unavailable" in capsys.readouterr().err


def test_a_shared_server_is_never_cached(tmp_path: Path, playbook_dir: Path) -> None:
    config = KnowledgeConfig(
        home=tmp_path / "home", chroma_url="http://127.0.0.1:1", playbook_dirs=(playbook_dir,)
    )
    opener = Opener()
    search = open_cached_search(config, fingerprint="f", opener=opener)
    assert search is opener.search
