"""Commands on one incident and its report: run, verify, render, schema."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from triage.cli.app import (
    FormatOpt,
    OutputOpt,
    app,
    check_writable,
    pick_format,
    settings_from,
    stderr_console,
    write_report,
)
from triage.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from triage.models import TriageReport

    TriagePaths = Callable[..., TriageReport]


@app.command()
def run(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, or - for stdin.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    engine: Annotated[str | None, typer.Option(help="auto, rules or agent.")] = None,
    model: Annotated[
        str | None, typer.Option(help="OpenAI-compatible model name (env TRIAGE_MODEL).")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No network egress.")] = False,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra Sigma rule folder (repeatable).")
    ] = None,
    no_rule_packs: Annotated[
        bool, typer.Option("--no-rule-packs", help="Do not use the installed rule packs.")
    ] = False,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="e.g. 'severity>=high' or 'classification=true_positive'."),
    ] = None,
    max_file_mb: Annotated[
        int | None, typer.Option(min=1, help="Per-artifact size limit in MB (default 100).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    no_fallback: Annotated[
        bool,
        typer.Option("--no-fallback", help="Fail (exit 5) instead of falling back to rules."),
    ] = False,
    llm_timeout: Annotated[
        float | None, typer.Option(min=1, help="Wall-time budget of the agent in seconds.")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Most model turns the agent may take (default 8).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Give up after SECONDS (exit 3, one line).")
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Also write a replayable run bundle to DIR (triage replay)."),
    ] = None,
    no_copy: Annotated[
        bool, typer.Option("--no-copy", help="Bundle: record input hashes, not copies.")
    ] = False,
) -> None:
    """Triage one incident from its artifacts and print the report."""
    from triage.batch.deadline import check_timeout, time_limit
    from triage.failon import failed_conditions, parse_fail_on
    from triage.pipeline import triage_paths
    from triage.settings import ENGINES

    check_timeout(timeout)
    conditions = parse_fail_on(fail_on) if fail_on else ()
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    chosen = pick_format(fmt, output)
    check_writable(output)
    settings = settings_from(
        engine=engine,
        model=model,
        offline=offline or None,
        rules_dirs=tuple(rules or ()),
        rule_packs=False if no_rule_packs else None,
        max_file_bytes=None if max_file_mb is None else max_file_mb * 1024 * 1024,
        no_fallback=no_fallback or None,
        llm_timeout=llm_timeout,
        max_steps=max_steps,
    )
    triage_paths = _bundled(triage_paths, bundle, copy_inputs=not no_copy)
    console = stderr_console()
    if not quiet and console.is_terminal:
        with console.status("triage: starting", spinner="dots") as status, time_limit(timeout):
            report = triage_paths(
                paths, settings=settings, progress=lambda msg: status.update(f"triage: {msg}")
            )
    else:
        with time_limit(timeout):
            report = triage_paths(paths, settings=settings)
    if report.run.fallback_reason:
        # Said even with --quiet: the report is not the engine the user asked for.
        console.print(f"triage: warning: {report.run.fallback_reason}", markup=False)
    write_report(report, chosen, output)
    if output is not None and not quiet:
        console.print(f"triage: report written to {output}")
    met = failed_conditions(report, conditions)
    if met:
        if not quiet:
            console.print(f"triage: --fail-on met: {', '.join(met)}")
        raise typer.Exit(ExitCode.FAIL_ON_MET)


def _bundled(
    triage_paths: "TriagePaths", bundle: Path | None, *, copy_inputs: bool
) -> "TriagePaths":
    """`triage run` as it is, or recording a bundle of the run when --bundle is given."""
    if bundle is None:
        return triage_paths
    from functools import partial

    from triage.replay.record import record_run

    return partial(record_run, folder=bundle, copy_inputs=copy_inputs)


@app.command()
def verify(
    report_path: Annotated[Path, typer.Argument(metavar="REPORT.json")],
    base: Annotated[
        Path | None, typer.Option(help="Folder artifact paths are relative to (default: cwd).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Re-open the artifacts and re-check every cited locator and quote."""
    import json

    from triage.verify import read_report, verify_report

    settings = settings_from()
    report = read_report(report_path)
    result = verify_report(report, base=base or Path.cwd(), limits=settings.limits)
    if json_out:
        payload = {
            "ok": result.ok,
            "checked": result.checked,
            "skipped": result.skipped,
            "mismatches": [
                {"evidence_id": m.evidence_id, "problem": m.problem} for m in result.mismatches
            ],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for mismatch in result.mismatches:
            sys.stdout.write(f"MISMATCH {mismatch}\n")
        state = "OK" if result.ok else "FAILED"
        sys.stdout.write(
            f"{state}: {result.checked} artifact citations checked, {len(result.mismatches)} "
            f"mismatches, {result.skipped} non-artifact citations\n"
        )
    if not result.ok:
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the report."""
    import json

    from triage.models import TriageReport

    sys.stdout.write(json.dumps(TriageReport.model_json_schema(), indent=2) + "\n")


@app.command()
def render(
    report_path: Annotated[Path, typer.Argument(metavar="REPORT.json")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Re-render a saved JSON report (rich, json, md, html, ocsf, stix or thehive)."""
    from triage.verify import read_report

    chosen = pick_format(fmt, output)
    check_writable(output)
    write_report(read_report(report_path), chosen, output)
