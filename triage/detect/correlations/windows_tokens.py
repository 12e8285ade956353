"""Windows Security correlations over process creation (4688) that show a process borrowing a
token it was not started with."""

from datetime import timedelta

from triage.detect.correlations.engine import Correlation, EventSequence, selection
from triage.detect.correlations.generic import WINDOWS_SECURITY

# Local System, Local Service, Network Service: their programs create SYSTEM processes every day.
SERVICE_SIDS = ["S-1-5-18", "S-1-5-19", "S-1-5-20"]


def token_correlations() -> tuple[Correlation, ...]:
    user_started = selection(
        WINDOWS_SECURITY,
        {
            "sel": {"EventID": 4688},
            "filter_service": {"SubjectUserSid": SERVICE_SIDS},
            "condition": "sel and not filter_service",
        },
    )
    created_as_system = selection(
        WINDOWS_SECURITY,
        {
            "sel": {"EventID": 4688, "SubjectUserSid": "S-1-5-18"},
            # A UAC elevation is also created by SYSTEM (the AppInfo service) on behalf of the
            # asking program, but its new token is the user's: only a SYSTEM token (or the
            # creator's own, logged as the null SID) is a borrowed one.
            "target_named": {"TargetUserSid|exists": True},
            "target_system": {"TargetUserSid": ["S-1-5-18", "S-1-0-0", "-"]},
            "condition": "sel and not (target_named and not target_system)",
        },
    )
    return (
        EventSequence(
            rule_id="triage-corr-user-process-creates-system-process",
            title="A program started by a user created a process as SYSTEM",
            level="high",
            description="A process started by a user account (4688) went on, within two "
            "minutes, to create a process whose creator is Local System (4688 with that process "
            "as creator): it obtained and used a SYSTEM token, as Potato exploits, token-"
            "stealing tools and Meterpreter getsystem do. A user's program cannot do this "
            "without impersonating SYSTEM; elevation and services go through other parents.",
            # The creator of the second process is the first process (NewProcessId ->
            # ProcessId) on the same host; the short window keeps a reused process id out.
            group_by=("Computer", "NewProcessId"),
            first=user_started,
            then=created_as_system,
            then_key=("Computer", "ProcessId"),
            window=timedelta(minutes=2),
            techniques=("T1134.001", "T1134.002"),
            falsepositives=(
                "Administrators' tools that run a program as SYSTEM (NSudo, AdvancedRun)",
            ),
        ),
    )
