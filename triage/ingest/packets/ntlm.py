"""NTLM AUTHENTICATE messages (MS-NLMP) inside SMB session setups, in Zeek's ntlm.log shape:
the domain, user and workstation a client authenticated as."""

import struct

from triage.ingest.packets.streams import Row

SIGNATURE = b"NTLMSSP\x00\x03\x00\x00\x00"
_UNICODE = 0x00000001


def authenticate_fields(blob: bytes) -> Row | None:
    """username, hostname and domainname of the first AUTHENTICATE message in blob, if any."""
    at = blob.find(SIGNATURE)
    if at < 0 or at + 64 > len(blob):
        return None
    message = blob[at:]
    (flags,) = struct.unpack_from("<I", message, 60)
    encoding = "utf-16-le" if flags & _UNICODE else "latin-1"

    def field(offset: int) -> str | None:
        length, _, start = struct.unpack_from("<HHI", message, offset)
        text = message[start : start + length].decode(encoding, "replace")
        return text or None

    return {
        "username": field(36),
        "hostname": field(44),
        "domainname": field(28),
        "server_nb_computer_name": None,
        "server_dns_computer_name": None,
        "server_tree_name": None,
        "success": None,
    }
