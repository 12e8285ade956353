"""Batch throughput: 1,000 generated small alerts in JSON Lines (one malformed line in the
middle) through `triage batch` with --jobs 1, --jobs 2 and Ray with 2 workers; prints items/s
and checks that exactly one error record came out and every other item has its report.

    .venv/bin/python bench/batch_throughput.py [--alerts 1000] [--no-ray]

Items/s counts from the first item to the last (the summary line); the start-up of the
workers (rules compiled, index opened) is printed apart, as the wall time of the whole run.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Small alert shapes a SIEM or EDR emits; values vary per alert, nothing is sample-specific.
TITLES = (
    ("Suspicious PowerShell command line", "high", "T1059.001"),
    ("Multiple failed logons followed by success", "medium", "T1110"),
    ("Unusual outbound connection to rare domain", "low", "T1071"),
    ("Credential dumping tool detected", "critical", "T1003"),
    ("New local administrator account created", "medium", "T1136.001"),
    ("Scheduled task created by unusual process", "low", "T1053.005"),
)


def alert(number: int, rng: random.Random) -> dict[str, object]:
    title, severity, technique = rng.choice(TITLES)
    host = f"wks-{rng.randrange(1, 400):03d}.corp.example"
    return {
        "alertId": f"gen-{number:05d}",
        "title": title,
        "severity": severity,
        "createdDateTime": f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00Z",
        "detectionSource": "GeneratedEDR",
        "mitreTechniques": [technique],
        "evidence": [
            {"deviceDnsName": host, "remoteIpAddress": f"198.51.100.{rng.randrange(1, 254)}"},
            {"accountName": f"user{rng.randrange(1, 900)}", "domainName": "CORP"},
        ],
    }


def write_alerts(path: Path, count: int, *, seed: int = 11, malformed: bool = True) -> int:
    """`count` alert lines with one malformed line in the middle (unless `malformed` is off);
    returns its 1-based line (0 when there is none)."""
    rng = random.Random(seed)
    bad_line = count // 2 if malformed else 0
    with path.open("w", encoding="utf-8") as handle:
        for number in range(1, count + 1):
            if number == bad_line:
                handle.write('{"alertId": "broken", "title": "cut off mid-\n')
            else:
                handle.write(json.dumps(alert(number, rng)) + "\n")
    return bad_line


def run_batch(alerts: Path, out: Path, extra: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "triage"), "batch", str(alerts), "-o", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.monotonic() - started
    if done.returncode not in (0, 3):
        sys.exit(f"batch {' '.join(extra)} failed with {done.returncode}: {done.stderr[-2000:]}")
    return wall, done.stderr.strip().splitlines()[-1]


def check_output(out: Path, count: int, bad_line: int) -> str:
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [r for r in records if "error" in r]
    reports = [r for r in records if "report" in r]
    in_order = [r["index"] for r in records] == list(range(count))
    ok = (
        len(records) == count
        and len(errors) == 1
        and errors[0]["item"].endswith(f":{bad_line}")
        and len(reports) == count - 1
        and all(r["report"]["verdict"]["severity"] for r in reports)
        and in_order
    )
    verdict = "OK" if ok else "FAILED"
    return f"{verdict}: {len(reports)} reports, {len(errors)} error record(s), in order: {in_order}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="triage-batch-bench-"))
    alerts = work / "alerts.jsonl"
    bad_line = write_alerts(alerts, args.alerts)
    env = {**os.environ, "TRIAGE_HOME": os.environ.get("TRIAGE_HOME", str(work / "home"))}
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    runs = [("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"])]
    if not args.no_ray:
        runs.append(("--ray local --jobs 2", ["--ray", "local", "--jobs", "2"]))
    # A first short run builds the playbook index, so no measured run pays for it.
    warm = work / "warm.jsonl"
    write_alerts(warm, 5)
    run_batch(warm, work / "warm-out.jsonl", ["--jobs", "1"], env)
    print(f"{args.alerts} alerts, malformed line {bad_line}; cpus: {os.cpu_count()}")
    for name, extra in runs:
        out = work / f"out-{len(extra)}-{extra[-1]}.jsonl"
        wall, summary = run_batch(alerts, out, extra, env)
        rate = re.search(r"([\d.]+) items/s", summary)
        print(
            f"{name:<22} {rate.group(1) if rate else '?':>7} items/s (items only), "
            f"{args.alerts / wall:6.1f} items/s wall incl. start-up ({wall:.1f} s); "
            f"{check_output(out, args.alerts, bad_line)}"
        )


if __name__ == "__main__":
    main()
