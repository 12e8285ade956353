"""The agent engine end to end: real langchain-openai traffic to a scripted server."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.harness import agent_settings, run_agent
from tests.agent.scripted import (
    Body,
    Reply,
    ScriptedServer,
    completion,
    error,
    evidence_ids,
    llama_cpp_gate,
    playbook_refs,
    texts,
)
from triage.errors import ModelError
from triage.ingest.limits import Limits
from triage.models import TriageReport
from triage.verify import verify_report

PHISH = "S01-phish-credential-harvest"
INJECTION = "S26-phish-prompt-injection-docusign-lure"


def draft(
    body: Body,
    *,
    classification: str = "true_positive",
    severity: str = "high",
    confidence: float = 0.9,
    technique: str = "T1566.002",
    cite: list[str] | None = None,
    counter: list[str] = (),  # type: ignore[assignment]
) -> str:
    """What a careful model writes: it cites the ids and playbook sections it was shown."""
    seen = cite if cite is not None else evidence_ids(body)[:2]
    refs = [r for r in playbook_refs(body) if r.endswith("#containment")] or playbook_refs(body)
    return json.dumps(
        {
            "verdict": {
                "classification": classification,
                "severity": severity,
                "confidence": confidence,
                "determination": "credential phishing",
                "rationale": f"see {', '.join(seen)}",
                "evidence_ids": seen,
                "counter_evidence_ids": list(counter),
            },
            "title": "Credential phishing mail",
            "summary": "A mail leads to a credential harvesting page.",
            "findings": [
                {"statement": "Phishing link", "evidence_ids": seen, "technique_ids": [technique]}
            ]
            if seen
            else [],
            "techniques": [{"id": technique, "evidence_ids": seen}] if seen else [],
            "timeline": [],
            "actions": [
                {
                    "text": "Block the sender",
                    "priority": "high",
                    "playbook_ref": refs[0],
                    "evidence_ids": seen[:1],
                }
            ]
            if refs and seen
            else [],
        }
    )


def investigate() -> Reply:
    return completion(
        tool_calls=[("list_detections", {}), ("search_playbooks", {"query": "phishing email"})],
        usage=(1000, 30),
    )


def answer(**kwargs: Any) -> Any:
    return lambda body: completion(draft(body, **kwargs), usage=(1500, 200))


def verified(report: TriageReport) -> bool:
    """`triage verify`'s check: every citation resolves, every quote is in its record."""
    return verify_report(report, base=Path.cwd(), limits=Limits()).ok


def test_happy_path_with_parallel_tool_calls(home: Path) -> None:
    with ScriptedServer([investigate(), answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert report.run.engine == "agent", report.run.fallback_reason
    assert report.run.model == "scripted"
    assert report.run.fallback_reason is None
    assert (report.run.llm_calls, report.run.tool_calls) == (2, 2)
    assert report.run.tokens.input == 2500 and report.run.tokens.output == 230
    assert len(server.requests) == 2
    # Both tool results went back in one request, answering both parallel calls.
    tool_messages = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert {m["tool_call_id"] for m in tool_messages} == {
        "call_0_list_detections",
        "call_1_search_playbooks",
    }
    # The tools offered are the allow-list, and none was forced (llama.cpp refuses that).
    offered = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert offered == {
        "list_detections",
        "inspect_detection",
        "find_records",
        "run_sigma_rule",
        "enrich_observable",
        "search_playbooks",
        "lookup_attack",
        "decode_command",
    }
    assert "tool_choice" not in server.requests[0] or server.requests[0]["tool_choice"] == "auto"
    assert report.findings and report.actions
    known = {e.id for e in report.evidence}
    assert all(set(f.evidence_ids) <= known for f in report.findings)
    assert report.actions[0].playbook_ref and "#" in report.actions[0].playbook_ref
    assert report.techniques[0].name  # named from the ATT&CK catalogue, not the model
    assert verified(report)
    assert any(n.startswith("arbitration:") for n in report.guardrails.notes)


def test_unknown_citations_get_one_repair_then_fall_back(home: Path) -> None:
    bad = answer(cite=["E999"])
    with ScriptedServer([investigate(), bad, bad]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert len(server.requests) == 3  # the loop's answer, one repair turn, no more
    repair = server.requests[2]["messages"][-1]["content"]
    assert "E999" in repair and "does not exist" in repair
    assert report.run.engine == "rules"
    assert report.run.fallback_reason and "unverified after repair" in report.run.fallback_reason
    assert report.run.llm_calls == 3
    assert verified(report)


def test_repair_turn_can_fix_the_draft(home: Path) -> None:
    with ScriptedServer([investigate(), answer(technique="T9999"), answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert "T9999" in server.requests[2]["messages"][-1]["content"]
    assert report.run.engine == "agent"
    assert any("one repair turn" in n for n in report.guardrails.notes)


def test_malformed_json_is_repaired_or_falls_back(home: Path) -> None:
    broken = completion('{"verdict": {"classification": "true_positive", ', usage=(10, 5))
    with ScriptedServer([investigate(), broken, broken]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert len(server.requests) == 3
    assert report.run.engine == "rules"
    assert "repair failed" in (report.run.fallback_reason or "")


def test_structured_output_uses_json_schema_when_the_endpoint_takes_it(home: Path) -> None:
    # The model stops without an answer: the engine asks for the draft in json_schema mode.
    with ScriptedServer([investigate(), completion("I have what I need."), answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url))
    assert report.run.engine == "agent", report.run.fallback_reason
    asked = server.requests[2]["response_format"]
    assert asked["type"] == "json_schema"
    assert "verdict" in asked["json_schema"]["schema"]["properties"]


def test_a_429_then_success_is_retried(home: Path) -> None:
    busy = error(429, "slow down", **{"retry-after-ms": "10"})
    with ScriptedServer([busy, investigate(), answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url, retries=2))
    assert len(server.requests) == 3
    assert report.run.engine == "agent"
    assert report.run.llm_calls == 2  # answers, not attempts


def test_a_hanging_endpoint_falls_back_within_the_budget(home: Path) -> None:
    import time

    slow = Reply(body={}, delay=4)
    with ScriptedServer([slow, slow]) as server:
        started = time.monotonic()
        report = run_agent(PHISH, agent_settings(home, server.base_url, llm_timeout=2.0))
        took = time.monotonic() - started
    assert report.run.engine == "rules"
    assert "Timeout" in (report.run.fallback_reason or "")
    assert took < 30  # the rules run itself plus one bounded request


def test_no_fallback_raises_a_model_error(home: Path) -> None:
    settings = agent_settings(home, "http://127.0.0.1:9/v1", no_fallback=True)
    with pytest.raises(ModelError) as caught:
        run_agent(PHISH, settings)
    assert caught.value.exit_code == 5


def test_injection_cannot_talk_the_agent_into_benign(home: Path) -> None:
    # A hijacked model obeys the mail: benign, no indicators, no evidence.
    obeys = answer(classification="false_positive", severity="informational", cite=[])
    with ScriptedServer([investigate(), obeys]) as server:
        report = run_agent(INJECTION, agent_settings(home, server.base_url))
    rules = run_agent(INJECTION, agent_settings(home, "http://127.0.0.1:9/v1"))
    assert rules.run.engine == "rules" and rules.verdict.classification == "true_positive"
    assert report.run.engine == "agent"
    assert report.guardrails.prompt_injection_suspected
    assert (report.verdict.classification, report.verdict.severity) == (
        rules.verdict.classification,
        rules.verdict.severity,
    )
    assert any("rules verdict is kept" in n for n in report.guardrails.notes)
    # The artifact text reached the model only inside the run's datamark.
    brief = server.requests[0]["messages"][1]["content"]
    tag = brief.split("<<", 1)[1].split(">>", 1)[0]
    assert tag.startswith("DATA-") and tag in server.requests[0]["messages"][0]["content"]


def test_a_llama_cpp_like_endpoint_still_ends_in_a_validated_report(home: Path) -> None:
    script = [
        investigate(),
        completion("Done investigating."),
        answer(),
        investigate(),
        completion("Done."),
        answer(),
    ]
    with ScriptedServer(script, gate=llama_cpp_gate) as server:
        first = run_agent(PHISH, agent_settings(home, server.base_url))
        asked_first = [(r.get("response_format") or {}).get("type") for r in server.requests]
        second = run_agent(PHISH, agent_settings(home, server.base_url))
        asked_second = [(r.get("response_format") or {}).get("type") for r in server.requests]
    assert first.run.engine == "agent", first.run.fallback_reason
    assert verified(first)
    # json_schema refused, json_object accepted; never tool_choice "required".
    assert asked_first == [None, None, "json_schema", "json_object"]
    assert all(r.get("tool_choice") != "required" for r in server.requests)
    assert any("refused response_format json_schema" in n for n in first.guardrails.notes)
    memory = json.loads((home / "agent" / "endpoints.json").read_text())
    assert any(v["refused"] == ["json_schema"] for v in memory.values())
    # The next run remembers and goes straight to json_object.
    assert asked_second[4:] == [None, None, "json_object"]
    assert second.run.engine == "agent"


def test_canary_secrets_never_leave_the_machine(home: Path, tmp_path: Path) -> None:
    canaries = [
        "AKIAZZCANARY7Q2W3E4R",
        "ghp_CanaryToken0123456789abcdefghijklmnopqr",
        "Pa55-canary-Xq93vL",
    ]
    log = tmp_path / "auth.log"
    log.write_text(
        f"Mar  3 10:00:01 web1 deploy[311]: using key {canaries[0]} for s3 sync\n"
        f"Mar  3 10:00:02 web1 deploy[311]: git clone https://{canaries[1]}@github.example/x\n"
        f"Mar  3 10:00:03 web1 app[77]: login user=svc password={canaries[2]} ok\n"
        "Mar  3 10:00:04 web1 sshd[99]: Failed password for root from 203.0.113.5 port 22\n",
        encoding="utf-8",
    )

    def cites_the_secret(body: Body) -> Reply:
        tool_text = texts(body, role="tool")
        placeholder = tool_text.split("key ", 1)[1].split(" ", 1)[0]
        ids = evidence_ids(body)
        content = json.loads(
            draft(
                body, classification="undetermined", severity="low", confidence=0.6, cite=ids[-1:]
            )
        )
        content["findings"][0]["statement"] = f"Key {placeholder} was used for an s3 sync"
        return completion(json.dumps(content))

    script = [
        completion(
            tool_calls=[
                ("find_records", {"value": "key"}),
                ("find_records", {"value": "password="}),
                ("find_records", {"value": "clone"}),
            ]
        ),
        cites_the_secret,
    ]
    with ScriptedServer(script) as server:
        report = run_agent(log, agent_settings(home, server.base_url))
    sent = b"\n".join(server.raw).decode()
    assert "github.example" in sent  # the records were sent, less their secrets
    for canary in canaries:
        assert canary not in sent
    assert "«SECRET_" in sent  # the model saw placeholders instead
    assert report.run.engine == "agent", report.run.fallback_reason
    assert report.guardrails.redactions >= 3
    # Mapped back locally: the report names the real key.
    assert canaries[0] in report.findings[0].statement


def test_routing_escalates_from_a_small_model_with_low_confidence(home: Path) -> None:
    script = [investigate(), answer(confidence=0.2), investigate(), answer()]
    with ScriptedServer(script) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url, models="small,large"))
    assert [r["model"] for r in server.requests] == ["small", "small", "large", "large"]
    assert report.run.model == "large"
    assert any("escalated from small" in n for n in report.guardrails.notes)
    assert report.run.llm_calls == 4


def test_step_budget_ends_the_loop_and_asks_for_the_draft(home: Path) -> None:
    looping = completion(tool_calls=[("list_detections", {})])
    with ScriptedServer([looping, looping, answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url, max_steps=2))
    assert len(server.requests) == 3
    assert "tools" not in server.requests[2]  # the draft turn offers no tools
    assert report.run.engine == "agent", report.run.fallback_reason
    assert report.run.tool_calls == 2


def test_token_budget_falls_back(home: Path) -> None:
    with ScriptedServer([investigate(), answer()]) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url, max_tokens=500))
    assert report.run.engine == "rules"
    assert "token budget" in (report.run.fallback_reason or "")
    assert len(server.requests) == 1


def test_an_injected_http_client_carries_all_model_traffic(home: Path) -> None:
    import httpx

    seen: list[str] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return super().handle_request(request)

    with (
        httpx.Client(transport=Recording()) as client,
        ScriptedServer([investigate(), answer()]) as server,
    ):
        report = run_agent(PHISH, agent_settings(home, server.base_url), http_client=client)
    assert report.run.engine == "agent"
    assert len(seen) == len(server.requests) == 2
    assert all(url.startswith(server.base_url) for url in seen)


def test_an_unsure_small_draft_stands_when_the_large_model_fails(home: Path) -> None:
    bad = answer(cite=["E999"])
    script = [investigate(), answer(confidence=0.3), investigate(), bad, bad]
    with ScriptedServer(script) as server:
        report = run_agent(PHISH, agent_settings(home, server.base_url, models="small,large"))
    assert len(server.requests) == 5
    assert report.run.engine == "agent" and report.run.model == "small"
    assert any("the escalation failed" in n for n in report.guardrails.notes)
    assert verified(report)
