"""Packet captures (pcap, pcapng), parsed with dpkt into Zeek-shaped records: one conn row per
connection, and dns, http, ssl, kerberos, ntlm, smb_mapping, smb_files and dce_rpc rows from the
payload of each connection, so that the Zeek rules and observables read a capture as they read
Zeek logs. Locators are `packet:N/log` (N: the 1-based frame a row starts at)."""

import json

from triage.ingest.base import ArtifactSource, Loaded, cap_raw, parse_time
from triage.ingest.limits import Limits
from triage.ingest.packets.capture import ReadStats, read_packets
from triage.ingest.packets.conns import ConnectionTable
from triage.ingest.packets.streams import Entry, RowSink
from triage.models import Record

PCAP_MAGICS = (
    b"\xd4\xc3\xb2\xa1",  # microsecond timestamps, little-endian
    b"\xa1\xb2\xc3\xd4",  # microsecond timestamps, big-endian
    b"\x4d\x3c\xb2\xa1",  # nanosecond timestamps, little-endian
    b"\xa1\xb2\x3c\x4d",  # nanosecond timestamps, big-endian
)
PCAPNG_SECTION = b"\x0a\x0d\x0d\x0a"
PCAPNG_BYTE_ORDERS = (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d")
# Connections tracked: each costs about 1.5 kB, its kept first bytes aside. Every other table
# grows only with bytes on the wire, so memory stays a small multiple of the capture's size.
MAX_CONNECTIONS = 100_000


class PcapLoader:
    format = "pcap"

    def sniff(self, head: bytes, text_head: str) -> bool:
        if head[:4] in PCAP_MAGICS:
            return True
        # pcapng starts with a Section Header Block whose byte-order magic sits at offset 8.
        return head[:4] == PCAPNG_SECTION and head[8:12] in PCAPNG_BYTE_ORDERS

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        # A frame is the capture's unit of record: max_records caps frames read as well as
        # records made.
        stats = ReadStats()
        sink = RowSink(max_rows=limits.max_records)
        table = ConnectionTable(sink=sink, max_connections=min(MAX_CONNECTIONS, limits.max_records))
        for packet in read_packets(source.data, max_packets=limits.max_records, stats=stats):
            table.add(packet)
        table.finish()
        records = _records(source, sink.entries, limits)
        return Loaded(
            format=self.format,
            records=records,
            records_lost=sink.dropped,
            notes=_notes(stats, table, sink),
        )


def _records(source: ArtifactSource, entries: list[Entry], limits: Limits) -> list[Record]:
    """Records in packet order; the locator names the packet a row starts at and its log."""
    records: list[Record] = []
    seen: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: e.number):
        locator = f"packet:{entry.number}/{entry.log}"
        count = seen.get(locator, 0)
        seen[locator] = count + 1
        if count:
            locator += f"#{count + 1}"
        ts = entry.row.get("ts")
        records.append(
            Record(
                artifact_id=source.artifact_id,
                locator=locator,
                source=f"zeek.{entry.log}",
                raw=cap_raw(json.dumps({"_path": entry.log, **entry.row}), limits),
                fields=entry.row,
                timestamp=parse_time(ts) if isinstance(ts, float) else None,
            )
        )
    return records


def _notes(stats: ReadStats, table: ConnectionTable, sink: RowSink) -> tuple[str, ...]:
    notes = [f"{stats.packets:,} frames read into {len(sink.entries):,} Zeek-style records"]
    if stats.stopped:
        notes.append(stats.stopped)
    for reason, count in stats.skipped.most_common():
        notes.append(f"{count:,} frames skipped: {reason}")
    if table.untracked:
        notes.append(f"{table.untracked:,} packets of connections over the tracking limit")
    if table.malformed_app:
        notes.append(
            f"{table.malformed_app:,} malformed SMB, DCE-RPC, HTTP, DNS, Kerberos or TLS messages "
            "skipped"
        )
    if table.folded_flows:
        notes.append(
            f"{table.folded_flows:,} single-exchange UDP flows folded into the conn row of an "
            "earlier one with the same client, server, port and outcome (its `flows` count), "
            "past the first 16 of each"
        )
    if table.folded_dns:
        notes.append(
            f"{table.folded_dns:,} repeated DNS lookups folded into the row of an identical "
            "earlier one (its `count`)"
        )
    if table.encrypted_smb:
        notes.append(f"{table.encrypted_smb:,} SMB3 messages encrypted: their commands not read")
    if sink.dropped:
        notes.append(f"{sink.dropped:,} records over the record limit dropped")
    return tuple(notes)
