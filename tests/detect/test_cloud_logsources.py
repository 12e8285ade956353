"""Cloud and identity audit records: their Sigma logsource, and one field name per meaning
whatever the export shape (Azure Monitor, Graph, Log Analytics)."""

import json

import pytest

from triage.detect.logsources import route, route_all
from triage.detect.matcher import FieldView
from triage.models import Record, Scalar


def _record(source: str, fields: dict[str, Scalar]) -> Record:
    return Record(
        artifact_id="A1", locator="line:1", source=source, raw=json.dumps(fields), fields=fields
    )


@pytest.mark.parametrize(
    ("source", "product", "service"),
    [
        ("aws.cloudtrail", "aws", "cloudtrail"),
        ("okta", "okta", "okta"),
        ("gcp.audit", "gcp", "gcp.audit"),
        ("kubernetes.audit", "kubernetes", "audit"),
        ("azure.signinlogs", "azure", "signinlogs"),
        ("SigninLogs", "azure", "signinlogs"),
        ("AADNonInteractiveUserSignInLogs", "azure", "signinlogs"),
        ("azure.auditlogs", "azure", "auditlogs"),
        ("AuditLogs", "azure", "auditlogs"),
        ("azure.activitylogs", "azure", "activitylogs"),
        ("AzureActivity", "azure", "activitylogs"),
        ("m365.audit", "m365", "audit"),
        ("OfficeActivity", "m365", "audit"),
    ],
)
def test_cloud_sources_get_their_sigma_logsource(source: str, product: str, service: str) -> None:
    logsource = route(_record(source, {}))
    assert logsource is not None
    assert logsource.product == product and service in logsource.services


def _view(source: str, fields: dict[str, Scalar]) -> FieldView:
    (routed,) = route_all([_record(source, fields)])
    return routed.view


def test_sign_in_fields_read_the_same_in_every_export_shape() -> None:
    exported = _view("azure.signinlogs", {"properties.status.errorCode": 50126})
    graph = _view("azure.signinlogs", {"status.errorCode": 50126, "clientAppUsed": "IMAP4"})
    analytics = _view("SigninLogs", {"ResultType": "50126", "ClientAppUsed": "IMAP4"})
    for view in (exported, graph, analytics):
        assert str(view.get("properties.status.errorCode")) == "50126"
        assert str(view.get("ResultType") or view.get("properties.status.errorCode")) == "50126"
    assert graph.get("properties.clientAppUsed") == analytics.get("properties.clientAppUsed")


def test_activity_operation_name_from_rest_and_log_analytics_shapes() -> None:
    rest = _view("azure.activitylogs", {"operationName.value": "Microsoft.Compute/x/action"})
    analytics = _view("AzureActivity", {"OperationNameValue": "MICROSOFT.COMPUTE/X/ACTION"})
    assert rest.get("operationName") == "Microsoft.Compute/x/action"
    assert analytics.get("operationName") == "MICROSOFT.COMPUTE/X/ACTION"


def test_m365_parameters_by_name_and_workload_service() -> None:
    fields: dict[str, Scalar] = {
        "Operation": "Set-Mailbox",
        "Workload": "Exchange",
        "Parameters.0.Name": "Identity",
        "Parameters.0.Value": "ana",
        "Parameters.1.Name": "ForwardingSmtpAddress",
        "Parameters.1.Value": "smtp:x@example.net",
    }
    logsource = route(_record("m365.audit", fields))
    assert logsource is not None and {"audit", "exchange"} <= logsource.services
    view = _view("m365.audit", fields)
    assert view.get("Parameters.ForwardingSmtpAddress") == "smtp:x@example.net"
    assert view.get("eventName") == "Set-Mailbox"
    text = json.dumps([{"Name": "ForwardTo", "Value": "x@example.net"}])
    analytics = _view("OfficeActivity", {"Operation": "New-InboxRule", "Parameters": text})
    assert analytics.get("Parameters.ForwardTo") == "x@example.net"


def test_gcp_roles_added_by_a_policy_change_whatever_their_position() -> None:
    prefix = "protoPayload.serviceData.policyDelta.bindingDeltas"
    fields: dict[str, Scalar] = {
        f"{prefix}.0.action": "REMOVE",
        f"{prefix}.0.role": "roles/owner",
        f"{prefix}.0.member": "user:old@example.com",
        f"{prefix}.1.action": "ADD",
        f"{prefix}.1.role": "roles/editor",
        f"{prefix}.1.member": "allUsers",
    }
    view = _view("gcp.audit", fields)
    assert view.get("gcp.audit.added_roles") == "roles/editor"
    assert view.get("gcp.audit.added_members") == "allUsers"
