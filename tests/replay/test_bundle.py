"""The bundle on disk: its layout, its hashes, no secrets in it, and refusal when altered."""

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.replay.conftest import CASES, copy_bundle, socket_guard
from triage.errors import InputError, UsageError
from triage.replay.bundle import (
    BUNDLE_VERSION,
    CONFIG,
    ENRICHMENT,
    INPUTS,
    LLM,
    MANIFEST,
    PLAYBOOKS,
    PROVIDERS,
    REPORT,
    Manifest,
    bundle_id,
    open_bundle,
)
from triage.replay.play import replay_bundle
from triage.settings import Settings

pytestmark = pytest.mark.usefixtures("cli_environment")


def _manifest(bundle: Path) -> Manifest:
    return Manifest.model_validate_json((bundle / MANIFEST).read_bytes())


def test_every_sample_bundle_has_the_documented_layout(sample_bundles: dict[str, Path]) -> None:
    assert set(sample_bundles) == {c.name for c in CASES}
    for name, bundle in sample_bundles.items():
        manifest = _manifest(bundle)
        assert manifest.bundle_version == BUNDLE_VERSION
        assert set(manifest.files) >= {CONFIG, PROVIDERS, ENRICHMENT, PLAYBOOKS, LLM, REPORT}
        assert manifest.label == "label/expected.yaml", name
        for relative, digest in manifest.files.items():
            assert hashlib.sha256((bundle / relative).read_bytes()).hexdigest() == digest
        assert manifest.bundle_id == bundle_id(manifest.files, manifest.inputs)
        report = json.loads((bundle / REPORT).read_text())
        # The inputs are the report's artifacts, each stored under its own sha256.
        assert [i.sha256 for i in manifest.inputs] == [a["sha256"] for a in report["artifacts"]]
        for item in manifest.inputs:
            stored = (bundle / INPUTS / item.sha256).read_bytes()
            assert hashlib.sha256(stored).hexdigest() == item.sha256
            assert len(stored) == item.size
        assert manifest.input_digest == report["run"]["input_digest"]
        assert manifest.engine == report["run"]["engine"] == "rules"
        config = json.loads((bundle / CONFIG).read_text())
        assert config["engine"] == "auto" and config["api_key"] is None


def test_tool_traffic_is_recorded(sample_bundles: dict[str, Path]) -> None:
    phish = sample_bundles["S01-phish-credential-harvest"]
    entries = [json.loads(line) for line in (phish / ENRICHMENT).read_text().splitlines()]
    providers = {e["provider"] for e in entries}
    assert "email-auth" in providers and "domain-analysis" in providers
    report = json.loads((phish / REPORT).read_text())
    answered = {(e["provider"], e["observable"]["value"]) for e in entries if "observable" in e}
    answered |= {(r["provider"], r["value"]) for e in entries for r in e.get("results", [])}
    shown = [(x["provider"], o["value"]) for o in report["observables"] for x in o["enrichments"]]
    assert shown and set(shown) <= answered
    searches = [json.loads(line) for line in (phish / PLAYBOOKS).read_text().splitlines()]
    assert searches and all(s["hits"] for s in searches)
    # The analyst cites the section its verdict calls for (containment for a true positive) of
    # a playbook the recorded search returned, whichever section of it the search matched.
    cited = {e["playbook_ref"].split("#")[0] for e in report["evidence"] if e["kind"] == "playbook"}
    returned = {h["playbook_id"] for s in searches for h in s["hits"]}
    assert cited and cited <= returned


def test_secrets_stay_out_of_the_bundle(replay_settings: Settings, tmp_path: Path) -> None:
    from dataclasses import replace

    from triage.replay.record import record_run

    settings = replace(
        replay_settings,
        offline=True,
        vt_api_key="vt-secret-4242",
        abuseipdb_api_key="abuse-secret-4242",
        base_url="http://user:pw-secret-4242@127.0.0.1:9/v1",
    )
    with socket_guard():
        record_run([str(CASES[0])], settings=settings, folder=tmp_path / "b")
    text = "".join(p.read_text("utf-8", "replace") for p in (tmp_path / "b").rglob("*.json*"))
    assert "secret-4242" not in text
    config = json.loads((tmp_path / "b" / CONFIG).read_text())
    assert config["vt_api_key_set"] is True and config["base_url"] == "http://127.0.0.1:9/v1"


def test_no_copy_keeps_hashes_only_and_replays_from_the_files(
    replay_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shutil import copytree

    from triage.replay.record import record_run

    case = copytree(CASES[0], tmp_path / "case")
    with socket_guard():
        record_run([str(case)], settings=replay_settings, folder=tmp_path / "b", copy_inputs=False)
    manifest = _manifest(tmp_path / "b")
    assert not (tmp_path / "b" / INPUTS).exists()
    assert all(not i.copied and i.location for i in manifest.inputs)
    # The recorded location is never read: without a folder the user names, replay refuses.
    code, _, err = run_cli(["replay", str(tmp_path / "b"), "--check"], capsys)
    assert code == 3 and "--inputs-from" in err and len(err.strip().splitlines()) == 1
    done = replay_bundle(open_bundle(tmp_path / "b"), current=replay_settings, inputs_from=case)
    assert done.replayed.findings == done.recorded.findings
    artifact = next(p for p in case.iterdir() if p.name != "expected.yaml")
    artifact.write_bytes(artifact.read_bytes() + b"\n")
    with pytest.raises(InputError, match="does not match the recorded sha256"):
        replay_bundle(open_bundle(tmp_path / "b"), current=replay_settings, inputs_from=case)


@pytest.mark.parametrize("target", ["input", REPORT, ENRICHMENT, "manifest"])
def test_a_tampered_bundle_is_refused_with_exit_3(
    target: str,
    sample_bundles: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle = copy_bundle(sample_bundles["S01-phish-credential-harvest"], tmp_path / "b")
    manifest = _manifest(bundle)
    if target == "input":
        path = bundle / INPUTS / manifest.inputs[0].sha256
        path.write_bytes(path.read_bytes().replace(b"Subject:", b"Subject: Re:", 1))
    elif target == "manifest":
        # Hashes re-computed for an edited report, but the bundle id left as it was.
        report = (bundle / REPORT).read_text().replace('"high"', '"low"', 1)
        (bundle / REPORT).write_text(report)
        files = {**manifest.files, REPORT: hashlib.sha256(report.encode()).hexdigest()}
        edited = manifest.model_copy(update={"files": files})
        (bundle / MANIFEST).write_text(edited.model_dump_json())
    else:
        (bundle / target).write_text((bundle / target).read_text() + "\n")
    with pytest.raises(InputError):
        open_bundle(bundle)
    code, out, err = run_cli(["replay", str(bundle), "--check"], capsys)
    assert code == 3 and out == ""
    assert err.startswith("triage: error: ") and len(err.strip().splitlines()) == 1
    assert "bundle_id" in err if target == "manifest" else "match" in err


def test_not_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / MANIFEST).write_text('{"bundle_version": "9", "files": {}}')
    code, _, err = run_cli(["replay", str(tmp_path)], capsys)
    assert code == 3 and "bundle_version '9' is not supported" in err
    (tmp_path / MANIFEST).write_text("[" * 100_000)
    code, _, err = run_cli(["replay", str(tmp_path)], capsys)
    assert code == 3 and "not valid JSON" in err


def test_bundle_inside_the_input_folder_must_be_hidden(tmp_path: Path) -> None:
    from triage.replay.record import check_bundle_place

    case = tmp_path / "case"
    case.mkdir()
    with pytest.raises(UsageError, match=r"\.bundle"):
        check_bundle_place(case / "bundle", [str(case)])
    check_bundle_place(case / ".bundle", [str(case)])
    check_bundle_place(tmp_path / "elsewhere", [str(case)])


def test_run_bundle_from_the_cli_refuses_a_folder_that_is_not_a_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("mine")
    args = ["run", str(CASES[0]), "--bundle", str(tmp_path / "b"), "-f", "json", "-q"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "holds no bundle" in err
    assert (tmp_path / "b" / "notes.txt").read_text() == "mine"


def test_run_bundle_from_the_cli_records_the_printed_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(CASES[0]), "--bundle", str(tmp_path / "b"), "-f", "json", "-q"]
    with socket_guard() as guard:
        code, out, _ = run_cli(args, capsys)
    assert code == 0 and not guard.attempts
    assert json.loads(out) == json.loads((tmp_path / "b" / REPORT).read_text())
    assert open_bundle(tmp_path / "b").manifest.inputs[0].copied
