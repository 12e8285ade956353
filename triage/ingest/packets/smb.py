"""SMB1 and SMB2/3 over TCP 445/139: tree connects (smb_mapping), file and named-pipe opens,
writes, renames and deletes (smb_files), and the DCE-RPC carried in named-pipe I/O."""

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from triage.ingest.packets import ntlm
from triage.ingest.packets.dcerpc import HEADER, RpcCall, RpcSession, fragment_length
from triage.ingest.packets.streams import Framer, Row

MESSAGE_HEAD = 16 * 1024  # bytes kept of each SMB message: headers, names and PDU heads fit
_MAX_TABLE = 4096  # trees, files and pending requests remembered per connection
_PIPE_TRANSCEIVE = 0x0011C017
_SHARE_TYPES = {1: "DISK", 2: "PIPE", 3: "PRINT"}
_RENAME, _DISPOSITION = 10, 13
_SMB1_SESSION = 0x73
_MORE_PROCESSING = 0xC0000016
_SMB1_TREE, _SMB1_CREATE, _SMB1_WRITE, _SMB1_READ, _SMB1_TRANS = 0x75, 0xA2, 0x2F, 0x2E, 0x25

FileEvent = Callable[[str, str, str, str | None], None]  # action, tree path, name, previous


def nbss_length(header: bytes) -> int:
    return 4 + int.from_bytes(header[1:4], "big")


@dataclass(kw_only=True)
class _File:
    tree: str
    name: str
    pipe: bool
    written: bool = False
    rpc: RpcSession | None = None
    client: Framer | None = None
    server: Framer | None = None


@dataclass(kw_only=True)
class SmbSession:
    """One TCP connection's SMB conversation, fed the heads of NetBIOS session messages."""

    on_mapping: Callable[[str, str | None], Row | None]
    on_file: FileEvent
    on_call: Callable[[RpcCall], None]
    on_ntlm: Callable[[Row], Row | None]
    ts: float = 0.0  # time and packet of the first byte of the message being read
    number: int = 0
    malformed: int = 0
    encrypted: int = 0  # SMB3 transform messages: their commands cannot be read
    trees: dict[int, str] = field(default_factory=dict)
    mappings: dict[int, Row] = field(default_factory=dict)  # pending tree connect → its row
    files: dict[bytes, _File] = field(default_factory=dict)
    pending: dict[int, tuple[str, int, bytes]] = field(default_factory=dict)
    logons: dict[int, Row] = field(default_factory=dict)  # pending session setup → ntlm row

    def client_message(self, message: bytes, cut: bool) -> None:
        self._guarded(message, from_client=True)

    def server_message(self, message: bytes, cut: bool) -> None:
        self._guarded(message, from_client=False)

    def rpc_sessions(self) -> list[RpcSession]:
        return [f.rpc for f in self.files.values() if f.rpc is not None]

    def _guarded(self, message: bytes, *, from_client: bool) -> None:
        if len(message) < 8 or message[0] != 0:
            return
        try:
            if message[4:8] == b"\xfeSMB":
                self._smb2(message, 4, from_client)
            elif message[4:8] == b"\xffSMB":
                self._smb1(message[4:], from_client)
            elif message[4:8] == b"\xfdSMB":
                self.encrypted += 1
        except (struct.error, ValueError, IndexError, UnicodeDecodeError):
            self.malformed += 1

    # SMB2/3 -------------------------------------------------------------------------------

    def _smb2(self, data: bytes, base: int, from_client: bool) -> None:
        for _ in range(64):  # a compound chain longer than this is not real
            if base + 64 > len(data):
                return
            command, _, flags, following, message_id = struct.unpack_from("<HHIIQ", data, base + 12)
            is_response = bool(flags & 1)
            if from_client and not is_response:
                self._smb2_request(data, base, command, message_id)
            elif not from_client and is_response:
                self._smb2_response(data, base, command, message_id)
            if not following:
                return
            if following % 8 or following < 64:  # NextCommand: 8-byte aligned, past a header
                self.malformed += 1
                return
            base += following

    def _remember(self, message_id: int, entry: tuple[str, int, bytes]) -> None:
        if len(self.pending) < _MAX_TABLE:
            self.pending[message_id] = entry

    def _smb2_request(self, data: bytes, base: int, command: int, message_id: int) -> None:
        body = base + 64
        (tree_id,) = struct.unpack_from("<I", data, base + 36)
        if command == 1:
            self._logon(message_id, data[base:])
        elif command == 3:
            offset, length = struct.unpack_from("<HH", data, body + 4)
            path = _utf16(data, base + offset, length)
            row = self.on_mapping(path, "PIPE" if path.upper().endswith("\\IPC$") else None)
            if row is not None and len(self.mappings) < _MAX_TABLE:
                self.mappings[message_id] = row
            self._remember(message_id, ("tree", 0, path.encode()))
        elif command == 5:
            offset, length = struct.unpack_from("<HH", data, body + 44)
            name = _utf16(data, base + offset, length)
            self._remember(message_id, ("create", tree_id, name.encode("utf-8", "replace")))
        elif command == 9:
            offset, length = struct.unpack_from("<HI", data, body + 2)
            file_id = data[body + 16 : body + 32]
            self._write(file_id, data[base + offset : base + offset + length], length)
        elif command == 8:
            self._remember(message_id, ("read", 0, data[body + 16 : body + 32]))
        elif command == 11:
            (code,) = struct.unpack_from("<I", data, body + 4)
            file_id = data[body + 8 : body + 24]
            offset, count = struct.unpack_from("<II", data, body + 24)
            if code == _PIPE_TRANSCEIVE:
                self._write(file_id, data[base + offset : base + offset + count], count)
        elif command == 17:
            self._set_info(data, base, body)

    def _smb2_response(self, data: bytes, base: int, command: int, message_id: int) -> None:
        body = base + 64
        (status,) = struct.unpack_from("<I", data, base + 8)
        pending = self.pending.pop(message_id, None)
        if command == 1:
            self._logged_on(message_id, status)
        elif command == 3 and pending and pending[0] == "tree":
            row = self.mappings.pop(message_id, None)
            if status == 0:
                (tree_id,) = struct.unpack_from("<I", data, base + 36)
                share_type = _SHARE_TYPES.get(data[body + 2])
                if row is not None and share_type:
                    row["share_type"] = share_type
                if len(self.trees) < _MAX_TABLE:
                    self.trees[tree_id] = pending[2].decode()
        elif command == 5 and pending and pending[0] == "create" and status == 0:
            self._opened(data[body + 64 : body + 80], pending[1], pending[2].decode())
        elif command == 8 and pending and pending[0] == "read" and status in (0, 0x80000005):
            offset = data[body + 2]
            (length,) = struct.unpack_from("<I", data, body + 4)
            self._read(pending[2], data[base + offset : base + offset + length], length)
        elif command == 11 and status in (0, 0x80000005):
            file_id = data[body + 8 : body + 24]
            offset, count = struct.unpack_from("<II", data, body + 32)
            self._read(file_id, data[base + offset : base + offset + count], count)

    def _set_info(self, data: bytes, base: int, body: int) -> None:
        info_type, info_class = data[body + 2], data[body + 3]
        (length,) = struct.unpack_from("<I", data, body + 4)
        (offset,) = struct.unpack_from("<H", data, body + 8)
        known = self.files.get(data[body + 16 : body + 32])
        if info_type != 1 or known is None:
            return
        if info_class == _RENAME and length >= 20:
            (name_length,) = struct.unpack_from("<I", data, base + offset + 16)
            new_name = _utf16(data, base + offset + 20, min(name_length, length - 20))
            self.on_file("SMB::FILE_RENAME", known.tree, new_name, known.name)
        elif info_class == _DISPOSITION and length >= 1 and data[base + offset]:
            self.on_file("SMB::FILE_DELETE", known.tree, known.name, None)

    # SMB1 ---------------------------------------------------------------------------------

    def _smb1(self, smb: bytes, from_client: bool) -> None:
        if len(smb) < 35:
            return
        command, status, flags = smb[4], struct.unpack_from("<I", smb, 5)[0], smb[9]
        (flags2,) = struct.unpack_from("<H", smb, 10)
        tree_id, _, _, mid = struct.unpack_from("<HHHH", smb, 24)
        unicode = bool(flags2 & 0x8000)
        key = 1 << 32 | mid  # SMB1 multiplex ids share the pending table with SMB2 ids
        if from_client and not flags & 0x80:
            self._smb1_request(smb, command, tree_id, key, unicode)
        elif not from_client and flags & 0x80:
            self._smb1_response(smb, command, status, tree_id, key)

    def _smb1_request(self, smb: bytes, command: int, tree_id: int, key: int, uni: bool) -> None:
        if command == _SMB1_SESSION:
            self._logon(key, smb)
        elif command == _SMB1_TREE and smb[32] >= 4:
            (password_length,) = struct.unpack_from("<H", smb, 39)
            path = _smb1_string(smb, 43 + password_length, uni)
            row = self.on_mapping(path, "PIPE" if path.upper().endswith("\\IPC$") else None)
            if row is not None and len(self.mappings) < _MAX_TABLE:
                self.mappings[key] = row
            self._remember(key, ("tree", 0, path.encode()))
        elif command == _SMB1_CREATE and smb[32] >= 24:
            name = _smb1_string(smb, 83, uni).lstrip("\\")
            self._remember(key, ("create", tree_id, name.encode("utf-8", "replace")))
        elif command == _SMB1_WRITE and smb[32] >= 12:
            fid = smb[37:39]
            length, offset = struct.unpack_from("<HH", smb, 53)
            self._write(fid, smb[offset : offset + length], length)
        elif command == _SMB1_READ and smb[32] >= 10:
            self._remember(key, ("read", 0, smb[37:39]))
        elif command == _SMB1_TRANS and smb[32] >= 16:
            count, offset = struct.unpack_from("<HH", smb, 55)
            function, fid = struct.unpack_from("<H2s", smb, 61)
            if function == 0x26:
                self._remember(key, ("read", 0, fid))
                self._write(fid, smb[offset : offset + count], count)

    def _smb1_response(self, smb: bytes, command: int, status: int, tree_id: int, key: int) -> None:
        if command == _SMB1_SESSION:
            self._logged_on(key, status)
        pending = self.pending.pop(key, None)
        if pending is None or status not in (0, 0x80000005):
            self.mappings.pop(key, None)
            return
        if command == _SMB1_TREE and pending[0] == "tree":
            row = self.mappings.pop(key, None)
            words = smb[32] * 2
            service = _smb1_string(smb, 33 + words + 2, False)
            if row is not None and service:
                row["service"] = service
                row["share_type"] = "PIPE" if service == "IPC" else "DISK"
            if len(self.trees) < _MAX_TABLE:
                self.trees[tree_id] = pending[2].decode()
        elif command == _SMB1_CREATE and pending[0] == "create" and smb[32] >= 34:
            self._opened(smb[38:40], tree_id, pending[2].decode())
        elif command == _SMB1_READ and pending[0] == "read" and smb[32] >= 12:
            length, offset = struct.unpack_from("<HH", smb, 43)
            self._read(pending[2], smb[offset : offset + length], length)
        elif command == _SMB1_TRANS and pending[0] == "read" and smb[32] >= 10:
            count, offset = struct.unpack_from("<HH", smb, 45)
            self._read(pending[2], smb[offset : offset + count], count)

    # Logons -------------------------------------------------------------------------------

    def _logon(self, key: int, message: bytes) -> None:
        fields = ntlm.authenticate_fields(message)
        if fields is None:
            return
        row = self.on_ntlm(fields)
        if row is not None and len(self.logons) < _MAX_TABLE:
            self.logons[key] = row

    def _logged_on(self, key: int, status: int) -> None:
        row = self.logons.pop(key, None)
        if row is not None and status != _MORE_PROCESSING:
            row["success"] = "T" if status == 0 else "F"
            row["status"] = "SUCCESS" if status == 0 else f"0x{status:08x}"

    # Files and pipes ----------------------------------------------------------------------

    def _opened(self, file_id: bytes, tree_id: int, name: str) -> None:
        tree = self.trees.get(tree_id, "")
        pipe = tree.upper().endswith("\\IPC$")
        self.on_file("SMB::FILE_OPEN", tree, name, None)
        if len(self.files) >= _MAX_TABLE:
            return
        opened = _File(tree=tree, name=name, pipe=pipe)
        if pipe:
            rpc = RpcSession(on_call=self.on_call, named_pipe=name.lower())
            opened.rpc = rpc

            def client(pdu: bytes, _cut: bool) -> None:
                # Named by the SMB message that carried the PDU's first byte.
                ts, number = client_framer.started
                rpc.client(pdu, ts=ts, number=number)

            opened.client = client_framer = Framer(
                header_size=HEADER, length_of=fragment_length, head_cap=1024, on_message=client
            )
            opened.server = Framer(
                header_size=HEADER,
                length_of=fragment_length,
                head_cap=1024,
                on_message=lambda pdu, _cut: rpc.server(pdu),
            )
        self.files[file_id] = opened

    def _write(self, file_id: bytes, data: bytes, declared: int) -> None:
        known = self.files.get(file_id)
        if known is None:
            return
        if known.client is not None:
            known.client.feed(
                data, missing=max(0, declared - len(data)), packet=(self.ts, self.number)
            )
        elif not known.written:
            known.written = True
            self.on_file("SMB::FILE_WRITE", known.tree, known.name, None)

    def _read(self, file_id: bytes, data: bytes, declared: int) -> None:
        known = self.files.get(file_id)
        if known is not None and known.server is not None:
            known.server.feed(data, missing=max(0, declared - len(data)))


def _utf16(data: bytes, at: int, length: int) -> str:
    return data[at : at + max(0, length)].decode("utf-16-le", "replace").rstrip("\0")


def _smb1_string(smb: bytes, at: int, unicode: bool) -> str:
    """A null-terminated SMB1 string at `at`; Unicode strings start on an even offset."""
    if unicode:
        at += at % 2
        end = at
        while end + 1 < len(smb) and smb[end : end + 2] != b"\0\0":
            end += 2
        return smb[at:end].decode("utf-16-le", "replace")
    end = smb.find(b"\0", at)
    return smb[at : end if end >= 0 else len(smb)].decode("latin-1")
