"""Windows EVTX event logs: one record per event, fields from its XML, located by EventRecordID."""

import io
import struct
import warnings

from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, cap_raw, parse_time
from triage.ingest.limits import Limits
from triage.ingest.winevent import event_fields_from_xml
from triage.models import Record

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
FILE_HEADER_BYTES = 4096
CHUNK_BYTES = 65536
MAX_PARSER_MESSAGES = 3
EXPECTED_HEADER_SIZE = 128
EXPECTED_MAJOR_VERSION = 3


class EvtxLoader:
    format = "evtx"

    def sniff(self, head: bytes, text_head: str) -> bool:
        return head.startswith(FILE_MAGIC)

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        import evtx

        _check_file_header(source)
        expected = records_declared(source.data)
        records: list[Record] = []
        unreadable_events = 0
        with warnings.catch_warnings(record=True) as parser_warnings:
            warnings.simplefilter("always")
            try:
                parser = evtx.PyEvtxParser(
                    io.BytesIO(source.data), number_of_threads=1, skip_errors=True
                )
                for entry in parser.records():
                    record = _record(entry, source=source, limits=limits)
                    if record is None:
                        unreadable_events += 1
                        continue
                    records.append(record)
                    if len(records) > limits.max_records:
                        raise InputError(
                            f"more than {limits.max_records:,} records (limit)", source=source.path
                        )
            except (OSError, RuntimeError) as exc:
                if not records:
                    raise InputError(f"unreadable EVTX file: {exc}", source=source.path) from exc
                parser_warnings.append(warnings.WarningMessage(str(exc), RuntimeWarning, "evtx", 0))
        lost = max(expected - len(records), unreadable_events)
        if not records and lost:
            raise InputError(
                f"damaged EVTX file: none of its {expected:,} declared records could be read",
                source=source.path,
            )
        notes: list[str] = [] if records else ["the log holds no event records"]
        if lost:
            notes.append(f"{lost:,} of {expected:,} declared EVTX records could not be read")
        notes.extend(
            f"EVTX parser: {warning.message}" for warning in parser_warnings[:MAX_PARSER_MESSAGES]
        )
        return Loaded(format=self.format, records=records, records_lost=lost, notes=tuple(notes))


def _check_file_header(source: ArtifactSource) -> None:
    """The magic alone is eight bytes anyone can write: the header must also look like EVTX's."""
    header = source.data[:40]
    if len(header) < 40:
        raise InputError("unreadable EVTX file: header cut short", source=source.path)
    header_size, _minor, major = struct.unpack_from("<IHH", header, 32)
    if header_size != EXPECTED_HEADER_SIZE or major != EXPECTED_MAJOR_VERSION:
        raise InputError(
            f"unreadable EVTX file: header size {header_size}, version {major} "
            f"(expected {EXPECTED_HEADER_SIZE}, {EXPECTED_MAJOR_VERSION})",
            source=source.path,
        )


def records_declared(data: bytes) -> int:
    """How many records the chunk headers say the file holds: the yardstick for records lost,
    since the parser drops a truncated chunk without a word."""
    total = 0
    for offset in range(FILE_HEADER_BYTES, len(data), CHUNK_BYTES):
        header = data[offset : offset + 24]
        if len(header) < 24 or not header.startswith(CHUNK_MAGIC):
            continue
        first, last = struct.unpack_from("<QQ", header, 8)
        # A chunk holds at most a few thousand records; larger spans are corrupt headers.
        if first <= last and last - first < CHUNK_BYTES:
            total += last - first + 1
    return total


def _record(entry: object, *, source: ArtifactSource, limits: Limits) -> Record | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("data"), str):
        return None
    xml: str = entry["data"]
    try:
        fields = event_fields_from_xml(xml)
    except InputError:
        return None
    # The System EventRecordID is the number a person sees in Event Viewer; the chunk's own
    # record number can differ in exported logs.
    record_id = fields.get("EventRecordID", entry.get("event_record_id"))
    channel = fields.get("Channel")
    return Record(
        artifact_id=source.artifact_id,
        locator=f"record:{record_id}",
        source=channel if isinstance(channel, str) and channel else "evtx",
        raw=cap_raw(xml, limits),
        fields=fields,
        timestamp=parse_time(fields.get("TimeCreated")),
    )
