"""Playbook retrieval benchmark: recall@1/@3 and MRR per mode, index build and query timings.

    python bench/retrieval.py [--playbooks DIR] [--queries FILE] [--misses]

Runs offline in a temporary TRIAGE_HOME; the playbook folder is copied so that the
"touch one file" re-index does not change the repo.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import yaml

from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import MiniLmEncoder
from triage.knowledge.indexer import build_index
from triage.knowledge.lint import shipped_playbook_dir
from triage.knowledge.search import HybridPlaybookSearch, SearchMode, open_knowledge

HERE = Path(__file__).parent
DEPTH = 10  # distinct playbooks looked at for MRR


def ranked_playbooks(search: HybridPlaybookSearch, query: str) -> list[str]:
    seen: list[str] = []
    for hit in search.search(query, limit=60):
        if hit.playbook_id not in seen:
            seen.append(hit.playbook_id)
    return seen[:DEPTH]


def score(search: HybridPlaybookSearch, queries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    r1 = r3 = rr = 0.0
    latencies: list[float] = []
    misses: list[tuple[str, list[str], list[str]]] = []
    for item in queries:
        expected = set(item["expected"])
        started = time.perf_counter()
        ranked = ranked_playbooks(search, item["query"])
        latencies.append(time.perf_counter() - started)
        ranks = [i for i, pid in enumerate(ranked, start=1) if pid in expected]
        first = ranks[0] if ranks else None
        r1 += first == 1
        r3 += first is not None and first <= 3
        rr += 1.0 / first if first else 0.0
        if first is None or first > 3:
            misses.append((item["query"], sorted(expected), ranked[:3]))
    n = len(queries)
    latencies.sort()
    return {
        "recall@1": r1 / n,
        "recall@3": r3 / n,
        "mrr": rr / n,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (n - 1))],
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--playbooks", type=Path, action="append")
    parser.add_argument("--queries", type=Path, default=HERE / "retrieval_queries.yaml")
    parser.add_argument("--misses", action="store_true", help="list queries missed at @3")
    args = parser.parse_args()
    queries = yaml.safe_load(args.queries.read_text())
    sources = tuple(args.playbooks or (shipped_playbook_dir(),))

    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        folders = []
        for index, source in enumerate(sources):
            folders.append(Path(tmp) / f"playbooks{index}")
            shutil.copytree(source, folders[-1])
        config = KnowledgeConfig(home=Path(tmp) / "home", playbook_dirs=tuple(folders))

        started = time.perf_counter()
        encoder = MiniLmEncoder.load()
        loaded = time.perf_counter() - started
        cold = build_index(config, encoder=encoder)
        cold_seconds = time.perf_counter() - started

        touched = sorted(folders[0].glob("*.yaml"))[0]
        touched.write_text(touched.read_text() + "\n# touched by the benchmark\n")
        warm = build_index(config, encoder=encoder)
        noop = build_index(config, encoder=encoder)

        present = {path.stem for folder in folders for path in folder.glob("*.y*ml")}
        asked = [q for q in queries if present & set(q["expected"])]
        if len(asked) < len(queries):
            print(f"skipping {len(queries) - len(asked)} queries whose playbooks are absent")
        queries = asked
        print(f"playbooks {cold.files_seen}, chunks {cold.chunks}, queries {len(queries)}")
        print(f"model load               {loaded:7.2f} s")
        print(f"index build, cold        {cold_seconds:7.2f} s (model load included)")
        print(f"re-index, one file       {warm.seconds:7.2f} s ({warm.files_changed} re-embedded)")
        print(f"re-index, nothing new    {noop.seconds:7.2f} s")
        print()
        print(f"{'mode':8} {'recall@1':>9} {'recall@3':>9} {'MRR':>6} {'p50 ms':>7} {'p95 ms':>7}")
        results = {}
        mode: SearchMode
        for mode in get_args(SearchMode):
            search = open_knowledge(config, encoder=encoder, mode=mode)
            result = results[mode] = score(search, queries)
            print(
                f"{mode:8} {result['recall@1']:9.3f} {result['recall@3']:9.3f} "
                f"{result['mrr']:6.3f} {result['p50_ms']:7.1f} {result['p95_ms']:7.1f}"
            )
        if args.misses:
            for mode, result in results.items():
                print(f"\nmissed at @3 ({mode}):")
                for query, expected, got in result["misses"]:
                    print(f"  {query!r}: want {expected}, got {got}")


if __name__ == "__main__":
    main()
