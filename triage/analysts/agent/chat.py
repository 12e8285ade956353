"""The chat model one agent run talks to: ChatOpenAI (or AzureChatOpenAI) built from the
configuration, every request through the injected httpx client, and the structured-output
mode bound for the draft turn. langchain_openai is imported only when a model is built."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from triage.analysts.agent.draft import draft_json_schema
from triage.analysts.agent.endpoint import OutputMode

if TYPE_CHECKING:
    import httpx
    from langchain_core.language_models import BaseChatModel

# The most tokens one answer may take: a draft with several findings, techniques, timeline
# entries and actions is well under it. An endpoint left unbounded (llama-cpp-python's server)
# lets a small model ramble to the end of its context, minutes on a CPU.
MAX_ANSWER_TOKENS = 2048


@dataclass(frozen=True, kw_only=True)
class AgentConfig:
    models: tuple[str, ...]
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    azure_endpoint: str | None = None
    azure_api_version: str | None = None
    azure_api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    retries: int = 2
    max_steps: int = 8
    max_tokens: int = 60_000
    redact_pii: tuple[str, ...] = ()
    home: Path = Path(".")
    http_client: "httpx.Client | None" = None


def request_timeout(config: AgentConfig, remaining: float) -> float:
    """Each request's share of the time left, retries and their backoff included."""
    backoff = sum(min(0.5 * 2.0**n, 8.0) for n in range(config.retries))
    return max(0.5, (remaining - backoff) / (config.retries + 1))


def model_http_client(injected: "httpx.Client | None") -> "httpx.Client":
    """The client every model request goes through, never following a redirect: a model
    endpoint has no business redirecting, and under --offline a redirect could leave loopback.
    A 3xx answer is then a model error, and the run falls back. An injected client (recording,
    replay) gets redirects switched off too."""
    import httpx

    if injected is None:
        return httpx.Client(follow_redirects=False)
    injected.follow_redirects = False
    return injected


def _async_http_client() -> "httpx.AsyncClient":
    """The engine calls the model synchronously; should anything go async, no redirects there."""
    import httpx

    return httpx.AsyncClient(follow_redirects=False)


def chat_model(config: AgentConfig, model: str, *, timeout: float) -> "BaseChatModel":
    if config.azure_endpoint:
        from langchain_openai import AzureChatOpenAI

        return AzureChatOpenAI(
            azure_endpoint=config.azure_endpoint,
            azure_deployment=model,
            api_version=config.azure_api_version,
            api_key=config.azure_api_key or config.api_key,
            timeout=timeout,
            max_retries=config.retries,
            http_client=model_http_client(config.http_client),
            http_async_client=_async_http_client(),
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=config.base_url,
        # Local servers (llama.cpp, Ollama, vLLM) ignore the key but the client wants one.
        api_key=config.api_key or "not-needed",
        timeout=timeout,
        max_retries=config.retries,
        http_client=model_http_client(config.http_client),
        http_async_client=_async_http_client(),
        temperature=0,
        extra_body=_answer_cap(config.base_url),
    )


def _answer_cap(base_url: str | None) -> dict[str, Any] | None:
    """`max_tokens` in the request body for an OpenAI-compatible server. ChatOpenAI would send
    its own cap as `max_completion_tokens`, which llama-cpp-python's server ignores; OpenAI
    itself refuses `max_tokens` for its reasoning models, so it is left unbounded there."""
    try:
        host = urlsplit(base_url).hostname if base_url else None
    except ValueError:
        host = None
    if host is None or host == "api.openai.com":
        return None
    return {"max_tokens": MAX_ANSWER_TOKENS}


def bind_output_mode(chat: "BaseChatModel", mode: OutputMode) -> Any:
    """The model with the response_format of `mode`; prompted JSON binds nothing."""
    if mode == "json_schema":
        schema = {"name": "triage_draft", "schema": draft_json_schema()}
        return chat.bind(response_format={"type": "json_schema", "json_schema": schema})
    if mode == "json_object":
        return chat.bind(response_format={"type": "json_object"})
    return chat
