"""Validate playbook YAML files and load them, with every problem located to a file line."""

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from triage.errors import ExitCode, TriageError
from triage.knowledge.playbook import STEP_SECTIONS, Playbook
from triage.models import Frozen
from triage.models.intel import ObservableType

MAX_PLAYBOOK_BYTES = 1024 * 1024
# A billion-laughs alias bomb is tiny on disk but huge once expanded; count nodes as expanded.
MAX_YAML_NODES = 20_000
MAX_YAML_DEPTH = 32
PLAYBOOK_SUFFIXES = (".yaml", ".yml")
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
OBSERVABLE_TYPES: frozenset[str] = frozenset(get_args(ObservableType))

Loc = tuple[str | int, ...]


class LintError(Frozen):
    """One problem in one playbook file; `line` and `column` are 1-based when known."""

    path: str
    line: int | None = None
    column: int | None = None
    loc: str = ""
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.loc}: {self.message}" if self.loc else f"{where}: {self.message}"


# A playbook id and where it is defined, gathered across files to find duplicates.
IdSite = tuple[str, LintError]


class LintReport(Frozen):
    """What linting found: the files read, the playbooks that validated, and every problem."""

    files: tuple[str, ...] = ()
    playbooks: tuple[Playbook, ...] = ()
    errors: tuple[LintError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class PlaybookError(TriageError):
    """Playbooks that do not lint clean; `errors` holds every located problem."""

    exit_code = ExitCode.CONFIG

    def __init__(
        self, message: str, *, source: str | None = None, errors: Sequence[LintError] = ()
    ) -> None:
        super().__init__(message, source=source)
        self.errors = tuple(errors)


def shipped_playbook_dir() -> Path:
    """The playbook library that ships with triage."""
    # A source checkout or editable install has the library at the top of the repository;
    # a wheel installs it under <prefix>/share/triage/playbooks.
    in_checkout = Path(__file__).resolve().parents[2] / "playbooks"
    for candidate in (in_checkout, Path(sys.prefix) / "share" / "triage" / "playbooks"):
        if candidate.is_dir():
            return candidate
    raise PlaybookError(
        f"the shipped playbook library is missing ({in_checkout}); reinstall triage or "
        "set shipped_playbooks = false in triage.toml and configure playbook_dirs"
    )


def load_playbooks(paths: Sequence[Path]) -> tuple[Playbook, ...]:
    """Every playbook under `paths`, or PlaybookError carrying all lint errors."""
    report = lint_playbooks(paths)
    if report.errors:
        count = len(report.errors)
        first = report.errors[0]
        more = f" (and {count - 1} more problems)" if count > 1 else ""
        raise PlaybookError(f"invalid playbooks: {first}{more}", errors=report.errors)
    if not report.playbooks:
        shown = ", ".join(str(p) for p in paths) or "(no paths)"
        raise PlaybookError(f"no playbook files (*.yaml, *.yml) found in {shown}")
    return report.playbooks


def lint_playbooks(paths: Sequence[Path]) -> LintReport:
    """Lint files and folders (their direct *.yaml/*.yml children); never raises on bad input."""
    errors: list[LintError] = []
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.suffix in PLAYBOOK_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            found.append(path)
        else:
            errors.append(LintError(path=str(path), message="not a file or folder"))
    # A file named both directly and through its folder is one playbook, not a duplicate id.
    files: list[Path] = []
    seen: set[Path] = set()
    for path in found:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            files.append(path)

    playbooks: list[Playbook] = []
    id_sites: dict[str, list[LintError]] = {}
    for file in files:
        playbook, file_errors, id_site = _lint_file(file)
        errors.extend(file_errors)
        if playbook is not None and not file_errors:
            playbooks.append(playbook)
        if id_site is not None:
            id_sites.setdefault(id_site[0], []).append(id_site[1])

    for playbook_id, sites in id_sites.items():
        if len(sites) < 2:
            continue
        playbooks = [p for p in playbooks if p.id != playbook_id]
        for site in sites:
            others = ", ".join(_position(other) for other in sites if other is not site)
            errors.append(
                site.model_copy(
                    update={"message": f"duplicate id {playbook_id!r} (also defined at {others})"}
                )
            )

    return LintReport(
        files=tuple(str(f) for f in files),
        playbooks=tuple(playbooks),
        errors=tuple(sorted(errors, key=lambda e: (e.path, e.line or 0, e.column or 0))),
    )


class _PlaybookLoader(yaml.SafeLoader):
    """yaml.SafeLoader that stops at MAX_YAML_DEPTH levels of nesting.

    PyYAML scans deeply nested flow collections in quadratic time and composes them
    recursively, so a few kilobytes of "[[[[" would stall or crash the linter.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                # The event being composed; the reader's own mark has already read ahead.
                event = self.current_event
                mark = event.start_mark if event is not None else self.get_mark()
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_YAML_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _lint_file(path: Path) -> tuple[Playbook | None, list[LintError], IdSite | None]:
    """The playbook (if valid), its errors, and its id with where that id is defined."""
    name = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_PLAYBOOK_BYTES + 1)
        if len(raw) > MAX_PLAYBOOK_BYTES:
            message = f"file is over the {MAX_PLAYBOOK_BYTES}-byte playbook limit"
            return None, [LintError(path=name, message=message)], None
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [LintError(path=name, message=f"unreadable: {exc}")], None

    loader = _PlaybookLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None and _count_nodes(root) > MAX_YAML_NODES:
            message = f"more than {MAX_YAML_NODES} YAML nodes (alias expansion?)"
            return None, [LintError(path=name, line=1, column=1, message=message)], None
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_error(name, exc)], None
    except yaml.YAMLError as exc:
        return None, [LintError(path=name, message=f"YAML error: {exc}")], None
    finally:
        loader.dispose()

    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        message = "a playbook must be a YAML mapping (id: …, title: …)"
        return None, [LintError(path=name, line=1, column=1, message=message)], None

    errors: list[LintError] = []
    playbook: Playbook | None = None
    schema_locs: set[Loc] = set()
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        for item in exc.errors():
            loc = tuple(item["loc"])
            schema_locs.add(loc)
            errors.append(_located(name, root, loc, _schema_message(item)))

    errors.extend(_content_errors(name, root, data, schema_locs))

    id_site = None
    playbook_id = data.get("id")
    if isinstance(playbook_id, str) and playbook_id:
        id_site = (playbook_id, _located(name, root, ("id",), playbook_id))
        if path.stem != playbook_id:
            message = f"file name {path.name!r} does not match id {playbook_id!r}"
            errors.append(_located(name, root, ("id",), message))
    return playbook, errors, id_site


def _content_errors(
    name: str, root: yaml.MappingNode, data: dict[Any, Any], schema_locs: set[Loc]
) -> Iterator[LintError]:
    """Checks the schema cannot express: technique-id syntax, empty sections and blank steps."""
    scope = data.get("scope")
    techniques = scope.get("techniques") if isinstance(scope, dict) else None
    if isinstance(techniques, list):
        for index, technique in enumerate(techniques):
            loc: Loc = ("scope", "techniques", index)
            if loc not in schema_locs and not TECHNIQUE_ID.match(str(technique)):
                message = f"{technique!r} is not a technique id (T1234 or T1234.001)"
                yield _located(name, root, loc, message)
    kinds = scope.get("observable_types") if isinstance(scope, dict) else None
    if isinstance(kinds, list):
        for index, kind in enumerate(kinds):
            loc = ("scope", "observable_types", index)
            if loc not in schema_locs and kind not in OBSERVABLE_TYPES:
                allowed = ", ".join(sorted(OBSERVABLE_TYPES))
                yield _located(name, root, loc, f"{kind!r} is not an observable type ({allowed})")

    for section in STEP_SECTIONS:
        steps = data.get(section)
        if (section,) in schema_locs or not isinstance(steps, list):
            continue
        if not steps:
            yield _located(name, root, (section,), "empty section: list at least one step")
        for index, step in enumerate(steps):
            if isinstance(step, str) and not step.strip():
                yield _located(name, root, (section, index), "blank step")

    guidance = data.get("severity_guidance")
    if isinstance(guidance, dict) and not any(
        isinstance(text, str) and text.strip() for text in guidance.values()
    ):
        yield _located(name, root, ("severity_guidance",), "empty section: describe a level")


def _schema_message(item: Mapping[str, Any]) -> str:
    kind = item["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(item["msg"])
    if kind == "string_type" and isinstance(item.get("input"), int | float):
        return f'{message}; quote it (e.g. "{item["input"]}")'
    return message


def _located(name: str, root: yaml.Node, loc: Loc, message: str) -> LintError:
    """An error at the deepest YAML node `loc` reaches: a mapping key's line, or a list item's."""
    node: yaml.Node = root
    mark = root.start_mark
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        key_node, node = child
        mark = (key_node or node).start_mark
    return LintError(
        path=name,
        line=mark.line + 1,
        column=mark.column + 1,
        loc=_loc_text(loc),
        message=message,
    )


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


def _loc_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _count_nodes(root: yaml.Node) -> int:
    """Nodes as a loader would expand them (aliases counted each time), stopping past the cap."""
    count = 0
    pending: list[yaml.Node] = [root]
    while pending and count <= MAX_YAML_NODES:
        node = pending.pop()
        count += 1
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                pending.extend((key_node, value_node))
    return count


def _yaml_error(name: str, exc: yaml.MarkedYAMLError) -> LintError:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
    if mark is None:
        return LintError(path=name, message=f"YAML syntax error: {problem}")
    return LintError(
        path=name,
        line=mark.line + 1,
        column=mark.column + 1,
        message=f"YAML syntax error: {problem}",
    )


def _position(error: LintError) -> str:
    return f"{error.path}:{error.line}" if error.line is not None else error.path
