import math

import pytest

from triage.knowledge.embedding import (
    DIMENSION,
    EMBEDDING_NAME,
    MiniLmEncoder,
    chroma_embedding_class,
)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_are_384_wide_and_unit_length(encoder: MiniLmEncoder) -> None:
    vectors = encoder.embed(["lsass memory was dumped", "x", "word " * 1000])
    assert [len(v) for v in vectors] == [DIMENSION] * 3
    for vector in vectors:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-4)


def test_paraphrase_is_closer_than_unrelated_text(encoder: MiniLmEncoder) -> None:
    typed, paraphrase, unrelated = encoder.embed(
        [
            "the user typed their password into a fake Microsoft login page",
            "an employee entered credentials on a phishing site imitating Office 365",
            "the bakery sells sourdough bread on Saturday mornings",
        ]
    )
    assert cosine(typed, paraphrase) > cosine(typed, unrelated) + 0.3


def test_batched_result_does_not_depend_on_batch_company(encoder: MiniLmEncoder) -> None:
    # Dynamic padding and length sorting must not change a text's vector.
    alone = encoder.embed(["rundll32 loaded comsvcs.dll"])[0]
    together = encoder.embed(["a much longer text " * 40, "rundll32 loaded comsvcs.dll", "x"])[1]
    assert cosine(alone, together) == pytest.approx(1.0, abs=1e-4)


def test_long_text_is_truncated_at_256_tokens_not_128(encoder: MiniLmEncoder) -> None:
    head = "credential theft from memory " * 40  # 160 tokens, past a 128-token cut
    a, b = encoder.embed([head + "the end", head + "weather report rain sunshine " * 10])
    assert encoder.max_tokens == 256
    assert cosine(a, b) < 0.999  # a 128-token cut would make both texts identical


def test_chroma_function_is_registered_and_round_trips_its_config(encoder: MiniLmEncoder) -> None:
    from chromadb.utils.embedding_functions import known_embedding_functions

    cls = chroma_embedding_class()
    assert known_embedding_functions[EMBEDDING_NAME] is cls
    function = cls(encoder=encoder)
    assert not function.is_legacy()
    rebuilt = cls.build_from_config(function.get_config())
    assert rebuilt.get_config() == function.get_config() == {"max_tokens": 256}
    assert len(function(["hello"])[0]) == DIMENSION
