"""The agent engine: LangChain `create_agent` over an OpenAI-compatible chat model, grounded in
the rules engine's assessment, checked against the evidence catalogue, arbitrated, and falling
back to the rules engine when the model cannot produce a verified draft."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from triage.analysts.agent.arbitration import arbitrate
from triage.analysts.agent.chat import (
    AgentConfig,
    bind_output_mode,
    chat_model,
    request_timeout,
)
from triage.analysts.agent.draft import (
    Draft,
    check_draft,
    parse_draft,
    to_assessment,
)
from triage.analysts.agent.endpoint import EndpointMemory, endpoint_key
from triage.analysts.agent.guardrails import Datamark, Redactor, injection_hits
from triage.analysts.agent.prompts import case_brief, finish_instruction, system_prompt
from triage.analysts.agent.tools import CaseTools
from triage.analysts.base import Assessment, CaseFile, TechniqueNamer
from triage.evidence import EvidenceCatalog
from triage.knowledge import PlaybookSearch

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage

    from triage.enrich.service import EnrichmentService

LOW_CONFIDENCE = 0.5
CHARS_PER_TOKEN = 4  # the estimate when an endpoint reports no usage


@dataclass(frozen=True, kw_only=True)
class AgentOutcome:
    """What one agent run produced: the assessment (the agent's, or the rules engine's on
    fallback) and the accounting and guardrail signals for the report."""

    assessment: Assessment
    engine: Literal["rules", "agent"]
    model: str | None
    fallback_reason: str | None = None
    llm_calls: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    prompt_injection_suspected: bool = False
    redactions: int = 0
    notes: tuple[str, ...] = ()


class ModelAttemptFailed(Exception):
    """One model could not produce a verified draft; `escalate` says a larger model may."""

    def __init__(self, reason: str, *, escalate: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.escalate = escalate


@dataclass
class _Tally:
    llm_calls: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def count(self, message: "AIMessage") -> None:
        self.llm_calls += 1
        usage = message.usage_metadata
        if usage:
            self.input_tokens += int(usage.get("input_tokens", 0))
            self.output_tokens += int(usage.get("output_tokens", 0))
        else:
            self.output_tokens += len(str(message.content)) // CHARS_PER_TOKEN + 1

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, kw_only=True)
class AgentEngine:
    config: AgentConfig
    name_technique: TechniqueNamer
    enricher: "EnrichmentService | None" = None
    playbooks: PlaybookSearch | None = None
    name: str = "agent"

    def run(self, case: CaseFile, catalog: EvidenceCatalog, grounding: Assessment) -> AgentOutcome:
        # Importing langchain takes seconds on a busy machine; that is not the model's time.
        import langchain.agents  # noqa: F401
        import langchain_openai  # noqa: F401

        deadline = time.monotonic() + self.config.timeout
        redactor = Redactor(pii=self.config.redact_pii)
        datamark = Datamark()
        injection = injection_hits(case.incident.records)
        notes: list[str] = []
        if injection:
            notes.append(f"prompt injection suspected: {'; '.join(injection[:3])}")
        tally = _Tally()
        tools = CaseTools(
            case=case,
            catalog=catalog,
            redactor=redactor,
            datamark=datamark,
            name_technique=self.name_technique,
            enricher=self.enricher,
            playbooks=self.playbooks,
        )
        brief = case_brief(
            case, catalog, grounding, datamark=datamark, redactor=redactor, injection=injection
        )
        system = system_prompt(datamark=datamark, max_steps=self.config.max_steps)
        reason = "no model configured"
        # A verified but unsure draft, kept in case the larger model fails.
        unsure: tuple[str, Draft] | None = None
        for position, model in enumerate(self.config.models):
            last = position == len(self.config.models) - 1
            try:
                draft = self._attempt(
                    model,
                    case=case,
                    catalog=catalog,
                    tools=tools,
                    system=system,
                    brief=brief,
                    tally=tally,
                    deadline=deadline,
                    notes=notes,
                )
            except ModelAttemptFailed as failure:
                reason = f"{model}: {failure.reason}"
                if failure.escalate and not last:
                    notes.append(f"routing: escalated from {model} ({failure.reason})")
                    continue
                break
            draft = _restored(draft, redactor)
            if draft.verdict.confidence < LOW_CONFIDENCE and not last:
                notes.append(
                    f"routing: escalated from {model} (confidence "
                    f"{draft.verdict.confidence:.2f} below {LOW_CONFIDENCE})"
                )
                unsure = unsure or (model, draft)
                continue
            unsure = None
            answered = f"routing: {model} answered" + (" after escalation" if position else "")
            outcome = self._accept(model, draft, answered, case, catalog, grounding, notes)
            if isinstance(outcome, str):
                reason = outcome
                break
            return self._outcome(
                outcome, tally, model=model, injection=injection, redactor=redactor
            )
        if unsure is not None:
            model, draft = unsure
            answered = f"routing: {model} answered; the escalation failed ({reason})"
            outcome = self._accept(model, draft, answered, case, catalog, grounding, notes)
            if not isinstance(outcome, str):
                return self._outcome(
                    outcome, tally, model=model, injection=injection, redactor=redactor
                )
            reason = outcome
        fallback = Assessment(
            verdict=grounding.verdict,
            title=grounding.title,
            summary=grounding.summary,
            findings=grounding.findings,
            techniques=grounding.techniques,
            timeline=grounding.timeline,
            actions=grounding.actions,
            notes=(*grounding.notes, *notes),
        )
        return self._outcome(
            fallback,
            tally,
            model=None,
            injection=injection,
            redactor=redactor,
            fallback_reason=f"agent failed, rules engine used: {reason}",
        )

    def _accept(
        self,
        model: str,
        draft: Draft,
        answered: str,
        case: CaseFile,
        catalog: EvidenceCatalog,
        grounding: Assessment,
        notes: list[str],
    ) -> Assessment | str:
        """The arbitrated assessment of a verified draft, or why it cannot be one."""
        decided = arbitrate(draft.verdict, grounding.verdict, case=case, catalog=catalog)
        try:
            return to_assessment(
                draft,
                verdict=decided.verdict,
                name_technique=self.name_technique,
                playbooks=case.playbooks,
                catalog=catalog,
                notes=(*notes, answered, *decided.notes),
            )
        except ValueError as exc:  # pydantic's ValidationError is one: a draft we missed
            return f"{model}: the draft does not fit the report: {str(exc)[:160]}"

    def _outcome(
        self,
        assessment: Assessment,
        tally: _Tally,
        *,
        model: str | None,
        injection: tuple[str, ...],
        redactor: Redactor,
        fallback_reason: str | None = None,
    ) -> AgentOutcome:
        return AgentOutcome(
            assessment=assessment,
            engine="rules" if fallback_reason else "agent",
            model=model,
            fallback_reason=fallback_reason,
            llm_calls=tally.llm_calls,
            tool_calls=tally.tool_calls,
            input_tokens=tally.input_tokens,
            output_tokens=tally.output_tokens,
            prompt_injection_suspected=bool(injection),
            redactions=redactor.redactions,
        )

    def _attempt(
        self,
        model: str,
        *,
        case: CaseFile,
        catalog: EvidenceCatalog,
        tools: CaseTools,
        system: str,
        brief: str,
        tally: _Tally,
        deadline: float,
        notes: list[str],
    ) -> Draft:
        from langchain_core.messages import AIMessage

        chat = self._chat(model, deadline)
        conversation = self._investigate(chat, tools, system, brief, tally, deadline)
        final = conversation[-1] if conversation else None
        draft: Draft | None = None
        problems: list[str] = []
        if isinstance(final, AIMessage) and not final.tool_calls and final.content:
            draft, problem = _parsed(final)
            problems = [problem] if problem else []
        if draft is None and not problems:
            # The loop stopped on the step budget or without an answer: ask for the draft.
            conversation = self._finish(chat, model, conversation, None, tally, deadline, notes)
            draft, problem = _parsed(conversation[-1])
            problems = [problem] if problem else []
        if draft is not None:
            problems = self._check(draft, case, catalog)
        if not problems and draft is not None:
            return draft
        notes.append(f"validation ({model}): {'; '.join(problems[:4])}; one repair turn")
        conversation = self._finish(chat, model, conversation, problems, tally, deadline, notes)
        draft, problem = _parsed(conversation[-1])
        if draft is None:
            raise ModelAttemptFailed(f"repair failed: {problem}", escalate=True)
        problems = self._check(draft, case, catalog)
        if problems:
            raise ModelAttemptFailed(
                f"draft still unverified after repair: {'; '.join(problems[:3])}", escalate=True
            )
        return draft

    def _check(self, draft: Draft, case: CaseFile, catalog: EvidenceCatalog) -> list[str]:
        return check_draft(
            draft, catalog=catalog, playbooks=case.playbooks, name_technique=self.name_technique
        )

    def _chat(self, model: str, deadline: float) -> "BaseChatModel":
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ModelAttemptFailed("wall-time budget exhausted", escalate=False)
        return chat_model(self.config, model, timeout=request_timeout(self.config, remaining))

    def _investigate(
        self,
        chat: "BaseChatModel",
        tools: CaseTools,
        system: str,
        brief: str,
        tally: _Tally,
        deadline: float,
    ) -> list["BaseMessage"]:
        from langchain.agents import create_agent
        from langchain_core.messages import AIMessage, HumanMessage

        from triage.analysts.agent.budget import budget_middleware

        def on_tool() -> None:
            tally.tool_calls += 1

        budget = budget_middleware(
            max_steps=self.config.max_steps,
            max_tokens=self.config.max_tokens,
            deadline=deadline,
            spent=lambda: tally.tokens,
        )
        agent = create_agent(
            chat, tools.build(on_call=on_tool), system_prompt=system, middleware=[budget]
        )
        try:
            result = agent.invoke(
                {"messages": [HumanMessage(brief)]},
                config={"recursion_limit": 4 * self.config.max_steps + 8},
            )
        except Exception as exc:
            raise _model_failure(exc) from exc
        messages: list[BaseMessage] = list(result.get("messages", []))
        for message in messages:
            if isinstance(message, AIMessage):
                tally.count(message)
        if time.monotonic() > deadline:
            raise ModelAttemptFailed("wall-time budget exhausted", escalate=False)
        if tally.tokens > self.config.max_tokens:
            raise ModelAttemptFailed(
                f"token budget exhausted ({tally.tokens} > {self.config.max_tokens})",
                escalate=False,
            )
        return messages

    def _finish(
        self,
        chat: "BaseChatModel",
        model: str,
        conversation: Sequence["BaseMessage"],
        problems: list[str] | None,
        tally: _Tally,
        deadline: float,
        notes: list[str],
    ) -> list["BaseMessage"]:
        """One structured turn, in the strongest output mode the endpoint has not refused;
        the conversation with the request and the reply appended."""
        import openai
        from langchain_core.messages import AIMessage, HumanMessage

        memory = EndpointMemory(self.config.home)
        key = endpoint_key(self.config.azure_endpoint or self.config.base_url, model)
        for mode in memory.modes(key) or ("prompted",):
            if time.monotonic() > deadline:
                raise ModelAttemptFailed("wall-time budget exhausted", escalate=False)
            instruction = finish_instruction(
                problems=problems, schema_in_prompt=mode != "json_schema"
            )
            request = [*conversation, HumanMessage(instruction)]
            try:
                reply = bind_output_mode(chat, mode).invoke(request)
            except openai.LengthFinishReasonError as exc:
                # The endpoint answered, but the answer was cut at the length limit (the SDK
                # refuses to parse it): an answer all the same, counted and checked as one.
                reply = _cut_answer(exc)
            except (openai.BadRequestError, openai.InternalServerError) as exc:
                if mode == "prompted":
                    raise _model_failure(exc) from exc
                memory.remember_refusal(key, mode, str(exc))
                notes.append(f"endpoint refused response_format {mode}; stepping down")
                continue
            except Exception as exc:
                raise _model_failure(exc) from exc
            if not isinstance(reply, AIMessage):
                raise ModelAttemptFailed("the model returned no message", escalate=True)
            tally.count(reply)
            return [*request, reply]
        raise ModelAttemptFailed("no structured-output mode left", escalate=True)


def _cut_answer(exc: Any) -> "AIMessage":
    """The truncated answer of a LengthFinishReasonError as a message, with its usage."""
    from langchain_core.messages import AIMessage

    choices = getattr(exc.completion, "choices", None) or []
    content = (choices[0].message.content or "") if choices else ""
    usage = getattr(exc.completion, "usage", None)
    metadata = None
    if usage is not None:
        metadata = {
            "input_tokens": int(usage.prompt_tokens or 0),
            "output_tokens": int(usage.completion_tokens or 0),
            "total_tokens": int(usage.total_tokens or 0),
        }
    return AIMessage(
        content=str(content),
        usage_metadata=metadata,
        response_metadata={"finish_reason": "length"},
    )


def _parsed(reply: "BaseMessage") -> tuple[Draft | None, str | None]:
    """parse_draft of a reply, saying so when the endpoint cut the answer at its length limit."""
    draft, problem = parse_draft(str(reply.content))
    if draft is None and reply.response_metadata.get("finish_reason") == "length":
        problem = f"the answer was cut at the length limit: {problem}"
    return draft, problem


def _model_failure(exc: Exception) -> ModelAttemptFailed:
    """A transport or provider error: the next model on the same endpoint would fare no better."""
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    return ModelAttemptFailed(f"{type(exc).__name__}: {detail}", escalate=False)


def _restored(draft: Draft, redactor: Redactor) -> Draft:
    """Placeholders in the model's text mapped back to the values they stand for, locally."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redactor.restore(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return Draft.model_validate(walk(draft.model_dump(mode="json")))
