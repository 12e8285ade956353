"""Open the Chroma client: embedded under TRIAGE_HOME, or a team's shared server by URL."""

from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from triage.errors import ConfigError
from triage.knowledge.config import COLLECTION_NAME, KnowledgeConfig


def open_chroma(config: KnowledgeConfig) -> Any:
    """A PersistentClient at TRIAGE_HOME/chroma, or an HttpClient when chroma_url is set."""
    import chromadb
    from chromadb.config import Settings

    # Telemetry off: the only network traffic allowed is to the configured Chroma server.
    settings = Settings(anonymized_telemetry=False)
    if config.chroma_url is None:
        config.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(config.chroma_path), settings=settings)
    host, port, ssl = parse_chroma_url(config.chroma_url)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
    except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
        raise ConfigError(f"cannot reach the Chroma server at {config.chroma_url}: {exc}") from exc


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) from http(s)://host[:port]; a URL with a path or query is refused."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"TRIAGE_CHROMA_URL must look like http://host:8000, not {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(f"TRIAGE_CHROMA_URL takes only scheme, host and port: {url!r}")
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else 8000)
    except ValueError as exc:
        raise ConfigError(f"bad port in TRIAGE_CHROMA_URL {url!r}") from exc
    return parts.hostname, port, ssl


def playbook_collection(client: Any, embedding_function: Any) -> Any:
    """The playbook collection (cosine space), created on first use."""
    return client.get_or_create_collection(
        name=COLLECTION_NAME,
        embedding_function=embedding_function,
        configuration={"hnsw": {"space": "cosine"}},
    )


def drop_playbook_collection(client: Any) -> None:
    from chromadb.errors import NotFoundError

    with suppress(NotFoundError):
        client.delete_collection(COLLECTION_NAME)
