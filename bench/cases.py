"""End to end through the CLI: `triage run -f json` on every shipped sample and real-data case,
then `triage verify` on the report. Prints one row per case and the totals; needs no network.

    python bench/cases.py [--realdata ../shared/realdata]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABELS = {"expected.yaml", "label.yaml"}


def cases(folders: list[Path]) -> list[Path]:
    found = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if any((p / n).is_file() for n in LABELS))
    return found


def schema_valid(report: object) -> bool:
    import jsonschema

    from triage.models import TriageReport

    try:
        jsonschema.validate(report, TriageReport.model_json_schema())
    except jsonschema.ValidationError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    args = parser.parse_args()
    failures = 0
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for case in cases([REPO / "samples", args.realdata]):
            files = [str(p) for p in sorted(case.iterdir()) if p.is_file() and p.name not in LABELS]
            report = Path(scratch) / f"{case.name}.json"
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "triage", "run", "-f", "json", "-o", str(report), *files],
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            verified = subprocess.run(
                [sys.executable, "-m", "triage", "verify", str(report)],
                capture_output=True,
                text=True,
                check=False,
            )
            valid = report.is_file() and schema_valid(json.loads(report.read_text()))
            ok = run.returncode == 0 and verified.returncode == 0 and valid
            failures += not ok
            data = json.loads(report.read_text()) if report.is_file() else {}
            verdict = data.get("verdict", {})
            records = sum(a["records"] for a in data.get("artifacts", []))
            rows.append(
                f"{case.name[:34]:34} exit={run.returncode} schema={'ok' if valid else 'BAD'} "
                f"verify={verified.returncode} "
                f"records={records:5} evidence={len(data.get('evidence', [])):4} "
                f"{verdict.get('classification', '-'):15} {verdict.get('severity', '-'):13} "
                f"{seconds:5.2f}s  {verified.stdout.strip()[:60]}"
            )
            print(rows[-1], flush=True)
    print(f"{len(rows)} cases, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
