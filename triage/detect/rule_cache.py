"""The on-disk cache of compiled Sigma rules, one file per rule folder under TRIAGE_HOME/cache.

Each file maps a rule file's path (relative to its folder) to the sha256 of its bytes and what
compiling them gave: plain data (the rule's metadata and its condition lowered by
`condition_ir`: dicts, lists, strings, numbers), never code or objects, written with `marshal`
(a JSON file of the SigmaHQ rules decodes ten times slower). The entry is used only
when the rule file's content hash, triage's version, pySigma's version and the cache format
all match, and only when the file's HMAC verifies with a key that triage created in the same
cache folder (mode 0600), before a byte of it is unmarshalled: a cache file that is corrupt,
truncated, written by another version or by anyone without the key is ignored and rebuilt,
never trusted. Whoever can write TRIAGE_HOME can change the rules anyway (the packs live there).
"""

import contextlib
import gc
import hashlib
import hmac
import marshal
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from triage import __version__

CACHE_FORMAT = 2
MARSHAL_VERSION = 4
KEY_NAME = "cache.key"

# What one rule file compiled to: (sha256 of its bytes, rule entries, skip reasons).
FileEntry = tuple[str, list[dict[str, Any]], list[str]]


def _pysigma_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pysigma")
    except PackageNotFoundError:
        return "unknown"


class SignedCache:
    """Plain data in files signed with the cache folder's key; anything unsigned, corrupt or
    stamped differently reads as a miss. Other caches under TRIAGE_HOME/cache use it too."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key: bytes | None = None

    def load(self, name: str, stamp: Mapping[str, Any]) -> Any:
        """The value stored under `name` with exactly this stamp, else None."""
        document = self._read_document(self.folder / name)
        if not isinstance(document, dict) or document.get("stamp") != dict(stamp):
            return None
        return document.get("value")

    def store(self, name: str, stamp: Mapping[str, Any], value: Any) -> None:
        """Save `value` (plain data) under `name`; a failure to write is not an error."""
        self._write_document(self.folder / name, {"stamp": dict(stamp), "value": value})

    def _read_document(self, path: Path) -> Any:
        key = self._secret(create=False)
        if key is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        signature, body = data[:32], data[32:]
        if not hmac.compare_digest(signature, hmac.new(key, body, hashlib.sha256).digest()):
            return None
        collecting = gc.isenabled()
        gc.disable()  # a SigmaHQ pack is ~10^6 small objects: the collector would triple the time
        try:
            return marshal.loads(body)  # signed by this cache folder's key: triage wrote it
        except (EOFError, ValueError, TypeError):
            return None
        finally:
            if collecting:
                gc.enable()

    def _write_document(self, path: Path, document: Any) -> None:
        try:
            key = self._secret(create=True)
            assert key is not None
            body = marshal.dumps(document, MARSHAL_VERSION)
            signature = hmac.new(key, body, hashlib.sha256).digest()
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(signature + body)
            os.replace(temporary, path)
        except (OSError, ValueError):  # ValueError: a value marshal cannot write
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)

    def _secret(self, *, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        path = self.folder / KEY_NAME
        try:
            key = path.read_bytes()
            if len(key) == 32:
                self._key = key
                return key
        except OSError:
            pass
        if not create:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another triage process made one first (or a bad one exists)
            existing = path.read_bytes()
            if len(existing) == 32:
                self._key = existing
                return existing
            descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        self._key = key
        return key


class RuleCache(SignedCache):
    """Reads and writes the compiled-rule cache files of one cache folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self._stamp: dict[str, Any] | None = None

    def _stamp_for(self, rule_folder: Path) -> dict[str, Any]:
        if self._stamp is None:
            self._stamp = {
                "format": CACHE_FORMAT,
                "triage": __version__,
                "pysigma": _pysigma_version(),
            }
        return {**self._stamp, "folder": str(rule_folder)}

    def _path(self, rule_folder: Path) -> Path:
        digest = hashlib.sha256(str(rule_folder).encode("utf-8")).hexdigest()[:32]
        return self.folder / f"rules-{digest}.bin"

    def read(self, rule_folder: Path) -> dict[str, FileEntry]:
        """The cached entries of a rule folder; {} when there are none worth trusting."""
        document = self._read_document(self._path(rule_folder))
        if not isinstance(document, dict) or document.get("stamp") != self._stamp_for(rule_folder):
            return {}
        files = document.get("files")
        if not isinstance(files, dict):
            return {}
        return {
            name: (entry[0], entry[1], entry[2])
            for name, entry in files.items()
            if isinstance(entry, tuple | list) and len(entry) == 3
        }

    def write(self, rule_folder: Path, files: Mapping[str, FileEntry]) -> None:
        """Replace the folder's cache file atomically; a failure to write is not an error."""
        document = {"stamp": self._stamp_for(rule_folder), "files": dict(files)}
        self._write_document(self._path(rule_folder), document)
