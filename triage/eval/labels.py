"""Labelled cases: find case folders and read both label formats into one frozen model.

A sample (`samples/*/expected.yaml`) names the exact classification and a severity; a real-data
case (`label.yaml`) names only malicious or benign, never a severity. Technique ids are kept as
published and also resolved to the ids the shipped ATT&CK release uses (revoked ids redirect).
"""

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from triage.errors import InputError
from triage.models.base import Frozen, Severity
from triage.models.report import Classification

Truth = Literal["malicious", "benign"]
LabelKind = Literal["sample", "realdata"]
SAMPLE_LABEL = "expected.yaml"
REALDATA_LABEL = "label.yaml"
LABEL_NAMES = (SAMPLE_LABEL, REALDATA_LABEL)

MALICIOUS: frozenset[str] = frozenset({"true_positive"})
BENIGN: frozenset[str] = frozenset({"benign_positive", "false_positive"})

Renamer = Callable[[str], str]


class CaseLabel(Frozen):
    """What a case is known to be; `techniques` are current ATT&CK ids, de-duplicated."""

    case_id: str
    folder: Path
    kind: LabelKind
    format: str
    truth: Truth | None
    classification: Classification | None = None
    severity: Severity | None = None
    published_techniques: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    compound: bool = False
    """A whole campaign's technique list: one hit counts, misses of the rest are not penalised."""
    tactics: tuple[str, ...] = ()

    @property
    def artifacts(self) -> tuple[Path, ...]:
        """The files handed to the pipeline: everything in the folder but its label."""
        return tuple(
            sorted(p for p in self.folder.iterdir() if p.is_file() and p.name not in LABEL_NAMES)
        )


def parent_id(technique_id: str) -> str:
    """T1003.001 → T1003; folder ids such as T1098.xxx are parent-level already."""
    return technique_id.split(".")[0]


def attack_renamer() -> Renamer:
    """Resolve a technique id through ATT&CK's revoked-by redirects (shipped data, offline)."""
    from triage.enrich.attack import revoked_by

    renames = revoked_by()

    def current(technique_id: str) -> str:
        seen = {technique_id}
        while (technique_id := renames.get(technique_id, technique_id)) not in seen:
            seen.add(technique_id)
        return technique_id

    return current


def format_family(text: str) -> str:
    """'json-lines (OTRF/Mordor flattened …)' → 'json-lines'; 'multi: json-lines …' → 'multi'."""
    return text.split("(")[0].split(":")[0].strip().lower() or "unknown"


def _ids(value: object, *, key: str, source: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{key} must be a list of technique ids", source=str(source))
    ids = [v.strip().upper() for v in value]
    # Folder-derived ids (T1098.xxx) have no sub-technique: record them at parent level.
    return tuple(dict.fromkeys(parent_id(v) if v.endswith(".XXX") else v for v in ids))


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _is_compound(data: Mapping[str, Any]) -> bool:
    source = data.get("source")
    paths = _strings(source.get("paths")) if isinstance(source, dict) else ()
    return any("/compound/" in f"/{p}" for p in paths)


def _fields(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    if path.name == SAMPLE_LABEL:
        classification = data.get("classification")
        truth = (
            "malicious"
            if classification in MALICIOUS
            else "benign"
            if classification in BENIGN
            else None
        )
        return {
            "kind": "sample",
            "format": "sample",
            "truth": truth,
            "classification": classification,
            "severity": data.get("severity"),
            "published_techniques": _ids(data.get("techniques"), key="techniques", source=path),
        }
    verdict = data.get("expected_verdict")
    if verdict not in ("malicious", "benign"):
        raise InputError("expected_verdict must be malicious or benign", source=str(path))
    return {
        "kind": "realdata",
        "format": format_family(str(data.get("format") or "unknown")),
        "truth": verdict,
        "severity": data.get("expected_severity"),
        "published_techniques": _ids(
            data.get("expected_techniques"), key="expected_techniques", source=path
        ),
        "compound": _is_compound(data),
        "tactics": _strings(data.get("tactic")),
    }


def read_label(folder: Path, *, rename: Renamer | None = None) -> CaseLabel:
    """The label of one case folder; a missing or malformed label is an input error."""
    path = next((folder / n for n in LABEL_NAMES if (folder / n).is_file()), None)
    if path is None:
        raise InputError("no expected.yaml or label.yaml: not a labelled case", source=str(folder))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read label: {exc}", source=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("a label must be a mapping", source=str(path))
    fields = _fields(data, path)
    current = rename or (lambda technique_id: technique_id)
    techniques = tuple(dict.fromkeys(current(t) for t in fields["published_techniques"]))
    try:
        return CaseLabel(
            case_id=str(data.get("id") or folder.name),
            folder=folder,
            techniques=techniques,
            **fields,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise InputError(f"bad label: {where}: {first['msg']}", source=str(path)) from exc


def is_case(folder: Path) -> bool:
    return any((folder / name).is_file() for name in LABEL_NAMES)


def find_cases(roots: Iterable[Path], *, rename: Renamer | None = None) -> tuple[CaseLabel, ...]:
    """Each root is one case folder or a folder of case folders; cases come back sorted by
    folder within each root, and a case named twice is read once."""
    folders: list[Path] = []
    for root in roots:
        if not root.is_dir():
            raise InputError("not a folder", source=str(root))
        found = [root] if is_case(root) else sorted(p for p in root.iterdir() if is_case(p))
        if not found:
            raise InputError("no labelled case folders here", source=str(root))
        folders.extend(found)
    unique = dict.fromkeys(f.resolve() for f in folders)
    by_resolved = {f.resolve(): f for f in reversed(folders)}
    return tuple(read_label(by_resolved[r], rename=rename) for r in unique)
