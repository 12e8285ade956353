"""Where the playbook index lives: TRIAGE_HOME, an optional shared Chroma server, playbooks."""

from dataclasses import dataclass
from pathlib import Path

# Bump when the chunk text, metadata or embedding recipe changes: a new name means a fresh index.
COLLECTION_NAME = "triage-playbooks-v1"


@dataclass(frozen=True)
class KnowledgeConfig:
    """Everything the index needs; the CLI fills it from flags, environment and triage.toml."""

    home: Path
    chroma_url: str | None = None
    playbook_dirs: tuple[Path, ...] = ()

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def lexical_path(self) -> Path:
        # The lexical index is always local, also when the vectors live on a shared server.
        return self.home / "playbooks-fts.sqlite3"
