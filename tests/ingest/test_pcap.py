"""Packet captures: recognised by magic in every variant, listed with a note, never parsed."""

import struct

import pytest

from tests.conftest import case_artifacts, realdata_cases
from triage.ingest.base import ArtifactSource
from triage.ingest.limits import Limits
from triage.ingest.pcap import PcapLoader
from triage.ingest.registry import load_artifact

GLOBAL_HEADER_TAIL = struct.pack("<HHiIII", 2, 4, 0, 0, 65535, 1)


def _pcapng(byte_order: str) -> bytes:
    return b"\x0a\x0d\x0d\x0a" + struct.pack(f"{byte_order}IIHHq", 28, 0x1A2B3C4D, 1, 0, -1)


@pytest.mark.parametrize(
    "head",
    [
        struct.pack("<I", 0xA1B2C3D4) + GLOBAL_HEADER_TAIL,
        struct.pack(">I", 0xA1B2C3D4) + GLOBAL_HEADER_TAIL,
        struct.pack("<I", 0xA1B23C4D) + GLOBAL_HEADER_TAIL,
        struct.pack(">I", 0xA1B23C4D) + GLOBAL_HEADER_TAIL,
        _pcapng("<"),
        _pcapng(">"),
    ],
    ids=["usec-le", "usec-be", "nsec-le", "nsec-be", "pcapng-le", "pcapng-be"],
)
def test_every_capture_variant_is_listed_with_a_note(head: bytes) -> None:
    assert PcapLoader().sniff(head, "")
    loaded = load_artifact(ArtifactSource(artifact_id="A1", path="c", data=head), Limits())
    assert loaded.format == "pcap"
    assert loaded.records == []
    assert any("packets are not parsed" in note for note in loaded.notes)


def test_other_bytes_are_not_claimed() -> None:
    assert not PcapLoader().sniff(b"\x0a\x0d\x0d\x0a" + b"\x00" * 20, "")
    assert not PcapLoader().sniff(b"ElfFile\x00", "")
    assert not PcapLoader().sniff(b"", "")


def test_realdata_captures_are_recognised() -> None:
    captures = [
        path
        for case in realdata_cases()
        for path in case_artifacts(case)
        if PcapLoader().sniff(path.read_bytes()[:64], "")
    ]
    if not captures:
        pytest.skip("no capture in ../shared/realdata")
    for path in captures:
        loaded = load_artifact(
            ArtifactSource(artifact_id="A1", path=str(path), data=path.read_bytes()), Limits()
        )
        assert loaded.format == "pcap" and not loaded.records
