"""What a batch is made of: the case folders of a folder, or the alerts of a JSON Lines file
or stdin, one item each, numbered in input order."""

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from triage.errors import InputError
from triage.ingest.limits import Limits

STDIN = "-"


@dataclass(frozen=True, kw_only=True)
class BatchItem:
    """One incident to triage: a case folder, or one alert's bytes (its JSON Lines line).

    `problem` is set when the item could not even be read (an over-long line): the worker
    then answers with an error record instead of a report.
    """

    index: int
    label: str
    case_dir: Path | None = None
    alert: bytes | None = None
    problem: str | None = None


def read_items(source: str, limits: Limits) -> Iterator[BatchItem]:
    """The items of `source` in input order, read lazily (a JSON Lines file is streamed)."""
    if source == STDIN:
        yield from _alert_lines(sys.stdin.buffer, name="<stdin>", limits=limits)
        return
    path = Path(source)
    if path.is_symlink():
        raise InputError("is a symbolic link; links are not followed", source=source)
    if path.is_dir():
        yield from _case_folders(path, limits)
        return
    if not path.is_file():
        raise InputError("no such file or folder", source=source)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from exc
    with handle:
        yield from _alert_lines(handle, name=path.name, limits=limits)


def _case_folders(folder: Path, limits: Limits) -> Iterator[BatchItem]:
    cases = sorted(
        child
        for child in folder.iterdir()
        if child.is_dir() and not child.is_symlink() and not child.name.startswith(".")
    )
    if not cases:
        raise InputError(
            "no case folders in it (batch takes a folder of case folders; "
            "for one case use `triage run`)",
            source=str(folder),
        )
    if len(cases) > limits.max_files:
        raise InputError(f"more than {limits.max_files:,} case folders (limit)", source=str(folder))
    for index, case in enumerate(cases):
        yield BatchItem(index=index, label=str(case), case_dir=case)


def _alert_lines(stream: BinaryIO, *, name: str, limits: Limits) -> Iterator[BatchItem]:
    """One item per non-blank line; a line over the line cap is an item with a problem, and
    the rest of that line is skipped without holding it in memory."""
    index = 0
    number = 0
    while True:
        line = stream.readline(limits.max_line_bytes + 1)
        if not line:
            return
        number += 1
        label = f"{name}:{number}"
        if len(line) > limits.max_line_bytes and not line.endswith(b"\n"):
            while (rest := stream.readline(limits.max_line_bytes + 1)) and not rest.endswith(b"\n"):
                pass
            limit_kb = limits.max_line_bytes // 1024
            yield BatchItem(index=index, label=label, problem=f"line over the {limit_kb:,} KB cap")
            index += 1
            continue
        if not line.strip():
            continue
        if index >= limits.max_records:
            raise InputError(f"more than {limits.max_records:,} alerts (limit)", source=name)
        yield BatchItem(index=index, label=label, alert=line.strip())
        index += 1
