from pathlib import Path

import pytest

from triage.errors import ConfigError
from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.store import open_chroma, parse_chroma_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000, False)),
        ("https://chroma.soc.example/", ("chroma.soc.example", 443, True)),
        ("http://chroma", ("chroma", 8000, False)),
    ],
)
def test_chroma_url_is_parsed(url: str, expected: tuple[str, int, bool]) -> None:
    assert parse_chroma_url(url) == expected


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8000", "ftp://host", "http://host/path", "http://u:p@host", "http://h:x"]
)
def test_bad_chroma_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_chroma_url(url)


def test_embedded_client_lives_under_triage_home(tmp_path: Path) -> None:
    config = KnowledgeConfig(home=tmp_path / "home")
    client = open_chroma(config)
    client.heartbeat()
    assert config.chroma_path.is_dir()
