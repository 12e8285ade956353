"""Zeek TSV logs: header-driven fields, typed values, line locators, sniffing by content."""

from pathlib import Path

import pytest
import yaml

from tests.conftest import REALDATA, requires_realdata
from triage.ingest.base import ArtifactSource, decode_text
from triage.ingest.limits import Limits
from triage.ingest.registry import load_artifact
from triage.ingest.zeek import ZeekLoader

ZEEK_CASE = REALDATA / "DEV-11"

INLINE = (
    "#separator \\x09\n"
    "#path\tdns\n"
    "#unset_field\t-\n"
    "#empty_field\t(empty)\n"
    "#fields\tts\tid.orig_h\tid.resp_p\tquery\tanswers\n"
    "#types\ttime\taddr\tport\tstring\tvector[string]\n"
    "1692146028.5\t10.0.0.5\t53\tevil.example\t(empty)\n"
    "1692146029.0\t10.0.0.6\t53\t-\t1.2.3.4\n"
    "a line that is not zeek\n"
)


def _load(data: bytes, path: str = "x.log") -> list:  # type: ignore[type-arg]
    source = ArtifactSource(artifact_id="A1", path=path, data=data)
    return ZeekLoader().load(source, Limits()).records


def test_inline_fields_are_named_and_typed_by_the_header() -> None:
    records = _load(INLINE.encode())
    assert [r.locator for r in records] == ["line:7", "line:8", "line:9"]
    first, second, odd = records
    assert first.source == "zeek.dns"
    assert first.fields["id.orig_h"] == "10.0.0.5"
    assert first.fields["id.resp_p"] == 53  # a port is a whole number
    assert first.fields["answers"] is None  # "(empty)"
    assert second.fields["query"] is None  # "-"
    assert first.fields["ts"] == "1692146028.5"
    assert first.timestamp is not None and first.timestamp.year == 2023
    assert odd.fields == {}
    assert odd.raw == "a line that is not zeek"


def test_sniff_needs_the_zeek_header() -> None:
    loader = ZeekLoader()
    assert loader.sniff(INLINE.encode(), INLINE)
    w3c = "#Software: IIS\n#Fields: date time c-ip\n2024-01-01 00:00:00 1.2.3.4\n"
    assert not loader.sniff(w3c.encode(), w3c)
    json_text = '{"ts": 1, "id.orig_h": "1.2.3.4"}\n'
    assert not loader.sniff(json_text.encode(), json_text)


def _label_lines(name: str) -> int:
    label = yaml.safe_load((ZEEK_CASE / "label.yaml").read_text())
    return next(a["lines"] for a in label["artifacts"] if a["file"] == name)


@requires_realdata
@pytest.mark.parametrize(
    "name", ["conn.log", "dns.log", "files.log", "http.log", "weird.log", "packet_filter.log"]
)
def test_real_zeek_logs_give_one_record_per_data_line(name: str) -> None:
    path = ZEEK_CASE / name
    lines = decode_text(path.read_bytes()).splitlines()
    assert len(lines) == _label_lines(name)
    data_lines = [n for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    records = _load(path.read_bytes())
    assert [r.locator for r in records] == [f"line:{n}" for n in data_lines]
    assert all(r.source == f"zeek.{path.stem}" for r in records)
    assert all(r.raw == lines[int(r.locator[5:]) - 1] for r in records)
    assert all(r.fields and r.timestamp is not None for r in records)


@requires_realdata
def test_real_conn_log_has_connection_fields() -> None:
    records = _load((ZEEK_CASE / "conn.log").read_bytes())
    addresses = {r.fields["id.resp_h"] for r in records}
    assert "10.0.5.13" in addresses
    assert all(isinstance(r.fields["id.resp_p"], int) for r in records)
    assert all(isinstance(r.fields["id.orig_h"], str) for r in records)


@requires_realdata
def test_zeek_saved_as_txt_is_still_sniffed_as_zeek(tmp_path: Path) -> None:
    data = (ZEEK_CASE / "http.log").read_bytes()
    renamed = tmp_path / "notes.txt"
    renamed.write_bytes(data)
    loaded = load_artifact(
        ArtifactSource(artifact_id="A1", path=str(renamed), data=renamed.read_bytes()), Limits()
    )
    assert loaded.format == "zeek"
    assert loaded.records[0].source == "zeek.http"


ZEEK_JSON = (
    '{"ts":1692146028.5,"uid":"CAbc1","id.orig_h":"10.0.0.5","id.orig_p":49152,'
    '"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","trans_id":7,"query":"evil.example",'
    '"answers":["1.2.3.4","5.6.7.8"],"AA":false,"rejected":false}\n'
    '{"ts":"2023-08-16T00:33:49.000000Z","uid":"CAbc2","id":{"orig_h":"10.0.0.5",'
    '"orig_p":49153,"resp_h":"10.0.0.9","resp_p":135},"endpoint":"svcctl",'
    '"operation":"CreateServiceW","named_pipe":"135"}\n'
    '{"_path":"conn","ts":1692146030.0,"uid":"CAbc3","id.orig_h":"10.0.0.5","history":"ShADad"}\n'
)


def test_zeek_json_rows_are_named_like_the_tsv_logs() -> None:
    source = ArtifactSource(artifact_id="A1", path="zeek.json", data=ZEEK_JSON.encode())
    dns, rpc, conn = load_artifact(source, Limits()).records
    assert (dns.source, rpc.source, conn.source) == ("zeek.dns", "zeek.dce_rpc", "zeek.conn")
    assert dns.fields["id.resp_p"] == 53
    assert dns.fields["answers"] == "1.2.3.4,5.6.7.8"  # a vector, as the TSV writer joins it
    assert dns.fields["AA"] == "F"
    assert rpc.fields["id.orig_h"] == "10.0.0.5" and rpc.fields["operation"] == "CreateServiceW"
    assert dns.timestamp is not None and dns.timestamp.year == 2023
    assert rpc.timestamp is not None and rpc.timestamp.minute == 33


def test_json_rows_without_zeek_ids_are_not_zeek() -> None:
    text = '{"ts": 1692146028.5, "query": "x"}\n{"ts": 1692146029.5, "query": "y"}\n'
    source = ArtifactSource(artifact_id="A1", path="x.json", data=text.encode())
    assert {r.source for r in load_artifact(source, Limits()).records} == {"jsonl"}


def test_escaped_backslashes_and_bytes_in_values_are_read_as_zeek_saw_them() -> None:
    log = (
        "#separator \\x09\n#path\tsmb_mapping\n#unset_field\t-\n"
        "#fields\tts\tid.orig_h\tpath\tshare_type\n#types\ttime\taddr\tstring\tstring\n"
        "1692146028.5\t10.0.0.5\t\\\\\\\\FS01\\\\ADMIN$\tDISK\n"
        "1692146029.5\t10.0.0.5\ta\\x09b\tPIPE\n"
    )
    mapped, tabbed = _load(log.encode())
    assert mapped.fields["path"] == "\\\\FS01\\ADMIN$"
    assert mapped.raw.endswith("\\\\\\\\FS01\\\\ADMIN$\tDISK")  # the quoted line stays as written
    assert tabbed.fields["path"] == "a\tb"
