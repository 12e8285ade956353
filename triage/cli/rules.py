"""Commands on Sigma rule packs: rules install, list, remove, coverage, update."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from triage.cli.app import rules_app, settings_from, stdout_console
from triage.errors import UsageError

if TYPE_CHECKING:
    from triage.detect.packs import PackManifest

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Pack name (default: sigmahq for SigmaHQ).")
]


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items(), key=lambda i: -i[1]))


def _report_install(manifest: "PackManifest") -> None:
    skipped = sum(manifest.skipped.values())
    sys.stdout.write(
        f"installed rule pack {manifest.name} {manifest.version} ({manifest.version_from}): "
        f"{manifest.files} rule files, {manifest.loaded} rules loaded, {skipped} skipped\n"
    )
    for reason, count in sorted(manifest.skipped.items(), key=lambda item: -item[1]):
        sys.stdout.write(f"  skipped {count:>5}  {reason}\n")


@rules_app.command("install")
def install(
    source: Annotated[Path, typer.Argument(help="A Sigma rule folder or a SigmaHQ release zip.")],
    name: NameOpt = None,
) -> None:
    """Install a SigmaHQ checkout, release zip or rule folder as a pack used by every run."""
    from triage.detect.packs import install_pack

    settings = settings_from()
    _report_install(install_pack(source, home=settings.home, name=name))


@rules_app.command("update")
def update(
    url: Annotated[
        str | None, typer.Option("--url", help="Release zip URL (default: SigmaHQ's latest core).")
    ] = None,
    name: NameOpt = None,
    offline: Annotated[bool, typer.Option("--offline", help="Refuse: this command is online.")] = (
        False
    ),
) -> None:
    """Download a SigmaHQ release zip and install it (the only command that goes online)."""
    import tempfile

    from triage.detect.packs import SIGMAHQ_LATEST, download_release, install_pack

    settings = settings_from(offline=offline or None)
    if settings.offline:
        raise UsageError("`triage rules update` downloads rules; it cannot run --offline")
    with tempfile.TemporaryDirectory(prefix="triage-rules-") as folder:
        archive = download_release(url or SIGMAHQ_LATEST, Path(folder))
        _report_install(install_pack(archive, home=settings.home, name=name or "sigmahq"))


@rules_app.command("list")
def list_packs(json_out: JsonOpt = False) -> None:
    """The built-in rules and every installed pack: version, rules loaded and skipped."""
    from triage import __version__
    from triage.detect.packs import cache_dir, installed_packs
    from triage.detect.rules import load_rule_set

    settings = settings_from()
    builtin = load_rule_set(cache_dir=cache_dir(settings.home)).stats.packs[0]
    rows: list[dict[str, Any]] = [
        {
            "name": "builtin",
            "version": __version__,
            "files": builtin.files,
            "loaded": builtin.rules,
            "skipped": dict(builtin.skip_reasons),
            "source": "triage",
            "installed_at": None,
        }
    ]
    for pack in installed_packs(settings.home):
        rows.append(
            {
                "name": pack.name,
                "version": pack.version,
                "files": pack.files,
                "loaded": pack.loaded,
                "skipped": pack.skipped,
                "source": pack.source,
                "installed_at": pack.installed_at,
            }
        )
    if json_out:
        sys.stdout.write(json.dumps({"rule_packs_enabled": settings.rule_packs, "packs": rows}))
        sys.stdout.write("\n")
        return
    from rich.table import Table

    table = Table("name", "version", "rules", "skipped", "source")
    for row in rows:
        table.add_row(
            row["name"],
            str(row["version"]),
            str(row["loaded"]),
            _reasons(row["skipped"]) or "0",
            row["source"],
        )
    stdout_console().print(table)
    if not settings.rule_packs:
        sys.stderr.write("triage: rule packs are disabled (rule_packs / TRIAGE_RULE_PACKS)\n")


@rules_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The installed pack to remove.")]) -> None:
    """Remove an installed rule pack."""
    from triage.detect.packs import remove_pack

    remove_pack(settings_from().home, name)
    sys.stdout.write(f"removed rule pack {name}\n")


@rules_app.command("coverage")
def coverage(
    pack: Annotated[
        str | None, typer.Option("--pack", help="Only this pack ('builtin' for the built-ins).")
    ] = None,
    json_out: JsonOpt = False,
    navigator: Annotated[
        Path | None, typer.Option("--navigator", help="Write an ATT&CK Navigator layer here.")
    ] = None,
) -> None:
    """ATT&CK techniques and tactics the rules cover, and rules per logsource."""
    from triage.cli.app import emit
    from triage.detect.attack_coverage import navigator_layer, rule_coverage
    from triage.detect.packs import cache_dir, installed_packs, pack_sources
    from triage.detect.rules import load_rule_set

    settings = settings_from()
    names = [m.name for m in installed_packs(settings.home)]
    if pack is not None and pack != "builtin" and pack not in names:
        raise UsageError(f"no rule pack named {pack!r} is installed")
    rule_set = load_rule_set(
        builtin=pack in (None, "builtin"),
        packs=pack_sources(settings.home, None if pack is None else [pack]),
        cache_dir=cache_dir(settings.home),
    )
    found = rule_coverage(rule_set.rules)
    if navigator is not None:
        layer = navigator_layer(found, name=f"triage rules: {pack or 'all packs'}")
        emit(json.dumps(layer, indent=2) + "\n", navigator)
    if json_out:
        sys.stdout.write(json.dumps({"pack": pack or "all", **found.as_dict()}, indent=2) + "\n")
        return
    sys.stdout.write(f"{found.rules} rules cover {len(found.techniques)} ATT&CK techniques\n")
    for title, counts in (
        ("tactic", found.tactics),
        ("product", found.products),
        ("category", found.categories),
        ("service", found.services),
    ):
        sys.stdout.write(f"\nrules per {title}:\n")
        for key, count in list(counts.items())[:25]:
            sys.stdout.write(f"  {count:>6}  {key}\n")
        if len(counts) > 25:
            sys.stdout.write(f"  … and {len(counts) - 25} more (--json for all)\n")
    if navigator is not None:
        sys.stdout.write(f"\nATT&CK Navigator layer written to {navigator}\n")
