"""`triage eval`: score triage against labelled case folders; tables, --json, --markdown, gates."""

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.app import app, emit, settings_from, stderr_console, stdout_console
from triage.errors import ExitCode, UsageError


@app.command(name="eval")
def evaluate(
    dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="DIR...", help="A case folder, or a folder of case folders.", exists=True
        ),
    ],
    engine: Annotated[str | None, typer.Option(help="auto, rules or agent.")] = None,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra Sigma rule folder (repeatable).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the scorecard as JSON.")] = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the tables as Markdown to FILE.")
    ] = None,
    gate: Annotated[
        list[str] | None,
        typer.Option(help="METRIC>=X or METRIC<=X (repeatable); exit 1 when one fails."),
    ] = None,
    bundles: Annotated[
        bool,
        typer.Option(
            "--bundles", help="DIR holds run bundles: score their recorded reports, run nothing."
        ),
    ] = False,
) -> None:
    """Run labelled cases through triage and score the verdicts, techniques and citations."""
    from triage.cli.app import check_writable
    from triage.eval.gates import failed_gates, parse_gate
    from triage.eval.labels import attack_renamer, find_cases
    from triage.eval.metrics import scorecard
    from triage.eval.runner import run_cases
    from triage.settings import ENGINES

    gates = [parse_gate(g) for g in gate or ()]
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    check_writable(markdown)
    settings = settings_from(engine=engine, offline=True, rules_dirs=tuple(rules or ()))
    rename = attack_renamer()
    console = stderr_console()
    started = time.monotonic()
    if bundles:
        from triage.eval.bundles import score_bundles

        if engine is not None or rules:
            raise UsageError("--bundles scores recorded reports: --engine and --rules do not apply")
        results = score_bundles(dirs, settings=settings, rename=rename)
    elif console.is_terminal:
        labels = find_cases(dirs, rename=rename)
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("triage eval", total=len(labels))
            results = run_cases(
                labels,
                settings=settings,
                rename=rename,
                on_case=lambda r: progress.update(task, advance=1, description=r.label.case_id),
            )
    else:
        results = run_cases(find_cases(dirs, rename=rename), settings=settings, rename=rename)
    card = scorecard(results)
    errors = card.totals.errors
    console.print(
        f"triage: eval: {len(results)} cases in {time.monotonic() - started:.1f}s, "
        f"{errors} error(s)",
        markup=False,
    )
    if json_out:
        sys.stdout.write(card.model_dump_json(indent=2) + "\n")
    else:
        from triage.render.scorecard import render_scorecard_rich

        out = stdout_console()
        if not out.is_terminal:
            out.width = 200  # a file or a CI log: no terminal to fit, keep one line per case
        out.print(render_scorecard_rich(card))
    if markdown is not None:
        from triage.render.scorecard import render_scorecard_markdown

        emit(render_scorecard_markdown(card), markdown)
    failed = failed_gates(gates, card.totals)
    for line in failed:
        console.print(f"triage: eval: gate failed: {line}", markup=False)
    if failed:
        raise typer.Exit(ExitCode.FAIL_ON_MET)
