"""Network flow exports (nfdump CSV, Argus `ra` delimited output, CIC/UNSW-style flow CSV):
one record per flow with normalised names (src_ip, dst_ip, src_port, dst_port, proto, bytes, …)."""

import csv
from collections.abc import Mapping
from datetime import UTC, datetime

from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, decode_text, parse_time
from triage.ingest.csvfile import DELIMITERS, csv_records
from triage.ingest.limits import Limits
from triage.models import Record, Scalar

SOURCE = "netflow"

# Normalised name → column names (lower case, without spaces, "_", "-" or ".") that carry it,
# in order of preference: nfdump (sa, da, …), Argus (SrcAddr, Sport, …), CICFlowMeter
# (Src IP, Tot Fwd Pkts, …), UNSW-NB15 (srcip, dsport, sbytes, …), nProbe (IPV4_SRC_ADDR, …).
_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "src_ip": ("sa", "srcaddr", "srcip", "sourceip", "ipv4srcaddr", "srcaddress", "saddr"),
    "dst_ip": ("da", "dstaddr", "dstip", "destinationip", "ipv4dstaddr", "dstaddress", "daddr"),
    "src_port": ("sp", "sport", "srcport", "sourceport", "l4srcport"),
    "dst_port": ("dp", "dport", "dsport", "dstport", "destinationport", "l4dstport"),
    "proto": ("pr", "proto", "protocol"),
    "start": ("ts", "starttime", "firstseen", "stime", "timestamp", "flowstart", "start"),
    "flags": ("flg", "flgs", "tcpflags", "flags"),
    "state": ("state",),
}
# Bytes and packets: one column, or the forward and backward halves of a bidirectional flow.
_SRC_BYTES = ("ibyt", "srcbytes", "sbytes", "totlenfwdpkts", "totallengthoffwdpackets", "inbytes")
_DST_BYTES = ("obyt", "dstbytes", "dbytes", "totlenbwdpkts", "totallengthofbwdpackets", "outbytes")
_BYTES = ("totbytes", "bytes", "octets", "byt")
_SRC_PACKETS = ("ipkt", "srcpkts", "spkts", "totfwdpkts", "totalfwdpackets", "inpkts")
_DST_PACKETS = ("opkt", "dstpkts", "dpkts", "totbwdpkts", "totalbackwardpackets", "outpkts")
_PACKETS = ("totpkts", "packets", "pkts", "pkt")
_METRICS = frozenset({*_SRC_BYTES, *_DST_BYTES, *_BYTES, *_SRC_PACKETS, *_DST_PACKETS, *_PACKETS})
# Duration columns and the factor to seconds (CICFlowMeter counts microseconds).
_DURATION = (("td", 1.0), ("dur", 1.0), ("duration", 1.0), ("flowduration", 1e-6))
_PROTOCOL_NUMBERS = {
    "1": "icmp",
    "6": "tcp",
    "17": "udp",
    "47": "gre",
    "50": "esp",
    "58": "ipv6-icmp",
}
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
# nfdump ends its CSV with a summary block that is not flows.
_TRAILER = "Summary"


class FlowLoader:
    format = SOURCE

    def sniff(self, head: bytes, text_head: str) -> bool:
        lines = [line for line in text_head.split("\n")[:3] if line.strip()]
        return len(lines) >= 2 and _header_delimiter(lines[0]) is not None

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        text = decode_text(source.data)
        first = next((line for line in text.split("\n") if line.strip()), "")
        delimiter = _header_delimiter(first)
        if delimiter is None:
            raise InputError(
                "no flow header row (source and destination columns)", source=source.path
            )
        records: list[Record] = []
        rows = csv_records(
            text, delimiter=delimiter, source=source, limits=limits, source_name=SOURCE
        )
        for row in rows:
            if row.raw.startswith(_TRAILER):
                break
            fields = {**row.fields, **normalised(row.fields)}
            start = fields.get("start")
            records.append(
                row.model_copy(
                    update={"fields": fields, "timestamp": _time(start) or row.timestamp}
                )
            )
        return Loaded(format=self.format, records=records)


def _key(name: str) -> str:
    return "".join(char for char in name.lower() if char not in " _-.")


def _header_delimiter(line: str) -> str | None:
    """The delimiter when the line is a header naming source and destination addresses, a
    destination port or protocol, and a flow measure (bytes, packets or duration): address
    columns alone also head firewall and SIEM exports that are not flows."""
    for delimiter in DELIMITERS:
        try:
            header = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        keys = {_key(name) for name in header}
        found = {name for name, columns in _COLUMNS.items() if keys & set(columns)}
        measured = keys & {*_METRICS, *(column for column, _ in _DURATION)}
        if {"src_ip", "dst_ip"} <= found and found & {"dst_port", "proto"} and measured:
            return delimiter
    return None


def normalised(columns: Mapping[str, Scalar]) -> dict[str, Scalar]:
    """The normalised flow fields of one row (absent when the export has no such column)."""
    by_key: dict[str, Scalar] = {}
    for name, value in columns.items():
        by_key.setdefault(_key(name), value.strip() if isinstance(value, str) else value)
    fields: dict[str, Scalar] = {}
    for name, candidates in _COLUMNS.items():
        value = next((by_key[c] for c in candidates if by_key.get(c) not in (None, "")), None)
        if value is not None:
            fields[name] = value
    for port in ("src_port", "dst_port"):
        if port in fields:
            fields[port] = _number(fields[port])
    if "proto" in fields:
        proto = str(fields["proto"]).lower()
        fields["proto"] = _PROTOCOL_NUMBERS.get(proto, proto)
    if "start" in fields and (start := _time(fields["start"])) is not None:
        fields["start"] = start.isoformat()
    src_bytes, dst_bytes = _first(by_key, _SRC_BYTES), _first(by_key, _DST_BYTES)
    src_packets, dst_packets = _first(by_key, _SRC_PACKETS), _first(by_key, _DST_PACKETS)
    fields.update(
        {
            "src_bytes": src_bytes,
            "dst_bytes": dst_bytes,
            "bytes": _total(_first(by_key, _BYTES), src_bytes, dst_bytes),
            "packets": _total(_first(by_key, _PACKETS), src_packets, dst_packets),
            "duration": _duration(by_key),
        }
    )
    return {name: value for name, value in fields.items() if value is not None}


def _first(by_key: Mapping[str, Scalar], candidates: tuple[str, ...]) -> int | float | None:
    for candidate in candidates:
        number = _number(by_key.get(candidate))
        if isinstance(number, int | float):
            return number
    return None


def _total(
    total: int | float | None, forward: int | float | None, backward: int | float | None
) -> int | float | None:
    if total is not None:
        return total
    if forward is None and backward is None:
        return None
    return (forward or 0) + (backward or 0)


def _duration(by_key: Mapping[str, Scalar]) -> float | None:
    for column, factor in _DURATION:
        number = _number(by_key.get(column))
        if isinstance(number, int | float):
            return round(number * factor, 6)
    return None


def _number(value: Scalar) -> Scalar:
    """Digits as int, decimals as float, hex (Argus ICMP "ports") as int; other text unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if text.lower().startswith("0x"):
            return int(text, 16)
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return value


def _time(value: Scalar) -> datetime | None:
    """nfdump and ISO times, epoch seconds (UNSW, Argus -u), Argus and CIC date formats."""
    number = _number(value)
    if isinstance(number, int | float):
        return parse_time(number) if number > 1e8 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    parsed = parse_time(text)
    if parsed is not None:
        return parsed
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
