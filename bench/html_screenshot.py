"""Save a PNG of a sample's HTML report as headless Chromium draws it.

    .venv/bin/python bench/html_screenshot.py [SAMPLE_DIR | REPORT.json] [-o report.png]

A folder is triaged first (`triage run DIR -f json`, rules engine, offline); a saved JSON
report is rendered as it is. Prints the paths, sizes and timings.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLE = REPO / "samples" / "S03-rdp-spray-new-local-admin"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("-o", "--output", type=Path, default=Path("report.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 1
    triage = Path(sys.executable).with_name("triage")
    with tempfile.TemporaryDirectory(prefix="triage-shot-") as work:
        folder = Path(work)
        page = folder / "report.html"
        started = time.monotonic()
        if args.source.is_dir():
            report = folder / "report.json"
            subprocess.run(
                [str(triage), "run", str(args.source), "--offline", "-q", "-o", str(report)],
                check=True,
            )
        else:
            report = args.source
        triaged = time.monotonic()
        subprocess.run([str(triage), "render", str(report), "-o", str(page)], check=True)
        rendered = time.monotonic()
        subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={folder / 'profile'}",
                f"--screenshot={args.output.resolve()}",
                f"--window-size={args.width},{args.height}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
        shot = time.monotonic()
        print(f"report   {args.source}")
        print(f"html     {page.stat().st_size:>9,} bytes   render {rendered - triaged:6.2f} s")
        print(
            f"png      {args.output.stat().st_size:>9,} bytes   chromium {shot - rendered:6.2f} s"
        )
        if args.source.is_dir():
            print(f"triage   {triaged - started:6.2f} s")
        print(f"saved    {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
