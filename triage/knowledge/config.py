"""Where the playbook index lives: TRIAGE_HOME, an optional shared Chroma server, playbooks."""

import os
from collections.abc import Mapping
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


def default_triage_home(*, environ: Mapping[str, str] | None = None) -> Path:
    """TRIAGE_HOME when set, else the user cache folder ($XDG_CACHE_HOME or ~/.cache)/triage."""
    env = os.environ if environ is None else environ
    configured = env.get("TRIAGE_HOME", "").strip()
    if configured:
        return Path(configured).expanduser()
    cache = env.get("XDG_CACHE_HOME", "").strip()
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "triage"
