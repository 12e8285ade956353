"""Kerberos 5 (RFC 4120) messages on port 88, in Zeek's kerberos.log shape: request type, client,
service, ticket cipher, success and error; read with a small, lenient DER walker."""

from collections.abc import Iterator

from triage.ingest.packets.streams import Row

MAX_DEPTH = 8
ERRORS = {
    1: "KDC_ERR_NAME_EXP", 2: "KDC_ERR_SERVICE_EXP", 3: "KDC_ERR_BAD_PVNO",
    6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE", 9: "KDC_ERR_NULL_KEY", 12: "KDC_ERR_POLICY",
    13: "KDC_ERR_BADOPTION", 14: "KDC_ERR_ETYPE_NOSUPP", 15: "KDC_ERR_SUMTYPE_NOSUPP",
    16: "KDC_ERR_PADATA_TYPE_NOSUPP", 18: "KDC_ERR_CLIENT_REVOKED", 19: "KDC_ERR_SERVICE_REVOKED",
    20: "KDC_ERR_TGT_REVOKED", 21: "KDC_ERR_CLIENT_NOTYET", 22: "KDC_ERR_SERVICE_NOTYET",
    23: "KDC_ERR_KEY_EXPIRED", 24: "KDC_ERR_PREAUTH_FAILED", 25: "KDC_ERR_PREAUTH_REQUIRED",
    31: "KRB_AP_ERR_BAD_INTEGRITY", 32: "KRB_AP_ERR_TKT_EXPIRED", 33: "KRB_AP_ERR_TKT_NYV",
    37: "KRB_AP_ERR_SKEW", 41: "KRB_AP_ERR_MODIFIED", 52: "KRB_ERR_RESPONSE_TOO_BIG",
    60: "KRB_ERR_GENERIC", 68: "KDC_ERR_WRONG_REALM",
}  # fmt: skip
CIPHERS = {
    1: "des-cbc-crc", 3: "des-cbc-md5", 16: "des3-cbc-sha1", 17: "aes128-cts-hmac-sha1-96",
    18: "aes256-cts-hmac-sha1-96", 19: "aes128-cts-hmac-sha256-128",
    20: "aes256-cts-hmac-sha384-192", 23: "rc4-hmac", 24: "rc4-hmac-exp",
}  # fmt: skip
_AS_REQ, _AS_REP, _TGS_REQ, _TGS_REP, _ERROR = 10, 11, 12, 13, 30


def _items(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag byte, content) of each DER element; a cut-off last element keeps what is there."""
    at = 0
    while at + 2 <= len(data):
        tag, first = data[at], data[at + 1]
        at += 2
        if first & 0x80:
            size = first & 0x7F
            if not 0 < size <= 4:
                return
            length = int.from_bytes(data[at : at + size], "big")
            at += size
        else:
            length = first
        yield tag, data[at : at + length]
        at += length


def _fields(data: bytes) -> dict[int, bytes]:
    """The context-tagged [n] members of a SEQUENCE's content."""
    (tag, content), *_ = [*_items(data), (0, b"")]
    if tag != 0x30:
        return {}
    return {t & 0x1F: value for t, value in _items(content) if t & 0xE0 == 0xA0}


def _inner(value: bytes) -> bytes:
    """The content of the one element inside an explicit tag."""
    return next((content for _, content in _items(value)), b"")


def _integer(value: bytes | None) -> int | None:
    content = _inner(value) if value else b""
    return int.from_bytes(content[:8], "big", signed=True) if content else None


def _string(value: bytes | None) -> str:
    return _inner(value).decode("utf-8", "replace") if value else ""


def _principal(value: bytes | None) -> str:
    """PrincipalName: its name-string parts joined with "/"."""
    if not value:
        return ""
    names = _fields(value).get(1)
    if not names:
        return ""
    (_, sequence), *_ = [*_items(names), (0, b"")]
    return "/".join(part.decode("utf-8", "replace") for _, part in _items(sequence))


def _application(message: bytes) -> tuple[int, bytes] | None:
    for tag, content in _items(message):
        if tag & 0xE0 == 0x60:
            return tag & 0x1F, content
        return None
    return None


def parse(message: bytes) -> tuple[str, Row] | None:
    """("request"|"reply", the fields it gives) for one Kerberos message, or None."""
    found = _application(message)
    if found is None:
        return None
    kind, content = found
    fields = _fields(content)
    if kind in (_AS_REQ, _TGS_REQ):
        body = _fields(fields.get(4, b""))
        realm = _string(body.get(2))
        client = _principal(body.get(1))
        # A TGS-REQ names its client only inside the encrypted authenticator: the reply tells.
        service = _principal(body.get(3))
        return "request", {
            "request_type": "AS" if kind == _AS_REQ else "TGS",
            "client": f"{client}/{realm}" if client else None,
            "service": service or None,
        }
    if kind in (_AS_REP, _TGS_REP):
        ticket = _application(fields.get(5, b""))
        etype = None
        if ticket is not None:
            encrypted = _fields(ticket[1]).get(3)
            etype = _integer(_fields(encrypted).get(0)) if encrypted else None
        client, realm = _principal(fields.get(4)), _string(fields.get(3))
        reply: Row = {"success": "T", "error_code": None, "error_msg": None}
        if etype is not None:
            reply["cipher"] = CIPHERS.get(etype, str(etype))
        if client:
            reply["client"] = f"{client}/{realm}"
        return "reply", reply
    if kind == _ERROR:
        code = _integer(fields.get(6))
        return "reply", {
            "success": "F",
            "error_code": code,
            "error_msg": ERRORS.get(code, str(code)) if code is not None else None,
        }
    return None
