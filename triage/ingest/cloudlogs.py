"""Which cloud or identity audit log one JSON row comes from, told by the row's shape alone:
Okta System Log, GCP Cloud Audit Logs, Kubernetes audit, Entra ID and Azure Monitor exports,
Microsoft Graph sign-in and directory-audit objects, and the Microsoft 365 unified audit log."""

from collections.abc import Mapping

# Azure Monitor diagnostic-setting categories of the Entra ID sign-in logs.
_SIGNIN_CATEGORIES = frozenset(
    {
        "signinlogs",
        "noninteractiveusersigninlogs",
        "serviceprincipalsigninlogs",
        "managedidentitysigninlogs",
    }
)
# Categories of the Azure Activity log (the subscription's control-plane log).
_ACTIVITY_CATEGORIES = frozenset(
    {
        "administrative",
        "security",
        "servicehealth",
        "alert",
        "recommendation",
        "policy",
        "autoscale",
        "resourcehealth",
    }
)


def cloud_log_source(row: Mapping[str, object]) -> str | None:
    """The Record.source for a row of one of these logs, or None when it is none of them."""
    if _is_okta(row):
        return "okta"
    if _is_gcp_audit(row):
        return "gcp.audit"
    if _is_kubernetes_audit(row):
        return "kubernetes.audit"
    if _is_m365_audit(row):
        return "m365.audit"
    return _azure_source(row)


def _is_okta(row: Mapping[str, object]) -> bool:
    return (
        isinstance(row.get("eventType"), str)
        and isinstance(row.get("actor"), dict)
        and any(key in row for key in ("outcome", "displayMessage", "uuid", "legacyEventType"))
    )


def _is_gcp_audit(row: Mapping[str, object]) -> bool:
    payload = row.get("protoPayload")
    if not isinstance(payload, dict):
        return False
    kind = payload.get("@type")
    if isinstance(kind, str) and kind.endswith("google.cloud.audit.AuditLog"):
        return True
    return "methodName" in payload and "serviceName" in payload


def _is_kubernetes_audit(row: Mapping[str, object]) -> bool:
    if row.get("kind") != "Event" or "verb" not in row:
        return False
    version = row.get("apiVersion")
    if isinstance(version, str) and version.startswith("audit.k8s.io/"):
        return True
    return "auditID" in row and ("objectRef" in row or "requestURI" in row)


def _is_m365_audit(row: Mapping[str, object]) -> bool:
    return (
        isinstance(row.get("Operation"), str)
        and isinstance(row.get("Workload"), str)
        and "CreationTime" in row
        and ("RecordType" in row or "UserId" in row)
    )


def _azure_source(row: Mapping[str, object]) -> str | None:
    category = row.get("category")
    operation = row.get("operationName")
    if isinstance(category, str) and isinstance(row.get("properties"), dict):
        # An Azure Monitor diagnostic-setting export (storage, Event Hub, Log Analytics JSON).
        lower = category.lower()
        if lower in _SIGNIN_CATEGORIES:
            return "azure.signinlogs"
        if lower == "auditlogs" and operation:
            return "azure.auditlogs"
        if lower in _ACTIVITY_CATEGORIES and isinstance(operation, str) and "/" in operation:
            return "azure.activitylogs"
    # The Activity log as the Azure Monitor REST API returns it ({value, localizedValue}).
    if (
        isinstance(category, dict)
        and isinstance(operation, dict)
        and str(category.get("value", "")).lower() in _ACTIVITY_CATEGORIES
    ):
        return "azure.activitylogs"
    status = row.get("status")
    if "userPrincipalName" in row and "appDisplayName" in row and isinstance(status, dict):
        return "azure.signinlogs"  # a Microsoft Graph signIn object
    if "activityDisplayName" in row and "initiatedBy" in row:
        return "azure.auditlogs"  # a Microsoft Graph directoryAudit object
    return None
