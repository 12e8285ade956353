"""No egress: with --offline, and by default with no key configured, run, batch, index, enrich
and eval connect to nothing beyond loopback. Proved three ways: a socket guard in process, the
same guard in a child process (sitecustomize), and the commands run in a network namespace."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES
from tests.netguard import NetGuard, is_loopback_host, sitecustomize_dir
from triage.cli import main

# Settings that would let triage reach out: none may be set for the "default" runs.
NETWORK_SETTINGS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "TRIAGE_MODEL",
    "TRIAGE_API_KEY",
    "TRIAGE_BASE_URL",
    "TRIAGE_VT_API_KEY",
    "TRIAGE_ABUSEIPDB_API_KEY",
    "TRIAGE_CHROMA_URL",
    "TRIAGE_OFFLINE",
)
CASES = ("S02-mde-word-encoded-powershell", "S05-zeek-tls-beacon")
VALUES = ("203.0.113.7", "hxxps://login.micros0ft-online[.]com/a", "evil.example.com")


def _has_command(name: str) -> bool:
    import typer.main

    from triage.cli.app import app

    group = typer.main.get_command(app)
    return name in getattr(group, "commands", {})


def _commands(cases: Path) -> list[tuple[str, list[str]]]:
    """(id, argv) of every command the issue names; each is run with and without --offline."""
    commands: list[tuple[str, list[str]]] = [
        ("index", ["index"]),
        ("run", ["run", "-f", "json", "-q", *(str(cases / c) for c in CASES)]),
        ("eval", ["eval", "--json", str(cases)]),
        *((f"enrich-{v}", ["enrich", v, "--json"]) for v in VALUES),
    ]
    if _has_command("batch"):
        commands.append(("batch", ["batch", str(cases)]))
    return commands


def _with_offline(argv: list[str]) -> list[str]:
    # eval and index have no --offline flag: offline is their only mode.
    if argv[0] in {"run", "enrich", "batch"}:
        return [*argv, "--offline"]
    return argv


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two shipped labelled cases in a folder of their own (eval and batch read folders)."""
    folder = tmp_path_factory.mktemp("cases")
    for name in CASES:
        shutil.copytree(SAMPLES / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("egress-home")


@pytest.fixture
def quiet_environment(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No key, no model, no remote index, no config file: the default a new user has."""
    for name in NETWORK_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def guard() -> Iterator[NetGuard]:
    with NetGuard() as installed:
        yield installed


def _child_environment(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NETWORK_SETTINGS}
    env.update({"TRIAGE_HOME": str(home), "PYTHONPATH": str(REPO), **(extra or {})})
    return env


# --- the guard itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_guard_knows_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_guard_refuses_and_records_egress_but_allows_loopback(guard: NetGuard) -> None:
    import socket

    with pytest.raises(OSError), socket.create_connection(("192.0.2.1", 9), timeout=1):
        pass
    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 443)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        assert probe.connect_ex(("198.51.100.1", 80)) != 0
    finally:
        probe.close()
    assert [a.call for a in guard.attempts] == ["create_connection", "getaddrinfo", "connect_ex"]
    # Loopback goes through: a listener the test starts on 127.0.0.1 accepts the connection.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    finally:
        server.close()
    assert len(guard.attempts) == 3


def test_guard_catches_a_real_client() -> None:
    """The online providers' HTTP client is stopped and recorded, not just a raw socket."""
    import httpx

    with NetGuard() as guard, pytest.raises(httpx.HTTPError):
        httpx.get("https://www.example.com/", timeout=2)
    assert [a.call for a in guard.attempts][:1] == ["create_connection"]


# --- in process ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_index(home: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Build the playbook index from nothing under the guard; the attempts it recorded."""
    saved = {name: os.environ.pop(name) for name in NETWORK_SETTINGS if name in os.environ}
    os.environ["TRIAGE_HOME"] = str(home)
    try:
        with NetGuard() as guard:
            code = main(["index"])
    finally:
        os.environ.update(saved)
    assert code == 0
    return [f"{a.call} {a.target}" for a in guard.attempts]


def test_index_build_makes_no_connection(built_index: list[str]) -> None:
    assert built_index == []


@pytest.mark.parametrize("offline", [True, False], ids=["offline", "default"])
def test_commands_in_process_make_no_connection(
    offline: bool,
    built_index: list[str],
    cases: Path,
    quiet_environment: None,
    guard: NetGuard,
    capsys: pytest.CaptureFixture[str],
) -> None:
    codes = {}
    for name, argv in _commands(cases):
        codes[name] = main(_with_offline(argv) if offline else argv)
        capsys.readouterr()
    assert all(code in (0, 1) for code in codes.values()), codes
    assert guard.attempts == [], guard.report()


def test_offline_keeps_configured_keys_unused(
    built_index: list[str],
    cases: Path,
    quiet_environment: None,
    guard: NetGuard,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TRIAGE_VT_API_KEY", "test-key")
    monkeypatch.setenv("TRIAGE_ABUSEIPDB_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    for _, argv in _commands(cases):
        if argv[0] in {"run", "enrich", "batch"}:
            assert main(_with_offline(argv)) in (0, 1)
            capsys.readouterr()
    assert guard.attempts == [], guard.report()


# --- in a child process ----------------------------------------------------------------------


def _guarded_run(
    argv: list[str], *, home: Path, tmp_path: Path, prefix: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "egress.log"
    site = sitecustomize_dir(tmp_path / "site", log)
    env = _child_environment(home, {"PYTHONPATH": f"{site}{os.pathsep}{REPO}"})
    done = subprocess.run(
        [*prefix, sys.executable, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=600,
    )
    return done, log.read_text(encoding="utf-8").splitlines()


def test_child_guard_is_installed_and_loud(home: Path, tmp_path: Path) -> None:
    probe = "import socket\ntry:\n socket.create_connection(('192.0.2.1', 9), timeout=1)\n"
    probe += "except OSError as e:\n print('refused', e)\n"
    done, attempts = _guarded_run(["-c", probe], home=home, tmp_path=tmp_path)
    assert "refused" in done.stdout
    assert attempts == ["create_connection ('192.0.2.1', 9)"]
    assert "NETGUARD: refused create_connection" in done.stderr


@pytest.mark.parametrize("offline", [True, False], ids=["offline", "default"])
def test_commands_in_a_guarded_child_make_no_connection(
    offline: bool, built_index: list[str], cases: Path, home: Path, tmp_path: Path
) -> None:
    failures = {}
    for name, argv in _commands(cases):
        args = _with_offline(argv) if offline else argv
        done, attempts = _guarded_run(["-m", "triage", *args], home=home, tmp_path=tmp_path)
        if done.returncode not in (0, 1) or attempts:
            failures[name] = (done.returncode, attempts, done.stderr[-2000:])
    assert failures == {}


# --- in a network namespace ------------------------------------------------------------------


def _unshare_prefix() -> tuple[str, ...] | None:
    """`unshare -rn` (a user and a network namespace: no interface but a down loopback) when
    this machine allows it; `unshare -n` when already root and only that works."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (("unshare", "-rn"), ("unshare", "-n")):
        probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return prefix
    return None


UNSHARE = _unshare_prefix()


@pytest.mark.skipif(UNSHARE is None, reason="no network namespaces here (unshare -rn / -n)")
def test_commands_succeed_in_a_network_namespace(
    built_index: list[str], cases: Path, home: Path, tmp_path: Path
) -> None:
    assert UNSHARE is not None
    failures = {}
    for _, argv in _commands(cases):
        for args in (_with_offline(argv), argv):
            done = subprocess.run(
                [*UNSHARE, sys.executable, "-m", "triage", *args],
                capture_output=True,
                text=True,
                env=_child_environment(home),
                cwd=tmp_path,
                check=False,
                timeout=600,
            )
            if done.returncode not in (0, 1):
                failures[" ".join(args[:2])] = (done.returncode, done.stderr[-2000:])
    assert failures == {}
