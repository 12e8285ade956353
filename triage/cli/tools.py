"""Commands on the investigation tools: enrich one value, list the tools."""

import sys
from typing import Annotated

import typer

from triage.cli.app import app, settings_from, stdout_console, tools_app


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

    service = build_service(enrichment_config(settings_from(offline=offline or None)))
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
    stdout_console().print(table)


@tools_app.command("list")
def tools_list(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The enrichment providers, detection and knowledge tools, and whether each is ready."""
    import json

    from triage.wiring import investigation_tools

    tools = investigation_tools(settings_from())
    if json_out:
        sys.stdout.write(json.dumps([t._asdict() for t in tools], indent=2) + "\n")
        return
    from rich.table import Table

    table = Table("tool", "kind", "observable types", "status", "what it does")
    for tool in tools:
        table.add_row(
            tool.name, tool.kind, ", ".join(tool.observable_types), tool.status, tool.description
        )
    stdout_console().print(table)
