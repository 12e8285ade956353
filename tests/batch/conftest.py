"""Shared for the batch tests: generated alerts in JSON Lines (the benchmark's generator)."""

from pathlib import Path

import pytest

from bench.batch_throughput import write_alerts


@pytest.fixture
def alerts(tmp_path: Path) -> tuple[Path, int]:
    """Twelve generated alerts with one malformed line in the middle: (file, bad line)."""
    path = tmp_path / "alerts.jsonl"
    return path, write_alerts(path, 12)
