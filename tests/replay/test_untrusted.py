"""A received bundle is untrusted: it chooses no endpoint, folder, limit or path on the
replaying machine, and no link, FIFO or device inside it is followed or read."""

import json
import os
import threading
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.replay.conftest import CASES, copy_bundle, rewrite
from triage.errors import InputError, UsageError
from triage.replay import play
from triage.replay.bundle import CONFIG, INPUTS, MANIFEST, PROVIDERS, Manifest, open_bundle
from triage.replay.play import LiveChange, replay_bundle
from triage.replay.record import record_run
from triage.settings import Settings

pytestmark = pytest.mark.usefixtures("cli_environment")


def _hostile_config(bundle: Path, outside: Path) -> None:
    config = json.loads((bundle / CONFIG).read_text(encoding="utf-8"))
    config.update(
        base_url="http://127.0.0.1:9/v1",
        offline=False,
        rules_dirs=["/etc"],
        playbook_dirs=[str(outside)],
        intel_dir=str(outside),
        limits={**config["limits"], "max_file_bytes": 7, "max_records": 3},
        engine="rules",
        protected_brands=["examplebrand"],
    )
    rewrite(bundle, CONFIG, json.dumps(config))


@pytest.mark.parametrize(
    "change", [LiveChange(), LiveChange(model="m"), LiveChange(engine="rules")]
)
def test_a_bundle_config_sets_no_endpoint_folder_or_limit(
    sample_bundles: dict[str, Path], replay_settings: Settings, tmp_path: Path, change: LiveChange
) -> None:
    bundle = copy_bundle(next(iter(sample_bundles.values())), tmp_path / "b")
    _hostile_config(bundle, tmp_path)
    current = replay_settings.with_overrides(offline=True)
    settings = play.replay_settings(open_bundle(bundle), current, change)
    assert settings.offline is True
    assert settings.rules_dirs == current.rules_dirs and Path("/etc") not in settings.rules_dirs
    assert settings.playbook_dirs == current.playbook_dirs
    assert settings.intel_dir == current.intel_dir
    assert settings.limits == current.limits
    assert settings.protected_brands == ("examplebrand",)  # an inert, documented knob
    if not change.empty:
        assert settings.base_url == current.base_url


def test_live_replay_keeps_this_machines_endpoint_and_key(
    sample_bundles: dict[str, Path], replay_settings: Settings, tmp_path: Path
) -> None:
    bundle = copy_bundle(next(iter(sample_bundles.values())), tmp_path / "b")
    _hostile_config(bundle, tmp_path)
    mine = replay_settings.with_overrides(base_url="http://127.0.0.1:7/mine", api_key="sk-mine")
    live = play.replay_settings(open_bundle(bundle), mine, LiveChange(model="m"))
    assert live.base_url == "http://127.0.0.1:7/mine" and live.api_key == "sk-mine"
    strict = play.replay_settings(open_bundle(bundle), mine, LiveChange())
    assert strict.api_key != "sk-mine"  # strict replay sends nothing, so carries no key


def _run(function: object, *args: object) -> BaseException | None:
    """Call in a thread and fail the test (not hang it) if it blocks."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            function(*args)  # type: ignore[operator]
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(20)
    assert outcome, "blocked reading the bundle"
    return outcome[0]


def test_a_fifo_in_a_bundle_is_refused_not_waited_on(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    bundle = copy_bundle(next(iter(sample_bundles.values())), tmp_path / "b")
    for target in (bundle / PROVIDERS, next((bundle / INPUTS).iterdir())):
        target.unlink()
        os.mkfifo(target)
        error = _run(open_bundle, bundle)
        assert isinstance(error, InputError) and "not a regular file" in str(error)
        target.unlink()
        copy = next(iter(sample_bundles.values())) / target.relative_to(bundle)
        target.write_bytes(copy.read_bytes())
    open_bundle(bundle)


def test_a_linked_folder_inside_a_bundle_is_not_followed(
    sample_bundles: dict[str, Path], tmp_path: Path
) -> None:
    bundle = copy_bundle(next(iter(sample_bundles.values())), tmp_path / "b")
    (bundle / "tools").rename(tmp_path / "elsewhere")
    (bundle / "tools").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(InputError, match="symbolic link"):
        open_bundle(bundle)


def test_bundle_never_deletes_a_folder_that_is_not_a_bundle(
    replay_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / MANIFEST).write_text('{"hello": 1}', encoding="utf-8")  # not ours
    with pytest.raises(UsageError, match="holds no bundle"):
        record_run([str(CASES[0])], settings=replay_settings, folder=folder)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_input_inside_the_bundle_folder_is_refused(
    replay_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shutil import copytree

    bundle = tmp_path / "b"
    record_run([str(CASES[0])], settings=replay_settings, folder=bundle)
    case = copytree(CASES[0], bundle / "case")
    code, _, err = run_cli(["run", str(case), "--bundle", str(bundle)], capsys)
    assert code == 2 and "inside the bundle folder" in err
    assert sorted(p.name for p in case.iterdir()) == sorted(p.name for p in CASES[0].iterdir())
    assert open_bundle(bundle)  # the earlier bundle is untouched


def test_rerecording_replaces_an_earlier_bundle_through_a_sibling(
    replay_settings: Settings, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    record_run([str(CASES[0])], settings=replay_settings, folder=bundle)
    record_run([str(CASES[1])], settings=replay_settings, folder=bundle)
    assert open_bundle(bundle).manifest.inputs[0].path.startswith(str(CASES[1]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temporary folder left


def test_eval_reads_the_label_hash_checked_and_not_through_links(
    sample_bundles: dict[str, Path], replay_settings: Settings, tmp_path: Path
) -> None:
    from triage.eval.bundles import score_bundles

    source = next(b for b in sample_bundles.values() if open_bundle(b).manifest.label)
    bundle = copy_bundle(source, tmp_path / "b")
    label = bundle / str(open_bundle(bundle).manifest.label)
    assert score_bundles([bundle], settings=replay_settings)[0].error is None
    label.write_text(label.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(InputError, match="does not match its hash"):
        score_bundles([bundle], settings=replay_settings)
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((source / str(open_bundle(source).manifest.label)).read_bytes())
    label.unlink()
    label.symlink_to(outside)
    with pytest.raises(InputError, match="symbolic link"):
        score_bundles([bundle], settings=replay_settings)


def test_a_non_copied_input_is_never_read_from_the_recorded_location(
    replay_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shutil import copytree

    case = copytree(CASES[0], tmp_path / "case")
    bundle = tmp_path / "b"
    record_run([str(case)], settings=replay_settings, folder=bundle, copy_inputs=False)
    manifest = Manifest.model_validate_json((bundle / MANIFEST).read_bytes())
    inputs = tuple(
        i.model_copy(update={"location": "/dev/zero", "path": "../../../../etc/passwd"})
        for i in manifest.inputs
    )
    # location and path are not sealed into the bundle id: a receiver may see any value.
    (bundle / MANIFEST).write_text(
        manifest.model_copy(update={"inputs": inputs}).model_dump_json(), encoding="utf-8"
    )
    code, _, err = run_cli(["replay", str(bundle), "--check"], capsys)
    assert code == 3 and "--inputs-from" in err
    given = tmp_path / "given"
    given.mkdir()
    with pytest.raises(InputError) as caught:
        replay_bundle(open_bundle(bundle), current=replay_settings, inputs_from=given)
    assert str(given / "passwd") in str(caught.value) or "cannot read" in str(caught.value)
