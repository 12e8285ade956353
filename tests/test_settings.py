"""Configuration precedence: flag > environment > triage.toml (cwd over user) > defaults."""

from pathlib import Path

import pytest

from triage.errors import ConfigError
from triage.settings import load_settings


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "triage.toml").write_text('[triage]\nmodel = "from-file"\nengine = "rules"\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path / "none"), "TRIAGE_MODEL": "from-env"}
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.model == "from-env"
    assert settings.engine == "rules"
    assert load_settings(env=env, cwd=tmp_path, model="from-flag").model == "from-flag"
    assert (
        load_settings(env={"XDG_CONFIG_HOME": str(tmp_path / "n")}, cwd=tmp_path).model
        == "from-file"
    )


def test_auto_engine_picks_agent_only_with_a_model(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert load_settings(env=env, cwd=tmp_path).resolved_engine == "rules"
    assert load_settings(env=env, cwd=tmp_path, model="m").resolved_engine == "agent"


def test_limits_come_from_flags_and_env(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "TRIAGE_MAX_FILE_MB": "7"}
    assert load_settings(env=env, cwd=tmp_path).limits.max_file_bytes == 7 * 1024 * 1024
    assert load_settings(env=env, cwd=tmp_path, max_file_bytes=10).limits.max_file_bytes == 10


@pytest.mark.parametrize(
    "content", ["[triage]\nunknown = 1\n", "not toml [", '[triage]\napi_key = "sk-x"\n']
)
def test_bad_config_files_are_config_errors(tmp_path: Path, content: str) -> None:
    (tmp_path / "triage.toml").write_text(content)
    with pytest.raises(ConfigError):
        load_settings(env={"XDG_CONFIG_HOME": str(tmp_path / "u")}, cwd=tmp_path)


def test_api_key_is_not_in_repr(tmp_path: Path) -> None:
    settings = load_settings(
        env={"OPENAI_API_KEY": "sk-secret", "XDG_CONFIG_HOME": str(tmp_path)}, cwd=tmp_path
    )
    assert settings.api_key == "sk-secret"
    assert "sk-secret" not in repr(settings)


def test_team_playbook_folders_add_to_the_shipped_library(tmp_path: Path) -> None:
    from triage.knowledge.lint import shipped_playbook_dir
    from triage.wiring import playbook_dirs

    team = tmp_path / "team"
    env = {"XDG_CONFIG_HOME": str(tmp_path), "TRIAGE_PLAYBOOKS_DIR": str(team)}
    assert playbook_dirs(load_settings(env=env, cwd=tmp_path)) == (shipped_playbook_dir(), team)
    (tmp_path / "triage.toml").write_text("[triage]\nshipped_playbooks = false\n")
    assert playbook_dirs(load_settings(env=env, cwd=tmp_path)) == (team,)


def test_home_is_triage_home_else_the_user_cache_folder(tmp_path: Path) -> None:
    def home(**env: str) -> Path:
        return load_settings(env={"XDG_CONFIG_HOME": str(tmp_path), **env}, cwd=tmp_path).home

    assert home(TRIAGE_HOME="/srv/t") == Path("/srv/t")
    assert home(XDG_CACHE_HOME="/c") == Path("/c/triage")
    assert home() == Path.home() / ".cache" / "triage"
