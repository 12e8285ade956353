"""Every shipped rule against the regression events written for it: each rule fires on its
positive events and stays silent on its negative ones, routed exactly as loaded records are.

Events live in tests/detect/rule_events/, one YAML file per rule at the rule's own relative path
(docs/detections.md, "Regression events").
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from triage.detect.engine import SigmaDetector
from triage.detect.rules import (
    BUILTIN_RULES,
    CompiledRule,
    RuleSet,
    RuleStats,
    load_rule_file,
    rule_files,
)
from triage.models import Record

EVENTS = Path(__file__).parent / "rule_events"


def _record(event: dict[str, Any], number: int) -> Record:
    fields = event["fields"]
    return Record(
        artifact_id="A1",
        locator=f"line:{number}",
        source=event["source"],
        raw=event.get("raw") or json.dumps(fields, sort_keys=True),
        fields=fields,
    )


def _event_files() -> Iterator[Path]:
    yield from sorted(EVENTS.rglob("*.yml"))


def _rule_for(events_file: Path) -> CompiledRule:
    relative = events_file.relative_to(EVENTS)
    rules, skipped = load_rule_file(BUILTIN_RULES / relative, source="builtin")
    assert len(rules) == 1 and not skipped, f"{relative}: no single loadable shipped rule there"
    return rules[0]


def _fires(rule: CompiledRule, record: Record) -> bool:
    detector = SigmaDetector(RuleSet(rules=(rule,), stats=RuleStats(loaded=1)))
    return any(d.rule_id == rule.rule_id for d in detector.detect_records([record]))


def test_every_shipped_rule_has_positive_and_negative_events() -> None:
    missing = []
    for path in rule_files(BUILTIN_RULES):
        relative = path.relative_to(BUILTIN_RULES)
        events = EVENTS / relative
        if not events.is_file():
            missing.append(str(relative))
            continue
        document = yaml.safe_load(events.read_text(encoding="utf-8"))
        if not document.get("positive") or not document.get("negative"):
            missing.append(f"{relative} (needs both positive and negative events)")
    assert not missing, f"{len(missing)} rule(s) without regression events: {missing[:20]}"


@pytest.mark.parametrize(
    "events_file", list(_event_files()), ids=lambda p: str(p.relative_to(EVENTS))
)
def test_rule_matches_its_regression_events(events_file: Path) -> None:
    rule = _rule_for(events_file)
    document = yaml.safe_load(events_file.read_text(encoding="utf-8"))
    for number, event in enumerate(document.get("positive") or (), start=1):
        assert _fires(rule, _record(event, number)), f"positive event {number} did not fire"
    for number, event in enumerate(document.get("negative") or (), start=1):
        assert not _fires(rule, _record(event, number)), f"negative event {number} fired"
