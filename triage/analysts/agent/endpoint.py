"""Endpoint negotiation: the strongest structured-output mode an OpenAI-compatible endpoint
accepts, stepping down json_schema → json_object → prompted JSON, with each refusal remembered
per endpoint under TRIAGE_HOME so later runs skip what it refused."""

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

OutputMode = Literal["json_schema", "json_object", "prompted"]
OUTPUT_MODES: tuple[OutputMode, ...] = ("json_schema", "json_object", "prompted")
MEMORY_FILE = "endpoints.json"


class EndpointMemory:
    """What each endpoint (base URL + model) refused, kept in TRIAGE_HOME/agent/endpoints.json."""

    def __init__(self, home: Path) -> None:
        self.path = home / "agent" / MEMORY_FILE

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def refused(self, endpoint: str) -> set[str]:
        entry = self._load().get(endpoint, {})
        refused = entry.get("refused", []) if isinstance(entry, dict) else []
        return {str(r) for r in refused} if isinstance(refused, list) else set()

    def modes(self, endpoint: str) -> tuple[OutputMode, ...]:
        refused = self.refused(endpoint)
        return tuple(m for m in OUTPUT_MODES if m not in refused)

    def remember_refusal(self, endpoint: str, mode: str, detail: str) -> None:
        data = self._load()
        entry = data.get(endpoint)
        entry = entry if isinstance(entry, dict) else {}
        refused = sorted({*self.refused(endpoint), mode})
        data[endpoint] = {**entry, "refused": refused, f"why_{mode}": detail[:200]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole then renamed: parallel runs never read half a file.
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".endpoints-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            Path(temp).replace(self.path)
        except OSError:
            pass  # a read-only home only costs the next run the same refusal


def endpoint_key(base_url: str | None, model: str) -> str:
    return f"{(base_url or 'https://api.openai.com/v1').rstrip('/')}|{model}"


def structured_output_support(home: Path, base_url: str | None, model: str) -> dict[str, Any]:
    """What `triage doctor` can show: the modes this endpoint has not refused, and what it did."""
    memory = EndpointMemory(home)
    key = endpoint_key(base_url, model)
    return {"modes": list(memory.modes(key)), "refused": sorted(memory.refused(key))}
