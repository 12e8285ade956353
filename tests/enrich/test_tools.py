"""LangChain tools build and run without a model."""

import json
from pathlib import Path

from triage.enrich import EnrichmentConfig, build_service
from triage.enrich.tools import enrichment_tools

FIXTURES = Path(__file__).parent / "fixtures" / "intel"


def test_one_tool_per_provider_plus_lookups_and_each_runs(no_network: list[object]) -> None:
    service = build_service(EnrichmentConfig(offline=True, intel_dir=FIXTURES))
    tools = {tool.name: tool for tool in enrichment_tools(service)}
    expected = {f"enrich_{p.name.replace('-', '_')}" for p in service.providers}
    assert expected | {"attack_lookup", "describe_windows_event"} == set(tools)
    assert set(tools["enrich_geoip"].args) == {"value", "type"}

    geo = json.loads(tools["enrich_geoip"].invoke({"value": "8.8.8.8"}))
    assert geo[0]["provider"] == "geoip" and geo[0]["details"]["country_code"] == "US"
    intel = json.loads(tools["enrich_intel_pack"].invoke({"value": "198[.]51[.]100[.]23"}))
    assert intel[0]["status"] == "ok"
    wrong = json.loads(tools["enrich_geoip"].invoke({"value": "evil-login.com"}))
    assert "does not handle domain" in wrong["error"]
    bad_type = json.loads(tools["enrich_geoip"].invoke({"value": "x", "type": "planet"}))
    assert "unknown observable type" in bad_type["error"]

    attack = json.loads(tools["attack_lookup"].invoke({"technique_id": "T1003.001"}))
    assert attack["name"] == "OS Credential Dumping: LSASS Memory"
    assert (
        "unknown technique"
        in json.loads(tools["attack_lookup"].invoke({"technique_id": "T0"}))["error"]
    )
    event = json.loads(
        tools["describe_windows_event"].invoke({"channel": "Security", "event_id": 4624})
    )
    assert event["meaning"] == "An account was successfully logged on"
    assert no_network == []
