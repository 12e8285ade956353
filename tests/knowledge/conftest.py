"""Shared fixtures for the knowledge tests: one model load per session, playbooks in tmp_path."""

import shutil
from pathlib import Path

import pytest

from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import MiniLmEncoder

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def encoder() -> MiniLmEncoder:
    return MiniLmEncoder.load()


@pytest.fixture
def playbook_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture playbooks."""
    target = tmp_path / "playbooks"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture
def config(tmp_path: Path, playbook_dir: Path) -> KnowledgeConfig:
    return KnowledgeConfig(home=tmp_path / "home", playbook_dirs=(playbook_dir,))
