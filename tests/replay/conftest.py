"""Bundles of every shipped sample, recorded once per session in tmp under a socket guard, and
helpers to alter a bundle the way a damaged or older one would be."""

import hashlib
import json
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES
from triage.replay.bundle import MANIFEST, Manifest, bundle_id
from triage.settings import Settings, load_settings

CASES = sorted(p for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())


class _LocalGuard:
    """Refuses connections beyond loopback (used when tests/netguard.py is not there)."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []
        self._real = socket.socket.connect

    def __enter__(self) -> "_LocalGuard":
        guard, real = self, self._real

        def connect(sock: socket.socket, address: Any) -> None:
            host = address[0] if isinstance(address, tuple) else address
            if sock.family != socket.AF_UNIX and not str(host).startswith(("127.", "::1")):
                guard.attempts.append(address)
                raise ConnectionRefusedError(f"network blocked in tests: {address!r}")
            real(sock, address)

        socket.socket.connect = connect  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        socket.socket.connect = self._real  # type: ignore[method-assign]


@contextmanager
def socket_guard() -> Iterator[Any]:
    """The shared tests/netguard.py guard when present, else the local one."""
    try:
        from tests.netguard import NetGuard
    except ImportError:
        with _LocalGuard() as local:
            yield local
        return
    with NetGuard() as guard:
        yield guard


@pytest.fixture(scope="session")
def replay_settings(triage_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings of a user with no configuration files and the session's TRIAGE_HOME."""
    empty = tmp_path_factory.mktemp("no-config")
    env = {"TRIAGE_HOME": str(triage_home), "XDG_CONFIG_HOME": str(empty)}
    return load_settings(env=env, cwd=empty)


@pytest.fixture(scope="session")
def sample_bundles(
    replay_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """sample name → its bundle, recorded with no network."""
    with socket_guard() as guard:
        bundles = record_samples(replay_settings, tmp_path_factory.mktemp("bundles"))
    assert not guard.attempts, guard.attempts
    return bundles


def record_samples(settings: Settings, root: Path) -> dict[str, Path]:
    """Every sample recorded as a bundle under root, with one set of dependencies for all."""
    from triage.replay.record import record_run
    from triage.wiring import build_deps

    deps = build_deps(settings)
    bundles = {}
    for case in CASES:
        record_run([str(case)], settings=settings, folder=root / case.name, deps=deps)
        bundles[case.name] = root / case.name
    return bundles


def copy_bundle(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def rewrite(bundle: Path, name: str, text: str) -> None:
    """Replace one recorded file and re-seal the manifest, as a bundle written by another
    version would be: its hashes agree, only its content differs."""
    (bundle / name).write_text(text, encoding="utf-8")
    manifest = Manifest.model_validate_json((bundle / MANIFEST).read_bytes())
    files = {**manifest.files, name: hashlib.sha256(text.encode()).hexdigest()}
    sealed = manifest.model_copy(
        update={"files": files, "bundle_id": bundle_id(files, manifest.inputs)}
    )
    (bundle / MANIFEST).write_text(sealed.model_dump_json(indent=2), encoding="utf-8")


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
