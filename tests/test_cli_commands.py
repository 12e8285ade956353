"""The knowledge, enrichment and tool commands through the CLI, and team rule folders."""

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from triage.cli import main

SPRAY = SAMPLES / "S03-rdp-spray-new-local-admin"
TEAM_RULE = """\
title: Account created by the team's watch list
id: 8d0f3b4e-2c41-4a7e-9b55-6f1e0c2d7a90
status: experimental
description: a team rule, in SigmaHQ's format
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4720
        TargetUserName|endswith: '_adm'
    condition: selection
level: high
tags:
    - attack.persistence
    - attack.t1136.001
"""


@pytest.fixture(autouse=True)
def environment(triage_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_HOME", str(triage_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_team_rule_folder_adds_detections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "team.yml").write_text(TEAM_RULE)
    code, out = cli(["run", str(SPRAY), "-f", "json", "-q", "--rules", str(rules)], capsys)
    assert code == 0
    titles = [d["title"] for d in json.loads(out)["detections"]]
    assert "Account created by the team's watch list" in titles
    code, out = cli(["run", str(SPRAY), "-f", "json", "-q"], capsys)
    assert "Account created by the team's watch list" not in out


def test_index_then_search_cites_sections(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(["index"], capsys)
    assert code == 0 and out.startswith("indexed 26 playbook files")
    code, out = cli(
        ["playbooks", "search", "user typed their password into a fake Microsoft page", "--json"],
        capsys,
    )
    hits = json.loads(out)
    assert code == 0
    assert hits[0]["ref"].startswith("phishing-credential-harvest#")
    code, out = cli(["playbooks", "search", "memory dump", "-t", "T1003.001", "--json"], capsys)
    assert json.loads(out)[0]["playbook_id"] == "lsass-credential-dumping"


def test_playbooks_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(["playbooks", "list", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) == 26
    code, out = cli(["playbooks", "show", "dns-tunnelling", "--json"], capsys)
    assert code == 0 and json.loads(out)["id"] == "dns-tunnelling"
    assert cli(["playbooks", "show", "no-such-playbook"], capsys)[0] == 2


def test_playbooks_lint_reports_located_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    code, out = cli(["playbooks", "lint", str(tmp_path)], capsys)
    assert code == 1
    assert "broken.yaml:3:1: YAML syntax error" in out
    code, out = cli(["playbooks", "lint"], capsys)
    assert code == 0 and "26 playbooks valid, 0 problems" in out


def test_enrich_refangs_and_types_the_value(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(["enrich", "hxxps://login.micros0ft-online[.]com/x", "--json"], capsys)
    payload = json.loads(out)
    assert code == 0
    assert payload["observable"] == {
        "type": "url",
        "value": "https://login.micros0ft-online.com/x",
        "sightings": [],
    }
    assert any(r["verdict"] == "malicious" for r in payload["results"])
    assert cli(["enrich", "x", "--type", "nonsense"], capsys)[0] == 2


def test_tools_list_names_every_kind_of_tool(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(["tools", "list", "--json"], capsys)
    tools = {t["name"]: t for t in json.loads(out)}
    assert code == 0
    assert tools["virustotal"]["status"] == "no API key"
    assert {"geoip", "attack-lookup", "run_sigma_rule", "playbook_search"} <= tools.keys()
