"""The agent loop's budget as LangChain middleware: before each model turn, stop the loop when
the steps, tokens or wall time are spent. langchain is imported only when it is built."""

import time
from collections.abc import Callable
from typing import Any


def budget_middleware(
    *, max_steps: int, max_tokens: int, deadline: float, spent: Callable[[], int]
) -> Any:
    """A middleware that ends the loop (jump to end) once a budget is exhausted; the engine
    then asks for the draft with what was gathered, or falls back."""
    from langchain.agents.middleware import AgentMiddleware, hook_config
    from langchain_core.messages import AIMessage

    class Budget(AgentMiddleware):
        @hook_config(can_jump_to=["end"])
        def before_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
            turns, used = 0, spent()
            for message in state.get("messages", ()):
                if isinstance(message, AIMessage):
                    turns += 1
                    used += message.usage_metadata["total_tokens"] if message.usage_metadata else 0
            if turns >= max_steps or used >= max_tokens or time.monotonic() >= deadline:
                return {"jump_to": "end"}
            return None

    return Budget()
