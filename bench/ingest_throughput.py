"""Ingestion throughput over the real-data cases: records parsed and records/s per detected format.

Run: python bench/ingest_throughput.py [REALDATA_DIR]   (default ../shared/realdata)
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from triage.ingest import LABEL_FILES, Limits
from triage.ingest.base import ArtifactSource
from triage.ingest.registry import load_artifact

REPEATS = 5
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@dataclass
class Tally:
    files: int = 0
    records: int = 0
    seconds: float = 0.0
    size: int = 0


def case_files(root: Path) -> list[Path]:
    """Artifact files of every case folder (one holding a label.yaml), labels left out."""
    if not root.is_dir():
        return []
    cases = sorted(p for p in root.iterdir() if (p / "label.yaml").is_file())
    return [
        path
        for case in cases
        for path in sorted(case.iterdir())
        if path.is_file() and path.name not in LABEL_FILES
    ]


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT_ROOT
    files = case_files(root)
    if not files:
        print(f"no real-data cases under {root}; nothing to measure", file=sys.stderr)
        return 0
    limits = Limits()
    tallies: dict[str, Tally] = {}
    for path in files:
        data = path.read_bytes()
        source = ArtifactSource(artifact_id="A1", path=str(path), data=data)
        best = float("inf")
        for _ in range(REPEATS):
            started = time.perf_counter()
            loaded = load_artifact(source, limits)
            best = min(best, time.perf_counter() - started)
        tally = tallies.setdefault(loaded.format, Tally())
        tally.files += 1
        tally.records += len(loaded.records)
        tally.seconds += best
        tally.size += len(data)
    print(f"{'format':<12}{'files':>6}{'records':>10}{'seconds':>10}{'records/s':>12}{'MB/s':>8}")
    for name, tally in sorted(tallies.items()):
        rate = tally.records / tally.seconds if tally.seconds else 0.0
        megabytes = tally.size / tally.seconds / 1e6 if tally.seconds else 0.0
        print(
            f"{name:<12}{tally.files:>6}{tally.records:>10}{tally.seconds:>10.4f}"
            f"{rate:>12,.0f}{megabytes:>8.1f}"
        )
    print(f"(best of {REPEATS} runs per file, through triage.ingest.registry.load_artifact)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
