"""Sigma logsources of cloud and identity audit records (CloudTrail, Entra ID, Azure Activity,
Microsoft 365, Okta, GCP, Kubernetes), and the field names rules may use for each export shape."""

import json
from collections.abc import Mapping

from triage.models import Scalar

# Record.source → (Sigma product, service). Loader sources (triage/ingest/cloudlogs.py) and the
# Log Analytics / Sentinel table names of the same logs.
CLOUD_LOGSOURCES: Mapping[str, tuple[str, str]] = {
    "aws.cloudtrail": ("aws", "cloudtrail"),
    "okta": ("okta", "okta"),
    "gcp.audit": ("gcp", "gcp.audit"),
    "kubernetes.audit": ("kubernetes", "audit"),
    "azure.signinlogs": ("azure", "signinlogs"),
    "SigninLogs": ("azure", "signinlogs"),
    "AADNonInteractiveUserSignInLogs": ("azure", "signinlogs"),
    "AADServicePrincipalSignInLogs": ("azure", "signinlogs"),
    "AADManagedIdentitySignInLogs": ("azure", "signinlogs"),
    "azure.auditlogs": ("azure", "auditlogs"),
    "AuditLogs": ("azure", "auditlogs"),
    "azure.activitylogs": ("azure", "activitylogs"),
    "AzureActivity": ("azure", "activitylogs"),
    "m365.audit": ("m365", "audit"),
    "OfficeActivity": ("m365", "audit"),
}

# Microsoft 365 workloads that also answer to a SigmaHQ service name.
M365_WORKLOAD_SERVICES: Mapping[str, str] = {
    "exchange": "exchange",
    "securitycompliancecenter": "threat_management",
}

# Entra ID fields: (name in a Graph object, name in a Log Analytics row). The Azure Monitor
# export nests the Graph names under `properties.`; rules use that form, and every form is an
# alias of the others.
_SIGNIN_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("userPrincipalName", ("UserPrincipalName",)),
    ("userDisplayName", ("UserDisplayName",)),
    ("appDisplayName", ("AppDisplayName",)),
    ("appId", ("AppId",)),
    ("ipAddress", ("IPAddress", "callerIpAddress")),
    ("clientAppUsed", ("ClientAppUsed",)),
    ("conditionalAccessStatus", ("ConditionalAccessStatus",)),
    ("riskLevelDuringSignIn", ("RiskLevelDuringSignIn",)),
    ("riskLevelAggregated", ("RiskLevelAggregated",)),
    ("riskState", ("RiskState",)),
    ("authenticationProtocol", ("AuthenticationProtocol",)),
    ("authenticationRequirement", ("AuthenticationRequirement",)),
    ("originalTransferMethod", ("OriginalTransferMethod",)),
    ("isInteractive", ("IsInteractive",)),
    ("userAgent", ("UserAgent",)),
    ("resourceDisplayName", ("ResourceDisplayName",)),
    ("status.errorCode", ("Status.errorCode", "ResultType", "resultType")),
    ("status.failureReason", ("Status.failureReason", "ResultDescription", "resultDescription")),
    ("status.additionalDetails", ("Status.additionalDetails",)),
    ("location.countryOrRegion", ("LocationDetails.countryOrRegion", "Location")),
    ("deviceDetail.operatingSystem", ("DeviceDetail.operatingSystem",)),
    ("deviceDetail.isCompliant", ("DeviceDetail.isCompliant",)),
    ("deviceDetail.trustType", ("DeviceDetail.trustType",)),
)
_AUDIT_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("activityDisplayName", ("ActivityDisplayName", "OperationName", "operationName")),
    ("category", ("Category",)),
    ("result", ("Result",)),
    ("resultReason", ("ResultReason",)),
    ("operationType", ("AADOperationType", "OperationType")),
    ("loggedByService", ("LoggedByService",)),
    ("initiatedBy.user.userPrincipalName", ("InitiatedBy.user.userPrincipalName",)),
    ("initiatedBy.user.ipAddress", ("InitiatedBy.user.ipAddress",)),
    ("initiatedBy.app.displayName", ("InitiatedBy.app.displayName",)),
    ("targetResources.0.type", ("TargetResources.0.type",)),
    ("targetResources.0.displayName", ("TargetResources.0.displayName",)),
    ("targetResources.0.userPrincipalName", ("TargetResources.0.userPrincipalName",)),
)


def _entra_aliases(
    names: tuple[tuple[str, tuple[str, ...]], ...],
) -> dict[str, tuple[str, ...]]:
    aliases: dict[str, tuple[str, ...]] = {}
    for graph, others in names:
        exported = f"properties.{graph}"
        aliases[exported] = (graph, *others)
        aliases[graph] = (exported, *others)
        for other in others:
            aliases.setdefault(other, (exported, graph))
    return aliases


CLOUD_FIELD_ALIASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "azure/signinlogs": _entra_aliases(_SIGNIN_NAMES),
    "azure/auditlogs": _entra_aliases(_AUDIT_NAMES),
    # Diagnostic-setting export names; the REST API nests {value}; Log Analytics' AzureActivity.
    "azure/activitylogs": {
        "operationName": ("operationName.value", "OperationNameValue", "OperationName"),
        "resultType": ("status.value", "ActivityStatusValue", "ActivityStatus"),
        "category": ("category.value", "CategoryValue"),
        "callerIpAddress": ("httpRequest.clientIpAddress", "CallerIpAddress"),
        "resourceId": ("ResourceId", "_ResourceId"),
    },
    # Unified audit log names; Log Analytics' OfficeActivity; SigmaHQ's m365 names.
    "m365/audit": {
        "Workload": ("OfficeWorkload",),
        "ClientIP": ("Client_IPAddress",),
        "eventSource": ("Workload", "OfficeWorkload"),
        "eventName": ("Operation",),
        "status": ("ResultStatus",),
    },
    "okta/okta": {"eventtype": ("eventType",), "displaymessage": ("displayMessage",)},
    "gcp/gcp.audit": {
        "gcp.audit.method_name": ("protoPayload.methodName",),
        "gcp.audit.service_name": ("protoPayload.serviceName",),
    },
}


def cloud_logsource(
    source: str, fields: Mapping[str, Scalar]
) -> tuple[str, frozenset[str], str, dict[str, Scalar]] | None:
    """(product, services, alias table, derived fields) of a cloud audit record, or None."""
    found = CLOUD_LOGSOURCES.get(source)
    if found is None:
        return None
    product, service = found
    services = {service}
    derived: dict[str, Scalar] = {}
    if product == "m365":
        workload = str(fields.get("Workload") or fields.get("OfficeWorkload") or "").lower()
        if workload in M365_WORKLOAD_SERVICES:
            services.add(M365_WORKLOAD_SERVICES[workload])
        for name in ("Parameters", "ExtendedProperties", "OperationProperties"):
            derived.update(_name_value_pairs(fields, name))
    elif product == "gcp":
        derived.update(_granted_bindings(fields))
    return product, frozenset(services), f"{product}/{service}", derived


_BINDING_DELTAS = "protoPayload.serviceData.policyDelta.bindingDeltas"


def _granted_bindings(fields: Mapping[str, Scalar]) -> dict[str, Scalar]:
    """The roles and members an IAM policy change added, whatever their place in the list:
    `gcp.audit.added_roles` and `gcp.audit.added_members` (space-separated)."""
    roles: list[str] = []
    members: list[str] = []
    index = 0
    while (action := fields.get(f"{_BINDING_DELTAS}.{index}.action")) is not None:
        if str(action).upper() == "ADD":
            roles.append(str(fields.get(f"{_BINDING_DELTAS}.{index}.role") or ""))
            members.append(str(fields.get(f"{_BINDING_DELTAS}.{index}.member") or ""))
        index += 1
    if not roles:
        return {}
    return {"gcp.audit.added_roles": " ".join(roles), "gcp.audit.added_members": " ".join(members)}


_MAX_PAIR_TEXT = 100_000


def _name_value_pairs(fields: Mapping[str, Scalar], prefix: str) -> dict[str, Scalar]:
    """A unified-audit-log [{Name, Value}] list as `Parameters.<Name>` = Value: the flattened
    list (Parameters.0.Name …), or the JSON text Log Analytics stores in its column."""
    pairs: dict[str, Scalar] = {}
    index = 0
    while (name := fields.get(f"{prefix}.{index}.Name")) is not None:
        pairs[f"{prefix}.{name}"] = fields.get(f"{prefix}.{index}.Value")
        index += 1
    text = fields.get(prefix)
    if not pairs and isinstance(text, str) and text.startswith("[") and len(text) < _MAX_PAIR_TEXT:
        try:
            items = json.loads(text)
        except ValueError:
            return pairs
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("Name"), str):
                value = item.get("Value")
                scalar = value if isinstance(value, str | int | float | bool) else None
                pairs[f"{prefix}.{item['Name']}"] = scalar
    return pairs
