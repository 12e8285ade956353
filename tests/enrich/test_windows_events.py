"""The packaged Windows event table."""

import yaml

from triage.enrich.windows_events import DATA_FILE, describe_event


def test_known_events_by_channel_and_alias() -> None:
    assert describe_event("Security", 4625) == "An account failed to log on"
    assert describe_event("Microsoft-Windows-Sysmon/Operational", 1) == "Process creation"
    assert describe_event("sysmon", 10) == describe_event(
        "Microsoft-Windows-Sysmon/Operational", 10
    )
    assert "new service" in (describe_event("System", 7045) or "")
    assert "Script block" in (
        describe_event("Microsoft-Windows-PowerShell/Operational", 4104) or ""
    )
    assert "detected" in (
        describe_event("Microsoft-Windows-Windows Defender/Operational", 1116) or ""
    )


def test_unknown_channel_or_id() -> None:
    assert describe_event("Security", 1) is None
    assert describe_event("Application", 4624) is None


def test_table_has_at_least_120_entries_across_five_logs() -> None:
    table = yaml.safe_load(DATA_FILE.read_text())
    assert sum(len(channel["events"]) for channel in table.values()) >= 120
    assert {"Security", "Microsoft-Windows-Sysmon/Operational", "System"} <= set(table)
