"""Every sample through `triage run --engine agent` against a running OpenAI-compatible endpoint
on loopback (e.g. llama-cpp-python's server with SmolLM2-135M), each run recorded as a bundle;
then `triage replay --check` of every bundle with no network and `triage eval --bundles`.

    python -m llama_cpp.server --model SmolLM2-135M-Instruct.gguf --host 127.0.0.1 \\
        --port 8765 --n_ctx 8192 &
    TRIAGE_HOME=/work/home-x .venv/bin/python bench/real_model_run.py \\
        --base-url http://127.0.0.1:8765/v1 --model smollm2 --samples samples \\
        --out /tmp/bundles

Prints one row per sample (validated agent report or fallback, the reason, LLM calls,
tokens, wall time, the structured-output modes the draft turns used and what the endpoint
answered them), then the totals. Every run has --offline, so nothing but the loopback endpoint
is contacted; the replays run under `unshare -rn` (no network at all) when it works here.
"""

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def triage_cmd() -> list[str]:
    return [sys.executable, "-m", "triage"]


def run_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OPENAI_BASE_URL=args.base_url,
        OPENAI_API_KEY=os.environ.get("OPENAI_API_KEY", "local"),
        TRIAGE_MODEL=args.model,
        TRIAGE_LLM_TIMEOUT=str(args.llm_timeout),
        # One local server answers one request at a time: a client-side retry of a slow
        # answer only queues behind the generation it gave up on.
        TRIAGE_LLM_RETRIES=str(args.retries),
        NO_COLOR="1",
    )
    env.pop("AZURE_OPENAI_ENDPOINT", None)
    return env


def reason_class(reason: str | None) -> str:
    """A fallback reason without its per-run detail, for the totals."""
    if not reason:
        return ""
    text = reason.removeprefix("agent failed, rules engine used: ")
    text = re.sub(r"^[^:\s]+: ", "", text, count=1)  # the model name
    if "cut at the length limit" in text:
        return text.split(":", 1)[0] + ": answer cut at the length limit"
    if "does not match the draft schema" in text:
        return text.split(":", 1)[0] + ": JSON does not match the draft schema"
    if "not a JSON object" in text:
        return text.split(":", 1)[0] + ": not a JSON object"
    if text.startswith("draft still unverified"):
        return "draft still unverified after repair"
    match = re.match(r"(\w+Error|\w+Exception)", text)
    if match:
        status = re.search(r"Error code: (\d+)", text)
        return match.group(1) + (f" {status.group(1)}" if status else "")
    return text[:60]


def draft_turns(bundle: Path) -> list[str]:
    """The structured-output mode of each draft turn (a request without tools) and the HTTP
    status it got, from the recorded model traffic."""
    turns = []
    path = bundle / "llm" / "exchanges.jsonl"
    if not path.is_file():
        return turns
    for line in path.read_text(encoding="utf-8").splitlines():
        exchange = json.loads(line)
        try:
            body = json.loads(exchange["request"]["body"].get("text", "{}"))
        except (KeyError, ValueError):
            continue
        if not isinstance(body, dict) or "messages" not in body or body.get("tools"):
            continue
        fmt = body.get("response_format")
        mode = fmt.get("type", "?") if isinstance(fmt, dict) else "prompted"
        status = exchange.get("response", {}).get("status", exchange.get("error", {}).get("type"))
        turns.append(f"{mode}:{status}")
    return turns


def recorded_row(case: Path, bundle: Path) -> dict[str, Any]:
    """The row of a sample already recorded (--resume); wall time is the report's duration."""
    report = json.loads((bundle / "report.json").read_text(encoding="utf-8"))
    return {"sample": case.name, "exit": None, **report_row(report, bundle)}


def report_row(report: dict[str, Any], bundle: Path) -> dict[str, Any]:
    run = report["run"]
    tokens = run.get("tokens") or {}
    return {
        "outcome": "agent" if run["engine"] == "agent" else "fallback",
        "reason": run.get("fallback_reason"),
        "llm_calls": run.get("llm_calls", 0),
        "tool_calls": run.get("tool_calls", 0),
        "tokens_in": tokens.get("input", 0),
        "tokens_out": tokens.get("output", 0),
        "duration_s": round(run.get("duration_ms", 0) / 1000, 1),
        "wall_s": round(run.get("duration_ms", 0) / 1000, 1),
        "classification": report["verdict"]["classification"],
        "severity": report["verdict"]["severity"],
        "draft_turns": draft_turns(bundle),
        "refusals": [n for n in report["guardrails"]["notes"] if "refused response_format" in n],
    }


def run_sample(case: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    bundle = out / case.name
    if args.resume and (bundle / "manifest.json").is_file():
        return recorded_row(case, bundle)
    command = [
        *triage_cmd(),
        "run",
        str(case),
        "--engine",
        "agent",
        "--offline",
        "--bundle",
        str(bundle),
        "-f",
        "json",
        "-q",
    ]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            env=run_env(args),
            capture_output=True,
            text=True,
            timeout=args.llm_timeout * 3 + 300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        wall = round(time.monotonic() - started, 1)
        return {
            "sample": case.name,
            "exit": None,
            "wall_s": wall,
            "outcome": "error",
            "reason": "triage run did not end (hang)",
        }
    wall = time.monotonic() - started
    row: dict[str, Any] = {"sample": case.name, "exit": done.returncode, "wall_s": round(wall, 1)}
    try:
        report = json.loads(done.stdout)
    except ValueError:
        row.update(outcome="error", reason=" ".join(done.stderr.split())[-200:])
        return row
    row.update({**report_row(report, bundle), "wall_s": round(wall, 1)})
    return row


def replay_check(out: Path) -> dict[str, Any]:
    isolate = ["unshare", "-rn"] if shutil.which("unshare") else []
    if isolate and subprocess.run([*isolate, "true"], check=False).returncode != 0:
        isolate = []
    results: dict[str, Any] = {"isolation": "unshare -rn" if isolate else "none", "bundles": {}}
    for bundle in sorted(p for p in out.iterdir() if (p / "manifest.json").is_file()):
        done = subprocess.run(
            [*isolate, *triage_cmd(), "replay", str(bundle), "--check"],
            capture_output=True,
            text=True,
            check=False,
        )
        detail = " ".join((done.stdout + done.stderr).split())[:300]
        results["bundles"][bundle.name] = {"exit": done.returncode, "detail": detail}
    return results


def eval_bundles(out: Path) -> Any:
    done = subprocess.run(
        [*triage_cmd(), "eval", str(out), "--bundles", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"exit": done.returncode, "stderr": done.stderr[-500:]}


def doctor(args: argparse.Namespace) -> str:
    done = subprocess.run(
        [*triage_cmd(), "doctor", "--offline"],
        env=run_env(args),
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def print_table(rows: list[dict[str, Any]]) -> None:
    head = f"{'sample':<48} {'outcome':<8} {'calls':>5} {'tok_in':>7} {'tok_out':>7} {'wall':>6}"
    print(head + "  draft turns / fallback reason")
    for r in rows:
        print(
            f"{r['sample']:<48} {r['outcome']:<8} {r.get('llm_calls', 0):>5} "
            f"{r.get('tokens_in', 0):>7} {r.get('tokens_out', 0):>7} {r['wall_s']:>6.1f}  "
            f"{','.join(r.get('draft_turns', [])) or '-'}"
            + (f" | {reason_class(r.get('reason'))}" if r.get("reason") else "")
        )
    agent = [r for r in rows if r["outcome"] == "agent"]
    fallback = [r for r in rows if r["outcome"] == "fallback"]
    errors = [r for r in rows if r["outcome"] == "error"]
    print(
        f"\nsamples {len(rows)}: validated agent report {len(agent)}, fell back {len(fallback)}"
        f", errors {len(errors)}"
    )
    reasons = collections.Counter(reason_class(r["reason"]) for r in fallback)
    for reason, count in reasons.most_common():
        print(f"  {count:>3} × {reason}")
    scored = [r for r in rows if r["outcome"] != "error"]
    if scored:
        for key in ("llm_calls", "tokens_in", "tokens_out", "wall_s"):
            print(f"mean {key}: {statistics.mean(r[key] for r in scored):.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="http://127.0.0.1:PORT/v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--out", type=Path, required=True, help="folder for the bundles")
    parser.add_argument("--llm-timeout", type=float, default=300.0, help="TRIAGE_LLM_TIMEOUT")
    parser.add_argument("--retries", type=int, default=0, help="TRIAGE_LLM_RETRIES")
    parser.add_argument("--resume", action="store_true", help="keep samples already recorded")
    parser.add_argument("--only", nargs="*", default=None, help="sample folder names")
    parser.add_argument("--json", type=Path, help="also write the rows and results here")
    args = parser.parse_args(argv)
    host = urlsplit(args.base_url).hostname or ""
    if host not in LOOPBACK:
        parser.error("--base-url must be a loopback address (no network beyond it)")
    args.out.mkdir(parents=True, exist_ok=True)
    print(doctor(args))
    cases = sorted(p for p in args.samples.iterdir() if (p / "expected.yaml").is_file())
    if args.only:
        cases = [c for c in cases if c.name in args.only]
    rows = []
    for case in cases:
        row = run_sample(case, args.out, args)
        rows.append(row)
        print(
            f"{row['sample']}: {row['outcome']} {row.get('llm_calls', 0)} calls "
            f"{row['wall_s']}s {reason_class(row.get('reason'))}",
            file=sys.stderr,
            flush=True,
        )
    print_table(rows)
    replays = replay_check(args.out)
    codes = collections.Counter(v["exit"] for v in replays["bundles"].values())
    print(f"\nreplay --check ({replays['isolation']}): exit codes {dict(codes)}")
    for name, result in replays["bundles"].items():
        if result["exit"] != 0:
            print(f"  {name}: exit {result['exit']}: {result['detail']}")
    scorecard = eval_bundles(args.out)
    print("\neval --bundles:")
    totals = scorecard.get("totals", scorecard) if isinstance(scorecard, dict) else scorecard
    print(json.dumps(totals, indent=2)[:4000])
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"\nbundles: {args.out} {size / 1e6:.1f} MB")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "replay": replays, "eval": scorecard}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
