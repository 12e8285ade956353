"""Fixtures of the agent tests; the harness that runs the pipeline is tests/agent/harness.py."""

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"
