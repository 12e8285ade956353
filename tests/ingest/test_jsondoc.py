"""JSON documents and JSON Lines: shapes, locators, fields per fields.md, hostile input."""

import json
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, case_artifacts, realdata_cases, requires_realdata
from triage.errors import InputError
from triage.ingest.base import ArtifactSource
from triage.ingest.jsondoc import JsonLoader, find_too_deep
from triage.ingest.limits import Limits
from triage.ingest.registry import load_artifact, loader_for
from triage.models import Record


def _load(data: bytes | str, limits: Limits | None = None) -> tuple[str, list[Record], int]:
    raw = data.encode() if isinstance(data, str) else data
    loaded = JsonLoader().load(
        ArtifactSource(artifact_id="A1", path="t.json", data=raw), limits or Limits()
    )
    return loaded.format, loaded.records, loaded.records_lost


def _pointer_get(document: object, locator: str) -> object:
    assert locator.startswith("json:")
    node = document
    for part in [p for p in locator.removeprefix("json:").split("/")[1:]]:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]  # type: ignore[index]
    return node


def _case_file(case_name: str, file_name: str) -> Path:
    case = next((c for c in realdata_cases() if c.name == case_name), None)
    path = case / file_name if case else None
    if path is None or not path.is_file():
        pytest.skip(f"{case_name}/{file_name} absent")
    return path


def test_found_by_either_format_name() -> None:
    assert isinstance(loader_for("json"), JsonLoader)
    assert isinstance(loader_for("jsonl"), JsonLoader)


def test_sniff_on_first_character() -> None:
    loader = JsonLoader()
    assert loader.sniff(b"", '  \n {"a": 1}')
    assert loader.sniff(b"", "[1]")
    assert not loader.sniff(b"", "a,b\n1,2")


def test_defender_incident_alerts_and_evidence_resolve_by_pointer() -> None:
    path = SAMPLES / "S02-mde-word-encoded-powershell" / "incident.json"
    document = json.loads(path.read_text())
    form, records, _ = _load(path.read_bytes())
    assert form == "json"
    alerts = [r for r in records if r.source == "alert"]
    evidence = [r for r in records if r.source == "alert.evidence"]
    assert len(alerts) == len(document["alerts"])
    assert len(evidence) == sum(len(a["evidence"]) for a in document["alerts"])
    for record in alerts + evidence:
        assert json.loads(record.raw) == _pointer_get(document, record.locator)
    assert alerts[0].locator == "json:/alerts/0"
    assert alerts[0].fields["title"] == document["alerts"][0]["title"]
    assert "evidence.0.sha256" not in alerts[0].fields
    assert evidence[0].locator == "json:/alerts/0/evidence/0"
    assert alerts[0].timestamp is not None


def test_cloudtrail_document_records_flattened() -> None:
    doc = {
        "Records": [
            {
                "eventTime": "2024-03-01T10:00:00Z",
                "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/x"},
                "resources": [{"ARN": "arn:aws:s3:::bucket/key"}],
            }
        ]
    }
    _, records, _ = _load(json.dumps(doc))
    (record,) = records
    assert record.source == "aws.cloudtrail"
    assert record.locator == "json:/Records/0"
    assert record.fields["userIdentity.arn"] == "arn:aws:iam::1:user/x"
    assert record.fields["resources.0.ARN"] == "arn:aws:s3:::bucket/key"
    assert record.timestamp is not None and record.timestamp.isoformat().startswith("2024-03-01")


def test_graph_value_array_and_generic_array() -> None:
    graph = {"value": [{"id": "a1", "title": "Bad", "severity": "high", "evidence": [{"ip": 1}]}]}
    _, records, _ = _load(json.dumps(graph))
    assert [(r.locator, r.source) for r in records] == [
        ("json:/value/0", "alert"),
        ("json:/value/0/evidence/0", "alert.evidence"),
    ]
    _, records, _ = _load('[{"a": {"b": 1}}, {"a": 2}]')
    assert [(r.locator, r.source, r.fields) for r in records] == [
        ("json:/0", "json", {"a.b": 1}),
        ("json:/1", "json", {"a": 2}),
    ]


def test_single_generic_object_is_one_record_at_the_root() -> None:
    _, records, _ = _load('{"host": "web01", "tags": ["x", "y"]}')
    (record,) = records
    assert record.locator == "json:"
    assert record.fields == {"host": "web01", "tags.0": "x", "tags.1": "y"}


def test_truncated_json_names_line_and_column() -> None:
    with pytest.raises(InputError, match=r"line 3 column \d+") as caught:
        _load('{\n  "a": 1,\n  "b": [1, 2')
    assert caught.value.exit_code == 3


def test_hostile_nesting_is_an_input_error_not_a_recursion_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(InputError, match="nested deeper than 64 levels"):
        _load(deep)


def test_hostile_json_through_the_registry() -> None:
    deep = ('{"a":' * 100_000).encode()
    with pytest.raises(InputError, match="nested deeper"):
        load_artifact(ArtifactSource(artifact_id="A1", path="x", data=deep), Limits())
    lines = b'{"n": 1}\n{"n": \xff\n{"n": 3}\n'
    loaded = load_artifact(ArtifactSource(artifact_id="A1", path="x", data=lines), Limits())
    assert (loaded.format, len(loaded.records), loaded.records_lost) == ("jsonl", 2, 1)


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": "[[[[{{{{" * 50, "b": ["]"]})
    assert find_too_deep(text, 2) is None
    assert find_too_deep('[[["x"]]]', 2) == 2


def test_one_bad_json_line_is_skipped_and_counted() -> None:
    lines = ['{"n": 1}', '{"n": 2', '{"n": 3}']
    form, records, lost = _load("\n".join(lines) + "\n")
    assert form == "jsonl"
    assert [r.locator for r in records] == ["line:1", "line:3"]
    assert [r.raw for r in records] == [lines[0], lines[2]]
    assert lost == 1
    loaded = JsonLoader().load(
        ArtifactSource(artifact_id="A1", path="x", data="\n".join(lines).encode()), Limits()
    )
    assert "line 2" in loaded.notes[0]


def test_broken_first_line_does_not_hide_json_lines() -> None:
    form, records, lost = _load('{"n": \n{"n": 2}\n{"n": 3}\n{"n": 4}\n')
    assert (form, len(records), lost) == ("jsonl", 3, 1)


def test_deep_line_in_json_lines_is_skipped() -> None:
    text = '{"n": 1}\n' + "[" * 100_000 + "\n" + '{"n": 3}\n'
    _, records, lost = _load(text)
    assert [r.locator for r in records] == ["line:1", "line:3"]
    assert lost == 1


def test_json_lines_with_no_parsable_line_fails() -> None:
    with pytest.raises(InputError):
        _load('{"a": \n{"b": \n')


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    _, records, _ = _load(b'{"user": "caf\xe9"}\n{"user": "b"}\n')
    assert records[0].fields["user"] == "caf\ufffd"


def test_windows_event_row_gets_standard_names() -> None:
    row = {
        "EventID": "4625",
        "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WS1",
        "TargetUserName": "bob",
        "TimeCreated": "2020-10-18 07:50:06.220",
    }
    _, records, _ = _load(json.dumps(row) + "\n" + json.dumps(row))
    fields = records[0].fields
    assert records[0].source == "Security"
    assert fields["EventID"] == 4625
    assert fields["Provider"] == "Microsoft-Windows-Security-Auditing"
    assert fields["Computer"] == "WS1"
    assert fields["TargetUserName"] == "bob"


@requires_realdata
@pytest.mark.parametrize("case_name", ["DEV-07", "DEV-08", "DEV-09"])
def test_realdata_json_lines_one_record_per_line(case_name: str) -> None:
    path = _case_file(case_name, "artifact.json")
    lines = path.read_text().splitlines()
    loaded = load_artifact(
        ArtifactSource(artifact_id="A1", path=str(path), data=path.read_bytes()), Limits()
    )
    assert loaded.format == "jsonl"
    assert len(loaded.records) == sum(1 for line in lines if line.strip())
    for record in loaded.records:
        number = int(record.locator.removeprefix("line:"))
        assert record.raw == lines[number - 1]
        assert record.timestamp is not None


@requires_realdata
def test_mordor_events_are_windows_events() -> None:
    _, records, _ = _load(_case_file("DEV-08", "artifact.json").read_bytes())
    sysmon = [r for r in records if r.source == "Microsoft-Windows-Sysmon/Operational"]
    assert sysmon and all(isinstance(r.fields["EventID"], int) for r in sysmon)
    assert all(r.fields.get("Provider") and r.fields.get("Computer") for r in records)


@requires_realdata
def test_cloudtrail_lines() -> None:
    _, records, _ = _load(_case_file("DEV-09", "artifact.json").read_bytes())
    assert {r.source for r in records} == {"aws.cloudtrail"}
    assert all(r.fields.get("eventName") and r.fields.get("userIdentity.type") for r in records)


@requires_realdata
def test_sentinel_syslog_rows_carry_sysmon_for_linux_fields() -> None:
    _, records, lost = _load(_case_file("DEV-12", "syslog_sysmon_for_linux.json").read_bytes())
    assert lost == 0 and {r.source for r in records} == {"Syslog"}
    assert all(r.fields.get("Channel") == "Linux-Sysmon/Operational" for r in records)
    process_creation = [r for r in records if r.fields.get("EventID") == 1]
    assert process_creation
    assert all(r.fields.get("Image") and r.fields.get("CommandLine") for r in process_creation)


@requires_realdata
def test_sentinel_syslog_rows_carry_auoms_pairs() -> None:
    _, records, _ = _load(_case_file("DEV-12", "syslog_auoms_auditd.json").read_bytes())
    assert all(r.fields.get("type") == "AUOMS_EXECVE" and r.fields.get("exe") for r in records)
    with_cmdline = [r for r in records if r.fields.get("cmdline")]
    assert with_cmdline
    for record in with_cmdline:
        assert f'cmdline="{record.fields["cmdline"]}"' in str(record.fields["SyslogMessage"])


@requires_realdata
def test_vmconnection_table_rows() -> None:
    path = _case_file("DEV-12", "vminsights_vmconnection.json")
    _, records, _ = _load(path.read_bytes())
    assert {r.source for r in records} == {"VMConnection"}
    assert all(r.fields.get("DestinationIp") for r in records)


@requires_realdata
def test_every_realdata_json_file_loads() -> None:
    for case in realdata_cases():
        for path in case_artifacts(case):
            if path.read_bytes().lstrip()[:1] in (b"{", b"["):
                _, records, lost = _load(path.read_bytes())
                assert records and lost == 0, path


def _syslog_row(message: str) -> bytes:
    row = {"Type": "Syslog", "Computer": "h1", "SyslogMessage": message}
    return (json.dumps(row) + "\n" + json.dumps(row) + "\n").encode()


def test_auoms_message_pairs_in_a_syslog_row() -> None:
    message = (
        'type=AUOMS_EXECVE audit(1652292621.986:84138): exe="/usr/bin/curl" '
        'cmdline="curl -o /tmp/x http://198.51.100.7/a?b=c" proctitle=curl -s x=1 redactors='
    )
    _, records, _ = _load(_syslog_row(message))
    fields = records[0].fields
    assert (fields["type"], fields["audit_serial"]) == ("AUOMS_EXECVE", "84138")
    assert fields["exe"] == "/usr/bin/curl"
    assert fields["cmdline"] == "curl -o /tmp/x http://198.51.100.7/a?b=c"
    assert fields["proctitle"] == "curl -s"  # a bare value runs to the next " key="
    assert fields["x"] == "1"


def test_syslog_message_with_a_long_run_of_spaces_parses_in_linear_time() -> None:
    # The old lazy key=value regex took about 90 s on this row.
    message = "type=X audit(1.0:1): a=b" + " " * 100_000 + "x"
    started = time.perf_counter()
    _, records, _ = _load(_syslog_row(message))
    assert time.perf_counter() - started < 2
    assert records[0].fields["a"] == "b" + " " * 100_000 + "x"


def test_depth_scan_of_an_unclosed_string_of_escaped_quotes_is_linear() -> None:
    # The old string-stripping regex restarted at every quote: 33 s for this input.
    hostile = "[" * 70 + '"' + '\\"' * 50_000
    started = time.perf_counter()
    assert find_too_deep(hostile, 64) == 64
    assert find_too_deep("[" * 60 + '"' + '\\"' * 50_000 + "[" * 10, 64) is None
    assert time.perf_counter() - started < 2
    with pytest.raises(InputError, match="nested deeper than 64 levels"):
        _load(hostile)


def test_depth_scan_tracks_escapes_and_line_breaks() -> None:
    opens = "[" * 65
    # One bracket outside the string, so the 64th of `opens` is the first too deep.
    closed_by_escaped_backslash = '["\\\\"'
    assert find_too_deep(closed_by_escaped_backslash + opens, 64) == 5 + 63
    assert find_too_deep('["\\"' + opens, 64) is None  # \" does not close: all in the string
    assert find_too_deep('["' + opens + '"]', 64) is None
    assert find_too_deep('["abc\n' + opens, 64) == 6 + 63  # a string never spans a line break


def test_over_long_integer_is_kept_as_its_digits() -> None:
    digits = "9" * 5_000
    _, records, _ = _load(f'{{"title": "x", "severity": "High", "count": {digits}, "n": 7}}')
    assert records[0].fields["count"] == digits
    assert records[0].fields["n"] == 7
    _, lines, lost = _load(f'{{"a": -{digits}}}\n{{"a": 1}}\n')
    assert lost == 0 and lines[0].fields["a"] == "-" + digits


def test_json_line_limit_counts_utf8_bytes() -> None:
    limits = Limits(max_line_bytes=100)
    fits = json.dumps({"u": "é" * 40}, ensure_ascii=False)  # 40 characters but 80 bytes of é
    _, records, _ = _load(f"{fits}\n{fits}\n", limits)
    assert len(records) == 2
    over = json.dumps({"u": "é" * 50}, ensure_ascii=False)  # 59 characters, 109 bytes
    with pytest.raises(InputError, match="line 2 is 109 bytes, over the 100-byte limit"):
        _load(f"{fits}\n{over}\n", limits)


# --- cloud and identity audit logs, recognised by the shape of each row ---------------------

_OKTA = {
    "uuid": "5b9c1c2e-0f7a-11ef-9a3b-0242ac120002",
    "published": "2024-05-02T08:15:00.000Z",
    "eventType": "user.session.start",
    "displayMessage": "User login to Okta",
    "actor": {"id": "00u1", "type": "User", "alternateId": "ana@example.com"},
    "client": {"ipAddress": "203.0.113.10"},
    "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
    "target": [{"id": "00u1", "type": "User"}],
}
_GCP = {
    "protoPayload": {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "serviceName": "iam.googleapis.com",
        "methodName": "google.iam.admin.v1.CreateServiceAccountKey",
        "authenticationInfo": {"principalEmail": "ana@example.com"},
    },
    "insertId": "abc",
    "logName": "projects/p1/logs/cloudaudit.googleapis.com%2Factivity",
    "timestamp": "2024-05-02T08:16:00.000Z",
}
_KUBERNETES = {
    "kind": "Event",
    "apiVersion": "audit.k8s.io/v1",
    "level": "Metadata",
    "auditID": "9d4e",
    "stage": "ResponseComplete",
    "verb": "create",
    "user": {"username": "ana", "groups": ["system:authenticated"]},
    "objectRef": {"resource": "pods", "subresource": "exec", "namespace": "default"},
    "requestReceivedTimestamp": "2024-05-02T08:17:00.000000Z",
}
_M365 = {
    "CreationTime": "2024-05-02T08:18:00",
    "Id": "0b7e",
    "Operation": "New-InboxRule",
    "RecordType": 1,
    "Workload": "Exchange",
    "UserId": "ana@example.com",
    "Parameters": [{"Name": "ForwardTo", "Value": "x@example.net"}],
}
_SIGNIN_EXPORT = {
    "time": "2024-05-02T08:19:00Z",
    "operationName": "Sign-in activity",
    "category": "SignInLogs",
    "resultType": "50126",
    "properties": {"userPrincipalName": "ana@example.com", "status": {"errorCode": 50126}},
}
_SIGNIN_GRAPH = {
    "id": "66ea",
    "createdDateTime": "2024-05-02T08:20:00Z",
    "userPrincipalName": "ana@example.com",
    "appDisplayName": "Office 365 Exchange Online",
    "ipAddress": "203.0.113.10",
    "clientAppUsed": "IMAP4",
    "status": {"errorCode": 0},
}
_AUDIT_EXPORT = {
    "time": "2024-05-02T08:21:00Z",
    "operationName": "Add member to role",
    "category": "AuditLogs",
    "properties": {"activityDisplayName": "Add member to role", "category": "RoleManagement"},
}
_AUDIT_GRAPH = {
    "id": "Directory_1",
    "category": "RoleManagement",
    "activityDisplayName": "Add member to role",
    "activityDateTime": "2024-05-02T08:22:00Z",
    "initiatedBy": {"user": {"userPrincipalName": "ana@example.com"}},
    "targetResources": [{"type": "User"}],
}
_ACTIVITY_EXPORT = {
    "time": "2024-05-02T08:23:00Z",
    "operationName": "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION",
    "category": "Administrative",
    "resultType": "Start",
    "properties": {"statusCode": "Accepted"},
}
_ACTIVITY_REST = {
    "eventTimestamp": "2024-05-02T08:24:00Z",
    "category": {"value": "Administrative", "localizedValue": "Administrative"},
    "operationName": {"value": "Microsoft.Insights/diagnosticSettings/delete"},
    "status": {"value": "Succeeded"},
}
_CLOUD_ROWS = [
    ("okta", _OKTA, "2024-05-02T08:15"),
    ("gcp.audit", _GCP, "2024-05-02T08:16"),
    ("kubernetes.audit", _KUBERNETES, "2024-05-02T08:17"),
    ("m365.audit", _M365, "2024-05-02T08:18"),
    ("azure.signinlogs", _SIGNIN_EXPORT, "2024-05-02T08:19"),
    ("azure.signinlogs", _SIGNIN_GRAPH, "2024-05-02T08:20"),
    ("azure.auditlogs", _AUDIT_EXPORT, "2024-05-02T08:21"),
    ("azure.auditlogs", _AUDIT_GRAPH, "2024-05-02T08:22"),
    ("azure.activitylogs", _ACTIVITY_EXPORT, "2024-05-02T08:23"),
    ("azure.activitylogs", _ACTIVITY_REST, "2024-05-02T08:24"),
]


@pytest.mark.parametrize(("kind", "row", "minute"), _CLOUD_ROWS, ids=lambda v: str(v)[:20])
def test_cloud_audit_row_recognised_in_every_json_form(
    kind: str, row: dict[str, object], minute: str
) -> None:
    forms = {
        "document": json.dumps(row),
        "array": json.dumps([row, row]),
        "lines": json.dumps(row) + "\n" + json.dumps(row) + "\n",
    }
    for form, text in forms.items():
        _, records, _ = _load(text)
        assert {r.source for r in records} == {kind}, form
        timestamp = records[0].timestamp
        assert timestamp is not None and timestamp.isoformat().startswith(minute), form


def test_cloud_audit_rows_of_mixed_kinds_keep_their_own_source() -> None:
    rows = [row for _, row, _ in _CLOUD_ROWS]
    _, records, _ = _load("\n".join(json.dumps(row) for row in rows))
    assert [r.source for r in records] == [kind for kind, _, _ in _CLOUD_ROWS]
    okta, gcp, kubernetes, m365 = records[:4]
    assert okta.fields["outcome.result"] == "FAILURE"
    assert gcp.fields["protoPayload.methodName"].endswith("CreateServiceAccountKey")
    assert kubernetes.fields["objectRef.subresource"] == "exec"
    assert m365.fields["Parameters.0.Name"] == "ForwardTo"


def test_azure_monitor_records_envelope_is_one_record_per_entry() -> None:
    _, records, _ = _load(json.dumps({"records": [_SIGNIN_EXPORT, _ACTIVITY_EXPORT]}))
    assert [(r.locator, r.source) for r in records] == [
        ("json:/records/0", "azure.signinlogs"),
        ("json:/records/1", "azure.activitylogs"),
    ]
    assert records[0].fields["properties.status.errorCode"] == 50126


def test_log_analytics_rows_keep_their_table_name() -> None:
    rows = [
        {"Type": "SigninLogs", "TimeGenerated": "2024-05-02T08:25:00Z", "ResultType": "50126"},
        {"Type": "AuditLogs", "Category": "RoleManagement", "OperationName": "Add member to role"},
        {"Type": "OfficeActivity", "Operation": "New-InboxRule", "OfficeWorkload": "Exchange"},
    ]
    _, records, _ = _load("\n".join(json.dumps(row) for row in rows))
    assert [r.source for r in records] == ["SigninLogs", "AuditLogs", "OfficeActivity"]


def test_near_miss_rows_stay_generic() -> None:
    rows = [
        {"eventType": "login", "user": "ana"},  # no Okta actor object
        {"kind": "Event", "verb": "create"},  # a Kubernetes core Event, not an audit event
        {"protoPayload": {"methodName": "x"}},  # no serviceName, no AuditLog type
        {"Operation": "x", "Workload": "Exchange"},  # no CreationTime
        {"category": "Administrative", "operationName": "x", "properties": {}},  # not an op path
    ]
    _, records, _ = _load("\n".join(json.dumps(row) for row in rows))
    assert {r.source for r in records} == {"jsonl"}


def test_graph_sign_ins_and_directory_audits_in_a_value_array() -> None:
    page = {"@odata.context": "https://graph/$metadata#auditLogs/signIns", "value": [_SIGNIN_GRAPH]}
    _, records, _ = _load(json.dumps(page))
    assert [(r.locator, r.source) for r in records] == [("json:/value/0", "azure.signinlogs")]
    _, records, _ = _load(json.dumps({"value": [_AUDIT_GRAPH, _AUDIT_GRAPH]}))
    assert {r.source for r in records} == {"azure.auditlogs"}
