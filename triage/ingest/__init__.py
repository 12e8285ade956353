"""Ingestion: paths (files, folders, stdin) → an Incident of artifacts and located records."""

import hashlib
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from triage.errors import InputError
from triage.ingest.base import ArtifactSource
from triage.ingest.limits import Limits
from triage.ingest.registry import load_artifact
from triage.models import Artifact, Incident, Record

__all__ = [
    "Limits",
    "check_regular_file",
    "collect_paths",
    "incident_from_bytes",
    "load_incident",
    "read_capped",
]

STDIN = "-"
# Case label files sit beside the artifacts of a labelled case; they are answers, not input.
LABEL_FILES = frozenset({"expected.yaml", "label.yaml"})

Progress = Callable[[str], None]


def check_regular_file(path: Path) -> None:
    """Only regular files are read: not links (never followed), devices, FIFOs or sockets."""
    if path.is_symlink():
        raise InputError("is a symbolic link; links are not followed", source=str(path))
    if not path.exists():
        raise InputError("no such file or folder", source=str(path))
    if not path.is_file():
        raise InputError("not a regular file or folder", source=str(path))


def collect_paths(paths: Sequence[str], limits: Limits) -> list[str]:
    """Expand folders (sorted, recursive); symlinks, hidden files and label files are skipped."""
    found: list[str] = []
    for raw in paths:
        if raw == STDIN:
            found.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir() and not path.is_symlink():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if any(part.startswith(".") for part in relative) or child.is_symlink():
                    continue
                if child.is_file() and child.name not in LABEL_FILES:
                    found.append(str(child))
        else:
            check_regular_file(path)
            found.append(raw)
        if len(found) > limits.max_files:
            raise InputError(f"more than {limits.max_files:,} files (limit)")
    if not found:
        raise InputError("no artifact files found in " + ", ".join(paths))
    return found


def read_capped(path: str, limits: Limits) -> bytes:
    """Read a file or stdin, refusing anything over the size cap without reading it all."""
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(limits.max_file_bytes + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from exc
    if len(data) > limits.max_file_bytes:
        raise InputError(
            f"larger than the {limits.max_file_bytes // (1024 * 1024):,} MB size limit "
            "(raise it with --max-file-mb)",
            source=path,
        )
    return data


def load_incident(
    paths: Sequence[str], limits: Limits, *, progress: Progress | None = None
) -> Incident:
    def read() -> Iterator[tuple[str, bytes]]:
        for path in collect_paths(paths, limits):
            if progress:
                progress(path)
            yield ("<stdin>" if path == STDIN else path), read_capped(path, limits)

    return incident_from_bytes(read(), limits)


def incident_from_bytes(inputs: Iterable[tuple[str, bytes]], limits: Limits) -> Incident:
    """The Incident of (path as shown, bytes) pairs, artifact ids A1, A2, … in their order."""
    artifacts: list[Artifact] = []
    records: list[Record] = []
    digest = hashlib.sha256()
    for number, (path, data) in enumerate(inputs, start=1):
        sha256 = hashlib.sha256(data).hexdigest()
        digest.update(sha256.encode())
        source = ArtifactSource(artifact_id=f"A{number}", path=path, data=data)
        loaded = load_artifact(source, limits)
        if len(records) + len(loaded.records) > limits.max_records:
            raise InputError(f"more than {limits.max_records:,} records in all (limit)")
        artifacts.append(
            Artifact(
                id=source.artifact_id,
                path=path,
                sha256=sha256,
                format=loaded.format,
                size=len(data),
                records=len(loaded.records),
                records_lost=loaded.records_lost,
                notes=loaded.notes,
            )
        )
        records.extend(loaded.records)
    input_digest = digest.hexdigest()
    return Incident(
        id=f"INC-{input_digest[:12]}",
        input_digest=input_digest,
        artifacts=tuple(artifacts),
        records=tuple(records),
    )
