"""The command line: parses arguments, builds settings and dependencies, maps errors to exit codes.

Thin by design: every command hands off to a domain module imported inside the command, so
`triage --help` stays fast and never loads langchain, chromadb or the parsers.
"""

import os
import sys
from typing import Annotated

import typer

from triage import __version__

# Importing the command modules registers their commands on the app.
from triage.cli import (  # noqa: F401
    batch,
    doctor,
    incident,
    knowledge,
    replay,
    rules,
    tools,
)
from triage.cli import eval as eval_command  # noqa: F401  (registers `triage eval`)
from triage.cli.app import app
from triage.errors import ExitCode, TriageError

INTERNAL_ERROR = 70  # a bug in triage itself, not the input: see --debug


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


def _inert(message: str) -> str:
    """Error text quotes paths and content from the artifacts: keep it from driving the terminal."""
    from triage.render import safe_text

    return safe_text(message)


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
        sys.stderr.write(f"triage: error: {_inert(str(exc))}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("triage: interrupted\n")
        return 130
    except Exception as exc:
        if debug:
            raise
        name = type(exc).__name__
        detail = _inert(str(exc))
        sys.stderr.write(f"triage: internal error: {name}: {detail} (rerun with --debug)\n")
        return INTERNAL_ERROR
    return ExitCode.OK
