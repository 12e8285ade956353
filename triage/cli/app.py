"""The Typer application, its sub-commands' groups and what every command shares: settings,
consoles (Rich stays in the CLI and render/), output formats and files."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from triage.errors import UsageError

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
rules_app = typer.Typer(
    help="Sigma rule packs (a SigmaHQ checkout or release zip) under TRIAGE_HOME.",
    no_args_is_help=True,
)
app.add_typer(playbooks_app, name="playbooks")
app.add_typer(tools_app, name="tools")
app.add_typer(rules_app, name="rules")

INTERNAL_ERROR = 70  # a bug in triage itself, not the input: see --debug


def stderr_console() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console() -> "Console":
    from rich.console import Console

    return Console(highlight=False)


def settings_from(**flags: Any) -> "Settings":
    """Settings from flags, environment and config files. A triage.toml in the working folder
    is named on stderr: a case folder someone else packed could carry one."""
    from triage.settings import load_settings

    settings = load_settings(**flags)
    for path in settings.config_files:
        if path.parent.resolve() == Path.cwd().resolve():
            sys.stderr.write(f"triage: using configuration from {path}\n")
    return settings


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc


def pick_format(fmt: str | None, output: Path | None) -> str:
    from triage.render import FORMATS, SUFFIX_FORMATS

    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    if output is not None:
        return SUFFIX_FORMATS.get(output.suffix.lower(), "json")
    return "rich" if sys.stdout.isatty() else "json"


def check_writable(output: Path | None) -> None:
    """Refuse an output file that cannot be written before any work is done, not after."""
    if output is None:
        return
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write the report to {output}: no such writable folder or file")


def write_report(report: "TriageReport", fmt: str, output: Path | None) -> None:
    if fmt == "rich":
        from triage.render.rich import render_rich

        if output is None:
            stdout_console().print(render_rich(report))
            return
        from io import StringIO

        from rich.console import Console

        buffer = StringIO()
        Console(file=buffer, width=120, no_color=True).print(render_rich(report))
        emit(buffer.getvalue(), output)
        return
    from typing import cast

    from triage.render import FORMATS, TextFormat, render_text

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    emit(render_text(report, cast(TextFormat, fmt)), output)


FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="rich, json, md, html, ocsf, stix or thehive "
        "(default: rich on a terminal, json otherwise).",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to FILE (format from its suffix)."),
]
