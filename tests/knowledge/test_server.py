"""Server mode: a real `chroma run` on loopback, indexed and queried through TRIAGE_CHROMA_URL."""

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.knowledge.config import KnowledgeConfig
from triage.knowledge.embedding import MiniLmEncoder
from triage.knowledge.indexer import build_index
from triage.knowledge.search import open_knowledge

CHROMA = Path(sys.executable).parent / "chroma"
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("chroma run did not answer its heartbeat in time")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip("the chroma executable is not installed next to this Python")
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_team_index_on_a_chroma_server(
    chroma_url: str, tmp_path: Path, playbook_dir: Path, encoder: MiniLmEncoder
) -> None:
    indexer = KnowledgeConfig(
        home=tmp_path / "indexer", chroma_url=chroma_url, playbook_dirs=(playbook_dir,)
    )
    stats = build_index(indexer, encoder=encoder)
    assert stats.files_changed == 3 and stats.chunks > 0
    assert build_index(indexer, encoder=encoder).unchanged

    # Another runner: no local playbooks, fresh TRIAGE_HOME; the lexical index is rebuilt
    # locally from the server's chunks.
    runner = KnowledgeConfig(home=tmp_path / "runner", chroma_url=chroma_url)
    search = open_knowledge(runner, encoder=encoder)
    hits = search.search("user typed their password into a fake login page", limit=3)
    assert hits[0].playbook_id == "phishing-credential-harvest"
    lexical = open_knowledge(runner, encoder=encoder, mode="lexical").search("mimikatz", limit=1)
    assert lexical[0].playbook_id == "lsass-credential-dumping"
    assert runner.lexical_path.is_file() and not runner.chroma_path.exists()
