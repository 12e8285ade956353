from pathlib import Path

import pytest

from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import MiniLmEncoder
from triage.knowledge.indexer import build_index, indexed_hashes, open_index
from triage.knowledge.lexical import LexicalIndex
from triage.knowledge.lint import PlaybookError


def build(
    config: KnowledgeConfig, encoder: MiniLmEncoder, **options: bool
) -> tuple[object, list[str]]:
    embedded: list[str] = []
    stats = build_index(
        config, encoder=encoder, progress=lambda done, total, pid: embedded.append(pid), **options
    )
    return stats, embedded


def chunk_ids(config: KnowledgeConfig, encoder: MiniLmEncoder) -> set[str]:
    return set(open_index(config, encoder=encoder).collection.get()["ids"])


def test_first_build_embeds_every_section_then_nothing(
    config: KnowledgeConfig, encoder: MiniLmEncoder
) -> None:
    stats, embedded = build(config, encoder)
    assert sorted(embedded) == [
        "dns-tunnelling",
        "lsass-credential-dumping",
        "phishing-credential-harvest",
    ]
    assert stats.files_seen == 3 and stats.files_changed == 3
    ids = chunk_ids(config, encoder)
    assert "lsass-credential-dumping#eradication" in ids
    assert "dns-tunnelling#eradication" not in ids  # empty sections are not chunks
    assert stats.chunks == len(ids)

    again, embedded = build(config, encoder)
    assert embedded == [] and again.unchanged and again.chunks == stats.chunks


def test_changed_file_alone_is_re_embedded(
    config: KnowledgeConfig, encoder: MiniLmEncoder, playbook_dir: Path
) -> None:
    build(config, encoder)
    path = playbook_dir / "dns-tunnelling.yaml"
    path.write_text(
        path.read_text().replace("Sinkhole the parent domain", "Block the parent domain")
    )
    stats, embedded = build(config, encoder)
    assert embedded == ["dns-tunnelling"] and stats.files_changed == 1
    collection = open_index(config, encoder=encoder).collection
    stored = collection.get(ids=["dns-tunnelling#containment"])["documents"]
    assert stored == ["- Block the parent domain at the resolver."]
    assert len(set(indexed_hashes(collection))) == 3  # the old version's chunks are gone
    hits = LexicalIndex(config.lexical_path).search("sinkhole", limit=5)
    assert hits == []  # the lexical index followed


def test_deleted_file_loses_its_chunks(
    config: KnowledgeConfig, encoder: MiniLmEncoder, playbook_dir: Path
) -> None:
    build(config, encoder)
    (playbook_dir / "lsass-credential-dumping.yaml").unlink()
    stats, embedded = build(config, encoder)
    assert embedded == [] and stats.files_removed == 1
    ids = chunk_ids(config, encoder)
    assert ids and not any(i.startswith("lsass-credential-dumping#") for i in ids)
    assert LexicalIndex(config.lexical_path).search("lsass mimikatz", limit=5) == []


def test_rebuild_embeds_everything_again(config: KnowledgeConfig, encoder: MiniLmEncoder) -> None:
    first, _ = build(config, encoder)
    stats, embedded = build(config, encoder, rebuild=True)
    assert stats.rebuilt and len(embedded) == 3 and stats.chunks == first.chunks


def test_user_folder_adds_playbooks_and_bad_files_are_refused(
    tmp_path: Path, config: KnowledgeConfig, encoder: MiniLmEncoder, playbook_dir: Path
) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    text = (playbook_dir / "dns-tunnelling.yaml").read_text()
    (user / "dns-over-https.yaml").write_text(
        text.replace("id: dns-tunnelling", "id: dns-over-https")
    )
    both = KnowledgeConfig(home=config.home, playbook_dirs=(playbook_dir, user))
    stats, embedded = build(both, encoder)
    assert stats.files_seen == 4 and "dns-over-https" in embedded

    (user / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    with pytest.raises(PlaybookError):
        build(both, encoder)
