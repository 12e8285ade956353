"""`triage batch`: many incidents, one JSON line each on stdout, progress and summary on stderr."""

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from triage.cli.app import app, check_writable, settings_from
from triage.errors import ConfigError, InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from triage.batch.items import BatchItem
    from triage.batch.runner import Backend, BatchSummary
    from triage.batch.worker import WorkerConfig


def _backend(config: "WorkerConfig", *, jobs: int, ray: str | None) -> "Backend":
    from triage.batch.runner import InProcessBackend, ProcessPoolBackend

    if ray is not None:
        from triage.batch.ray_backend import RayBackend

        return RayBackend(config, address=ray, workers=jobs)
    if jobs == 1:
        return InProcessBackend(config)
    return ProcessPoolBackend(config, jobs=jobs)


class _Progress:
    """At most one update a second: a rewritten line on a terminal, plain lines elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.terminal = stream.isatty()
        self.last = 0.0

    def __call__(self, summary: "BatchSummary") -> None:
        now = time.monotonic()
        if now - self.last < 1.0:
            return
        self.last = now
        text = (
            f"triage batch: {summary.items:,} done, {summary.failures:,} failed, "
            f"{summary.rate:.1f} items/s"
        )
        self.stream.write(f"\r{text}\x1b[K" if self.terminal else text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.terminal and self.last:
            self.stream.write("\r\x1b[K")


@app.command()
def batch(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT", help="A folder of case folders, a JSON Lines file of alerts, or -."
        ),
    ],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=256, help="Worker processes (Ray actors).")
    ] = 1,
    ray: Annotated[
        str | None,
        typer.Option(
            help="Run on Ray actors: a cluster address (auto, ray://host:10001) or 'local'."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON lines to FILE.")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Skip items that already have a report in FILE (a previous output)."),
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="e.g. 'severity>=high' (exit 1 if any item).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds per item; slower items fail (exit 3).")
    ] = None,
    engine: Annotated[str | None, typer.Option(help="auto, rules or agent.")] = None,
    model: Annotated[str | None, typer.Option(help="OpenAI-compatible model name.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No network egress.")] = False,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra Sigma rule folder (repeatable).")
    ] = None,
    no_rule_packs: Annotated[
        bool, typer.Option("--no-rule-packs", help="Do not use the installed rule packs.")
    ] = False,
    max_file_mb: Annotated[
        int | None, typer.Option(min=1, help="Per-artifact size limit in MB (default 100).")
    ] = None,
    show_progress: Annotated[
        bool, typer.Option("--progress", help="Progress on stderr also when it is not a terminal.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Nothing on stderr but errors.")] = (
        False
    ),
) -> None:
    """Triage many incidents: one JSON line per item, in input order (docs/batch.md)."""
    from triage.batch.deadline import check_timeout
    from triage.batch.items import read_items
    from triage.batch.runner import done_items, run_batch
    from triage.batch.worker import WorkerConfig
    from triage.failon import parse_fail_on
    from triage.settings import ENGINES

    conditions = parse_fail_on(fail_on) if fail_on else ()
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    check_timeout(timeout)
    check_writable(output)
    if output is not None:
        _refuse_output_into_input(source, output)
    settings = settings_from(
        engine=engine,
        model=model,
        offline=offline or None,
        rules_dirs=tuple(rules or ()),
        rule_packs=False if no_rule_packs else None,
        max_file_bytes=None if max_file_mb is None else max_file_mb * 1024 * 1024,
    )
    if settings.engine == "agent" and not settings.model:
        raise ConfigError("--engine agent needs a model: set --model or TRIAGE_MODEL")
    skip = done_items(resume) if resume is not None else frozenset()
    items = read_items(source, settings.limits)
    first = next(items, None)  # an unreadable INPUT fails now, before any worker starts
    config = WorkerConfig(settings=settings, conditions=conditions, timeout=timeout)
    wants_progress = not quiet and (show_progress or sys.stderr.isatty())
    progress = _Progress(sys.stderr) if wants_progress else None
    # Appending to the resumed file keeps every finished record even if this run is cut short.
    appending = resume is not None and output is not None and _same_file(resume, output)
    sink = sys.stdout if output is None else _open_output(output, append=appending)
    try:
        if jobs > 1:  # workers on this machine share its index: refresh it once, here
            from triage.batch.prepare import prepare_index

            prepare_index(settings)
        backend = _backend(config, jobs=jobs, ray=ray)
        summary = run_batch(
            () if first is None else _chain(first, items),
            backend=backend,
            sink=sink,
            skip=skip,
            progress=progress,
        )
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly; exit 3, like any output that failed.
        _silence_stdout()
        raise typer.Exit(OUTPUT_ERROR) from None
    except OSError as exc:
        if sink is sys.stdout:
            _silence_stdout()
        where = "standard output" if output is None else str(output)
        raise InputError(f"cannot write {where}: {exc.strerror or exc}") from None
    finally:
        if progress is not None:
            progress.finish()
        if sink is not sys.stdout:
            _close(sink)
    if not quiet:
        sys.stderr.write(summary.line() + "\n")
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)


def _chain(first: "BatchItem", rest: "Iterator[BatchItem]") -> "Iterator[BatchItem]":
    yield first
    yield from rest


OUTPUT_ERROR = 3
"""The output could not be written (disk full, reader gone): docs/batch.md."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): the same only by name
        return a.resolve() == b.resolve()


def _refuse_output_into_input(source: str, output: Path) -> None:
    """-o onto INPUT (through any symlink), or into an INPUT folder, would truncate the input
    and then read back its own output: refused before anything is opened."""
    if source == "-":
        return
    given = Path(source)
    if _same_file(given, output):
        raise UsageError(f"output is the input: {output}")
    if given.is_dir():
        folder = given.resolve()
        target = output.resolve()
        if target == folder or folder in target.parents:
            raise UsageError(f"output is the input: {output} is inside the INPUT folder")


def _open_output(path: Path, *, append: bool) -> TextIO:
    try:
        if append:
            _end_with_newline(path)
        return path.open("a" if append else "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _end_with_newline(path: Path) -> None:
    """A run cut short may leave a torn last line: new records start on a line of their own
    (resume ignores the torn one)."""
    try:
        handle = path.open("rb+")
    except FileNotFoundError:
        return
    with handle:
        end = handle.seek(0, os.SEEK_END)
        if end == 0:
            return
        handle.seek(end - 1)
        if handle.read(1) != b"\n":
            handle.write(b"\n")


def _close(sink: TextIO) -> None:
    """Every record was flushed as it was written, so a failing close loses nothing new: a
    write error, if any, was already reported."""
    with contextlib.suppress(OSError):
        sink.close()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's own flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
