"""Rule packs: a SigmaHQ checkout, release zip or any Sigma rule folder installed under
TRIAGE_HOME/rules/<name>/ with a manifest, and used by every run.

Archives are attacker-controlled input: members that leave the folder, links, too many files
or too many bytes refuse the whole archive (InputError, exit 3) before anything is written.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.detect.rules import (
    MAX_RULE_FILE_BYTES,
    MAX_RULE_FILES,
    RULE_SUFFIXES,
    RuleSource,
    load_rule_set,
    rule_files,
)
from triage.errors import InputError, UsageError

MANIFEST = "manifest.json"
MAX_PACK_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 20_000
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
VERSION_FILES = ("version.txt", "VERSION", "version")
RELEASE = re.compile(r"(r?\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class PackManifest:
    name: str
    source: str
    version: str
    version_from: str  # "release", "newest rule date" or "content hash"
    files: int
    loaded: int
    skipped: dict[str, int] = field(default_factory=dict)
    sha256: str = ""
    installed_at: str = ""


def packs_root(home: Path) -> Path:
    return home / "rules"


def cache_dir(home: Path) -> Path:
    return home / "cache"


def _check_name(name: str) -> str:
    if not NAME.match(name):
        raise UsageError(f"invalid pack name {name!r}: letters, digits, '.', '_' and '-' only")
    return name


def default_name(source: Path) -> str:
    stem = source.stem if source.is_file() else source.name
    if stem.lower().startswith("sigma") or (source.is_dir() and (source / "rules").is_dir()):
        return "sigmahq"
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", stem).strip("-.") or "pack"
    return cleaned[:64]


def _is_rule_name(name: str) -> bool:
    return name.endswith(RULE_SUFFIXES) and not any(p.startswith(".") for p in name.split("/"))


def _safe_member(info: zipfile.ZipInfo) -> str | None:
    """The member's relative path when it is safe to extract, else raise; None to ignore it."""
    name = info.filename.replace("\\", "/")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise InputError(f"archive member {name!r} is a symbolic link")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise InputError(f"archive member {name!r} points outside the pack")
    if info.is_dir():
        return None
    return "/".join(parts)


def _extract(archive: Path, target: Path) -> str | None:
    """Extract the rule files (and a release's version file) of a zip; returns the version
    file's text. Every member is checked before anything is written."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise InputError(
                    f"archive has {len(members)} members (limit {MAX_ARCHIVE_MEMBERS})"
                )
            chosen: list[tuple[zipfile.ZipInfo, str]] = []
            version_member: zipfile.ZipInfo | None = None
            total = 0
            for info in members:
                name = _safe_member(info)
                if name is None:
                    continue
                if name.split("/")[-1] in VERSION_FILES and name.count("/") <= 1:
                    version_member = info if info.file_size <= 256 else version_member
                if not _is_rule_name(name):
                    continue
                if info.file_size > MAX_RULE_FILE_BYTES:
                    raise InputError(f"archive member {name!r} is over {MAX_RULE_FILE_BYTES} bytes")
                total += info.file_size
                chosen.append((info, name))
            if len(chosen) > MAX_RULE_FILES:
                raise InputError(f"archive has {len(chosen)} rule files (limit {MAX_RULE_FILES})")
            if total > MAX_PACK_BYTES:
                raise InputError(f"archive expands to {total} bytes (limit {MAX_PACK_BYTES})")
            for info, name in chosen:
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(info) as source, open(destination, "wb") as sink:
                    data = source.read(MAX_RULE_FILE_BYTES + 1)
                    if len(data) > MAX_RULE_FILE_BYTES:
                        raise InputError(f"archive member {name!r} is larger than it declares")
                    sink.write(data)
            if version_member is not None:
                text = bundle.read(version_member).decode("utf-8", "replace")
                return text.strip().splitlines()[0][:64] if text.strip() else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(f"cannot read archive: {exc}", source=str(archive)) from exc
    return None


def _copy_folder(folder: Path, target: Path) -> int:
    """Copy a folder's rule files; links are not followed, and the same caps as archives.
    Returns how many rule files were left out as too large."""
    count = total = too_large = 0
    for directory, subdirs, names in os.walk(folder, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(directory) / name
            relative = path.relative_to(folder).as_posix()
            if not _is_rule_name(relative) or path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            count, total = count + 1, total + size
            if count > MAX_RULE_FILES or total > MAX_PACK_BYTES:
                raise InputError(f"{folder} has more than {MAX_RULE_FILES} rule files or bytes")
            if size > MAX_RULE_FILE_BYTES:
                too_large += 1
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
    return too_large


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in rule_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def install_pack(source: Path, *, home: Path, name: str | None = None) -> PackManifest:
    """Copy or extract `source` into TRIAGE_HOME/rules/<name>/, load it once (which fills the
    compiled-rule cache), and write its manifest."""
    if not source.exists():
        raise InputError("no such file or folder", source=str(source))
    name = _check_name(name or default_name(source))
    root = packs_root(home)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=root))
    try:
        release: str | None = None
        too_large = 0
        if source.is_dir():
            too_large = _copy_folder(source, staging)
        elif zipfile.is_zipfile(source):
            release = _extract(source, staging)
            found = RELEASE.search(source.name)
            release = release or (found.group(1) if found else None)
        else:
            raise InputError("not a folder or a zip archive", source=str(source))
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    rule_set = load_rule_set(
        builtin=False, packs=[RuleSource(target, name)], cache_dir=cache_dir(home)
    )
    summary = rule_set.stats.packs[0]
    sha = _content_hash(target)
    if release:
        version, version_from = release, "release"
    elif summary.newest_date:
        version, version_from = summary.newest_date, "newest rule date"
    else:
        version, version_from = sha[:12], "content hash"
    manifest = PackManifest(
        name=name,
        source=str(source.resolve()),
        version=version,
        version_from=version_from,
        files=summary.files + too_large,
        loaded=summary.rules,
        skipped=dict(summary.skip_reasons)
        | ({"rule file too large": too_large} if too_large else {}),
        sha256=sha,
        installed_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
    return manifest


def _read_manifest(folder: Path) -> PackManifest | None:
    try:
        data: Any = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return PackManifest(**data)
    except (OSError, ValueError, TypeError):
        return None


def installed_packs(home: Path) -> list[PackManifest]:
    """The packs under TRIAGE_HOME/rules with a readable manifest, by name."""
    root = packs_root(home)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            manifest = _read_manifest(folder)
            if manifest is not None and manifest.name == folder.name:
                found.append(manifest)
    return found


def pack_sources(home: Path, names: Sequence[str] | None = None) -> list[RuleSource]:
    """RuleSources for the installed packs (all, or those named)."""
    return [
        RuleSource(packs_root(home) / m.name, m.name, m.version)
        for m in installed_packs(home)
        if names is None or m.name in names
    ]


def remove_pack(home: Path, name: str) -> None:
    folder = packs_root(home) / _check_name(name)
    if _read_manifest(folder) is None:
        raise UsageError(f"no rule pack named {name!r} is installed")
    shutil.rmtree(folder)


SIGMAHQ_LATEST = "https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_core.zip"
DOWNLOAD_TIMEOUT_SECONDS = 60.0
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024


def download_release(
    url: str,
    folder: Path,
    *,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> Path:
    """Download a release zip into `folder` (the only network access of the rule packs), with
    a timeout per read and a cap on its size; returns the file."""
    import urllib.error
    import urllib.parse
    import urllib.request

    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise UsageError(f"--url must be an http(s) URL, not {url!r}")
    name = Path(parsed.path).name
    target = folder / (name if name.endswith(".zip") else "release.zip")
    request = urllib.request.Request(url, headers={"User-Agent": "triage-rules-update"})
    try:
        with (
            urllib.request.urlopen(request, timeout=timeout) as response,
            open(target, "wb") as sink,
        ):
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InputError(f"release is {declared} bytes (limit {max_bytes})", source=url)
            received = 0
            while chunk := response.read(1024 * 1024):
                received += len(chunk)
                if received > max_bytes:
                    raise InputError(f"release is over {max_bytes} bytes", source=url)
                sink.write(chunk)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"download failed: {reason}", source=url) from exc
    return target
