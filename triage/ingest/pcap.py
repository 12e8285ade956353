"""Packet captures (pcap, pcapng): recognised by magic and listed; packets are not parsed."""

from triage.ingest.base import ArtifactSource, Loaded
from triage.ingest.limits import Limits

PCAP_MAGICS = (
    b"\xd4\xc3\xb2\xa1",  # microsecond timestamps, little-endian
    b"\xa1\xb2\xc3\xd4",  # microsecond timestamps, big-endian
    b"\x4d\x3c\xb2\xa1",  # nanosecond timestamps, little-endian
    b"\xa1\xb2\x3c\x4d",  # nanosecond timestamps, big-endian
)
PCAPNG_SECTION = b"\x0a\x0d\x0d\x0a"
PCAPNG_BYTE_ORDERS = (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d")
NOTE = "packets are not parsed; the capture is hashed and listed only"


class PcapLoader:
    format = "pcap"

    def sniff(self, head: bytes, text_head: str) -> bool:
        if head[:4] in PCAP_MAGICS:
            return True
        # pcapng starts with a Section Header Block whose byte-order magic sits at offset 8.
        return head[:4] == PCAPNG_SECTION and head[8:12] in PCAPNG_BYTE_ORDERS

    def load(self, source: ArtifactSource, limits: Limits) -> Loaded:
        return Loaded(format=self.format, records=[], notes=(NOTE,))
