"""The agent's detection tools: built with typed schemas and callable without a model."""

import json

import pytest

from triage.detect import SigmaDetector
from triage.detect.tools import FindRecordsArgs, detection_tools
from triage.models import Incident, Record

RECORDS = (
    Record(
        artifact_id="A1",
        locator="line:3",
        source="aws.cloudtrail",
        raw='{"eventName":"StopLogging"}',
        fields={"eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com"},
    ),
    Record(
        artifact_id="A1",
        locator="line:4",
        source="aws.cloudtrail",
        raw='{"eventName":"ListBuckets"}',
        fields={"eventName": "ListBuckets", "eventSource": "s3.amazonaws.com"},
    ),
)
INCIDENT = Incident(id="I1", input_digest="0" * 64, artifacts=(), records=RECORDS)

ADHOC_RULE = """
title: Bucket listing
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName|startswith: list
  condition: sel
level: low
"""


@pytest.fixture
def tools() -> dict[str, object]:
    detections = SigmaDetector.from_rule_dirs().detect(INCIDENT)
    return {tool.name: tool for tool in detection_tools(INCIDENT, detections)}


def test_tools_have_names_and_typed_schemas(tools: dict[str, object]) -> None:
    assert set(tools) == {"list_detections", "run_sigma_rule", "find_records"}
    assert tools["find_records"].args_schema is FindRecordsArgs  # type: ignore[attr-defined]


def test_list_detections_returns_cited_detections(tools: dict[str, object]) -> None:
    listed = json.loads(tools["list_detections"].invoke({}))  # type: ignore[attr-defined]
    stop = [d for d in listed if "T1562.008" in d["techniques"]]
    assert stop and stop[0]["records"] == ["A1 line:3"]


def test_run_sigma_rule_matches_and_reports_bad_rules_as_data(tools: dict[str, object]) -> None:
    run = tools["run_sigma_rule"]
    result = json.loads(run.invoke({"rule_yaml": ADHOC_RULE}))  # type: ignore[attr-defined]
    assert result["matched"] is True
    assert result["detections"][0]["records"] == ["A1 line:4"]
    broken = json.loads(run.invoke({"rule_yaml": "title: [unclosed"}))  # type: ignore[attr-defined]
    assert "error" in broken


def test_find_records_is_case_insensitive_and_limited(tools: dict[str, object]) -> None:
    find = tools["find_records"]
    found = json.loads(find.invoke({"field": "eventName", "value": "stop", "limit": 5}))  # type: ignore[attr-defined]
    assert found["count"] == 1
    assert found["records"][0]["locator"] == "line:3"
    limited = json.loads(find.invoke({"field": "eventSource", "value": ".com", "limit": 1}))  # type: ignore[attr-defined]
    assert limited["count"] == 1
