"""The agent engine's scorecard of every shipped sample, from recorded bundles.

A SCRIPTED OpenAI-compatible server on 127.0.0.1 (tests/agent/scripted.py) stands in for the
model: it is not a real model and its numbers say nothing about one. What they do show is the
whole agent path end to end — the real ChatOpenAI client, the tool loop, draft validation,
arbitration, recording — and that every recorded run replays and scores offline.

The scripted analyst is honest: it calls two real investigation tools (list_detections, then
search_playbooks with a query made from what the detections were) and answers with a verdict
drawn only from what those tools returned. It never reads a label.

    TRIAGE_HOME=/work/home .venv/bin/python bench/agent_bundles.py [--out DIR] [--keep]

Steps: start the server; `triage run SAMPLE --engine agent --offline --bundle OUT/SAMPLE` for
every sample (the real CLI, TRIAGE_MODEL/OPENAI_BASE_URL pointing at the server); stop the
server; `triage replay OUT --check` (under `unshare -rn` when permitted here, so no network
exists at all); `triage eval OUT --bundles`; print the scorecard next to the rules engine's
(`triage eval samples`). Prints numbers only; nothing here asserts a time.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.agent.scripted import Body, Reply, ScriptedServer, completion  # noqa: E402
from triage.knowledge.playbook import STEP_SECTIONS  # noqa: E402
from triage.models.base import SEVERITY_ORDER, severity_rank  # noqa: E402

MODEL = "scripted"  # the model name the runs and bundles carry: a script, not a model
_DATA = re.compile(r"<<(DATA-[0-9a-f]+)>>\n(.*)\n<</\1>>", re.DOTALL)
_ROW = re.compile(r"\{[^{}]*\}")  # a detection row is flat: lists, no nested objects
METRICS = (
    "cases",
    "reports",
    "errors",
    "accuracy",
    "malicious_recall",
    "benign_specificity",
    "macro_f1",
    "severity_within_one",
    "technique_hit_rate",
    "technique_recall",
    "technique_precision",
    "citation_validity",
    "brier",
    "ece",
    "undetermined_rate",
    "needs_human_rate",
)


# --- the scripted analyst -------------------------------------------------------------


def tool_results(body: Body) -> dict[str, str]:
    """Tool name → the data its (last) call returned, from the request's tool messages. The
    name is the suffix of the call id the script itself chose (`call_<n>_<name>`)."""
    results = {}
    for message in body.get("messages", []):
        if message.get("role") != "tool":
            continue
        name = str(message.get("tool_call_id", "")).split("_", 2)[-1]
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content)
        marked = _DATA.search(text)
        results[name] = marked.group(2) if marked else text
    return results


def detection_rows(text: str) -> list[dict[str, Any]]:
    """The rows list_detections returned; a row cut by the tool's output cap is dropped."""
    try:
        rows = json.loads(text)
    except ValueError:
        rows = []
        for match in _ROW.finditer(text):
            try:
                rows.append(json.loads(match.group(0)))
            except ValueError:
                continue
    return [r for r in rows if isinstance(r, dict) and r.get("level") in SEVERITY_ORDER]


def playbook_steps(text: str) -> list[str]:
    """The playbook_refs search_playbooks returned that hold steps (an action follows a step;
    a hit on a playbook's overview has none to follow)."""
    try:
        hits = json.loads(text).get("hits", [])
    except (ValueError, AttributeError):
        hits = []
        for match in re.finditer(r'"playbook_ref": "([a-z0-9-]+)#([a-z_]+)"', text):
            if match.group(2) in STEP_SECTIONS:  # a cut answer: trust the section name
                hits.append({"playbook_ref": f"{match.group(1)}#{match.group(2)}", "steps": [1]})
    return [
        str(h["playbook_ref"])
        for h in hits
        if isinstance(h, dict) and h.get("steps") and "#" in str(h.get("playbook_ref", ""))
    ]


def playbook_query(rows: list[dict[str, Any]]) -> str:
    """What to search the playbooks for: the titles of the strongest detections."""
    ranked = sorted(rows, key=lambda r: -severity_rank(r["level"]))
    query = " ".join(str(r.get("title", "")) for r in ranked[:3])
    return (query or "benign activity review and closure")[:300]


def verdict_from(rows: list[dict[str, Any]]) -> tuple[str, str, float, str]:
    """classification, severity, confidence and determination from the detections alone:
    high or critical → true positive at that severity; medium → a less sure true positive;
    only low or informational → undetermined; none → benign (the activity raised nothing)."""
    if not rows:
        return "benign_positive", "informational", 0.6, "no detection raised"
    top = max(severity_rank(r["level"]) for r in rows)
    if top >= severity_rank("high"):
        return "true_positive", SEVERITY_ORDER[top], 0.85, "high-confidence detections"
    if top == severity_rank("medium"):
        return "true_positive", "medium", 0.6, "medium detections"
    return "undetermined", "low", 0.4, "only low-level detections"


def answer_from(results: dict[str, str]) -> str:
    """The draft: every claim cites the evidence ids the tools returned with it."""
    rows = detection_rows(results.get("list_detections", "[]"))
    classification, severity, confidence, determination = verdict_from(rows)
    strong = [r for r in rows if severity_rank(r["level"]) >= severity_rank("medium")] or rows
    cited = [r for r in strong if r.get("evidence_ids")][:5]
    seen = list(dict.fromkeys(e for r in cited for e in r["evidence_ids"]))[:6]
    techniques: dict[str, list[str]] = {}
    for row in cited:
        for technique in row.get("techniques", []):
            techniques.setdefault(technique, list(row["evidence_ids"][:3]))
    refs = playbook_steps(results.get("search_playbooks", ""))
    ref = next((r for r in refs if r.endswith("#containment")), refs[0] if refs else None)
    draft = {
        "verdict": {
            "classification": classification,
            "severity": severity,
            "confidence": confidence,
            "determination": f"scripted: {determination}",
            "rationale": f"scripted analyst; detections cited: {', '.join(seen) or 'none'}",
            "evidence_ids": seen,
            "counter_evidence_ids": [],
        },
        "title": f"Scripted triage: {determination}",
        "summary": "Answer of a scripted test server (not a model), from list_detections.",
        "findings": [
            {
                "statement": str(r.get("title", "detection"))[:200],
                "evidence_ids": list(r["evidence_ids"][:3]),
                "technique_ids": list(r.get("techniques", [])),
            }
            for r in cited
        ],
        "techniques": [{"id": t, "evidence_ids": ids} for t, ids in techniques.items()],
        "timeline": [],
        "actions": [
            {
                "text": "Follow the playbook step",
                "priority": "high" if classification == "true_positive" else "low",
                "playbook_ref": ref,
                "evidence_ids": seen[:1],
            }
        ]
        if ref and classification == "true_positive"
        else [],
    }
    return json.dumps(draft)


def scripted_analyst(body: Body) -> Reply:
    """One step of the script, chosen from what the request already holds (so one server
    serves any number of runs): list detections, then search playbooks, then answer."""
    results = tool_results(body)
    usage = (len(json.dumps(body.get("messages", []))) // 4, 60)
    if "list_detections" not in results:
        return completion(tool_calls=[("list_detections", {})], usage=usage, model=MODEL)
    if "search_playbooks" not in results:
        query = playbook_query(detection_rows(results["list_detections"]))
        return completion(
            tool_calls=[("search_playbooks", {"query": query})], usage=usage, model=MODEL
        )
    return completion(answer_from(results), usage=usage, model=MODEL)


def scripted_server(runs: int) -> ScriptedServer:
    return ScriptedServer([scripted_analyst] * (8 * runs))


# --- the bench ---------------------------------------------------------------------------


def samples(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "expected.yaml").is_file())


def triage_cmd() -> list[str]:
    return [sys.executable, "-m", "triage"]


def isolation() -> list[str]:
    """`unshare -rn` (a user namespace with no network) when this machine permits it."""
    if shutil.which("unshare") is None:
        return []
    done = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return ["unshare", "-rn"] if done.returncode == 0 else []


def record(cases: list[Path], out: Path, base_url: str, env: dict[str, str]) -> None:
    """One agent run per sample through the real CLI; prints one row per sample."""
    run_env = {
        **env,
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "not-needed",
        "TRIAGE_MODEL": MODEL,
        "TRIAGE_LLM_RETRIES": "0",
    }
    run_env.pop("AZURE_OPENAI_ENDPOINT", None)
    for case in cases:
        bundle = out / case.name
        command = [*triage_cmd(), "run", str(case), "--engine", "agent", "--offline"]
        done = subprocess.run(
            [*command, "--bundle", str(bundle), "-q", "-f", "json"],
            capture_output=True,
            text=True,
            env=run_env,
            check=False,
        )
        try:
            report = json.loads(done.stdout)
        except ValueError:
            print(f"{case.name:48} exit {done.returncode}: {done.stderr.strip()[-200:]}")
            continue
        run, verdict = report["run"], report["verdict"]
        print(
            f"{case.name:48} exit {done.returncode} {run['engine']:5} "
            f"{verdict['classification']:15} {verdict['severity']:13} "
            f"llm {run['llm_calls']} tools {run['tool_calls']}"
            + (f" fallback: {run['fallback_reason'][:60]}" if run.get("fallback_reason") else ""),
            flush=True,
        )


def replay_check(out: Path, env: dict[str, str]) -> tuple[str, int, str]:
    isolate = isolation()
    done = subprocess.run(
        [*isolate, *triage_cmd(), "replay", str(out), "--check", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return " ".join(isolate) or "none (unshare not permitted)", done.returncode, done.stdout


def scorecard(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [*triage_cmd(), "eval", *args, "--json"], capture_output=True, text=True, env=env
    )
    if not done.stdout.strip():
        raise SystemExit(f"triage eval {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return dict(json.loads(done.stdout))


def show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "-" if value is None else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--out", type=Path, help="bundle folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary bundle folder")
    args = parser.parse_args()
    cases = samples(args.samples)
    out = args.out or Path(tempfile.mkdtemp(prefix="agent-bundles-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NO_COLOR": "1"}
    home = None if "TRIAGE_HOME" in env else tempfile.mkdtemp(prefix="agent-bundles-home-")
    if home is not None:
        env["TRIAGE_HOME"] = home
    try:
        print(f"agent engine vs a SCRIPTED server (not a real model), {len(cases)} samples")
        with scripted_server(len(cases)) as server:
            record(cases, out, server.base_url, env)
            requests = len(server.requests)
        print(f"\nserver stopped after {requests} requests; bundles in {out}")
        isolated, code, diffs = replay_check(out, env)
        changed = [d for d in json.loads(diffs or "[]") if not d.get("identical", False)]
        print(f"replay --check of {len(cases)} bundles (isolation: {isolated}): exit {code}")
        for diff in changed:
            print(f"  changed: {json.dumps(diff)[:300]}")
        agent = scorecard([str(out), "--bundles"], env)["totals"]
        rules = scorecard([str(args.samples)], env)["totals"]
        print(f"\n{'metric':22} {'agent (bundles)':>16} {'rules':>10}")
        for metric in METRICS:
            print(f"{metric:22} {show(agent.get(metric)):>16} {show(rules.get(metric)):>10}")
    finally:
        if args.out is None and not args.keep:
            shutil.rmtree(out, ignore_errors=True)
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
