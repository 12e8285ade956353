"""The hostile-input corpus through `triage run` (a child process each): exit code, wall time,
CPU time and the child's peak RSS, as a table. The inputs are generated (tests/hostile/corpus.py).

Run: python bench/hostile_corpus.py [--markdown] [NAME ...]   (TRIAGE_HOME: a warm index, else
a temporary one is built first)
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hostile.corpus import BASELINE_SAMPLE, CORPUS, real_evtx, run_triage, warm_home

TIMEOUT_S = 300.0


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    wanted = {arg for arg in argv if not arg.startswith("--")}
    home = Path(os.environ.get("TRIAGE_HOME") or tempfile.mkdtemp(prefix="triage-home-"))
    warm_home(home)
    rows: list[tuple[str, str, str, str, str, str, str]] = []
    if not markdown:
        print(_row(("input", "bytes", "exit", "wall s", "cpu s", "peak MB", "what"), False))
    with tempfile.TemporaryDirectory() as folder:
        trivial = Path(folder) / "trivial.log"
        trivial.write_text("Mar  3 10:00:01 web01 sshd[411]: Accepted password for alice\n")
        inputs = [
            ("(trivial syslog line)", trivial.read_bytes(), "baseline"),
            ("(sample S02)", BASELINE_SAMPLE.read_bytes(), "baseline of the budget"),
        ]
        for hostile in CORPUS:
            if wanted and hostile.name not in wanted:
                continue
            if hostile.name.endswith(".evtx") and real_evtx() is None:
                continue
            inputs.append((hostile.name, hostile.make(), hostile.note))
        for name, data, note in inputs:
            path = Path(folder) / name.strip("()").replace(" ", "-")
            path.write_bytes(data)
            outcome = run_triage(path, home=home, timeout=TIMEOUT_S)
            path.unlink()
            last = outcome.stderr.strip().splitlines()[-1:] or [""]
            result = last[0].split(": ", 2)[-1][:60] if outcome.exit_code else "report"
            rows.append(
                (
                    name,
                    f"{len(data):,}",
                    str(outcome.exit_code),
                    f"{outcome.seconds:.2f}",
                    f"{outcome.cpu_seconds:.2f}",
                    f"{outcome.peak_rss_mb:.0f}",
                    f"{note}; {result}",
                )
            )
            if not markdown:
                print(_row(rows[-1], markdown), flush=True)
    if markdown:
        header = ("input", "bytes", "exit", "wall s", "cpu s", "peak MB", "what; outcome")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print(_row(row, markdown))
    return 0


def _row(row: tuple[str, ...], markdown: bool) -> str:
    if markdown:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
    name, size, code, wall, cpu, peak, note = row
    return f"{name:26} {size:>12} {code:>4} {wall:>7} {cpu:>7} {peak:>7}  {note}"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
