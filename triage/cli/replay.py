"""`triage replay`: re-run recorded bundles offline, or live under another configuration, and
print what changed in the report (docs/bundles.md)."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from triage.cli.app import FormatOpt, OutputOpt, app, check_writable, pick_format, settings_from
from triage.errors import ExitCode, TriageError, UsageError

if TYPE_CHECKING:
    from triage.replay.play import Replayed


@app.command()
def replay(
    target: Annotated[Path, typer.Argument(metavar="BUNDLE|DIR", help="A bundle, or a folder.")],
    check: Annotated[
        bool, typer.Option("--check", help="Compare with the recorded report; exit 1 on a change.")
    ] = False,
    engine: Annotated[
        str | None, typer.Option(help="Re-run live with this engine (auto, rules, agent).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Re-run live with this model.")] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Re-run live with this extra Sigma rule folder (repeatable)."),
    ] = None,
    inputs_from: Annotated[
        Path | None,
        typer.Option(
            "--inputs-from", help="Folder holding the original files of a --no-copy bundle."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the diffs as JSON.")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Re-run recorded bundles from their recorded tool and model traffic (strict, no network),
    or live with --engine/--model/--rules, and show the difference from the recorded report.

    Exit 0: no change (or no --check). 1: a report changed. 3: a bundle is damaged or was
    altered. 5: strict replay met a call the bundle did not record."""
    from triage.replay.bundle import find_bundles, open_bundle
    from triage.replay.play import DepsCache, LiveChange, replay_bundle
    from triage.settings import ENGINES

    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    change = LiveChange(engine=engine, model=model, rules_dirs=tuple(rules or ()))
    compare = check or not change.empty
    if not target.exists():
        raise UsageError(f"no such bundle or folder: {target}")
    folders = find_bundles(target)
    if not folders:
        raise TriageError("no run bundles (manifest.json) here", source=str(target))
    if not compare:
        if len(folders) > 1:
            raise UsageError("a folder of bundles needs --check (or --engine/--model/--rules)")
        chosen = pick_format(fmt, output)
        check_writable(output)
        from triage.cli.app import write_report

        done = replay_bundle(
            open_bundle(folders[0]), current=settings_from(), inputs_from=inputs_from
        )
        write_report(done.replayed, chosen, output)
        return
    current = settings_from()
    cache = DepsCache()
    changed = errors = 0
    worst = ExitCode.OK
    results: list[dict[str, Any]] = []
    for folder in folders:
        try:
            done = replay_bundle(
                open_bundle(folder),
                current=current,
                change=change,
                cache=cache,
                inputs_from=inputs_from,
            )
        except TriageError as exc:
            if len(folders) == 1:
                raise
            sys.stderr.write(f"triage: replay: error: {_inert(str(exc))}\n")
            worst = max(worst, exc.exit_code)
            errors += 1
            results.append({"bundle": str(folder), "error": str(exc)})
            continue
        changed += _show(done, json_out=json_out, results=results)
    if json_out:
        import json

        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    elif len(folders) > 1:
        sys.stdout.write(f"{len(folders)} bundles: {changed} changed, {errors} error(s)\n")
    if worst != ExitCode.OK:
        raise typer.Exit(worst)
    if changed:
        raise typer.Exit(ExitCode.FAIL_ON_MET)


def _show(done: "Replayed", *, json_out: bool, results: list[dict[str, Any]]) -> int:
    from triage.replay.diff import diff_reports

    diff = diff_reports(done.recorded, done.replayed)
    name = done.bundle.name
    if json_out:
        results.append(
            {
                "bundle": name,
                "live": done.live,
                "identical": diff.identical,
                "changes": [c.model_dump() for c in diff.changes],
            }
        )
    else:
        state = "identical" if diff.identical else f"{len(diff.changes)} change(s)"
        sys.stdout.write(f"{_inert(name)}: {state}\n")
        for change in diff.changes:
            sys.stdout.write(f"  {_inert(change.line())}\n")
    return 0 if diff.identical else 1


def _inert(text: str) -> str:
    from triage.render import safe_text

    return safe_text(text)
