"""LangChain tools over an incident's detections and records, for the agent.
langchain_core is imported only when the tools are built."""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from triage.detect.engine import SigmaDetector
from triage.detect.matcher import UnsupportedRule
from triage.detect.rules import RuleSet, RuleStats, compile_rule_text
from triage.models import Detection, Incident

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

MAX_TOOL_OUTPUT = 6000
MAX_FIND_LIMIT = 100
MAX_VALUE_CHARS = 300


class NoArgs(BaseModel):
    pass


class SigmaRuleArgs(BaseModel):
    rule_yaml: str = Field(
        description="One Sigma rule in YAML (title, logsource, detection with condition)."
    )


class FindRecordsArgs(BaseModel):
    field: str = Field(description="Record field name, e.g. CommandLine, eventName, uri.")
    value: str = Field(description="Text the field must contain (case-insensitive).")
    limit: int = Field(default=20, ge=1, le=MAX_FIND_LIMIT, description="Most records returned.")


def _dump(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TOOL_OUTPUT else text[: MAX_TOOL_OUTPUT - 1] + "…"


def _summary(detection: Detection) -> dict[str, Any]:
    return {
        "rule_id": detection.rule_id,
        "title": detection.title,
        "level": detection.level,
        "techniques": list(detection.techniques),
        "records": [f"{ref.artifact_id} {ref.locator}" for ref in detection.records[:10]],
        "record_count": len(detection.records),
        "matched_fields": detection.matched_fields,
    }


def list_detections(detections: Sequence[Detection]) -> str:
    return _dump([_summary(d) for d in detections])


def run_sigma_rule(incident: Incident, rule_yaml: str) -> str:
    """Run one ad-hoc Sigma rule over the incident; errors come back as data, not exceptions."""
    try:
        rule = compile_rule_text(rule_yaml, source="ad-hoc")
    except UnsupportedRule as exc:
        return _dump({"error": f"rule not usable: {exc}"})
    detector = SigmaDetector(RuleSet(rules=(rule,), stats=RuleStats(loaded=1)))
    found = detector.detect(incident)
    return _dump({"matched": bool(found), "detections": [_summary(d) for d in found]})


def find_records(incident: Incident, field: str, value: str, limit: int = 20) -> str:
    needle = value.lower()
    limit = max(1, min(limit, MAX_FIND_LIMIT))
    found: list[dict[str, Any]] = []
    for record in incident.records:
        content = record.fields.get(field)
        if content is not None and needle in str(content).lower():
            found.append(
                {
                    "artifact_id": record.artifact_id,
                    "locator": record.locator,
                    "source": record.source,
                    field: str(content)[:MAX_VALUE_CHARS],
                }
            )
            if len(found) >= limit:
                break
    return _dump({"count": len(found), "records": found})


def detection_tools(incident: Incident, detections: Sequence[Detection]) -> list["BaseTool"]:
    """Tools that let the agent read detections, test a Sigma rule and search records."""
    from langchain_core.tools import StructuredTool

    def list_all() -> str:
        return list_detections(detections)

    def run_rule(rule_yaml: str) -> str:
        return run_sigma_rule(incident, rule_yaml)

    def find(field: str, value: str, limit: int = 20) -> str:
        return find_records(incident, field, value, limit)

    return [
        StructuredTool.from_function(
            func=list_all,
            name="list_detections",
            description="Detections already found in this incident: rule, level, ATT&CK "
            "techniques, matching record locators and the field values that matched.",
            args_schema=NoArgs,
        ),
        StructuredTool.from_function(
            func=run_rule,
            name="run_sigma_rule",
            description="Run one Sigma rule (YAML) over this incident's records and return "
            "what it matched, with record locators.",
            args_schema=SigmaRuleArgs,
        ),
        StructuredTool.from_function(
            func=find,
            name="find_records",
            description="Records whose field contains a value (case-insensitive), with "
            "artifact id and locator for citation.",
            args_schema=FindRecordsArgs,
        ),
    ]
