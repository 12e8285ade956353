"""Properties of the observable extractor: it never raises, is deterministic, keeps its caps,
cites only records it was given, returns canonical values, and reads an IOC the same whether
it is written plainly or defanged (and defang/refang round-trips every network value)."""

import pytest
from hypothesis import strategies as st

from tests.property.strategies import (
    FAST_EXAMPLES,
    LONG_EXAMPLES,
    json_keys,
    nasty_text,
    run_property,
)
from triage.models import Incident, Observable, Record
from triage.observables import defang, extract_observables
from triage.observables.normalise import canonical_domain, normalise, refang

EXAMPLES = [
    pytest.param(FAST_EXAMPLES, id="fast"),
    pytest.param(LONG_EXAMPLES, id="long", marks=pytest.mark.long),
]
MAX_OBSERVABLES = 30
MAX_SIGHTINGS = 3
NETWORK_TYPES = frozenset({"ipv4", "ipv6", "domain", "url", "email"})
FIELD_NAMES = (
    "CommandLine",
    "DestinationIp",
    "SourceIp",
    "IpAddress",
    "TargetUserName",
    "Image",
    "Hashes",
    "url",
    "query",
    "id.resp_h",
    "sourceIPAddress",
    "server_name",
    "value",
    "name",
)
SOURCES = ("text", "syslog", "Security", "windows", "jsonl", "alert", "zeek.dns", "email.body")

label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=10)
domain = st.builds(
    lambda labels, suffix: ".".join([*labels, suffix]),
    st.lists(label, min_size=1, max_size=3),
    st.sampled_from(["com", "net", "org", "io", "co.uk", "de", "info"]),
)
path = st.lists(label, max_size=3).map(lambda parts: "/" + "/".join(parts))
ioc = st.one_of(
    st.ip_addresses(v=4).map(str).map(lambda ip: ("ipv4", ip)),
    domain.map(lambda name: ("domain", name)),
    st.builds(
        lambda s, d, p: ("url", f"{s}://{d}{p}"), st.sampled_from(["http", "https"]), domain, path
    ),
    st.builds(lambda user, d: ("email", f"{user}@{d}"), label, domain),
)
ioc_text = st.builds(
    lambda before, value, after: f"{before} {value} {after}",
    st.sampled_from(["seen", "connection to", "beacon ->", "user clicked", "from"]),
    st.just("{}"),
    st.sampled_from(["today", "(blocked)", "port 443", "and more", "."]),
)
field_values = st.one_of(nasty_text, domain, st.ip_addresses().map(str), ioc.map(lambda i: i[1]))


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    records = []
    for index in range(draw(st.integers(1, 6))):
        fields = draw(
            st.dictionaries(
                st.one_of(st.sampled_from(FIELD_NAMES), json_keys), field_values, max_size=5
            )
        )
        raw = " ".join(draw(st.lists(field_values, max_size=6)))
        records.append(
            Record(
                artifact_id=f"A{index % 2 + 1}",
                locator=f"line:{index + 1}",
                source=draw(st.sampled_from(SOURCES)),
                raw=raw,
                fields=fields,
            )
        )
    return Incident(id="INC-1", input_digest="0", artifacts=(), records=tuple(records))


def _extract(incident: Incident) -> tuple[Observable, ...]:
    return extract_observables(
        incident, max_observables=MAX_OBSERVABLES, max_sightings=MAX_SIGHTINGS
    )


def _text_incident(text: str) -> Incident:
    record = Record(artifact_id="A1", locator="line:1", source="text", raw=text, fields={})
    return Incident(id="INC-1", input_digest="0", artifacts=(), records=(record,))


@pytest.mark.parametrize("examples", EXAMPLES)
def test_extraction_is_total_deterministic_capped_and_cites_its_records(examples: int) -> None:
    def check(incident: Incident) -> None:
        found = _extract(incident)
        assert found == _extract(incident)
        assert len(found) <= MAX_OBSERVABLES
        places = {(r.artifact_id, r.locator) for r in incident.records}
        for observable in found:
            assert 1 <= len(observable.sightings) <= MAX_SIGHTINGS
            assert {(s.artifact_id, s.locator) for s in observable.sightings} <= places
            observable.model_dump_json()  # serialisable: no lone surrogates reach the report

    run_property(incidents(), check, examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_extracted_values_are_canonical_and_defang_round_trips(examples: int) -> None:
    def check(incident: Incident) -> None:
        for observable in _extract(incident):
            kind, value = observable.type, observable.value
            if kind == "domain":
                assert canonical_domain(value, url_hosts=frozenset({value})) == value
            elif kind in {"ipv4", "ipv6", "url", "email", "md5", "sha1", "sha256", "cve"}:
                assert normalise(kind, value) == value, (kind, value)
            if kind in NETWORK_TYPES:
                assert refang(defang(value, kind)) == value, (kind, value)

    run_property(incidents(), check, examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_plain_and_defanged_iocs_are_read_alike(examples: int) -> None:
    def check(drawn: tuple[tuple[str, str], str]) -> None:
        (kind, value), template = drawn
        expected = normalise(kind, value)  # type: ignore[arg-type]
        if expected is None:
            return
        plain = {(o.type, o.value) for o in _extract(_text_incident(template.format(value)))}
        defanged = template.format(defang(expected, kind))
        fanged = {(o.type, o.value) for o in _extract(_text_incident(defanged))}
        assert (kind, expected) in plain, (value, plain)
        assert (kind, expected) in fanged, (defanged, fanged)

    run_property(st.tuples(ioc, ioc_text), check, examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_re_extracting_what_was_found_finds_it_again(examples: int) -> None:
    """Idempotence: the network observables of an incident, written back as text, come out
    again unchanged."""

    def check(incident: Incident) -> None:
        first = {(o.type, o.value) for o in _extract(incident) if o.type in NETWORK_TYPES}
        if not first:
            return
        text = " \n ".join(value for _, value in sorted(first))
        again = {(o.type, o.value) for o in _extract(_text_incident(text))}
        assert first <= again, first - again

    run_property(incidents(), check, examples)
