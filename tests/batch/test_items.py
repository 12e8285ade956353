"""Reading a batch: case folders and JSON Lines alerts, in order, with the caps applied."""

from pathlib import Path

import pytest

from triage.batch.items import read_items
from triage.errors import InputError
from triage.ingest.limits import Limits


def test_a_folder_gives_one_item_per_case_folder_in_name_order(tmp_path: Path) -> None:
    for name in ("case-b", "case-a", ".hidden"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "alert.json").write_text("{}")
    (tmp_path / "README.txt").write_text("not a case")
    (tmp_path / "link").symlink_to(tmp_path / "case-a")
    items = list(read_items(str(tmp_path), Limits()))
    assert [Path(i.label).name for i in items] == ["case-a", "case-b"]
    assert [i.index for i in items] == [0, 1]
    assert all(i.case_dir is not None and i.alert is None for i in items)


def test_a_folder_without_case_folders_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "alert.json").write_text("{}")
    with pytest.raises(InputError, match="no case folders"):
        list(read_items(str(tmp_path), Limits()))


def test_json_lines_give_one_item_per_non_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n{"b": 2}\r\nnot json\n')
    items = list(read_items(str(path), Limits()))
    assert [(i.index, i.label) for i in items] == [
        (0, "alerts.jsonl:1"),
        (1, "alerts.jsonl:4"),
        (2, "alerts.jsonl:5"),
    ]
    assert items[1].alert == b'{"b": 2}'
    assert items[2].alert == b"not json"  # judged by the worker, where it becomes an error record


def test_an_over_long_line_is_an_item_with_a_problem_and_the_next_line_survives(
    tmp_path: Path,
) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_bytes(b'{"x": "' + b"A" * 5000 + b'"}\n{"ok": true}\n')
    items = list(read_items(str(path), Limits(max_line_bytes=1024)))
    assert items[0].problem is not None and "cap" in items[0].problem
    assert items[0].alert is None
    assert items[1].alert == b'{"ok": true}' and items[1].label == "alerts.jsonl:2"


def test_too_many_alerts_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_text("{}\n" * 5)
    with pytest.raises(InputError, match="more than 3 alerts"):
        list(read_items(str(path), Limits(max_records=3)))


def test_a_missing_input_or_a_link_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_items(str(tmp_path / "absent.jsonl"), Limits()))
    target = tmp_path / "real.jsonl"
    target.write_text("{}\n")
    (tmp_path / "link.jsonl").symlink_to(target)
    with pytest.raises(InputError, match="symbolic link"):
        list(read_items(str(tmp_path / "link.jsonl"), Limits()))
