"""Shared fixtures: paths to the shipped samples and the real-data cases, and a network guard."""

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
REALDATA = REPO.parent / "shared" / "realdata"


def realdata_cases() -> list[Path]:
    """Real-data case folders (DEV-01 …); empty when ../shared/realdata is absent."""
    if not REALDATA.is_dir():
        return []
    return sorted(p for p in REALDATA.iterdir() if (p / "label.yaml").is_file())


def case_artifacts(case: Path) -> list[Path]:
    """The artifact files of a case folder: everything but its label."""
    return sorted(
        p for p in case.iterdir() if p.is_file() and p.name not in {"label.yaml", "expected.yaml"}
    )


requires_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata absent")


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return False
    if host == "localhost" or host.startswith("/"):
        return True
    try:  # a literal loopback address only: "127.evil.example" is a name, not loopback
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail any connection to a non-loopback address; yields the list of attempts."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family == socket.AF_UNIX or _is_loopback(address):
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network blocked in tests: {address!r}")

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_loopback(host) or host is None:
            return real_getaddrinfo(host, *args, **kwargs)
        attempts.append(host)
        raise socket.gaierror(f"name resolution blocked in tests: {host!r}")

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts


@pytest.fixture(scope="session")
def triage_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One TRIAGE_HOME for the end-to-end tests: the playbook index is embedded once."""
    return tmp_path_factory.mktemp("triage-home")


@pytest.fixture
def cli_environment(triage_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared TRIAGE_HOME and no user configuration, for tests that drive the CLI."""
    monkeypatch.setenv("TRIAGE_HOME", str(triage_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real CLI in process: (exit code, stdout, stderr)."""
    from triage.cli import main

    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err
