"""Detection throughput over the real-data cases: records per second, rule counts, and a
per-case table (records, detections, labelled-technique hit, top detections).

Usage: python bench/detection_throughput.py [REALDATA_DIR] [--repeat N]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

from triage.detect import SigmaDetector
from triage.ingest import Limits, load_incident
from triage.models import Detection, Incident
from triage.settings import Settings
from triage.wiring import build_detector

DEFAULT_REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
LABEL_FILES = {"label.yaml", "expected.yaml"}


def labelled_hit(detections: list[Detection], expected: set[str]) -> str:
    if not expected:
        return "n/a"
    parents = {t.split(".")[0] for t in expected}
    found = any(
        t in expected or t.split(".")[0] in parents for d in detections for t in d.techniques
    )
    return "yes" if found else "no"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("realdata", nargs="?", type=Path, default=DEFAULT_REALDATA)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over every case")
    args = parser.parse_args(argv)
    cases = sorted(p for p in args.realdata.iterdir() if (p / "label.yaml").is_file())
    if not cases:
        print(f"no cases under {args.realdata}", file=sys.stderr)
        return 1

    started = time.perf_counter()
    sigma = SigmaDetector.from_rule_dirs()
    stats = sigma.stats
    # The whole detection layer as a run wires it: Sigma rules, vendor alerts, e-mail checks.
    detector, _ = build_detector(Settings(home=Path(tempfile.gettempdir())))
    load_seconds = time.perf_counter() - started
    print(f"rules loaded: {stats.loaded}, skipped: {len(stats.skipped)} {dict(stats.skip_reasons)}")
    print(f"rule load + compile: {load_seconds:.2f}s (cached afterwards in the process)")

    incidents: list[tuple[Path, Incident]] = []
    for case in cases:
        files = [
            str(p) for p in sorted(case.iterdir()) if p.is_file() and p.name not in LABEL_FILES
        ]
        incidents.append((case, load_incident(files, Limits())))

    total_records = sum(len(incident.records) for _, incident in incidents)
    elapsed = 0.0
    for _ in range(args.repeat):
        for _, incident in incidents:
            tick = time.perf_counter()
            detector.detect(incident)
            elapsed += time.perf_counter() - tick
    rate = total_records * args.repeat / elapsed
    print(f"throughput: {rate:,.0f} records/s ({total_records} records x {args.repeat} passes)")
    print()
    print("| case | records | detections | labelled technique hit | top detections |")
    print("|---|---|---|---|---|")
    for case, incident in incidents:
        label = yaml.safe_load((case / "label.yaml").read_text(encoding="utf-8"))
        expected = set(label.get("expected_techniques") or ())
        detections = list(detector.detect(incident))
        top = "; ".join(f"{d.level}: {d.title}" for d in detections[:3]) or "—"
        hit = labelled_hit(detections, expected)
        print(f"| {case.name} | {len(incident.records)} | {len(detections)} | {hit} | {top} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
