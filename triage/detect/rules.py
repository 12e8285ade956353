"""Loading Sigma rule files into compiled rules, counting (never raising on) what is skipped.

Rule files are parsed and validated by pySigma once; what that gives (metadata and the condition
as plain data) is kept in the on-disk cache (`rule_cache`) keyed by each file's content, and a
rule's condition is compiled into predicates only when a record first reaches it.
"""

import functools
import hashlib
import marshal
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from triage import __version__
from triage.detect.condition_ir import IR, lower_condition
from triage.detect.logsources import RecordLogsource
from triage.detect.matcher import CompiledCondition, FieldView, UnsupportedRule, compile_ir
from triage.detect.rule_cache import FileEntry, RuleCache
from triage.detect.value_match import check_regex
from triage.models.base import SEVERITY_ORDER, Severity

if TYPE_CHECKING:
    from sigma.rule import SigmaRule

BUILTIN_RULES = Path(__file__).resolve().parent.parent / "data" / "rules"
BUILTIN = "builtin"
MAX_RULE_FILE_BYTES = 512 * 1024
MAX_RULE_FILES = 10_000
RULE_SUFFIXES = (".yml", ".yaml")
TECHNIQUE_TAG = re.compile(r"^t\d{4}(\.\d{3})?$", re.IGNORECASE)
# Statuses SigmaHQ gives rules it no longer stands behind: not loaded unless asked for.
SKIPPED_STATUSES: tuple[str, ...] = ("deprecated", "unsupported")
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, eq=False)
class CompiledRule:
    """A Sigma rule ready to run: metadata for the Detection, logsource, and its condition(s),
    compiled into predicates the first time they are needed."""

    rule_id: str
    title: str
    level: Severity
    techniques: tuple[str, ...]
    description: str
    falsepositives: tuple[str, ...]
    product: str | None
    category: str | None
    service: str | None
    # The condition(s) lowered by `condition_ir`, marshalled: one bytes object per rule instead
    # of thousands of small lists, which would slow every garbage collection of the run.
    condition_ir: bytes
    source: str
    # Event ids the rule's detection names (empty: it reads every event of its logsource);
    # coverage uses them to tell which kinds of event some rule actually reads.
    event_ids: frozenset[int] = frozenset()
    status: str | None = None
    tags: tuple[str, ...] = ()
    pack: str = BUILTIN
    pack_version: str | None = None

    @functools.cached_property
    def conditions(self) -> tuple[CompiledCondition, ...]:
        nodes: list[IR] = marshal.loads(self.condition_ir)  # written by rule_entry
        return tuple(compile_ir(node) for node in nodes)

    def applies_to(self, logsource: RecordLogsource) -> bool:
        return logsource.accepts(product=self.product, category=self.category, service=self.service)

    def first_match(self, view: FieldView) -> CompiledCondition | None:
        for condition in self.conditions:
            if condition.predicate(view):
                return condition
        return None


@dataclass(frozen=True)
class SkippedRule:
    path: str
    reason: str


@dataclass(frozen=True)
class RuleSource:
    """A folder of rules and the pack it belongs to (`builtin`, an installed pack's name, or
    the folder itself for `--rules DIR`)."""

    folder: Path
    pack: str
    version: str | None = None


@dataclass(frozen=True)
class PackSummary:
    name: str
    version: str | None
    files: int
    rules: int
    skip_reasons: Mapping[str, int] = field(default_factory=dict)
    newest_date: str | None = None


@dataclass(frozen=True)
class RuleStats:
    """How many rules were loaded, why the others were skipped, and how many rule files were
    compiled (cache misses) or read from the on-disk cache."""

    loaded: int = 0
    skipped: tuple[SkippedRule, ...] = ()
    skip_reasons: Mapping[str, int] = field(default_factory=dict)
    files: int = 0
    files_compiled: int = 0
    files_cached: int = 0
    packs: tuple[PackSummary, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    stats: RuleStats


def techniques_from_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """ATT&CK technique IDs from Sigma tags: "attack.t1003.001" → "T1003.001"."""
    found: list[str] = []
    for tag in tags:
        namespace, _, name = tag.partition(".")
        if namespace.lower() == "attack" and TECHNIQUE_TAG.match(name):
            technique = name.upper()
            if technique not in found:
                found.append(technique)
    return tuple(found)


def _level(rule: "SigmaRule") -> Severity:
    name = rule.level.name.lower() if rule.level is not None else "medium"
    for level in SEVERITY_ORDER:
        if level == name:
            return level
    return "medium"


def _reason_for(error: Exception) -> str:
    """A short, countable reason; the detail stays in SkippedRule.reason's suffix."""
    message = str(error)
    lowered = message.lower()
    if "pipe syntax" in lowered or "aggregation" in lowered:
        return "aggregation in condition (| count() …)"
    if "modifier" in lowered:
        return "unknown or invalid modifier"
    if "placeholder" in lowered:
        return "placeholder values (|expand) need a pipeline"
    if "regular expression" in lowered:
        return "invalid regular expression"
    if isinstance(error, UnsupportedRule):
        return "unsupported feature"
    return "invalid Sigma rule"


def _date(value: object) -> str | None:
    """A rule's `date` / `modified` as YYYY-MM-DD (SigmaHQ writes 2023-01-31 and 2023/01/31)."""
    text = str(value).strip().replace("/", "-") if value is not None else ""
    return text[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text) else None


def rule_entry(document: Mapping[str, Any], *, fallback_id: str) -> dict[str, Any]:
    """Parse and validate one rule document with pySigma; the result is plain data (what the
    disk cache stores). Raises UnsupportedRule or SigmaError when the rule cannot run."""
    from sigma.rule import SigmaRule

    _check_regexes(document.get("detection"))
    rule = SigmaRule.from_dict(dict(document), collect_errors=True)
    if rule.errors:
        raise rule.errors[0]
    conditions = [lower_condition(c.parse()) for c in rule.detection.parsed_condition]
    for node in conditions:
        compile_ir(node)  # a rule that cannot compile is skipped now, not at its first record
    tags = [f"{tag.namespace}.{tag.name}" for tag in rule.tags]
    dates = [d for d in (_date(document.get("date")), _date(document.get("modified"))) if d]
    status = document.get("status")
    return {
        "id": str(rule.id) if rule.id else fallback_id,
        "title": rule.title,
        "level": _level(rule),
        "techniques": list(techniques_from_tags(tags)),
        "tags": tags,
        "description": (rule.description or "").strip(),
        "falsepositives": [str(fp) for fp in rule.falsepositives or ()],
        "product": rule.logsource.product,
        "category": rule.logsource.category,
        "service": rule.logsource.service,
        "status": str(status).lower() if isinstance(status, str) else None,
        "event_ids": sorted(_event_ids(document.get("detection"))),
        "conditions": marshal.dumps(conditions, 4),
        "date": max(dates) if dates else None,
    }


def rule_from_entry(
    entry: Mapping[str, Any], *, source: str, pack: str = BUILTIN, pack_version: str | None = None
) -> CompiledRule:
    return CompiledRule(
        rule_id=entry["id"],
        title=entry["title"],
        level=entry["level"],
        techniques=tuple(entry["techniques"]),
        description=entry["description"],
        falsepositives=tuple(entry["falsepositives"]),
        product=entry["product"],
        category=entry["category"],
        service=entry["service"],
        condition_ir=entry["conditions"],
        source=source,
        event_ids=frozenset(entry["event_ids"]),
        status=entry["status"],
        tags=tuple(entry["tags"]),
        pack=pack,
        pack_version=pack_version,
    )


def compile_rule(document: Mapping[str, Any], *, source: str, fallback_id: str) -> CompiledRule:
    """Compile one rule document; raises UnsupportedRule or SigmaError when it cannot run."""
    rule = rule_from_entry(rule_entry(document, fallback_id=fallback_id), source=source)
    rule.conditions  # noqa: B018  (compile now: an ad-hoc rule's problems surface here)
    return rule


def _selected(
    detection: object, wanted: Callable[[list[str]], bool]
) -> Iterator[tuple[list[str], list[object]]]:
    """(field name and modifiers, values) of every detection item whose key `wanted` accepts,
    wherever it sits in the selections; the walk is iterative, so nesting cannot exhaust it."""
    searches: list[object] = [detection]
    while searches:
        item = searches.pop()
        if isinstance(item, list):
            searches += item
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            parts = str(key).split("|")
            if wanted(parts):
                yield parts, value if isinstance(value, list) else [value]
            else:
                searches.append(value)


def _event_ids(detection: object) -> frozenset[int]:
    """Every integer an `EventID` field of the detection names."""
    found: set[int] = set()
    for _, values in _selected(detection, lambda parts: parts[0] == "EventID"):
        for number in values:
            if isinstance(number, int) and not isinstance(number, bool):
                found.add(number)
            elif isinstance(number, str):
                text = number.strip()
                if text.isascii() and text.isdigit() and len(text) <= 10:
                    found.add(int(text))
    return frozenset(found)


_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _check_regexes(detection: object) -> None:
    """Reject `|re` values that Python or RE2 cannot compile before pySigma sees them: its
    RE2 check would otherwise print RE2 warnings on stderr for every bad rule."""
    for parts, patterns in _selected(detection, lambda parts: "re" in parts[1:]):
        flags = 0
        for modifier in parts[1:]:
            flags |= _REGEX_FLAGS.get(modifier, 0)
        for pattern in patterns:
            if isinstance(pattern, str):
                check_regex(pattern, flags)


def _document_problem(document: object) -> str | None:
    if not isinstance(document, dict):
        return "not a rule document"
    if "correlation" in document:
        return "correlation rule (use the built-in correlations)"
    if "action" in document:
        return "multi-document action (global/reset/repeat)"
    if "filter" in document and "detection" not in document:
        return "filter rule (needs a processing pipeline)"
    if "detection" not in document:
        return "no detection section"
    return None


def compile_rule_file(data: bytes, *, name: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every rule document in one file's bytes → (rule entries, skip reasons)."""
    from sigma.exceptions import SigmaError

    if len(data) > MAX_RULE_FILE_BYTES:
        return [], ["rule file too large"]
    try:
        documents = list(yaml.load_all(data.decode("utf-8"), Loader=_YAML_LOADER))
    except UnicodeDecodeError as exc:
        return [], [f"unreadable rule file: {exc}"]
    except yaml.YAMLError:
        return [], ["invalid YAML"]
    entries: list[dict[str, Any]] = []
    skipped: list[str] = []
    for number, document in enumerate(documents):
        if document is None:
            continue
        problem = _document_problem(document)
        if problem:
            skipped.append(problem)
            continue
        try:
            entries.append(rule_entry(document, fallback_id=f"{name}#{number}"))
        except (SigmaError, UnsupportedRule, ValueError, TypeError, KeyError) as exc:
            skipped.append(f"{_reason_for(exc)}: {str(exc)[:200]}")
    return entries, skipped


def load_rule_file(path: Path, *, source: str) -> tuple[list[CompiledRule], list[SkippedRule]]:
    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            return [], [SkippedRule(str(path), "rule file too large")]
        data = path.read_bytes()
    except OSError as exc:
        return [], [SkippedRule(str(path), f"unreadable rule file: {exc}")]
    entries, problems = compile_rule_file(data, name=path.stem)
    rules = [rule_from_entry(entry, source=source) for entry in entries]
    return rules, [SkippedRule(str(path), reason) for reason in problems]


def rule_files(folder: Path) -> list[Path]:
    """Rule files under a folder (sorted, recursive); hidden folders such as .git are ignored."""
    if folder.is_file():
        return [folder]
    return [folder / name for name, _mtime, _size in _scan(folder)]


def _scan(folder: Path) -> list[tuple[str, int, int]]:
    """(path relative to the folder, mtime_ns, size) of its rule files, sorted; os.scandir
    because pathlib's rglob costs a tenth of a second on a SigmaHQ checkout."""
    found: list[tuple[str, int, int]] = []
    pending = [""]
    while pending and len(found) < MAX_RULE_FILES:
        prefix = pending.pop()
        try:
            with os.scandir(folder / prefix if prefix else folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    name = f"{prefix}/{entry.name}" if prefix else entry.name
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(name)
                    elif entry.name.endswith(RULE_SUFFIXES) and entry.is_file():
                        stat = entry.stat()
                        found.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            continue
    return sorted(found)[:MAX_RULE_FILES]


def load_rule_set(
    extra_dirs: Sequence[Path] = (),
    *,
    builtin: bool = True,
    packs: Sequence[RuleSource] = (),
    cache_dir: Path | None = None,
    skip_statuses: Sequence[str] = SKIPPED_STATUSES,
) -> RuleSet:
    """Load rules: the built-ins, installed packs, then extra folders. The result is cached per
    process until a file changes, and with `cache_dir` on disk, keyed by file content."""
    sources = [RuleSource(BUILTIN_RULES, BUILTIN, __version__)] if builtin else []
    sources += list(packs)
    sources += [RuleSource(Path(folder), str(folder)) for folder in extra_dirs]
    entries: list[tuple[RuleSource, tuple[tuple[str, int, int], ...]]] = []
    for source in sources:
        if source.folder.is_file():
            stat = source.folder.stat()
            files = [("", stat.st_mtime_ns, stat.st_size)]
        else:
            files = _scan(source.folder)
        entries.append((source, tuple(files)))
    return _load_cached(tuple(entries), cache_dir, tuple(skip_statuses))


@functools.lru_cache(maxsize=16)
def _load_cached(
    entries: tuple[tuple[RuleSource, tuple[tuple[str, int, int], ...]], ...],
    cache_dir: Path | None,
    skip_statuses: tuple[str, ...],
) -> RuleSet:
    cache = RuleCache(cache_dir) if cache_dir is not None else None
    rules: list[CompiledRule] = []
    skipped: list[SkippedRule] = []
    packs: list[PackSummary] = []
    compiled = cached = 0
    for source, files in entries:
        results, misses = _compile_folder(source.folder, [(f[0], f[2]) for f in files], cache)
        compiled += misses
        cached += len(files) - misses
        pack_rules: list[CompiledRule] = []
        pack_skipped: list[SkippedRule] = []
        dates: list[str] = []
        for path, (_digest, file_entries, problems) in results:
            label = BUILTIN if source.pack == BUILTIN else path
            pack_skipped += [SkippedRule(str(path), reason) for reason in problems]
            for entry in file_entries:
                if entry["status"] in skip_statuses:
                    pack_skipped.append(SkippedRule(str(path), f"status {entry['status']}"))
                    continue
                dates += [entry["date"]] if entry["date"] else []
                pack_rules.append(
                    rule_from_entry(
                        entry, source=label, pack=source.pack, pack_version=source.version
                    )
                )
        reasons = Counter(problem.reason.split(":", 1)[0] for problem in pack_skipped)
        packs.append(
            PackSummary(
                name=source.pack,
                version=source.version,
                files=len(files),
                rules=len(pack_rules),
                skip_reasons=dict(reasons),
                newest_date=max(dates) if dates else None,
            )
        )
        rules += pack_rules
        skipped += pack_skipped
    reasons = Counter(problem.reason.split(":", 1)[0] for problem in skipped)
    stats = RuleStats(
        loaded=len(rules),
        skipped=tuple(skipped),
        skip_reasons=dict(reasons),
        files=compiled + cached,
        files_compiled=compiled,
        files_cached=cached,
        packs=tuple(packs),
    )
    return RuleSet(rules=tuple(rules), stats=stats)


def _compile_folder(
    folder: Path, files: Sequence[tuple[str, int]], cache: RuleCache | None
) -> tuple[list[tuple[str, FileEntry]], int]:
    """Each file's entry (by its path), from the disk cache when its content hash matches; the
    number of files that had to be compiled. The cache file is rewritten when anything changed.
    A name "" stands for the folder itself being one rule file."""
    root = folder.resolve()
    known = cache.read(root) if cache is not None else {}
    results: list[tuple[str, FileEntry]] = []
    fresh: dict[str, FileEntry] = {}
    misses = 0
    base = str(folder)
    for name, size in files:
        path = f"{base}{os.sep}{name}" if name else base
        if size > MAX_RULE_FILE_BYTES:
            results.append((path, ("", [], ["rule file too large"])))
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            results.append((path, ("", [], [f"unreadable rule file: {exc}"])))
            continue
        digest = hashlib.sha256(data).hexdigest()
        entry = known.get(name)
        if entry is None or entry[0] != digest:
            misses += 1
            stem = Path(name or base).stem
            entries, problems = compile_rule_file(data, name=stem)
            entry = (digest, entries, problems)
        fresh[name] = entry
        results.append((path, entry))
    if cache is not None and (misses or fresh.keys() != known.keys()):
        cache.write(root, fresh)
    return results, misses


def compile_rule_text(text: str, *, source: str) -> CompiledRule:
    """One rule from YAML text (as an agent or a test writes it); problems raise UnsupportedRule."""
    if len(text) > MAX_RULE_FILE_BYTES:
        raise UnsupportedRule("rule text too large")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UnsupportedRule("invalid YAML") from exc
    problem = _document_problem(document)
    if problem:
        raise UnsupportedRule(problem)
    from sigma.exceptions import SigmaError

    try:
        return compile_rule(document, source=source, fallback_id="adhoc")
    except (SigmaError, ValueError, TypeError, KeyError) as exc:
        raise UnsupportedRule(f"{_reason_for(exc)}: {str(exc)[:200]}") from exc
