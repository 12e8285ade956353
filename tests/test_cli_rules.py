"""`triage rules install|list|remove|coverage|update` end to end, and the packs in a run."""

import functools
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES, run_cli
from tests.detect.test_rule_packs import rule, write_rules


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("TRIAGE_OFFLINE", raising=False)
    monkeypatch.delenv("TRIAGE_RULE_PACKS", raising=False)
    return home


def release_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("version.txt", "r2026-09-01\n")
        bundle.writestr("rules/windows/alice.yml", rule("alice"))
        bundle.writestr("rules/windows/bob.yml", rule("bob", number=2))
    return path


def test_install_list_coverage_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_rules(tmp_path / "src")
    code, out, err = run_cli(["rules", "install", str(source), "--name", "team"], capsys)
    assert code == 0, err
    assert out.startswith("installed rule pack team 2025-02-03 (newest rule date): 4 rule files")
    assert "status deprecated" in out and "correlation rule" in out

    code, out, _ = run_cli(["rules", "list", "--json"], capsys)
    listed = json.loads(out)
    assert listed["rule_packs_enabled"] is True
    assert [p["name"] for p in listed["packs"]] == ["builtin", "team"]
    team = listed["packs"][1]
    assert (team["version"], team["loaded"], team["files"]) == ("2025-02-03", 2, 4)
    assert team["skipped"]["status deprecated"] == 1

    layer_path = tmp_path / "layer.json"
    args = ["rules", "coverage", "--pack", "team", "--json", "--navigator", str(layer_path)]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    coverage = json.loads(out)
    assert coverage["rules"] == 2 and coverage["techniques"] == {"T1033": 2}
    assert coverage["tactics"] == {"discovery": 2}
    assert coverage["logsources"]["category"] == {"process_creation": 2}
    layer = json.loads(layer_path.read_text())
    assert layer["domain"] == "enterprise-attack"
    assert set(layer["versions"]) == {"layer", "navigator", "attack"}
    assert layer["versions"]["layer"].startswith("4.")
    (technique,) = layer["techniques"]
    assert technique["techniqueID"] == "T1033" and technique["score"] == 2
    assert "Whoami run by alice" in technique["comment"]

    code, out, _ = run_cli(["rules", "coverage"], capsys)
    assert code == 0 and "ATT&CK techniques" in out and "rules per tactic" in out

    code, out, _ = run_cli(["rules", "remove", "team"], capsys)
    assert code == 0 and out == "removed rule pack team\n"
    code, _, err = run_cli(["rules", "remove", "team"], capsys)
    assert code == 2 and err.count("\n") == 1


def test_install_zip_and_refuse_a_hostile_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["rules", "install", str(release_zip(tmp_path / "sigma_all_rules.zip"))], capsys
    )
    assert code == 0, err
    assert out.startswith("installed rule pack sigmahq r2026-09-01 (release): 2 rule files")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as bundle:
        bundle.writestr("rules/ok.yml", rule("alice"))
        bundle.writestr("../../escape.yml", "x")
    code, out, err = run_cli(["rules", "install", str(evil), "--name", "evil"], capsys)
    assert code == 3 and out == ""
    assert err.startswith("triage: error: ") and err.count("\n") == 1 and "outside" in err
    code, _, err = run_cli(["rules", "install", str(tmp_path / "missing.zip")], capsys)
    assert code == 3 and err.count("\n") == 1


@pytest.fixture
def release_server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server on 127.0.0.1 serving a release zip built here."""
    served = tmp_path / "served"
    served.mkdir()
    release_zip(served / "sigma_core.zip")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_update_downloads_and_installs_a_release(
    release_server: str, no_network: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{release_server}/sigma_core.zip"
    code, out, err = run_cli(["rules", "update", "--url", url], capsys)
    assert code == 0, err
    assert out.startswith("installed rule pack sigmahq r2026-09-01 (release)")
    code, _, err = run_cli(["rules", "update", "--url", f"{release_server}/missing.zip"], capsys)
    assert code == 3 and "download failed" in err
    assert no_network == []


def test_update_refuses_to_run_offline(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_cli(["rules", "update", "--offline"], capsys)
    assert code == 2 and "offline" in err and err.count("\n") == 1
    monkeypatch.setenv("TRIAGE_OFFLINE", "1")
    code, _, err = run_cli(["rules", "update"], capsys)
    assert code == 2 and "offline" in err


def test_a_run_names_every_rule_pack_it_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # One playbook instead of the shipped library: the fresh TRIAGE_HOME embeds it quickly.
    (work / "pb").mkdir()
    shipped = sorted((Path(__file__).parents[1] / "playbooks").glob("*.yaml"))[0]
    (work / "pb" / shipped.name).write_text(shipped.read_text())
    (work / "triage.toml").write_text('shipped_playbooks = false\nplaybook_dirs = ["pb"]\n')
    monkeypatch.chdir(work)
    run_cli(["rules", "install", str(write_rules(tmp_path / "src")), "--name", "team"], capsys)
    case = str(SAMPLES / "S02-mde-word-encoded-powershell")
    code, out, err = run_cli(["run", case, "-f", "json", "-q"], capsys)
    assert code == 0, err
    packs = {p["name"]: p for p in json.loads(out)["run"]["rule_packs"]}
    assert set(packs) == {"builtin", "team"}
    assert packs["team"] == {"name": "team", "version": "2025-02-03", "rules": 2}
    code, out, err = run_cli(["run", case, "-f", "json", "-q", "--no-rule-packs"], capsys)
    assert code == 0, err
    assert [p["name"] for p in json.loads(out)["run"]["rule_packs"]] == ["builtin"]
    monkeypatch.setenv("TRIAGE_RULE_PACKS", "0")
    code, out, _ = run_cli(["run", case, "-f", "json", "-q"], capsys)
    assert [p["name"] for p in json.loads(out)["run"]["rule_packs"]] == ["builtin"]


def test_rule_packs_setting_follows_the_layers(tmp_path: Path) -> None:
    from triage.settings import load_settings

    env = {"XDG_CONFIG_HOME": str(tmp_path / "no-config")}
    assert load_settings(env=env, cwd=tmp_path).rule_packs is True
    (tmp_path / "triage.toml").write_text("rule_packs = false\n")
    assert load_settings(env=env, cwd=tmp_path).rule_packs is False
    assert load_settings(env={**env, "TRIAGE_RULE_PACKS": "1"}, cwd=tmp_path).rule_packs is True
    assert load_settings(env=env, cwd=tmp_path, rule_packs=True).rule_packs is True
