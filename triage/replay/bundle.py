"""Run bundles on disk: the layout, the manifest, writing, and reading with every hash checked.

A bundle is a folder (docs/bundles.md). Input copies are stored under their sha256; every
other file is named in the manifest with its sha256, and the bundle id is the sha256 of that
table, so a bundle that was changed after it was written is refused rather than replayed.
Bundles are shared between people: their content is untrusted, so names never come from it.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from triage import __version__
from triage.errors import InputError, UsageError
from triage.models import TriageReport
from triage.models.base import Frozen

BUNDLE_VERSION = "1"
MANIFEST = "manifest.json"
INPUTS = "inputs"
CONFIG = "config.json"
PROVIDERS = "tools/providers.json"
ENRICHMENT = "tools/enrichment.jsonl"
PLAYBOOKS = "tools/playbooks.jsonl"
LLM = "llm/exchanges.jsonl"
REPORT = "report.json"
LABEL_DIR = "label"
LABEL_NAMES = ("expected.yaml", "label.yaml")
# The only files a bundle may name besides its inputs: nothing is joined from bundle content.
KNOWN_FILES = frozenset(
    {CONFIG, PROVIDERS, ENRICHMENT, PLAYBOOKS, LLM, REPORT}
    | {f"{LABEL_DIR}/{name}" for name in LABEL_NAMES}
)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_FILE_BYTES = 256 * 1024 * 1024  # one recorded file (report, tool or model traffic)
MAX_LINES = 200_000  # entries in one .jsonl file
MAX_INPUTS = 10_000


class InputFile(Frozen):
    """One artifact as the run read it: its path in the report, hash and size; `location` is
    the absolute path at record time, informative only: replay never reads a path the bundle
    names, it looks a non-copied input up under the folder the user gives (`inputs_from`)."""

    path: str
    sha256: str
    size: int
    copied: bool
    location: str | None = None


class Manifest(Frozen):
    bundle_version: str
    bundle_id: str
    triage_version: str
    created_at: datetime
    engine: str
    model: str | None = None
    input_digest: str
    inputs: tuple[InputFile, ...]
    files: dict[str, str]
    """Every recorded file (relative path → sha256), inputs excepted: those are named by hash."""
    label: str | None = None


def bundle_id(files: Mapping[str, str], inputs: Sequence[InputFile]) -> str:
    table = {"files": dict(sorted(files.items())), "inputs": [i.sha256 for i in inputs]}
    canonical = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return "B-" + hashlib.sha256(canonical.encode()).hexdigest()


def dumps_line(entry: Any) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class BundleWriter:
    """Writes one bundle into a hidden temporary sibling folder; `finish` writes the manifest
    last and renames the folder into place, so a half-written bundle is never mistaken for a
    complete one and a failed run leaves an earlier bundle as it was."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.target = folder
        self.files: dict[str, str] = {}
        self.inputs: list[InputFile] = []

    def prepare(self) -> None:
        """A new or empty folder, or an earlier bundle (replaced by `finish`); a folder that
        holds anything else is refused and never deleted."""
        target = self.target
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise UsageError("--bundle must name a folder", source=str(target))
        if target.is_dir() and any(target.iterdir()) and not _is_bundle(target):
            raise UsageError("--bundle folder is not empty and holds no bundle", source=str(target))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise UsageError(f"cannot create the bundle folder: {exc.strerror}") from exc
        self.folder = Path(temp)

    def abort(self) -> None:
        """Remove the temporary folder of a run that failed (the target is left alone)."""
        if self.folder != self.target:
            shutil.rmtree(self.folder, ignore_errors=True)

    def add_input(self, *, path: str, data: bytes, copy: bool, location: str | None) -> None:
        digest = hashlib.sha256(data).hexdigest()
        if copy:
            target = self.folder / INPUTS / digest
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
        self.inputs.append(
            InputFile(path=path, sha256=digest, size=len(data), copied=copy, location=location)
        )

    def add_json(self, name: str, value: Any) -> None:
        self._write(name, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")

    def add_jsonl(self, name: str, entries: Sequence[Any]) -> None:
        self._write(name, "".join(dumps_line(e) + "\n" for e in entries))

    def add_text(self, name: str, text: str) -> None:
        self._write(name, text)

    def _write(self, name: str, text: str) -> None:
        assert name in KNOWN_FILES, name
        data = text.encode("utf-8")
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files[name] = hashlib.sha256(data).hexdigest()

    def finish(self, report: TriageReport, *, label: str | None) -> Manifest:
        self._write(REPORT, report.model_dump_json(indent=2) + "\n")
        manifest = Manifest(
            bundle_version=BUNDLE_VERSION,
            bundle_id=bundle_id(self.files, self.inputs),
            triage_version=__version__,
            created_at=datetime.now(tz=UTC).replace(microsecond=0),
            engine=report.run.engine,
            model=report.run.model,
            input_digest=report.run.input_digest,
            inputs=tuple(self.inputs),
            files=dict(sorted(self.files.items())),
            label=label,
        )
        (self.folder / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", "utf-8")
        self._move_into_place()
        return manifest

    def _move_into_place(self) -> None:
        target = self.target
        old: Path | None = None
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise UsageError("--bundle must name a folder", source=str(target))
        if target.is_dir():
            if any(target.iterdir()) and not _is_bundle(target):
                raise UsageError(
                    "--bundle folder is not empty and holds no bundle", source=str(target)
                )
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            os.replace(target, old / "bundle")
        os.replace(self.folder, target)
        self.folder = target
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _is_bundle(folder: Path) -> bool:
    """The folder holds our manifest (a regular file naming a bundle id and version)."""
    try:
        raw = json.loads(_read_capped(folder / MANIFEST, source=str(folder), root=folder))
    except (InputError, ValueError, RecursionError):
        return False
    return isinstance(raw, dict) and {"bundle_version", "bundle_id", "files"} <= raw.keys()


class Bundle:
    """A bundle whose manifest parsed and whose every file matched its hash when opened."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest

    @property
    def name(self) -> str:
        return str(self.folder)

    def has(self, name: str) -> bool:
        return name in self.manifest.files

    def read_bytes(self, name: str) -> bytes:
        if name not in self.manifest.files:
            raise InputError(f"the bundle has no {name}", source=self.name)
        data = _read_capped(self.folder / name, source=self.name, root=self.folder)
        if hashlib.sha256(data).hexdigest() != self.manifest.files[name]:
            raise InputError(
                f"{name} does not match its hash: changed after it was recorded", source=self.name
            )
        return data

    def read_json(self, name: str) -> Any:
        return _parse(self.read_bytes(name), name=name, source=self.name)

    def read_jsonl(self, name: str) -> list[Any]:
        if not self.has(name):
            return []
        lines = self.read_bytes(name).decode("utf-8", "replace").splitlines()
        if len(lines) > MAX_LINES:
            raise InputError(f"{name}: over {MAX_LINES:,} entries (limit)", source=self.name)
        return [_parse(line.encode(), name=name, source=self.name) for line in lines if line]

    def report(self) -> TriageReport:
        try:
            return TriageReport.model_validate(self.read_json(REPORT))
        except ValidationError as exc:
            raise InputError(
                f"{REPORT} is not a valid report: {_first_error(exc)}", source=self.name
            ) from exc

    def input_bytes(
        self, item: InputFile, *, max_bytes: int, inputs_from: Path | None = None
    ) -> bytes:
        """The artifact's bytes, from the stored copy or (no copy) the file of the same name
        under `inputs_from`, a folder the user chose; either way they must hash to what the
        run read. The recorded `location` is never read: a bundle does not choose paths."""
        if item.copied:
            root = self.folder
            candidates = [self.folder / INPUTS / item.sha256]
        elif inputs_from is not None:
            root = inputs_from
            candidates = _names_under(inputs_from, item.path)
            if not candidates:
                raise InputError(f"input {item.path[:80]!r} has no usable name", source=self.name)
        else:
            raise InputError(
                f"input {item.path[:80]!r} was not copied into the bundle: replay it with "
                "--inputs-from DIR, the folder that holds the original files",
                source=self.name,
            )
        path = next((c for c in candidates if os.path.lexists(c)), candidates[-1])
        data = _read_capped(path, source=self.name, limit=max_bytes, root=root)
        if hashlib.sha256(data).hexdigest() != item.sha256:
            where = "its stored copy" if item.copied else str(path)
            raise InputError(
                f"input {item.path[:80]}: {where} does not match the recorded sha256",
                source=self.name,
            )
        return data

    def label_folder(self) -> Path | None:
        return self.folder / LABEL_DIR if self.manifest.label else None


def open_bundle(folder: Path) -> Bundle:
    """Read the manifest and check every recorded file and stored input against its hash."""
    source = str(folder)
    if not folder.is_dir() or folder.is_symlink():
        raise InputError("not a bundle folder", source=source)
    path = folder / MANIFEST
    if not path.is_file() or path.is_symlink():
        raise InputError(f"no {MANIFEST}: not a run bundle", source=source)
    raw = _parse(_read_capped(path, source=source, root=folder), name=MANIFEST, source=source)
    if not isinstance(raw, dict):
        raise InputError(f"{MANIFEST} must be a JSON object", source=source)
    version = str(raw.get("bundle_version", ""))
    if version.split(".")[0] != BUNDLE_VERSION.split(".")[0]:
        raise InputError(
            f"bundle_version {version[:20]!r} is not supported "
            f"(this triage reads {BUNDLE_VERSION})",
            source=source,
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"bad {MANIFEST}: {_first_error(exc)}", source=source) from exc
    unknown = sorted(set(manifest.files) - KNOWN_FILES)
    if unknown:
        raise InputError(f"{MANIFEST} names unknown file {unknown[0][:80]!r}", source=source)
    if len(manifest.inputs) > MAX_INPUTS:
        raise InputError(f"more than {MAX_INPUTS:,} inputs (limit)", source=source)
    for item in manifest.inputs:
        if not SHA256.match(item.sha256):
            raise InputError(f"input {item.path[:80]!r} has no valid sha256", source=source)
    if manifest.bundle_id != bundle_id(manifest.files, manifest.inputs):
        raise InputError(
            "bundle_id does not match the manifest's hashes: the manifest was edited", source=source
        )
    bundle = Bundle(folder, manifest)
    for name in manifest.files:
        bundle.read_bytes(name)
    for item in manifest.inputs:
        if item.copied:
            bundle.input_bytes(item, max_bytes=MAX_FILE_BYTES)
    return bundle


def find_bundles(root: Path, *, limit: int = MAX_INPUTS) -> list[Path]:
    """The bundle folders at or under `root` (hidden ones too: samples keep theirs in .bundle);
    links are not followed and a bundle's own folders are not searched."""
    if (root / MANIFEST).is_file():
        return [root]
    found: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        for child in _children(folder):
            if child.is_symlink() or not child.is_dir():
                continue
            if (child / MANIFEST).is_file():
                found.append(child)
                if len(found) > limit:
                    raise InputError(f"more than {limit:,} bundles (limit)", source=str(root))
            else:
                stack.append(child)
    return sorted(found)


def _children(folder: Path) -> Iterator[Path]:
    try:
        yield from sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"cannot list: {exc.strerror or exc}", source=str(folder)) from exc


def _names_under(root: Path, recorded: str) -> list[Path]:
    """Where a non-copied input may be under `root`: its recorded relative path when that
    stays inside (no absolute path, no '..'), then its bare file name."""
    pure = PurePosixPath(recorded.replace("\\", "/"))
    found: list[Path] = []
    parts = pure.parts
    if parts and not pure.is_absolute() and all(p not in ("", ".", "..") for p in parts):
        found.append(root.joinpath(*parts))
    if pure.name and pure.name not in (".", "..") and "\x00" not in pure.name:
        found.append(root / pure.name)
    return list(dict.fromkeys(found))


def _check_inside(path: Path, root: Path, source: str) -> None:
    """No component of `path` below `root` is a link, and `path` resolves inside `root`."""
    try:
        relative = path.relative_to(root)
    except ValueError as exc:
        raise InputError(f"{path.name} is outside the folder it must be in", source=source) from exc
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise InputError(
                f"{'/'.join(relative.parts)[:120]}: {part[:80]} is a symbolic link; links are "
                "not followed",
                source=source,
            )
    if not path.resolve().is_relative_to(root.resolve()):
        raise InputError(f"{path.name} resolves outside its folder", source=source)


def _read_capped(
    path: Path, *, source: str, limit: int = MAX_FILE_BYTES, root: Path | None = None
) -> bytes:
    """A regular file's bytes, within `limit`: links, FIFOs and devices are refused before a
    byte is read (opened non-blocking, so a FIFO swapped in cannot hang the read)."""
    if root is not None:
        _check_inside(path, root, source)
    if path.is_symlink():
        raise InputError(f"{path.name} is a symbolic link; links are not followed", source=source)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise InputError(f"{path.name} is not a regular file", source=source)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputError(f"{path.name} is not a regular file", source=source)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror or exc}", source=source) from exc
    if len(data) > limit:
        raise InputError(f"{path.name} is larger than {limit:,} bytes (limit)", source=source)
    return data


def _parse(data: bytes, *, name: str, source: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{name} is not valid JSON", source=source) from exc


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = "/".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}"[:200]
