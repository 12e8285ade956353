"""EVTX loading: record counts against the case labels, locators, fields and damaged files."""

from pathlib import Path

import pytest
import yaml

from tests.conftest import case_artifacts, realdata_cases, requires_realdata
from triage.errors import InputError
from triage.ingest.base import ArtifactSource
from triage.ingest.evtx import EvtxLoader, records_declared
from triage.ingest.limits import Limits
from triage.ingest.registry import load_artifact

EVTX_CASES = [
    (case, path)
    for case in realdata_cases()
    for path in case_artifacts(case)
    if path.read_bytes()[:8] == b"ElfFile\x00"
]


def _source(data: bytes, path: str = "test.evtx") -> ArtifactSource:
    return ArtifactSource(artifact_id="A1", path=path, data=data)


def _label_count(case: Path, artifact: Path) -> int:
    label = yaml.safe_load((case / "label.yaml").read_text())
    entry = next(a for a in label["artifacts"] if a["file"] == artifact.name)
    return int(entry["evtx_records"])


@requires_realdata
@pytest.mark.parametrize(("case", "artifact"), EVTX_CASES, ids=[c.name for c, _ in EVTX_CASES])
def test_record_count_matches_label(case: Path, artifact: Path) -> None:
    loaded = load_artifact(_source(artifact.read_bytes(), str(artifact)), Limits())
    assert loaded.format == "evtx"
    assert len(loaded.records) == _label_count(case, artifact)
    assert loaded.records_lost == 0


@requires_realdata
@pytest.mark.parametrize(("case", "artifact"), EVTX_CASES, ids=[c.name for c, _ in EVTX_CASES])
def test_locator_names_the_event_record_id_in_raw(case: Path, artifact: Path) -> None:
    loaded = EvtxLoader().load(_source(artifact.read_bytes()), Limits())
    for record in loaded.records:
        record_id = record.fields["EventRecordID"]
        assert isinstance(record_id, int)
        assert record.locator == f"record:{record_id}"
        assert f"<EventRecordID>{record_id}</EventRecordID>" in record.raw
        assert record.source == record.fields["Channel"]
        assert isinstance(record.fields["EventID"], int)
        assert record.timestamp is not None and record.timestamp.utcoffset() is not None


@requires_realdata
def test_sysmon_process_access_to_lsass_has_its_fields() -> None:
    case = next((c for c in realdata_cases() if c.name == "DEV-01"), None)
    if case is None:
        pytest.skip("DEV-01 absent")
    loaded = EvtxLoader().load(_source((case / "artifact.evtx").read_bytes()), Limits())
    access = [r for r in loaded.records if r.fields["EventID"] == 10]
    assert len(access) == 1
    fields = access[0].fields
    assert str(fields["TargetImage"]).lower().endswith("lsass.exe")
    assert fields["Channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert fields["Provider"] == "Microsoft-Windows-Sysmon"
    assert str(fields["GrantedAccess"]) in access[0].raw
    assert fields["Computer"] == "FS03.offsec.lan"


@pytest.fixture
def real_evtx() -> bytes:
    if not EVTX_CASES:
        pytest.skip("no EVTX in ../shared/realdata")
    # The largest sample gives the damage tests a chunk with many records.
    return max((path.read_bytes() for _, path in EVTX_CASES), key=records_declared)


def test_sniff_needs_the_magic() -> None:
    loader = EvtxLoader()
    assert loader.sniff(b"ElfFile\x00" + bytes(100), "")
    assert not loader.sniff(b"\x00\x01ElfFile\x00junk", "")
    assert not loader.sniff(bytes(range(256)), "")


@pytest.mark.parametrize(
    "data",
    [b"ElfFile\x00", b"ElfFile\x00" + b"\x01" * 50, b"ElfFile\x00" + bytes(8000)],
    ids=["magic-only", "short-junk", "zeroed-header"],
)
def test_magic_without_a_readable_header_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match="unreadable EVTX") as caught:
        load_artifact(_source(data), Limits())
    assert caught.value.exit_code == 3


def test_header_cut_short_is_an_input_error(real_evtx: bytes) -> None:
    with pytest.raises(InputError, match="unreadable EVTX"):
        EvtxLoader().load(_source(real_evtx[:2000]), Limits())


def test_log_without_chunks_is_empty_with_a_note(real_evtx: bytes) -> None:
    loaded = EvtxLoader().load(_source(real_evtx[:4096]), Limits())
    assert loaded.records == [] and loaded.records_lost == 0
    assert loaded.notes == ("the log holds no event records",)


def test_truncated_chunk_is_an_input_error_naming_the_lost_records(real_evtx: bytes) -> None:
    declared = records_declared(real_evtx)
    with pytest.raises(InputError, match=f"none of its {declared:,} declared records"):
        EvtxLoader().load(_source(real_evtx[: 4096 + 8192]), Limits())


def test_damaged_second_chunk_keeps_the_first_and_counts_the_loss(real_evtx: bytes) -> None:
    first_chunk = real_evtx[: 4096 + 65536]
    declared = records_declared(first_chunk)
    # A copy of the chunk whose body is overwritten: its header still declares its records.
    broken = bytearray(first_chunk[4096:])
    broken[600:4000] = b"\xff" * 3400
    loaded = EvtxLoader().load(_source(first_chunk + bytes(broken)), Limits())
    assert len(loaded.records) == declared
    assert loaded.records_lost == declared
    assert any("could not be read" in note for note in loaded.notes)


def test_binary_junk_without_magic_is_not_claimed() -> None:
    junk = bytes(range(256)) * 64
    with pytest.raises(InputError, match="binary data"):
        load_artifact(_source(junk), Limits())
