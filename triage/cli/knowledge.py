"""Commands on the playbook library: index, and playbooks list, show, search, lint."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.app import app, playbooks_app, settings_from, stderr_console, stdout_console
from triage.errors import ExitCode, UsageError


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

    settings = settings_from(playbook_dirs=tuple(dirs or ()))
    config = knowledge_config(settings)
    console = stderr_console()
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

    books = load_playbooks(playbook_dirs(settings_from()))
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
    stdout_console().print(table)


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

    books = {b.id: b for b in load_playbooks(playbook_dirs(settings_from()))}
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
    stdout_console().print(Markdown("\n".join(text)))


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

    hits = open_knowledge(knowledge_config(settings_from())).search(
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
    stdout_console().print(table)


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

    report = lint_playbooks(tuple(dirs) if dirs else playbook_dirs(settings_from()))
    for error in report.errors:
        sys.stdout.write(f"{error}\n")
    sys.stdout.write(f"{len(report.playbooks)} playbooks valid, {len(report.errors)} problems\n")
    if report.errors:
        raise typer.Exit(ExitCode.CHECK_FAILED)
