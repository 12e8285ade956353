from typing import Any

import pytest

from triage.knowledge import PlaybookSearch
from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import EMBEDDING_NAME, MiniLmEncoder
from triage.knowledge.search import HybridPlaybookSearch, open_knowledge


@pytest.fixture
def search(config: KnowledgeConfig, encoder: MiniLmEncoder) -> HybridPlaybookSearch:
    return open_knowledge(config, encoder=encoder)


def test_open_knowledge_builds_the_missing_index(search: HybridPlaybookSearch) -> None:
    protocol: PlaybookSearch = search  # the contract others code against
    assert protocol.search("phishing", limit=1)
    assert search.index.collection.count() > 0


def test_finds_a_playbook_by_meaning(search: HybridPlaybookSearch) -> None:
    hits = search.search("someone typed their password into a fake Microsoft page", limit=3)
    assert hits[0].playbook_id == "phishing-credential-harvest"
    assert hits[0].ref.startswith("phishing-credential-harvest#")
    assert hits[0].text and hits[0].score >= hits[-1].score


def test_finds_a_playbook_by_technique_id_in_the_query(search: HybridPlaybookSearch) -> None:
    hits = search.search("T1071.004", limit=3)
    assert {hit.playbook_id for hit in hits} == {"dns-tunnelling"}
    assert "T1071.004" in hits[0].techniques


def test_technique_argument_boosts_matching_playbooks(search: HybridPlaybookSearch) -> None:
    vague = "escalate to incident response"
    plain = search.search(vague, limit=1)
    boosted = search.search(vague, techniques=["T1003"], limit=1)  # parent of T1003.001
    assert boosted[0].playbook_id == "lsass-credential-dumping"
    assert boosted[0].score > plain[0].score


@pytest.mark.parametrize(
    ("mode", "query"), [("dense", "stolen login on a look-alike site"), ("lexical", "mimikatz")]
)
def test_single_ranker_modes(
    config: KnowledgeConfig, encoder: MiniLmEncoder, mode: Any, query: str
) -> None:
    search = open_knowledge(config, encoder=encoder, mode=mode)
    hits = search.search(query, limit=2)
    assert hits and hits[0].playbook_id in {
        "phishing-credential-harvest",
        "lsass-credential-dumping",
    }


def test_empty_query_and_zero_limit_return_nothing(search: HybridPlaybookSearch) -> None:
    assert search.search("   ") == ()
    assert search.search("phishing", limit=0) == ()


def test_search_works_with_the_network_blocked(
    no_network: list[Any], config: KnowledgeConfig, encoder: MiniLmEncoder
) -> None:
    search = open_knowledge(config, encoder=encoder)
    assert search.search("lsass memory dump", limit=1)[0].playbook_id == "lsass-credential-dumping"
    assert no_network == []


def test_collection_reopens_with_the_registered_function(
    no_network: list[Any], search: HybridPlaybookSearch, config: KnowledgeConfig
) -> None:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(
        path=str(config.chroma_path), settings=Settings(anonymized_telemetry=False)
    )
    collection = client.get_collection(search.index.collection.name)
    assert collection.configuration["embedding_function"].name() == EMBEDDING_NAME
    # query_texts embeds with the function rebuilt from the stored config, offline.
    by_text = collection.query(query_texts=["DNS tunnelling"], n_results=3)["ids"][0]
    vector = search.index.encoder.embed(["DNS tunnelling"])
    by_vector = collection.query(query_embeddings=vector, n_results=3)["ids"][0]
    assert by_text == by_vector
    assert no_network == []
