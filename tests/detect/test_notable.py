"""Notable events: the table loads, each kind fires on its event and not on look-alikes."""

from triage.detect.notable import NotableEventDetector, notable_kinds
from triage.enrich.attack import AttackCatalog
from triage.models import Record, Scalar


def event(channel: str, event_id: int, **fields: Scalar) -> Record:
    return Record(
        artifact_id="A1",
        locator=f"record:{event_id}",
        source=channel,
        raw=f"{channel} {event_id}",
        fields={"Channel": channel, "EventID": event_id, **fields},
    )


def keys(*records: Record) -> set[str]:
    return {d.rule_id for d in NotableEventDetector().detect_records(list(records))}


def test_every_kind_is_well_formed_with_real_techniques() -> None:
    catalog = AttackCatalog()
    kinds = notable_kinds()
    assert len(kinds) >= 40
    assert len({k.key for k in kinds}) == len(kinds)
    for kind in kinds:
        assert kind.techniques and kind.why, kind.key
        assert kind.sources or (kind.channels and kind.event_ids), kind.key
        for technique in kind.techniques:
            assert catalog.technique(technique) is not None, f"{kind.key}: {technique}"


def test_detections_are_marked_notable_and_cite_their_records() -> None:
    records = [event("Security", 4720, TargetUserName="x"), event("Security", 4720)]
    (found,) = NotableEventDetector().detect_records(records)
    assert found.layer == "notable"
    assert found.rule_id == "notable:account-created"
    assert len(found.records) == 2
    assert "2 record(s)" in found.description


def test_kerberos_rc4_tickets_for_user_services_only() -> None:
    rc4 = event("Security", 4769, TicketEncryptionType="0x17", ServiceName="sqlsvc")
    aes = event("Security", 4769, TicketEncryptionType="0x12", ServiceName="sqlsvc")
    machine = event("Security", 4769, TicketEncryptionType="0x17", ServiceName="WS01$")
    assert "notable:kerberos-rc4-service-ticket" in keys(rc4)
    assert not keys(aes, machine) & {"notable:kerberos-rc4-service-ticket"}


def test_lsass_access_needs_lsass_as_the_target() -> None:
    sysmon = "Microsoft-Windows-Sysmon/Operational"
    lsass = event(sysmon, 10, TargetImage=r"C:\Windows\system32\lsass.exe")
    other = event(sysmon, 10, TargetImage=r"C:\Windows\explorer.exe")
    assert keys(lsass) == {"notable:lsass-process-access"}
    assert keys(other) == set()


def test_replication_rights_need_the_replication_guids() -> None:
    guid = "{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}"
    assert "notable:directory-replication-rights-used" in keys(
        event("Security", 4662, Properties=f"%%7688 {guid}")
    )
    assert keys(event("Security", 4662, Properties="%%7688 {bf967a86-0de6-11d0}")) == set()


def test_event_ids_given_as_text_and_other_channels() -> None:
    assert keys(event("System", "7045")) == {"notable:service-installed"}  # type: ignore[arg-type]
    assert keys(event("Application", 7045)) == set()


def test_cloud_identity_changes_by_source() -> None:
    create = Record(
        artifact_id="A1", locator="line:1", source="aws.cloudtrail", raw="{}",
        fields={"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey"},
    )  # fmt: skip
    read = create.model_copy(update={"fields": {**create.fields, "eventName": "ListUsers"}})
    assert keys(create) == {"notable:cloudtrail-identity-changed"}
    assert keys(read) == set()


def test_odd_event_ids_never_crash_or_match() -> None:
    for value in ("²", "４７２０", "9" * 5000, 4720.5, True, None):
        assert keys(event("Security", 4720, EventID=value)) == set()  # type: ignore[arg-type]
    assert keys(event("Security", 4720, EventID=4720.0)) == {"notable:account-created"}


def test_new_credentials_logon_needs_logon_type_9() -> None:
    netonly = event("Security", 4624, LogonType="9", LogonProcessName="seclogo")
    interactive = event("Security", 4624, LogonType="2", LogonProcessName="User32")
    assert keys(netonly) == {"notable:new-credentials-logon"}
    assert keys(interactive) == set()


def test_rc4_tgt_for_users_only_and_only_when_issued() -> None:
    rc4 = event("Security", 4768, TicketEncryptionType="0x17", Status="0x0", TargetUserName="jd")
    machine = event(
        "Security", 4768, TicketEncryptionType="0x17", Status="0x0", TargetUserName="W$"
    )
    aes = event("Security", 4768, TicketEncryptionType="0x12", Status="0x0", TargetUserName="jd")
    assert "notable:kerberos-rc4-tgt-requested" in keys(rc4)
    assert not keys(machine, aes) & {"notable:kerberos-rc4-tgt-requested"}


def test_forged_or_replayed_ticket_failures() -> None:
    bad = event("Security", 4769, Status="0x1F", ServiceName="cifs/fs01")
    ok = event("Security", 4769, Status="0x0", ServiceName="cifs/fs01", TicketEncryptionType="0x12")
    assert keys(bad) == {"notable:kerberos-ticket-integrity-failure"}
    assert keys(ok) == set()


def test_kernel_driver_service_is_its_own_kind() -> None:
    driver = event("System", 7045, ServiceName="gdrv", ServiceType="kernel mode driver")
    service = event("System", 7045, ServiceName="Agent", ServiceType="user mode service")
    assert keys(driver) == {"notable:service-installed", "notable:kernel-driver-service-installed"}
    assert keys(service) == {"notable:service-installed"}


def test_time_change_by_the_time_service_is_not_notable() -> None:
    by_tool = event("Security", 4616, ProcessName=r"C:\Users\Public\t.exe")
    by_service = event("Security", 4616, ProcessName=r"C:\Windows\System32\svchost.exe")
    assert keys(by_tool) == {"notable:system-time-changed"}
    assert keys(by_service) == set()


def test_directory_trust_tasks_bits_and_applocker_kinds() -> None:
    assert keys(event("Security", 4706)) == {"notable:domain-trust-changed"}
    assert keys(event("Security", 4782)) == {"notable:password-hash-accessed"}
    assert keys(event("Microsoft-Windows-TaskScheduler/Operational", 141)) == {
        "notable:scheduled-task-deleted"
    }
    assert keys(event("Microsoft-Windows-Bits-Client/Operational", 3)) == {
        "notable:bits-job-created"
    }
    assert keys(event("Microsoft-Windows-AppLocker/EXE and DLL", 8004)) == {
        "notable:applocker-blocked"
    }
    assert keys(event("Microsoft-Windows-AppLocker/EXE and DLL", 8002)) == set()
