"""Review regressions: `triage eval` on hostile or broken case folders gives one clear line
or a failure row, never a traceback, and label text cannot drive the terminal or the tables."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from triage.cli import main
from triage.errors import InputError
from triage.eval.labels import MAX_LABEL_BYTES, find_cases, inert, plain, read_label
from triage.eval.metrics import CaseResult, case_row
from triage.render.scorecard import render_scorecard_markdown

MAIL = SAMPLES / "S10-benign-vendor-newsletter" / "reported_message.eml"


def case(folder: Path, label: str, *, name: str = "label.yaml") -> Path:
    folder.mkdir(parents=True)
    (folder / name).write_text(label, encoding="utf-8")
    shutil.copy(MAIL, folder / MAIL.name)
    return folder


@pytest.mark.parametrize(
    ("label", "name", "message"),
    [
        ("classification: [true_positive]\nseverity: high\n", "expected.yaml", "classification"),
        ("classification: {a: b}\n", "expected.yaml", "classification"),
        ("expected_verdict: [malicious]\n", "label.yaml", "expected_verdict"),
        ("expected_verdict: benign\nid: [1, 2]\n", "label.yaml", "id must be"),
        ("expected_verdict: benign\nformat: {a: 1}\n", "label.yaml", "format must be"),
        ("a: [\n", "label.yaml", r"cannot read label: .*\(line 2, column 1\)"),
        ("x: !!python/object:os.system y\n", "label.yaml", "cannot read label"),
        ("expected_verdict: benign\nid: " + "[" * 50_000 + "\n", "label.yaml", "nested"),
        ("- a\n- b\n", "label.yaml", "must be a mapping"),
        ("", "label.yaml", "must be a mapping"),
    ],
)
def test_bad_label_is_one_line_input_error(
    tmp_path: Path, label: str, name: str, message: str
) -> None:
    folder = case(tmp_path / "c", label, name=name)
    with pytest.raises(InputError, match=message) as caught:
        read_label(folder)
    assert "\n" not in str(caught.value)


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["expected_verdict: benign", "a0: &a0 [" + ",".join(["xxxxxxxxxx"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    folder = case(tmp_path / "bomb", "\n".join([*lines, "id: *a8", ""]))
    with pytest.raises(InputError, match="aliases are not allowed"):
        read_label(folder)


def test_oversized_and_non_utf8_labels(tmp_path: Path) -> None:
    big = case(tmp_path / "big", "expected_verdict: benign\n# " + "x" * MAX_LABEL_BYTES)
    with pytest.raises(InputError, match="larger than"):
        read_label(big)
    binary = tmp_path / "binary"
    case(binary, "")
    (binary / "label.yaml").write_bytes(b"\xff\xfe\x00expected_verdict: benign")
    with pytest.raises(InputError, match="not UTF-8"):
        read_label(binary)


def test_dir_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        find_cases([path])


def test_label_text_is_inert(tmp_path: Path) -> None:
    name = "\x1b[31mred\x1b]0;title\x07 rtl\u202egpj.exe [link=https://evil.example]x"
    folder = case(
        tmp_path / "c",
        f'expected_verdict: benign\nid: "{name}"\nformat: "f[/red]"\n'.replace(
            "\x1b", "\\e"
        ).replace("\x07", "\\a"),
    )
    label = read_label(folder)
    assert "\x1b" not in label.case_id and "\u202e" not in label.case_id
    assert "\\x1b" in label.case_id and "\\u202e" in label.case_id
    assert "\\[link=" in label.case_id and label.format == "f\\[/red]"
    assert plain("a\u200bb") == "a\\u200bb"
    assert len(inert("y" * 10_000)) == 200


def test_case_id_of_the_current_folder_is_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = case(tmp_path / "CASE-7", "expected_verdict: benign\n")
    monkeypatch.chdir(folder)
    assert read_label(Path(".")).case_id == "CASE-7"


def test_error_rows_are_one_inert_line(tmp_path: Path) -> None:
    from triage.eval.runner import MAX_ERROR_CHARS

    label = read_label(case(tmp_path / "c", "expected_verdict: benign\n"))
    row = case_row(CaseResult(label=label, seconds=0.0, error=inert("a b\x1b[2J", limit=50)))
    assert row.error == "a b\\x1b[2J"
    assert MAX_ERROR_CHARS >= 100


def test_run_case_failure_row_for_a_folder_without_artifacts(tmp_path: Path) -> None:
    from triage.eval.metrics import scorecard
    from triage.eval.runner import run_case
    from triage.settings import Settings

    folder = case(tmp_path / "x\x1b[2Jy", "expected_verdict: benign\n")
    (folder / MAIL.name).unlink()
    result = run_case(read_label(folder), deps=None, settings=Settings())  # type: ignore[arg-type]
    assert result.error is not None and "\x1b" not in result.error
    assert "no artifact files" in result.error
    assert "\x1b" not in render_scorecard_markdown(scorecard([result]))


@pytest.mark.usefixtures("cli_environment")
def test_markup_in_label_text_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rich used to read `[/red]` in a label's format as a closing tag: exit 70 after every
    case had run. Now the text is shown as written, in the table and in Markdown."""
    root = tmp_path / "cases"
    case(root / "[link=https:evil.example]click", 'expected_verdict: benign\nformat: "f[/red]"\n')
    case(root / "broken", "expected_verdict: benign\n")
    (root / "broken" / MAIL.name).unlink()  # no artifact: a failure row, not a crash
    markdown = tmp_path / "card.md"
    code = main(["eval", str(root), "--markdown", str(markdown)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "f[/red]" in out and "[link=https:evil.example]click" in out
    assert "error: " in out and "no artifact files" in out
    assert "\\[link=https:evil.example]click" in markdown.read_text()
