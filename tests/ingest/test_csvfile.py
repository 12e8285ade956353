"""CSV with a header row: sniffing by shape, fields by header, line locators."""

import pytest

from triage.errors import InputError
from triage.ingest.base import ArtifactSource
from triage.ingest.csvfile import CsvLoader
from triage.ingest.limits import Limits
from triage.ingest.registry import load_artifact
from triage.models import Record

SIGN_INS = (
    "Timestamp,UserPrincipalName,IPAddress,ResultType\n"
    "2024-05-01T08:00:00Z,alice@example.com,203.0.113.9,50126\n"
    '2024-05-01T08:00:05Z,"bob, jr@example.com",198.51.100.4,0\n'
    "\n"
    '2024-05-01T08:01:00Z,carol@example.com,192.0.2.1,"multi\nline"\n'
)


def _load(text: str | bytes) -> list[Record]:
    data = text.encode() if isinstance(text, str) else text
    return (
        CsvLoader()
        .load(ArtifactSource(artifact_id="A1", path="t.csv", data=data), Limits())
        .records
    )


def test_sniffs_a_header_and_consistent_rows() -> None:
    loader = CsvLoader()
    assert loader.sniff(b"", SIGN_INS)
    assert loader.sniff(b"", "name\tvalue\nx\t1\ny\t2\n")
    assert not loader.sniff(b"", "just one line, with a comma\n")
    assert not loader.sniff(b"", "a,b\n1,2,3\n4\n")


def test_does_not_claim_other_logs() -> None:
    syslog = (
        "Mar  1 10:00:00 web01 sshd[1]: Failed password for root, from 1.2.3.4\n"
        "Mar  1 10:00:01 web01 sshd[1]: Accepted password\n"
    )
    access = '1.2.3.4 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\n' * 3
    assert not CsvLoader().sniff(b"", syslog)
    assert not CsvLoader().sniff(b"", access)
    assert not CsvLoader().sniff(b"", '{"a": 1, "b": 2}\n{"a": 3, "b": 4}\n')


def test_fields_by_header_with_line_locators_and_raw() -> None:
    records = _load(SIGN_INS)
    assert [r.locator for r in records] == ["line:2", "line:3", "line:5"]
    assert records[1].fields["UserPrincipalName"] == "bob, jr@example.com"
    assert records[1].raw == SIGN_INS.splitlines()[2]
    assert records[2].fields["ResultType"] == "multi\nline"
    assert records[2].raw == "\n".join(SIGN_INS.splitlines()[4:6])
    assert all(r.source == "csv" for r in records)
    assert records[0].timestamp is not None and records[0].timestamp.hour == 8


def test_short_and_long_rows_keep_every_value() -> None:
    records = _load("a,b\n1\n2,3,4\n")
    assert records[0].fields == {"a": "1", "b": None}
    assert records[1].fields == {"a": "2", "b": "3", "extra.1": "4"}


def test_through_the_registry() -> None:
    loaded = load_artifact(
        ArtifactSource(artifact_id="A1", path="x", data=SIGN_INS.encode()), Limits()
    )
    assert loaded.format == "csv"
    assert len(loaded.records) == 3


def test_over_long_line_is_an_input_error() -> None:
    text = "a,b\n" + "x," + "y" * 200 + "\n"
    with pytest.raises(InputError, match="line 2"):
        CsvLoader().load(
            ArtifactSource(artifact_id="A1", path="t.csv", data=text.encode()),
            Limits(max_line_bytes=100),
        )


def test_invalid_utf8_is_replaced() -> None:
    records = _load(b"user,host\ncaf\xe9,h1\n")
    assert records[0].fields["user"] == "caf\ufffd"
