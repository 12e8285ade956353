"""The speed budgets of issue 8, measured through the installed CLI and printed as a table.

    python bench/budgets.py                      # everything that can be measured here
    python bench/budgets.py --repeat 9 --skip-pack --skip-eval

Each command runs in a fresh process, as a user would run it: wall time includes interpreter
start. Warm runs use one TRIAGE_HOME per configuration, filled by a first (unmeasured) run.
The SigmaHQ pack is installed once into --pack-home (default: a folder under the system temp
folder that later runs reuse), from ../shared/sigmahq or --sigmahq. CPU seconds (user + sys)
are shown beside wall seconds: on a loaded machine wall time says more about the neighbours.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TRIAGE = [PYTHON, "-m", "triage"]
SMALL_SAMPLE = ROOT / "samples" / "S02-mde-word-encoded-powershell"
HELP_BUDGET = 0.15
SMALL_ALERTS = 300  # one-alert incidents for the batch budget
RUN_BUDGET = 1.5
PACK_BUDGET = 2.0
BATCH_BUDGET = 20.0


def timed(command: list[str], *, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run; the command must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(command: list[str], *, env: dict[str, str], repeat: int) -> tuple[float, float]:
    runs = [timed(command, env=env) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ, TRIAGE_HOME=str(home), TRIAGE_OFFLINE="1")
    env.pop("TRIAGE_RULE_PACKS", None)
    return env


def run_command(sample: Path) -> list[str]:
    return [*TRIAGE, "run", str(sample), "--offline", "-f", "json", "--engine", "rules"]


def find_value(document: Any, key: str) -> Any:
    """The first value of `key` anywhere in a JSON document."""
    if isinstance(document, dict):
        if key in document:
            return document[key]
        values = document.values()
    elif isinstance(document, list):
        values = document
    else:
        return None
    for value in values:
        found = find_value(value, key)
        if found is not None:
            return found
    return None


def eval_latency(folder: Path, *, env: dict[str, str]) -> tuple[float | None, float | None, int]:
    done = subprocess.run(
        [*TRIAGE, "eval", str(folder), "--json"], env=env, capture_output=True, check=False
    )
    try:
        document = json.loads(done.stdout)
    except ValueError:
        return None, None, 0
    cases = find_value(document, "cases")
    count = cases if isinstance(cases, int) else len(cases) if isinstance(cases, list) else 0
    return find_value(document, "latency_p50"), find_value(document, "latency_p95"), count


def batch_rate(env: dict[str, str], *, jobs: int, small: int = 0) -> tuple[float, int] | None:
    """Incidents per second of `triage batch --jobs N`, wall time including start-up: over the
    samples (mixed sizes, some multi-artifact), or over `small` generated one-alert incidents
    (the budget's "small incidents"); None without batch."""
    help_text = subprocess.run([*TRIAGE, "--help"], env=env, capture_output=True, text=True)
    if " batch " not in help_text.stdout and "│ batch" not in help_text.stdout:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        if small:
            sys.path.insert(0, str(ROOT / "bench"))
            from batch_throughput import write_alerts

            source = Path(scratch) / "alerts.jsonl"
            write_alerts(source, small, malformed=False)
            count = small
        else:
            source = Path(scratch) / "cases"
            source.mkdir()
            count = 0
            for case in sorted((ROOT / "samples").iterdir()):
                if case.is_dir() and case.name[:1] == "S":
                    shutil.copytree(case, source / case.name)
                    count += 1
        command = [*TRIAGE, "batch", str(source), "--jobs", str(jobs), "--offline"]
        command += ["-o", str(Path(scratch) / "out.jsonl")]
        timed(command, env=env)  # warm the caches of every case
        wall, _ = timed(command, env=env)
    return count / wall, count


def row(name: str, wall: float | None, cpu: float | None, budget: str, ok: bool | None) -> str:
    def seconds(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    verdict = {True: "ok", False: "OVER", None: "—"}[ok]
    return f"| {name} | {seconds(wall)} | {seconds(cpu)} | {budget} | {verdict} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sigmahq", type=Path, default=ROOT.parent / "shared" / "sigmahq")
    parser.add_argument(
        "--pack-home", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench-pack"
    )
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--home", type=Path, help="TRIAGE_HOME for the runs (default: a new one)")
    parser.add_argument("--skip-pack", action="store_true")
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args(argv)

    lines = ["| measure | wall s (median) | CPU s | budget | |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or Path(scratch) / "home"
        env = environment(home)
        bare = median_of([PYTHON, "-c", "pass"], env=env, repeat=args.repeat)
        helped = median_of([*TRIAGE, "--help"], env=env, repeat=args.repeat)
        overhead = helped[0] - bare[0]
        lines.append(row("python -c pass", *bare, "", None))
        lines.append(row("triage --help", *helped, "", None))
        lines.append(
            row(
                "--help over bare python",
                overhead,
                helped[1] - bare[1],
                f"≤ {HELP_BUDGET}",
                overhead <= HELP_BUDGET,
            )
        )

        command = run_command(SMALL_SAMPLE)
        timed(command, env=env)  # builds the index and the caches
        warm = median_of(command, env=env, repeat=args.repeat)
        lines.append(
            row(f"run {SMALL_SAMPLE.name}, warm", *warm, f"≤ {RUN_BUDGET}", warm[0] <= RUN_BUDGET)
        )

        if not args.skip_pack and args.sigmahq.is_dir():
            pack_env = environment(args.pack_home)
            if not (args.pack_home / "rules").is_dir():
                print(f"installing the SigmaHQ pack into {args.pack_home} …", file=sys.stderr)
                timed([*TRIAGE, "rules", "install", str(args.sigmahq)], env=pack_env)
            timed(command, env=pack_env)
            packed = median_of(command, env=pack_env, repeat=args.repeat)
            lines.append(
                row(
                    f"run {SMALL_SAMPLE.name}, warm, SigmaHQ pack",
                    *packed,
                    f"≤ {PACK_BUDGET}",
                    packed[0] <= PACK_BUDGET,
                )
            )

        if not args.skip_batch:
            for small in (SMALL_ALERTS, 0):
                rate = batch_rate(env, jobs=2, small=small)
                if rate is None:
                    lines.append("| batch --jobs 2 | — | — | ≥ 20 incidents/s | no `batch` |")
                    break
                per_second, count = rate
                what = f"{count} small alerts" if small else f"{count} samples, mixed sizes"
                verdict = "ok" if per_second >= BATCH_BUDGET else "UNDER"
                lines.append(
                    f"| batch --jobs 2 ({what}) | {per_second:.1f} incidents/s | | "
                    + (f"≥ {BATCH_BUDGET:.0f}/s | {verdict} |" if small else " | — |")
                )

        if not args.skip_eval:
            for name, folder in (("samples", ROOT / "samples"), ("realdata", args.realdata)):
                if folder.is_dir():
                    p50, p95, count = eval_latency(folder, env=env)
                    lines.append(
                        f"| latency per incident, {name} ({count} cases) | p50 "
                        f"{p50 if p50 is None else f'{p50:.3f}'} | p95 "
                        f"{p95 if p95 is None else f'{p95:.3f}'} | | |"
                    )
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
