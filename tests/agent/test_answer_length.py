"""Answers bounded and cut answers handled, as llama-cpp-python's server with a small model
needs (measured with SmolLM2-135M: unbounded answers ran to the end of the 8k context)."""

import json
from pathlib import Path
from typing import Any

from tests.agent.harness import agent_settings, run_agent
from tests.agent.scripted import Body, Reply, ScriptedServer, completion, llama_cpp_gate
from tests.agent.test_engine import PHISH, answer, investigate, verified
from triage.analysts.agent.chat import MAX_ANSWER_TOKENS


def cut(content: str, usage: tuple[int, int] = (900, 2048)) -> Reply:
    """An answer the endpoint stopped at its length limit."""
    reply = completion(content, usage=usage)
    assert reply.body is not None
    reply.body["choices"][0]["finish_reason"] = "length"
    return reply


def repair_text(body: Body) -> str:
    return str(body["messages"][-1]["content"])


def test_every_request_to_a_compatible_server_caps_the_answer(home: Path) -> None:
    with ScriptedServer([investigate(), answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert report.run.engine == "agent", report.run.fallback_reason
    # llama-cpp-python reads max_tokens (it ignores max_completion_tokens).
    assert all(r.get("max_tokens") == MAX_ANSWER_TOKENS for r in server.requests)


def test_a_cut_prose_answer_gets_a_repair_turn_that_says_why(home: Path) -> None:
    seen: list[str] = []

    def repaired(body: Body) -> Reply:
        seen.append(repair_text(body))
        return answer()(body)

    script: list[Any] = [investigate(), cut("The mail is a phish because the the the"), repaired]
    with ScriptedServer(script, gate=llama_cpp_gate) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert report.run.engine == "agent", report.run.fallback_reason
    assert verified(report)
    assert "cut at the length limit" in seen[0]
    assert report.run.llm_calls == 3


def test_a_cut_structured_answer_is_counted_and_falls_back_with_the_reason(home: Path) -> None:
    truncated = json.dumps({"verdict": {"classification": "true_positive"}})[:30]
    script: list[Any] = [
        investigate(),
        completion("Nothing more to add."),  # prose, so one repair turn
        cut(truncated, usage=(1300, 2048)),  # the repair (json_object) is cut: SDK refuses it
    ]
    with ScriptedServer(script, gate=llama_cpp_gate) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    modes = [(r.get("response_format") or {}).get("type") for r in server.requests]
    assert modes == [None, None, "json_schema", "json_object"]
    assert report.run.engine == "rules"
    assert report.run.fallback_reason is not None
    assert "repair failed: the answer was cut at the length limit" in report.run.fallback_reason
    # The cut answer was an answer: counted, with its usage.
    assert report.run.llm_calls == 3
    assert report.run.tokens.output >= 2048
    assert verified(report)
