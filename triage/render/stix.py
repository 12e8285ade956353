"""STIX 2.1 bundle: the report for a threat-intelligence platform (OpenCTI, MISP, a TAXII feed).

- an identity for triage (the producer of every object);
- SCOs for the observables STIX can describe (addresses, domains, URLs, mail addresses, file
  hashes and file names), grouped in one observed-data;
- indicators (STIX patterns) for those observables that an enrichment called malicious or
  suspicious, or, in a true positive, that nothing called benign and are not private
  addresses: a benign verdict does not publish its observables as indicators;
- attack-patterns for the ATT&CK techniques, with their mitre-attack external references;
- relationships: indicator based-on observed-data, indicator indicates attack-pattern;
- a report object with the verdict's confidence that refers to all of them.

Identifiers are deterministic: UUIDv5 from the id-contributing properties for SCOs (as STIX
says), and version-4-shaped UUIDs derived from the report for the rest, so that re-rendering a
saved report gives the same bundle.
"""

import hashlib
import ipaddress
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from triage.models import ReportObservable, TriageReport
from triage.render.safety import escape_json

STIX_SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
FLAGGED_VERDICTS = frozenset({"malicious", "suspicious"})
URI_SAFE = ":/?#[]@!$&'()*+,;=-._~%"
# Addresses that mean nothing outside their own network (RFC 1918, CGNAT, IPv6 ULA).
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sdo_id(kind: str, report: TriageReport, key: str) -> str:
    """A version-4-shaped UUID derived from the report and the object, not drawn at random."""
    digest = hashlib.sha256(f"{report.report_id}\x00{kind}\x00{key}".encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def _sco_id(kind: str, contributing: dict[str, Any]) -> str:
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}--{uuid.uuid5(STIX_SCO_NAMESPACE, canonical)}"


def _sco(observable: ReportObservable) -> dict[str, Any] | None:
    """The STIX Cyber-observable for a triage observable, or None where STIX has no type."""
    value = observable.value
    props: dict[str, Any]
    match observable.type:
        case "ipv4":
            kind, props = "ipv4-addr", {"value": value}
        case "ipv6":
            kind, props = "ipv6-addr", {"value": value}
        case "domain":
            kind, props = "domain-name", {"value": value}
        case "url":
            if "://" not in value:
                return None
            kind, props = "url", {"value": _uri(value)}
        case "email":
            kind, props = "email-addr", {"value": value}
        case "md5" | "sha1" | "sha256":
            kind, props = "file", {"hashes": {HASH_NAMES[observable.type]: value}}
        case "file_path":
            name = value.replace("\\", "/").rstrip("/").rpartition("/")[2]
            if not name:
                return None
            kind, props = "file", {"name": name}
        case _:
            return None
    return {"type": kind, "spec_version": "2.1", "id": _sco_id(kind, props), **props}


def _uri(url: str) -> str:
    """The URL as an RFC 3986 URI (STIX requires one): anything else percent-encoded."""
    return quote(url, safe=URI_SAFE)


def _literal(value: str) -> str:
    """A STIX pattern string literal: quote and backslash escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pattern(sco: dict[str, Any]) -> str | None:
    """The STIX pattern that matches the SCO; None for a bare file name, which is too common
    ("services.exe") to publish as an indicator."""
    if sco["type"] == "file":
        if "hashes" not in sco:
            return None
        ((name, value),) = sco["hashes"].items()
        return f"[file:hashes.{_literal(name)} = {_literal(value)}]"
    return f"[{sco['type']}:value = {_literal(sco['value'])}]"


def indicator_worthy(observable: ReportObservable, *, true_positive: bool) -> bool:
    """Publish a value as an indicator: an enrichment flagged it, or the incident is a true
    positive and nothing called the value benign and it is not a private or reserved address."""
    verdicts = {e.verdict for e in observable.enrichments}
    if verdicts & FLAGGED_VERDICTS:
        return True
    if not true_positive or "benign" in verdicts:
        return False
    if observable.type in ("ipv4", "ipv6"):
        try:
            address = ipaddress.ip_address(observable.value)
        except ValueError:
            return False
        internal = address.is_loopback or address.is_link_local or address.is_multicast
        return not (internal or address.is_unspecified or _in_internal_range(address))
    return True


def _in_internal_range(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address.version == net.version and address in net for net in INTERNAL_NETWORKS)


def _attack_pattern(
    report: TriageReport, technique_id: str, name: str, tactic: str
) -> dict[str, Any]:
    created = _timestamp(report.generated_at)
    pattern: dict[str, Any] = {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": _sdo_id("attack-pattern", report, technique_id),
        "created": created,
        "modified": created,
        "name": name,
        "external_references": [
            # No url: STIX wants a hash of what a url points at, and triage fetches nothing.
            {"source_name": "mitre-attack", "external_id": technique_id}
        ],
    }
    phases = [t.strip().lower().replace(" ", "-") for t in tactic.split(",") if t.strip()]
    if phases:
        pattern["kill_chain_phases"] = [
            {"kill_chain_name": "mitre-attack", "phase_name": phase} for phase in phases
        ]
    return pattern


def stix_bundle(report: TriageReport) -> dict[str, Any]:
    """The report as a STIX 2.1 bundle (a plain JSON-ready dict)."""
    v = report.verdict
    created = _timestamp(report.generated_at)
    identity_id = _sdo_id("identity", report, "triage")
    common = {"spec_version": "2.1", "created": created, "modified": created}
    objects: list[dict[str, Any]] = [
        {
            "type": "identity",
            "id": identity_id,
            **common,
            "name": "triage",
            "identity_class": "system",
            "description": f"triage {report.run.triage_version}, {report.run.engine} engine",
        }
    ]
    attack_ids: list[str] = []
    for t in report.techniques:
        attack = _attack_pattern(report, t.id, t.name, t.tactic)
        attack["created_by_ref"] = identity_id
        objects.append(attack)
        attack_ids.append(attack["id"])
    scos: list[tuple[ReportObservable, dict[str, Any]]] = []
    seen: set[str] = set()
    for o in report.observables:
        sco = _sco(o)
        if sco is not None and sco["id"] not in seen:
            seen.add(sco["id"])
            scos.append((o, sco))
    refs = [identity_id, *attack_ids]
    if scos:
        first = report.incident.first_seen or report.generated_at
        last = report.incident.last_seen or first
        observed_id = _sdo_id("observed-data", report, "observables")
        objects.extend(sco for _, sco in scos)
        objects.append(
            {
                "type": "observed-data",
                "id": observed_id,
                **common,
                "created_by_ref": identity_id,
                "first_observed": _timestamp(first),
                "last_observed": _timestamp(max(first, last)),
                "number_observed": 1,
                "object_refs": [sco["id"] for _, sco in scos],
            }
        )
        refs += [observed_id, *(sco["id"] for _, sco in scos)]
        publish = v.classification == "true_positive"
        for o, sco in scos:
            pattern = _pattern(sco)
            if pattern is None or not indicator_worthy(o, true_positive=publish):
                continue
            indicator_id = _sdo_id("indicator", report, sco["id"])
            objects.append(
                {
                    "type": "indicator",
                    "id": indicator_id,
                    **common,
                    "created_by_ref": identity_id,
                    "name": f"{o.type} {o.defanged}",
                    "description": f"Seen in incident {report.incident.id}, "
                    f"verdict {v.classification}.",
                    "indicator_types": ["malicious-activity"],
                    "pattern": pattern,
                    "pattern_type": "stix",
                    "valid_from": created,
                    "confidence": round(v.confidence * 100),
                }
            )
            relationships = [("based-on", observed_id), *(("indicates", a) for a in attack_ids)]
            for kind, target in relationships:
                rel_id = _sdo_id("relationship", report, f"{indicator_id}{kind}{target}")
                objects.append(
                    {
                        "type": "relationship",
                        "id": rel_id,
                        **common,
                        "created_by_ref": identity_id,
                        "relationship_type": kind,
                        "source_ref": indicator_id,
                        "target_ref": target,
                    }
                )
                refs.append(rel_id)
            refs.append(indicator_id)
    objects.append(
        {
            "type": "report",
            "id": _sdo_id("report", report, "report"),
            **common,
            "created_by_ref": identity_id,
            "name": report.incident.title or report.incident.id,
            "description": f"{report.summary}\n\n{v.rationale}".strip(),
            "report_types": ["threat-report"],
            "published": created,
            "confidence": round(v.confidence * 100),
            "labels": [v.classification, v.severity],
            "external_references": [{"source_name": "triage", "external_id": report.report_id}],
            "object_refs": refs,
        }
    )
    return {
        "type": "bundle",
        "id": _sdo_id("bundle", report, "bundle"),
        "objects": objects,
    }


def render_stix(report: TriageReport) -> str:
    return escape_json(json.dumps(stix_bundle(report), indent=2, ensure_ascii=False)) + "\n"
