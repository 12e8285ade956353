"""LangChain tools over the enrichment service, the ATT&CK catalogue and the Windows event
table, for the agent. langchain_core is imported only when the tools are built."""

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from triage.enrich.attack import AttackCatalog
from triage.enrich.lookup import enrich_value
from triage.enrich.service import EnrichmentService
from triage.enrich.windows_events import describe_event
from triage.errors import UsageError

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

MAX_TOOL_OUTPUT = 6000


class ObservableArgs(BaseModel):
    value: str = Field(description="The observable, e.g. an IP, domain, URL, hash or command line.")
    type: str | None = Field(
        default=None,
        description="Observable type (ipv4, ipv6, domain, url, email, md5, sha1, sha256, "
        "command_line, …); detected from the value when omitted.",
    )


class TechniqueArgs(BaseModel):
    technique_id: str = Field(description="ATT&CK technique id, e.g. T1059 or T1003.001.")


class WindowsEventArgs(BaseModel):
    channel: str = Field(description="Event log channel, e.g. Security or Sysmon.")
    event_id: int = Field(description="Windows event ID, e.g. 4625.")


def _dump(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TOOL_OUTPUT else text[: MAX_TOOL_OUTPUT - 1] + "…"


def _provider_runner(service: EnrichmentService, provider: str) -> Any:
    def run(value: str, type: str | None = None) -> str:
        try:
            observable, results = enrich_value(value, type=type, service=service, only={provider})
        except UsageError as exc:
            return _dump({"error": str(exc)})
        if not results:
            return _dump({"error": f"{provider} does not handle {observable.type} observables"})
        return _dump([r.model_dump(mode="json") for r in results])

    return run


def attack_lookup(technique_id: str) -> str:
    catalog = AttackCatalog()
    found = catalog.technique(technique_id)
    if found is None:
        return _dump({"error": f"unknown technique {technique_id!r} (ATT&CK {catalog.version})"})
    return _dump(
        {
            "id": found.id,
            "name": catalog.display_name(found.id),
            "tactics": list(found.tactics),
            "revoked": found.revoked,
            "deprecated": found.deprecated,
            "attack_version": catalog.version,
        }
    )


def describe_windows_event(channel: str, event_id: int) -> str:
    meaning = describe_event(channel, event_id)
    return _dump({"channel": channel, "event_id": event_id, "meaning": meaning or "unknown"})


def enrichment_tools(service: EnrichmentService) -> list["BaseTool"]:
    """One tool per provider of the service, plus ATT&CK and Windows event look-ups."""
    from langchain_core.tools import StructuredTool

    tools: list[BaseTool] = []
    for provider in service.providers:
        types = ", ".join(sorted(provider.observable_types))
        where = "offline" if provider.offline else "online"
        tools.append(
            StructuredTool.from_function(
                func=_provider_runner(service, provider.name),
                name=f"enrich_{provider.name.replace('-', '_')}",
                description=f"Enrich an observable with the {where} '{provider.name}' provider "
                f"({types}). Returns JSON results with status, verdict, score and summary.",
                args_schema=ObservableArgs,
            )
        )
    tools.append(
        StructuredTool.from_function(
            func=attack_lookup,
            name="attack_lookup",
            description="Name, tactics and status of a MITRE ATT&CK technique by id.",
            args_schema=TechniqueArgs,
        )
    )
    tools.append(
        StructuredTool.from_function(
            func=describe_windows_event,
            name="describe_windows_event",
            description="What a Windows event ID records in a given event log channel.",
            args_schema=WindowsEventArgs,
        )
    )
    return tools
