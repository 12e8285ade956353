"""The command line: parses arguments, builds settings and dependencies, maps errors to exit codes.

Thin by design: every command hands off to a domain module imported inside the command, so
`triage --help` stays fast and never loads langchain, chromadb or the parsers.
"""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from triage import __version__
from triage.errors import ExitCode, TriageError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from triage.models import TriageReport
    from triage.settings import Settings

app = typer.Typer(
    name="triage",
    help="Incident triage from security artifacts: a cited report, offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
playbooks_app = typer.Typer(
    help="The playbook library: list, show, search, lint.", no_args_is_help=True
)
tools_app = typer.Typer(help="The investigation tools the engines can call.", no_args_is_help=True)
app.add_typer(playbooks_app, name="playbooks")
app.add_typer(tools_app, name="tools")

INTERNAL_ERROR = 70  # a bug in triage itself, not the input: see --debug


def _stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout() -> "Console":
    from rich.console import Console

    return Console(highlight=False)


def _settings(**flags: Any) -> "Settings":
    from triage.settings import load_settings

    return load_settings(**flags)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc


def _pick_format(fmt: str | None, output: Path | None) -> str:
    from triage.render import FORMATS, SUFFIX_FORMATS

    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    if output is not None:
        return SUFFIX_FORMATS.get(output.suffix.lower(), "json")
    return "rich" if sys.stdout.isatty() else "json"


def _write_report(report: "TriageReport", fmt: str, output: Path | None) -> None:
    if fmt == "rich":
        from triage.render.rich import render_rich

        if output is None:
            _stdout().print(render_rich(report))
            return
        from rich.console import Console

        with output.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=120, no_color=True).print(render_rich(report))
        return
    from triage.render import render_text

    _emit(render_text(report, "json" if fmt == "json" else "md"), output)


FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", help="rich, json or md (default: rich on a terminal, json otherwise)."
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to FILE (format from its suffix)."),
]


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
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="e.g. 'severity>=high' or 'classification=true_positive'."),
    ] = None,
    max_file_mb: Annotated[
        int | None, typer.Option(help="Per-artifact size limit in MB (default 100).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Triage one incident from its artifacts and print the report."""
    from triage.failon import failed_conditions, parse_fail_on
    from triage.pipeline import triage_paths

    conditions = parse_fail_on(fail_on) if fail_on else ()
    chosen = _pick_format(fmt, output)
    settings = _settings(
        engine=engine,
        model=model,
        offline=offline or None,
        rules_dirs=tuple(rules or ()),
        max_file_bytes=max_file_mb * 1024 * 1024 if max_file_mb else None,
    )
    console = _stderr()
    if not quiet and console.is_terminal:
        with console.status("triage: starting", spinner="dots") as status:
            report = triage_paths(
                paths, settings=settings, progress=lambda msg: status.update(f"triage: {msg}")
            )
    else:
        report = triage_paths(paths, settings=settings)
    _write_report(report, chosen, output)
    if output is not None and not quiet:
        console.print(f"triage: report written to {output}")
    met = failed_conditions(report, conditions)
    if met:
        if not quiet:
            console.print(f"triage: --fail-on met: {', '.join(met)}")
        raise typer.Exit(ExitCode.FAIL_ON_MET)


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

    settings = _settings()
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
    """Re-render a saved JSON report (rich, md or json)."""
    from triage.verify import read_report

    _write_report(read_report(report_path), _pick_format(fmt, output), output)


@app.command()
def index(
    dirs: Annotated[
        list[Path] | None, typer.Argument(help="Extra playbook folders to index.")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the index and embed everything again.")
    ] = False,
) -> None:
    """Build or refresh the playbook index (only changed files are re-embedded)."""
    from triage.knowledge.indexer import build_index
    from triage.wiring import knowledge_config

    settings = _settings(playbook_dirs=tuple(dirs or ()))
    config = knowledge_config(settings)
    console = _stderr()
    if console.is_terminal:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("embedding playbooks", total=None)

            def advance(done: int, total: int, playbook_id: str) -> None:
                bar.update(task, completed=done, total=total, description=playbook_id)

            stats = build_index(config, rebuild=rebuild, progress=advance)
    else:
        stats = build_index(config, rebuild=rebuild)
    where = config.chroma_url or str(config.chroma_path)
    sys.stdout.write(
        f"indexed {stats.files_seen} playbook files into {where}: {stats.files_changed} embedded, "
        f"{stats.files_removed} removed, {stats.chunks} sections, {stats.seconds:.2f}s\n"
    )


@playbooks_app.command("list")
def playbooks_list(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the playbooks in the library."""
    import json

    from triage.knowledge.lint import load_playbooks
    from triage.wiring import playbook_dirs

    books = load_playbooks(playbook_dirs(_settings()))
    if json_out:
        rows = [
            {
                "id": b.id,
                "title": b.title,
                "version": b.version,
                "techniques": list(b.scope.techniques),
            }
            for b in books
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table("id", "title", "version", "techniques")
    for book in books:
        table.add_row(book.id, book.title, book.version, ", ".join(book.scope.techniques))
    _stdout().print(table)


@playbooks_app.command("show")
def playbooks_show(
    playbook_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one playbook, section by section."""
    from typing import get_args

    from triage.knowledge.lint import load_playbooks
    from triage.knowledge.playbook import SectionName
    from triage.wiring import playbook_dirs

    books = {b.id: b for b in load_playbooks(playbook_dirs(_settings()))}
    book = books.get(playbook_id)
    if book is None:
        raise UsageError(f"no playbook {playbook_id!r}; see 'triage playbooks list'")
    if json_out:
        sys.stdout.write(book.model_dump_json(indent=2) + "\n")
        return
    from rich.markdown import Markdown

    text = [f"# {book.title} ({book.id} v{book.version})", ""]
    for section in get_args(SectionName):
        body = book.section_text(section)
        if body:
            text += [f"## {section} — `{book.id}#{section}`", "", body, ""]
    _stdout().print(Markdown("\n".join(text)))


@playbooks_app.command("search")
def playbooks_search(
    query: Annotated[str, typer.Argument()],
    technique: Annotated[
        list[str] | None, typer.Option("--technique", "-t", help="ATT&CK id to boost (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hybrid (meaning + words + ATT&CK) search over the playbook sections."""
    import json

    from triage.knowledge.search import open_knowledge
    from triage.wiring import knowledge_config

    hits = open_knowledge(knowledge_config(_settings())).search(
        query, techniques=tuple(technique or ()), limit=limit
    )
    if json_out:
        rows = [{"ref": h.ref, **h.model_dump(mode="json")} for h in hits]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table("score", "ref", "title", "text")
    for hit in hits:
        table.add_row(f"{hit.score:.4f}", hit.ref, hit.title, Text(hit.text[:240]))
    _stdout().print(table)


@playbooks_app.command("lint")
def playbooks_lint(
    dirs: Annotated[
        list[Path] | None,
        typer.Argument(help="Folders or files (default: the configured library)."),
    ] = None,
) -> None:
    """Validate playbook files; errors are printed as path:line:column: message."""
    from triage.knowledge.lint import lint_playbooks
    from triage.wiring import playbook_dirs

    report = lint_playbooks(tuple(dirs) if dirs else playbook_dirs(_settings()))
    for error in report.errors:
        sys.stdout.write(f"{error}\n")
    sys.stdout.write(f"{len(report.playbooks)} playbooks valid, {len(report.errors)} problems\n")
    if report.errors:
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command()
def enrich(
    value: Annotated[str, typer.Argument(help="An IP, domain, URL, email, hash, command line, …")],
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help="Observable type (default: detected).")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No network egress.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run the enrichment tools on one observable (defanged input is accepted)."""
    import json

    from triage.enrich import build_service, enrich_value
    from triage.observables import defang
    from triage.wiring import enrichment_config

    service = build_service(enrichment_config(_settings(offline=offline or None)))
    observable, results = enrich_value(value, type=type_, service=service)
    if json_out:
        payload = {
            "observable": observable.model_dump(mode="json"),
            "results": [r.model_dump(mode="json") for r in results],
            "health": [h.model_dump(mode="json") for h in service.health()],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table("provider", "status", "verdict", "score", "summary", "data age")
    table.title = Text(f"{observable.type} {defang(observable.value, observable.type)}")
    for result in results:
        score = "" if result.score is None else f"{result.score:g}"
        table.add_row(
            result.provider,
            result.status,
            result.verdict or "",
            score,
            Text(result.summary),
            result.data_age or "",
        )
    _stdout().print(table)


@tools_app.command("list")
def tools_list(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The enrichment providers, detection and knowledge tools, and whether each is ready."""
    import json

    from triage.wiring import investigation_tools

    tools = investigation_tools(_settings())
    if json_out:
        sys.stdout.write(json.dumps([t._asdict() for t in tools], indent=2) + "\n")
        return
    from rich.table import Table

    table = Table("tool", "kind", "observable types", "status", "what it does")
    for tool in tools:
        table.add_row(
            tool.name, tool.kind, ", ".join(tool.observable_types), tool.status, tool.description
        )
    _stdout().print(table)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"triage {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Incident triage from security artifacts: a cited report, offline by default."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one line on stderr and a documented exit code.

    Typer reports usage errors itself (exit 2); triage's own errors carry their exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("TRIAGE_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    try:
        app(args=args, prog_name="triage", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TriageError as exc:
        if debug:
            raise
        sys.stderr.write(f"triage: error: {exc}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("triage: interrupted\n")
        return 130
    except Exception as exc:
        if debug:
            raise
        name = type(exc).__name__
        sys.stderr.write(f"triage: internal error: {name}: {exc} (rerun with --debug)\n")
        return INTERNAL_ERROR
    return ExitCode.OK
