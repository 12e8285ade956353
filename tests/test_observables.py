"""Observable extraction: structured fields by table, free text by pattern scan, normalisation,
deduplication with merged sightings, and display defanging."""

import time
from pathlib import Path

import pytest

from tests.conftest import case_artifacts, realdata_cases, requires_realdata
from triage.models import Incident, Observable, Record
from triage.observables import defang, extract_observables
from triage.observables.freetext import TextScanner
from triage.observables.normalise import normalise

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def record(locator: str, *, source: str = "text", raw: str = "", **fields: object) -> Record:
    return Record(
        artifact_id="A1",
        locator=locator,
        source=source,
        raw=raw or " ".join(f"{k}={v}" for k, v in fields.items()),
        fields=fields,
    )


def incident(*records: Record) -> Incident:
    return Incident(id="INC-test", input_digest="0" * 64, artifacts=(), records=records)


def values(observables: tuple[Observable, ...], kind: str) -> list[str]:
    return [o.value for o in observables if o.type == kind]


def find(observables: tuple[Observable, ...], kind: str, value: str) -> Observable:
    matches = [o for o in observables if o.type == kind and o.value == value]
    assert len(matches) == 1, f"{kind} {value!r} not found once in {observables}"
    return matches[0]


def test_defanged_text_is_refanged_into_url_and_domain() -> None:
    text = "Click hxxps://login-micros0ft[.]com/verify now, or mail admin[@]evil-corp[.]com."
    found = extract_observables(incident(record("line:1", raw=text)))
    assert "https://login-micros0ft.com/verify" in values(found, "url")
    assert "login-micros0ft.com" in values(found, "domain")
    assert "admin@evil-corp.com" in values(found, "email")
    sighting = find(found, "url", "https://login-micros0ft.com/verify").sightings[0]
    assert (sighting.artifact_id, sighting.locator, sighting.field) == ("A1", "line:1", None)


def test_file_names_are_not_domains() -> None:
    text = "procdump dumped lsass.exe; then powershell.exe ran C:\\tmp\\run.ps1 and report.py"
    found = extract_observables(
        incident(
            record("line:1", raw=text),
            record("record:2", source=SYSMON, Image="C:\\Windows\\System32\\lsass.exe"),
        )
    )
    assert values(found, "domain") == []
    assert values(found, "process") == ["C:\\Windows\\System32\\lsass.exe"]


def test_file_extension_suffix_counts_as_domain_when_it_is_a_url_host() -> None:
    found = extract_observables(
        incident(record("line:1", raw="get http://invoice.zip/x and a.zip"))
    )
    assert values(found, "domain") == ["invoice.zip"]


def test_sysmon_fields_yield_process_command_line_and_hashes() -> None:
    event = record(
        "record:7",
        source=SYSMON,
        EventID=1,
        Computer="WS01.corp.local",
        Image="C:\\Tools\\mimikatz.exe",
        CommandLine='mimikatz.exe "sekurlsa::logonpasswords" exit',
        ParentImage="C:\\Windows\\System32\\cmd.exe",
        User="CORP\\alice",
        Hashes="SHA1=D241DF7B9D2EC0B8194751CD5CE153E27CC40FA4,MD5=A3CB3B02A683275F7E0A0F8A9A5C9E07,"
        "SHA256=31EB1DE7E840A342FD468E558E5AB627BCB4C542A8FE01AEC4D5BA01D539A0FC,"
        "IMPHASH=00000000000000000000000000000000",
    )
    found = extract_observables(incident(event))
    assert values(found, "process") == ["C:\\Tools\\mimikatz.exe", "C:\\Windows\\System32\\cmd.exe"]
    assert values(found, "command_line") == ['mimikatz.exe "sekurlsa::logonpasswords" exit']
    assert values(found, "sha256") == [
        "31eb1de7e840a342fd468e558e5ab627bcb4c542a8fe01aec4d5ba01d539a0fc"
    ]
    assert values(found, "md5") == ["a3cb3b02a683275f7e0a0f8a9a5c9e07"]  # IMPHASH is not one
    assert values(found, "user") == ["CORP\\alice"]
    assert values(found, "host") == ["WS01.corp.local"]
    assert find(found, "sha1", "d241df7b9d2ec0b8194751cd5ce153e27cc40fa4").sightings[0].field == (
        "Hashes"
    )


def test_cloudtrail_yields_source_ip_and_user_arn() -> None:
    event = record(
        "line:1",
        source="aws.cloudtrail",
        eventName="GetObject",
        sourceIPAddress="198.51.100.23",
        **{
            "userIdentity.arn": "arn:aws:iam::123456789012:user/pedro",
            "userIdentity.userName": "pedro",
        },
    )
    found = extract_observables(incident(event))
    assert values(found, "ipv4") == ["198.51.100.23"]
    assert values(found, "user") == ["arn:aws:iam::123456789012:user/pedro", "pedro"]


def test_email_headers_yield_sender_and_relay_addresses() -> None:
    def header(name: str, value: str, k: int = 1) -> Record:
        return record(
            f"header:{name}#{k}",
            source="email.header",
            raw=f"{name}: {value}",
            name=name,
            value=value,
        )

    found = extract_observables(
        incident(
            header("From", '"PayPal Support" <Service@Paypa1-Secure.com>'),
            header("Reply-To", "collector@mail.example.net"),
            header(
                "Received",
                "from mx.badhost.net (mx.badhost.net [203.0.113.9]) by mx.example.org",
            ),
            header("Message-ID", "<abc.123@evil.example.com>"),
        )
    )
    assert values(found, "email") == ["service@paypa1-secure.com", "collector@mail.example.net"]
    assert "203.0.113.9" in values(found, "ipv4")
    assert "mx.badhost.net" in values(found, "domain")
    assert find(found, "email", "service@paypa1-secure.com").sightings[0].locator == "header:From#1"
    assert "evil.example.com" not in values(found, "domain")  # Message-ID is not mapped


def test_sightings_merge_across_records_in_first_sighting_order() -> None:
    records = [
        record(f"record:{n}", source="Security", IpAddress="::ffff:10.1.2.3", TargetUserName=user)
        for n, user in enumerate(["bob", "BOB", "alice"], start=1)
    ]
    found = extract_observables(incident(*records))
    assert [(o.type, o.value) for o in found] == [
        ("ipv4", "10.1.2.3"),
        ("user", "bob"),
        ("user", "alice"),
    ]
    assert [s.locator for s in find(found, "ipv4", "10.1.2.3").sightings] == [
        "record:1",
        "record:2",
        "record:3",
    ]
    assert len(find(found, "user", "bob").sightings) == 2  # Windows names ignore case
    assert extract_observables(incident(*records)) == found


def test_caps_on_sightings_and_observables() -> None:
    records = [
        record(f"line:{n}", raw=f"beacon to 198.51.100.{n} and 203.0.113.1") for n in range(1, 9)
    ]
    found = extract_observables(incident(*records), max_observables=3, max_sightings=2)
    assert [o.value for o in found] == ["198.51.100.1", "203.0.113.1", "198.51.100.2"]
    assert all(len(o.sightings) <= 2 for o in found)


def test_placeholders_loopback_and_version_numbers_are_dropped() -> None:
    found = extract_observables(
        incident(
            record("record:1", source="Security", TargetUserName="-", IpAddress="-"),
            record("record:2", source="Security", SubjectUserName="", IpAddress="127.0.0.1"),
            record(
                "line:3", raw="agent version=2.5.2.0 on build 10.0.19041.1 netmask 255.255.255.0"
            ),
            record("record:4", source="Security", SubjectUserName="SYSTEM", WorkstationName="N/A"),
        )
    )
    assert [(o.type, o.value) for o in found] == [("user", "SYSTEM")]


def test_request_paths_give_no_file_names_as_domains_but_keep_embedded_urls() -> None:
    found = extract_observables(
        incident(
            record("line:1", source="web.access", client_ip="192.0.2.7", uri="/admin/login.do"),
            record(
                "line:2",
                source="web.access",
                uri="/?x=${jndi:ldap://198.51.100.4:1389/a}&next=http://evil.example.org/p",
            ),
            record("line:3", source="zeek.http", host="dl.example.net", uri="/payload.bin"),
        )
    )
    assert values(found, "domain") == ["evil.example.org", "dl.example.net"]
    assert "198.51.100.4" in values(found, "ipv4")
    assert "http://dl.example.net/payload.bin" in values(found, "url")


def test_identical_texts_are_scanned_once() -> None:
    scanner = TextScanner()
    text = "callback to http://c2.example.com/gate.php from 198.51.100.77"
    first = scanner.scan(text)
    assert scanner.scan(text) == first
    assert scanner.scans == 1
    assert scanner.scan("12345678") == () and scanner.scans == 1  # numeric: not worth a scan


def test_defang_for_display() -> None:
    assert defang("https://login-micros0ft.com/verify", "url") == (
        "hxxps://login-micros0ft[.]com/verify"
    )
    assert defang("evil.example.com", "domain") == "evil[.]example[.]com"
    assert defang("198.51.100.7", "ipv4") == "198[.]51[.]100[.]7"
    assert defang("bob@evil.com", "email") == "bob[@]evil[.]com"
    assert defang("C:\\Windows\\evil.exe", "process") == "C:\\Windows\\evil.exe"


def test_public_suffix_lookup_needs_no_network(no_network: list[object]) -> None:
    assert normalise("domain", "Login.Example.CO.UK.") == "login.example.co.uk"
    assert normalise("domain", "mimikatz.exe") is None
    assert no_network == []


def _load(case: Path) -> Incident:
    ingest = pytest.importorskip("triage.ingest")
    try:
        return ingest.load_incident(  # type: ignore[no-any-return]
            [str(p) for p in case_artifacts(case)], ingest.Limits()
        )
    except ImportError as exc:  # loaders still being written
        pytest.skip(f"loaders unavailable: {exc}")


@requires_realdata
@pytest.mark.parametrize("case", realdata_cases(), ids=lambda p: p.name)
def test_realdata_observables_are_normalised_and_cite_their_records(case: Path) -> None:
    loaded = _load(case)
    started = time.perf_counter()
    found = extract_observables(loaded)
    assert time.perf_counter() - started < 10
    assert found == extract_observables(loaded)
    located = {(r.artifact_id, r.locator): r for r in loaded.records}
    for observable in found:
        assert normalise(observable.type, observable.value) == observable.value
        assert not observable.value.lower().endswith((".exe", ".dll", ".ps1")) or (
            observable.type not in {"domain", "email", "url"}
        )
        for sighting in observable.sightings:
            source = located[(sighting.artifact_id, sighting.locator)]
            assert sighting.field is None or sighting.field in source.fields


def test_alert_evidence_fields_match_by_leaf_name() -> None:
    evidence = record(
        "json:/alerts/0/evidence/1",
        source="alert.evidence",
        **{
            "fileDetails.fileName": "invoice.pdf.exe",
            "fileDetails.sha256": "AB" * 32,
            "processCommandLine": "invoice.pdf.exe /silent",
            "userAccount.accountName": "alice",
            "ipAddress": "203.0.113.50",
            "url": "hxxp://cdn.evil[.]example.com/a",
            "detectionStatus": "detected",
        },
    )
    found = extract_observables(incident(evidence))
    assert {(o.type, o.value) for o in found} >= {
        ("file_path", "invoice.pdf.exe"),
        ("sha256", "ab" * 32),
        ("command_line", "invoice.pdf.exe /silent"),
        ("user", "alice"),
        ("ipv4", "203.0.113.50"),
        ("url", "http://cdn.evil.example.com/a"),
        ("domain", "cdn.evil.example.com"),
    }
    assert "invoice.pdf.exe" not in values(found, "domain")


def test_import_hash_in_free_text_is_not_a_file_hash() -> None:
    md5 = "a3cb3b02a683275f7e0a0f8a9a5c9e07"
    imphash = "f5ae03de0ad60f5b17b82f2cd68402fe"
    found = extract_observables(
        incident(record("line:1", raw=f"Hashes: MD5={md5},IMPHASH={imphash}"))
    )
    assert values(found, "md5") == [md5]


_ORDER_SCRIPT = """
import json, sys
from triage.ingest import Limits, load_incident
from triage.observables import extract_observables
incident = load_incident([sys.argv[1]], Limits())
print(json.dumps([[o.type, o.value] for o in extract_observables(incident)]))
"""


def test_observable_order_does_not_depend_on_string_hashing() -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import SAMPLES

    case = SAMPLES / "S01-phish-credential-harvest"
    orders = []
    for seed in ("1", "7", "4242"):  # 1 and 7 gave different orders before the fix
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _ORDER_SCRIPT, str(case)],
            capture_output=True, text=True, env=env, timeout=60, check=True,
        )  # fmt: skip
        orders.append(json.loads(done.stdout))
    assert len(orders[0]) > 3
    assert orders[0] == orders[1] == orders[2]


REFERENCE = Path(__file__).parent / "perf" / "freetext_reference.json"


def _shipped_inputs() -> list[list[Path]]:
    """Every shipped sample (as one incident) and every test fixture file (each alone)."""
    root = Path(__file__).parents[1]
    cases = sorted(p for p in (root / "samples").iterdir() if p.is_dir() and p.name[:1] == "S")
    fixtures = sorted(
        p
        for p in Path(__file__).parent.rglob("*")
        if p.is_file()
        and p.suffix not in {".py", ".pyc"}
        and not {"__pycache__", "perf"} & set(p.parts)
    )
    return [case_artifacts(case) for case in cases] + [[p] for p in fixtures]


def test_free_text_scan_finds_what_ioc_finder_found_on_every_shipped_input() -> None:
    """The regular-expression scanner against ioc-finder 9's recorded answers (normalised the
    same way) for every text the samples and fixtures hold; no loss and nothing extra."""
    import hashlib
    import json

    from triage.ingest import Limits, load_incident
    from triage.observables import freetext
    from triage.observables.extract import record_candidates

    reference: dict[str, list[list[str]]] = json.loads(REFERENCE.read_text())["texts"]
    scanned: dict[str, tuple[tuple[str, str], ...]] = {}

    class Recording(TextScanner):
        def _scan_new(self, text: str) -> freetext.Found:
            found = super()._scan_new(text)
            scanned[text] = found
            return found

    for paths in _shipped_inputs():
        try:
            loaded = load_incident([str(p) for p in paths], Limits())
        except Exception:  # fixtures include deliberately broken files
            continue
        scanner = Recording()
        for item in loaded.records:
            list(record_candidates(item, scanner))
    compared = mismatched = 0
    problems: list[str] = []
    for text, found in scanned.items():
        expected = reference.get(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
        if expected is None:
            continue  # a sample added after the reference was recorded
        compared += 1
        if sorted(set(found)) != sorted(tuple(e) for e in expected):
            mismatched += 1
            problems.append(f"{text[:80]!r}: {sorted(set(found))} != {expected}")
    assert compared >= 1000, f"only {compared} texts had a recorded answer"
    assert mismatched == 0, "\n".join(problems[:10])


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "visit hxxps://evil[.]example[.]com/login now",
            "urls",
            ["https://evil.example.com/login"],
        ),
        ("see http://a.example.com/p?u=1#frag.", "urls", ["http://a.example.com/p?u=1#frag."]),
        ("host foo.example.com.invalid seen", "domains", ["foo.example.com"]),
        ("IMPHASH=" + "ab" * 16 + " MD5=" + "cd" * 16, "md5s", ["cd" * 16]),
        ("patched CVE 2021-44228 today", "cves", ["CVE-2021-44228"]),
        ("from x@pot@hotmail.com", "email_addresses", []),
        ("mail Jane.Doe@Example.COM", "email_addresses", ["jane.doe@example.com"]),
        ("ip 010.001.002.003 and 999.1.1.1", "ipv4s", ["10.1.2.3"]),
        ("version 10.0.19041.1 build", "ipv4s", []),
        ("addr fe80::1ff:fe23:4567:890a%eth0", "ipv6s", ["fe80::1ff:fe23:4567:890a"]),
    ],
)
def test_indicator_patterns(text: str, kind: str, expected: list[str]) -> None:
    from triage.observables.indicators import find_indicators

    assert find_indicators(text)[kind] == expected
