"""SigmaHQ as a rule pack: share of rules loaded, skip reasons, cold and warm (disk cache) load
times, and the warm `triage run` of one sample with and without the pack installed.

    python bench/rule_packs.py [SIGMAHQ_DIR]     (default: ../shared/sigmahq)

Every timing runs in a fresh process with TRIAGE_HOME in a temporary folder; best of 5.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "S02-mde-word-encoded-powershell"
TRIAGE = [str(Path(sys.executable).parent / "triage")]
REPEAT = 5

LOAD = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from triage.detect.rules import RuleSource, load_rule_set
packs = [RuleSource(Path(sys.argv[1]), "sigmahq")] if sys.argv[1] else []
rule_set = load_rule_set(packs=packs, cache_dir=Path(sys.argv[2]))
stats = rule_set.stats
summary = stats.packs[-1]
print(json.dumps({"seconds": time.perf_counter() - started, "files": summary.files,
                  "loaded": summary.rules, "skipped": summary.skip_reasons,
                  "compiled": stats.files_compiled}))
"""


def load(pack: str, cache: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD, pack, str(cache)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def timed_run(env: dict[str, str], *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*TRIAGE, "run", str(SAMPLE), "-f", "json", "-q", "-o", os.devnull, *extra],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def best_runs(env: dict[str, str]) -> tuple[float, float]:
    """Best of REPEAT runs without and with the pack, interleaved so that the load of a shared
    machine drifts over both alike."""
    without, with_pack = [], []
    for _ in range(REPEAT):
        without.append(timed_run(env, "--no-rule-packs"))
        with_pack.append(timed_run(env))
    return min(without), min(with_pack)


def main() -> None:
    sigmahq = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".." / "shared" / "sigmahq")
    sigmahq = sigmahq.resolve()
    if not sigmahq.is_dir():
        sys.exit(f"no SigmaHQ checkout at {sigmahq}")
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as scratch:
        cache = Path(scratch) / "cache"
        cold = load(str(sigmahq), cache)
        warm = min((load(str(sigmahq), cache) for _ in range(REPEAT)), key=lambda r: r["seconds"])
        builtin = min((load("", cache) for _ in range(REPEAT)), key=lambda r: r["seconds"])
        files, loaded, skipped = cold["files"], cold["loaded"], cold["skipped"]
        print(f"SigmaHQ checkout       {sigmahq}")
        print(f"rule files             {files}")
        print(f"rules loaded           {loaded}")
        print(f"share loaded           {loaded / max(1, loaded + sum(skipped.values())):.2%}")
        for reason, count in sorted(skipped.items(), key=lambda item: -item[1]):
            print(f"  skipped {count:>5}      {reason}")
        print(f"cold load (compile)    {cold['seconds']:.2f} s  (built-ins + pack)")
        print(
            f"warm load (disk cache) {warm['seconds']:.2f} s  (built-ins + pack, "
            f"{warm['compiled']} files compiled)"
        )
        print(f"warm load, built-ins   {builtin['seconds']:.2f} s")

        home = Path(scratch) / "home"
        env = {**os.environ, "TRIAGE_HOME": str(home), "XDG_CONFIG_HOME": str(Path(scratch))}
        subprocess.run(
            [*TRIAGE, "rules", "install", str(sigmahq)], env=env, check=True, capture_output=True
        )
        # The first run embeds the playbooks into this TRIAGE_HOME: not part of the comparison.
        timed_run(env)
        without, with_pack = best_runs(env)
        print(
            f"warm run {SAMPLE.name}: {without:.2f} s without the pack, "
            f"{with_pack:.2f} s with it (+{with_pack - without:.2f} s), best of {REPEAT}"
        )


if __name__ == "__main__":
    main()
