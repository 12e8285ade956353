"""What a Windows event ID records, per log channel, from the packaged windows_events.yaml."""

import functools
from pathlib import Path

import yaml

# libyaml parses the packaged table several times faster; same safe constructors.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "windows_events.yaml"


@functools.cache
def _table() -> dict[str, dict[int, str]]:
    """channel name or alias (lower-case) → event id → meaning; loaded once per process."""
    document = yaml.load(DATA_FILE.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    table: dict[str, dict[int, str]] = {}
    for channel, entry in document.items():
        events = {int(k): str(v) for k, v in entry["events"].items()}
        for name in (channel, *entry.get("aliases", ())):
            table[str(name).lower()] = events
    return table


def describe_event(channel: str, event_id: int) -> str | None:
    """'An account failed to log on' for ("Security", 4625); None when the pair is unknown."""
    events = _table().get(channel.strip().lower())
    return None if events is None else events.get(int(event_id))
