"""Configuration: CLI flag > environment (TRIAGE_*, OPENAI_*) > triage.toml > defaults."""

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from triage.errors import ConfigError
from triage.ingest.limits import Limits

Engine = Literal["auto", "rules", "agent"]
ENGINES: tuple[Engine, ...] = ("auto", "rules", "agent")
CONFIG_NAME = "triage.toml"


def _user_dir(env: Mapping[str, str], xdg: str, fallback: str) -> Path:
    base = env.get(xdg) or str(Path.home() / fallback)
    return Path(base) / "triage"


@dataclass(frozen=True, kw_only=True)
class Settings:
    engine: Engine = "auto"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    offline: bool = False
    home: Path = field(default_factory=lambda: _user_dir(os.environ, "XDG_CACHE_HOME", ".cache"))
    """State: the playbook index and caches (TRIAGE_HOME, else the user cache folder)."""
    chroma_url: str | None = None
    playbook_dirs: tuple[Path, ...] = ()
    shipped_playbooks: bool = True
    rules_dirs: tuple[Path, ...] = ()
    rule_packs: bool = True
    """Use the rule packs installed under home/rules (`triage rules install`)."""
    intel_dir: Path | None = None
    protected_brands: tuple[str, ...] = ()
    vt_api_key: str | None = field(default=None, repr=False)
    abuseipdb_api_key: str | None = field(default=None, repr=False)
    limits: Limits = field(default_factory=Limits)
    config_files: tuple[Path, ...] = ()
    # The agent engine (docs/agent.md): endpoint, budgets and fallback.
    azure_endpoint: str | None = None
    azure_api_version: str | None = None
    azure_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 60.0
    """Wall-time budget of one agent run in seconds (each request gets what is left)."""
    llm_retries: int = 2
    max_steps: int = 8
    max_tokens: int = 60_000
    no_fallback: bool = False
    redact_pii: tuple[str, ...] = ()
    """PII classes redacted before text leaves the machine: email, ipv4, phone."""

    @property
    def models(self) -> tuple[str, ...]:
        """TRIAGE_MODEL=small,large: the models the agent tries, in order."""
        return tuple(m.strip() for m in (self.model or "").split(",") if m.strip())

    @property
    def resolved_engine(self) -> Literal["rules", "agent"]:
        if self.engine == "auto":
            return "agent" if self.model else "rules"
        return self.engine

    def with_overrides(self, **overrides: Any) -> "Settings":
        """Apply CLI flags; a None flag means 'not given' and keeps the lower layer."""
        given = {k: v for k, v in overrides.items() if v is not None and v != ()}
        limits = {k: given.pop(k) for k in list(given) if k in Limits.__dataclass_fields__}
        settings = replace(self, **given)
        return replace(settings, limits=replace(settings.limits, **limits)) if limits else settings


def _paths(value: object, *, key: str, base: Path) -> tuple[Path, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{key} must be a path or a list of paths")
    return tuple((base / str(i)).expanduser() for i in items)


# triage.toml keys whose value is used as it is, with the type each must have.
_FILE_SCALARS: dict[str, type] = {
    "engine": str,
    "model": str,
    "base_url": str,
    "chroma_url": str,
    "offline": bool,
    "shipped_playbooks": bool,
    "rule_packs": bool,
    "azure_endpoint": str,
    "azure_api_version": str,
    "no_fallback": bool,
}
_AGENT_NUMBERS: dict[str, type] = {
    "llm_timeout": float,
    "llm_retries": int,
    "max_steps": int,
    "max_tokens": int,
}


def _agent_number(key: str, value: object, *, source: str) -> float | int:
    kind = _AGENT_NUMBERS[key]
    number: float | int | None = None
    if not isinstance(value, bool) and isinstance(value, str | int | float):
        try:
            number = float(value) if kind is float else int(value)
        except ValueError:
            number = None
    if number is None or number < (0 if key == "llm_retries" else 1):
        raise ConfigError(f"{key} must be a positive {kind.__name__}", source=source)
    return number


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", source=str(path)) from exc
    section = data.get("triage", data)
    if not isinstance(section, dict):
        raise ConfigError("[triage] must be a table", source=str(path))
    base = path.parent
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key in _FILE_SCALARS:
            if not isinstance(value, _FILE_SCALARS[key]):
                kind = _FILE_SCALARS[key].__name__
                raise ConfigError(f"{key} must be a {kind}", source=str(path))
            values[key] = value
        elif key in {"playbook_dirs", "rules_dirs"}:
            values[key] = _paths(value, key=key, base=base)
        elif key in {"home", "intel_dir"}:
            values[key] = _paths(value, key=key, base=base)[0]
        elif key == "protected_brands":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("protected_brands must be a list of names", source=str(path))
            values[key] = tuple(v.lower() for v in value)
        elif key == "max_file_mb":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError("max_file_mb must be a whole number >= 1", source=str(path))
            values["max_file_bytes"] = value * 1024 * 1024
        elif key in _AGENT_NUMBERS:
            values[key] = _agent_number(key, value, source=str(path))
        elif key == "redact_pii":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("redact_pii must be a list of names", source=str(path))
            values[key] = tuple(value)
        elif key == "api_key":
            raise ConfigError("put API keys in the environment, not in the config file")
        else:
            raise ConfigError(f"unknown setting {key!r}", source=str(path))
    return values


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    direct = {
        "TRIAGE_ENGINE": "engine",
        "TRIAGE_MODEL": "model",
        "OPENAI_BASE_URL": "base_url",
        "OPENAI_API_KEY": "api_key",
        "TRIAGE_CHROMA_URL": "chroma_url",
        "TRIAGE_VT_API_KEY": "vt_api_key",
        "TRIAGE_ABUSEIPDB_API_KEY": "abuseipdb_api_key",
        "AZURE_OPENAI_ENDPOINT": "azure_endpoint",
        "AZURE_OPENAI_API_KEY": "azure_api_key",
        "OPENAI_API_VERSION": "azure_api_version",
    }
    for name, key in direct.items():
        if env.get(name):
            values[key] = env[name]
    if env.get("TRIAGE_HOME"):
        values["home"] = Path(env["TRIAGE_HOME"]).expanduser()
    if env.get("TRIAGE_INTEL_DIR"):
        values["intel_dir"] = Path(env["TRIAGE_INTEL_DIR"]).expanduser()
    for name, key in (
        ("TRIAGE_PLAYBOOKS_DIR", "playbook_dirs"),
        ("TRIAGE_RULES_DIR", "rules_dirs"),
    ):
        if env.get(name):
            values[key] = tuple(Path(p).expanduser() for p in env[name].split(os.pathsep) if p)
    if env.get("TRIAGE_RULE_PACKS"):
        values["rule_packs"] = env["TRIAGE_RULE_PACKS"].lower() not in {"0", "false", "no"}
    if env.get("TRIAGE_OFFLINE"):
        values["offline"] = env["TRIAGE_OFFLINE"].lower() in {"1", "true", "yes"}
    for name, key in (
        ("TRIAGE_LLM_TIMEOUT", "llm_timeout"),
        ("TRIAGE_LLM_RETRIES", "llm_retries"),
        ("TRIAGE_MAX_STEPS", "max_steps"),
        ("TRIAGE_MAX_TOKENS", "max_tokens"),
    ):
        if env.get(name):
            values[key] = _agent_number(key, env[name], source=name)
    if env.get("TRIAGE_REDACT_PII"):
        values["redact_pii"] = tuple(p.strip() for p in env["TRIAGE_REDACT_PII"].split(",") if p)
    if env.get("TRIAGE_NO_FALLBACK"):
        values["no_fallback"] = env["TRIAGE_NO_FALLBACK"].lower() in {"1", "true", "yes"}
    if env.get("TRIAGE_MAX_FILE_MB"):
        try:
            values["max_file_bytes"] = int(env["TRIAGE_MAX_FILE_MB"]) * 1024 * 1024
        except ValueError as exc:
            raise ConfigError("TRIAGE_MAX_FILE_MB must be a whole number") from exc
    return values


def config_files(env: Mapping[str, str], cwd: Path) -> list[Path]:
    """Config files in increasing precedence: the user's, then the working folder's."""
    candidates = [_user_dir(env, "XDG_CONFIG_HOME", ".config") / CONFIG_NAME, cwd / CONFIG_NAME]
    return [p for p in candidates if p.is_file()]


def load_settings(
    *, env: Mapping[str, str] | None = None, cwd: Path | None = None, **flags: Any
) -> Settings:
    env = os.environ if env is None else env
    layered: dict[str, Any] = {"home": _user_dir(env, "XDG_CACHE_HOME", ".cache")}
    files = config_files(env, cwd or Path.cwd())
    for path in files:
        layered.update(_from_file(path))
    layered["config_files"] = tuple(files)
    layered.update(_from_env(env))
    settings = Settings().with_overrides(**layered).with_overrides(**flags)
    if settings.engine not in ENGINES:
        raise ConfigError(f"unknown engine {settings.engine!r}; choose one of {', '.join(ENGINES)}")
    if settings.limits.max_file_bytes <= 0:
        raise ConfigError("the file size limit must be positive")
    return settings


def setting_sources(
    *, env: Mapping[str, str] | None = None, cwd: Path | None = None, **flags: Any
) -> dict[str, str]:
    """Where each setting that is not a default came from, for `triage doctor`: "flag",
    "env NAME" or "file PATH" (the same layers load_settings applies, highest last)."""
    env = os.environ if env is None else env
    sources: dict[str, str] = {}
    for path in config_files(env, cwd or Path.cwd()):
        sources.update(dict.fromkeys(_from_file(path), f"file {path}"))
    for name in sorted(env):
        if name.startswith(("TRIAGE_", "OPENAI_", "AZURE_OPENAI_")) and env[name]:
            sources.update(dict.fromkeys(_from_env({name: env[name]}), f"env {name}"))
    given = {k for k, v in flags.items() if v is not None and v != ()}
    sources.update(dict.fromkeys(given, "flag"))
    return sources
