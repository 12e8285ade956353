"""Labelled cases: find case folders and read both label formats into one frozen model.

A sample (`samples/*/expected.yaml`) names the exact classification and a severity; a real-data
case (`label.yaml`) names only malicious or benign, never a severity. Technique ids are kept as
published and also resolved to the ids the shipped ATT&CK release uses (revoked ids redirect).
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
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

# Labels are a few kilobytes; a case folder someone else packed is attacker-controlled.
MAX_LABEL_BYTES = 1024 * 1024
MAX_SHOWN_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What Rich reads as a markup tag (rich.markup.RE_TAGS); escaped so that a name stays text.
_MARKUP_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def plain(text: str) -> str:
    """Label text made inert for a terminal: control and invisible format characters (ANSI
    escapes, bidi overrides, zero-width) shown as \\xNN or \\uNNNN, on one line."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cf", "Zl", "Zp") else c for c in text
    )


def inert(text: str, *, limit: int = MAX_SHOWN_CHARS) -> str:
    """plain(), cut to `limit` characters, and markup-looking brackets escaped: the scorecard
    puts case names and formats in Rich tables and Markdown, where `[…]` would be read."""
    shown = plain(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    shown = _MARKUP_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", shown)
    return shown + "\\" if shown.endswith("\\") and not shown.endswith("\\\\") else shown


class _LabelLoader(yaml.SafeLoader):
    """Safe YAML without aliases: a label has no use for them, and an alias bomb of a few
    hundred bytes expands to gigabytes once its values are turned into text."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: what is wrong and where, without PyYAML's multi-line excerpt."""
    if isinstance(exc, yaml.MarkedYAMLError):
        text = exc.problem or exc.context or "invalid YAML"
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            text += f" (line {mark.line + 1}, column {mark.column + 1})"
    else:
        text = str(exc)
    return " ".join(text.split())


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
        raise InputError(f"{key} must be a list of technique ids", source=plain(str(source)))
    ids = [v.strip().upper() for v in value]
    # Folder-derived ids (T1098.xxx) have no sub-technique: record them at parent level.
    return tuple(dict.fromkeys(parent_id(v) if v.endswith(".XXX") else v for v in ids))


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | date) and not isinstance(value, bool)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if _is_scalar(v))
    return ()


def _text(data: Mapping[str, Any], key: str, path: Path) -> str | None:
    """A scalar label value as text; None when absent; an input error for a list or mapping."""
    value = data.get(key)
    if value is None:
        return None
    if not _is_scalar(value):
        raise InputError(f"{key} must be a single value", source=plain(str(path)))
    return str(value)


def _is_compound(data: Mapping[str, Any]) -> bool:
    source = data.get("source")
    paths = _strings(source.get("paths")) if isinstance(source, dict) else ()
    return any("/compound/" in f"/{p}" for p in paths)


def _fields(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    if path.name == SAMPLE_LABEL:
        classification = _text(data, "classification", path)
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
    verdict = _text(data, "expected_verdict", path)
    if verdict not in ("malicious", "benign"):
        raise InputError("expected_verdict must be malicious or benign", source=plain(str(path)))
    return {
        "kind": "realdata",
        "format": inert(format_family(_text(data, "format", path) or "unknown"), limit=60),
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
        raise InputError(
            "no expected.yaml or label.yaml: not a labelled case", source=plain(str(folder))
        )
    data = _load(path)
    fields = _fields(data, path)
    current = rename or (lambda technique_id: technique_id)
    techniques = tuple(dict.fromkeys(current(t) for t in fields["published_techniques"]))
    name = _text(data, "id", path) or folder.name or folder.resolve().name
    try:
        return CaseLabel(
            case_id=inert(name),
            folder=folder,
            techniques=techniques,
            **fields,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise InputError(f"bad label: {where}: {first['msg']}", source=plain(str(path))) from exc


def _load(path: Path) -> dict[str, Any]:
    """The label's YAML mapping, read within MAX_LABEL_BYTES; every failure one input error."""
    source = plain(str(path))
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_LABEL_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read label: {exc.strerror or exc}", source=source) from exc
    if len(raw) > MAX_LABEL_BYTES:
        raise InputError(f"label larger than {MAX_LABEL_BYTES:,} bytes (limit)", source=source)
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_LabelLoader)  # a SafeLoader without aliases
    except UnicodeDecodeError as exc:
        raise InputError("cannot read label: not UTF-8 text", source=source) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"cannot read label: {_yaml_problem(exc)}", source=source) from exc
    except RecursionError as exc:
        raise InputError("cannot read label: YAML nested too deeply", source=source) from exc
    if not isinstance(data, dict):
        raise InputError("a label must be a mapping", source=source)
    return data


def is_case(folder: Path) -> bool:
    return any((folder / name).is_file() for name in LABEL_NAMES)


def find_cases(roots: Iterable[Path], *, rename: Renamer | None = None) -> tuple[CaseLabel, ...]:
    """Each root is one case folder or a folder of case folders; cases come back sorted by
    folder within each root, and a case named twice is read once."""
    folders: list[Path] = []
    for root in roots:
        if not root.is_dir():
            raise InputError("not a folder", source=plain(str(root)))
        try:
            found = [root] if is_case(root) else sorted(p for p in root.iterdir() if is_case(p))
        except OSError as exc:
            raise InputError(
                f"cannot list the folder: {exc.strerror or exc}", source=plain(str(root))
            ) from exc
        if not found:
            raise InputError("no labelled case folders here", source=plain(str(root)))
        folders.extend(found)
    unique = dict.fromkeys(f.resolve() for f in folders)
    by_resolved = {f.resolve(): f for f in reversed(folders)}
    return tuple(read_label(by_resolved[r], rename=rename) for r in unique)
