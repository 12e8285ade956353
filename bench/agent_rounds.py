"""LLM round trips and prompt tokens per shipped sample: the agent engine against a naive
baseline (every artifact pasted into one prompt), both talking to the same scripted
OpenAI-compatible server on 127.0.0.1.

The scripted model investigates once (two parallel tool calls), then answers a draft that cites
the evidence ids it was shown. Prompt tokens are estimated the same way for both (request JSON
characters / 4), since a scripted server has no tokenizer.

    .venv/bin/python bench/agent_rounds.py
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.agent.harness import agent_settings, run_agent  # noqa: E402
from tests.agent.scripted import (  # noqa: E402
    Body,
    Reply,
    ScriptedServer,
    completion,
    evidence_ids,
    playbook_refs,
)
from tests.conftest import SAMPLES, case_artifacts  # noqa: E402

CHARS_PER_TOKEN = 4


def tokens(body: Body) -> int:
    return len(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", []))) // 4


def scripted_model(body: Body) -> Reply:
    """Investigate once, then answer with what the tools and the brief showed."""
    spent = (tokens(body), 50)
    if not any(m.get("role") == "tool" for m in body.get("messages", [])):
        return completion(
            tool_calls=[
                ("list_detections", {}),
                ("search_playbooks", {"query": "containment of the incident"}),
            ],
            usage=spent,
        )
    seen = evidence_ids(body)[:3]
    refs = playbook_refs(body)
    answer: dict[str, Any] = {
        "verdict": {
            "classification": "true_positive" if seen else "undetermined",
            "severity": "medium",
            "confidence": 0.7,
            "determination": "scripted",
            "rationale": "scripted",
            "evidence_ids": seen,
        },
        "title": "scripted",
        "summary": "scripted",
        "findings": [{"statement": "cited", "evidence_ids": seen}] if seen else [],
        "actions": [{"text": "follow the playbook", "priority": "medium", "playbook_ref": refs[0]}]
        if refs
        else [],
    }
    return completion(json.dumps(answer), usage=spent)


def naive_baseline(sample: Path, base_url: str) -> None:
    """One request with every artifact's text pasted in: what a prompt-only agent sends."""
    from langchain_core.messages import HumanMessage, SystemMessage
    from langchain_openai import ChatOpenAI

    pasted = "\n\n".join(
        f"=== {path.name} ===\n{path.read_text(encoding='utf-8', errors='replace')}"
        for path in case_artifacts(sample)
    )
    chat = ChatOpenAI(model="scripted", base_url=base_url, api_key="not-needed", max_retries=0)
    chat.invoke(
        [
            SystemMessage("You are a security analyst. Triage the incident; answer in JSON."),
            HumanMessage(pasted),
        ]
    )


def fallback_timing(budget: float = 5.0) -> None:
    """How long the agent takes to give up on an endpoint that refuses connections, and on one
    that accepts them and never answers, with the default retries and a `budget`-second limit;
    against the same run with the rules engine alone."""
    import socket

    sample = SAMPLES / "S01-phish-credential-harvest"
    home = Path(tempfile.mkdtemp(prefix="agent-bench-"))

    def timed(base_url: str) -> tuple[float, str]:
        settings = agent_settings(home, base_url, retries=2, llm_timeout=budget)
        started = time.monotonic()
        report = run_agent(sample, settings)
        return time.monotonic() - started, report.run.fallback_reason or "no fallback"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    run_agent(sample, agent_settings(home, closed))  # warm the caches
    from triage.settings import load_settings

    rules_settings = load_settings(env={"TRIAGE_HOME": str(home)}, cwd=home, engine="rules")
    from tests.agent.harness import run_rules

    started = time.monotonic()
    run_rules(sample, rules_settings)
    rules_only = time.monotonic() - started
    refused = timed(closed)
    with ScriptedServer([Reply(body={}, delay=60)] * 6) as server:
        hanging = timed(server.base_url)
    print(f"rules engine alone: {rules_only:.1f}s; agent budget {budget:.0f}s, 2 retries")
    print(f"connection refused: {refused[0]:.1f}s total -> {refused[1]}")
    print(f"never answers:      {hanging[0]:.1f}s total -> {hanging[1]}")


def main() -> None:
    if "--fallback-only" in sys.argv:
        fallback_timing()
        return
    samples = sorted(p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())
    rows = []
    for sample in samples:
        home = Path(tempfile.mkdtemp(prefix="agent-bench-"))
        with ScriptedServer([scripted_model] * 8) as server:
            started = time.monotonic()
            report = run_agent(sample, agent_settings(home, server.base_url))
            seconds = time.monotonic() - started
            agent = (len(server.requests), sum(tokens(b) for b in server.requests))
        with ScriptedServer([completion("{}")]) as server:
            naive_baseline(sample, server.base_url)
            naive = (len(server.requests), sum(tokens(b) for b in server.requests))
        rows.append((sample.name, agent, naive, report.run.engine, seconds))
        print(
            f"{sample.name:48} agent {agent[0]} rounds {agent[1]:>7} tok "
            f"({report.run.engine}, {report.run.tool_calls} tools, {seconds:.1f}s) | "
            f"naive {naive[0]} round {naive[1]:>7} tok",
            flush=True,
        )
    agent_rounds = statistics.mean(r[1][0] for r in rows)
    agent_tokens = statistics.mean(r[1][1] for r in rows)
    naive_rounds = statistics.mean(r[2][0] for r in rows)
    naive_tokens = statistics.mean(r[2][1] for r in rows)
    answered = sum(r[3] == "agent" for r in rows)
    print(
        f"\n{len(rows)} samples; validated agent reports: {answered}/{len(rows)}\n"
        f"mean LLM round trips: agent {agent_rounds:.2f}, naive {naive_rounds:.2f}\n"
        f"mean prompt tokens:   agent {agent_tokens:,.0f}, naive {naive_tokens:,.0f} "
        f"(median agent {statistics.median(r[1][1] for r in rows):,.0f}, "
        f"naive {statistics.median(r[2][1] for r in rows):,.0f})"
    )
    fallback_timing()


if __name__ == "__main__":
    main()
