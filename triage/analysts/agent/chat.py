"""The chat model one agent run talks to: ChatOpenAI (or AzureChatOpenAI) built from the
configuration, every request through the injected httpx client, and the structured-output
mode bound for the draft turn. langchain_openai is imported only when a model is built."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.analysts.agent.draft import draft_json_schema
from triage.analysts.agent.endpoint import OutputMode

if TYPE_CHECKING:
    import httpx
    from langchain_core.language_models import BaseChatModel


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
    )


def bind_output_mode(chat: "BaseChatModel", mode: OutputMode) -> Any:
    """The model with the response_format of `mode`; prompted JSON binds nothing."""
    if mode == "json_schema":
        schema = {"name": "triage_draft", "schema": draft_json_schema()}
        return chat.bind(response_format={"type": "json_schema", "json_schema": schema})
    if mode == "json_object":
        return chat.bind(response_format={"type": "json_object"})
    return chat
