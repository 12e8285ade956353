"""Loading Sigma rule files into compiled rules, counting (never raising on) what is skipped."""

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from triage.detect.logsources import RecordLogsource
from triage.detect.matcher import (
    CompiledCondition,
    FieldView,
    UnsupportedRule,
    compile_condition,
)
from triage.detect.value_match import check_regex
from triage.models.base import SEVERITY_ORDER, Severity

BUILTIN_RULES = Path(__file__).resolve().parent.parent / "data" / "rules"
BUILTIN = "builtin"
MAX_RULE_FILE_BYTES = 512 * 1024
MAX_RULE_FILES = 10_000
RULE_SUFFIXES = (".yml", ".yaml")
TECHNIQUE_TAG = re.compile(r"^t\d{4}(\.\d{3})?$", re.IGNORECASE)


@dataclass(frozen=True)
class CompiledRule:
    """A Sigma rule ready to run: metadata for the Detection, logsource, compiled conditions."""

    rule_id: str
    title: str
    level: Severity
    techniques: tuple[str, ...]
    description: str
    falsepositives: tuple[str, ...]
    product: str | None
    category: str | None
    service: str | None
    conditions: tuple[CompiledCondition, ...]
    source: str
    # Event ids the rule's detection names (empty: it reads every event of its logsource);
    # coverage uses them to tell which kinds of event some rule actually reads.
    event_ids: frozenset[int] = frozenset()

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
class RuleStats:
    """How many rules were loaded, and why the others were skipped."""

    loaded: int = 0
    skipped: tuple[SkippedRule, ...] = ()
    skip_reasons: Mapping[str, int] = field(default_factory=dict)


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


def _level(rule: SigmaRule) -> Severity:
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
    if "regular expression" in lowered:
        return "invalid regular expression"
    if isinstance(error, UnsupportedRule):
        return "unsupported feature"
    return "invalid Sigma rule"


def compile_rule(document: Mapping[str, Any], *, source: str, fallback_id: str) -> CompiledRule:
    """Compile one rule document; raises UnsupportedRule or SigmaError when it cannot run."""
    _check_regexes(document.get("detection"))
    rule = SigmaRule.from_dict(dict(document), collect_errors=True)
    if rule.errors:
        raise rule.errors[0]
    conditions = tuple(
        compile_condition(condition.parse()) for condition in rule.detection.parsed_condition
    )
    tags = [f"{tag.namespace}.{tag.name}" for tag in rule.tags]
    return CompiledRule(
        rule_id=str(rule.id) if rule.id else fallback_id,
        title=rule.title,
        level=_level(rule),
        techniques=techniques_from_tags(tags),
        description=(rule.description or "").strip(),
        falsepositives=tuple(str(fp) for fp in rule.falsepositives or ()),
        product=rule.logsource.product,
        category=rule.logsource.category,
        service=rule.logsource.service,
        conditions=conditions,
        source=source,
        event_ids=_event_ids(document.get("detection")),
    )


def _event_ids(detection: object) -> frozenset[int]:
    """Every integer an `EventID` field of the detection names, wherever it sits."""
    found: set[int] = set()
    searches: list[object] = [detection]
    while searches:
        item = searches.pop()
        if isinstance(item, list):
            searches += item
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if str(key).split("|")[0] != "EventID":
                searches.append(value)
                continue
            for number in value if isinstance(value, list) else [value]:
                if isinstance(number, int) and not isinstance(number, bool):
                    found.add(number)
                elif isinstance(number, str) and number.strip().isdigit():
                    found.add(int(number))
    return frozenset(found)


_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _check_regexes(detection: object) -> None:
    """Reject `|re` values that Python or RE2 cannot compile before pySigma sees them: its
    RE2 check would otherwise print RE2 warnings on stderr for every bad rule."""
    searches: list[object] = [detection]
    while searches:
        item = searches.pop()
        if isinstance(item, list):
            searches += item
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            modifiers = str(key).split("|")[1:]
            if "re" not in modifiers:
                searches.append(value)
                continue
            flags = 0
            for modifier in modifiers:
                flags |= _REGEX_FLAGS.get(modifier, 0)
            for pattern in value if isinstance(value, list) else [value]:
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


def load_rule_file(path: Path, *, source: str) -> tuple[list[CompiledRule], list[SkippedRule]]:
    rules: list[CompiledRule] = []
    skipped: list[SkippedRule] = []
    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            return [], [SkippedRule(str(path), "rule file too large")]
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [SkippedRule(str(path), f"unreadable rule file: {exc}")]
    except yaml.YAMLError:
        return [], [SkippedRule(str(path), "invalid YAML")]
    for number, document in enumerate(documents):
        if document is None:
            continue
        problem = _document_problem(document)
        if problem:
            skipped.append(SkippedRule(str(path), problem))
            continue
        try:
            rules.append(compile_rule(document, source=source, fallback_id=f"{path.stem}#{number}"))
        except (SigmaError, UnsupportedRule, ValueError, TypeError, KeyError) as exc:
            skipped.append(SkippedRule(str(path), f"{_reason_for(exc)}: {str(exc)[:200]}"))
    return rules, skipped


def rule_files(folder: Path) -> list[Path]:
    """Rule files under a folder (sorted, recursive); hidden folders such as .git are ignored."""
    if folder.is_file():
        return [folder]
    files = [
        path
        for path in sorted(folder.rglob("*"))
        if path.suffix in RULE_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]
    return files[:MAX_RULE_FILES]


def load_rule_set(extra_dirs: Sequence[Path] = (), *, builtin: bool = True) -> RuleSet:
    """Load and compile rules; the result is cached per process until a file changes."""
    entries: list[tuple[str, str, int, int]] = []
    folders = [(BUILTIN_RULES, BUILTIN)] if builtin else []
    folders += [(Path(folder), "") for folder in extra_dirs]
    for folder, label in folders:
        for path in rule_files(folder):
            stat = path.stat()
            entries.append((str(path), label or str(path), stat.st_mtime_ns, stat.st_size))
    return _load_cached(tuple(entries))


@functools.lru_cache(maxsize=16)
def _load_cached(entries: tuple[tuple[str, str, int, int], ...]) -> RuleSet:
    rules: list[CompiledRule] = []
    skipped: list[SkippedRule] = []
    for path, source, _mtime, _size in entries:
        loaded, problems = load_rule_file(Path(path), source=source)
        rules.extend(loaded)
        skipped.extend(problems)
    reasons = Counter(problem.reason.split(":", 1)[0] for problem in skipped)
    stats = RuleStats(loaded=len(rules), skipped=tuple(skipped), skip_reasons=dict(reasons))
    return RuleSet(rules=tuple(rules), stats=stats)


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
    try:
        return compile_rule(document, source=source, fallback_id="adhoc")
    except (SigmaError, ValueError, TypeError, KeyError) as exc:
        raise UnsupportedRule(f"{_reason_for(exc)}: {str(exc)[:200]}") from exc
