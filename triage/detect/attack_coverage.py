"""What a set of rules covers: ATT&CK techniques and tactics, and logsources; as a table or an
ATT&CK Navigator layer (layer format 4.5)."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from triage.detect.rules import CompiledRule

TACTICS = (
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
)
NAVIGATOR_VERSIONS = {"layer": "4.5", "navigator": "5.1.0", "attack": "18"}
MAX_TITLES_IN_COMMENT = 5


@dataclass(frozen=True)
class RuleCoverage:
    rules: int
    techniques: dict[str, int]
    tactics: dict[str, int]
    products: dict[str, int]
    categories: dict[str, int]
    services: dict[str, int]
    titles: dict[str, tuple[str, ...]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "techniques_covered": len(self.techniques),
            "techniques": self.techniques,
            "tactics": self.tactics,
            "logsources": {
                "product": self.products,
                "category": self.categories,
                "service": self.services,
            },
        }


def _tactics(rule: CompiledRule) -> set[str]:
    found = set()
    for tag in rule.tags:
        namespace, _, name = tag.partition(".")
        name = name.lower().replace("_", "-")
        if namespace.lower() == "attack" and name in TACTICS:
            found.add(name)
    return found


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def rule_coverage(rules: Sequence[CompiledRule]) -> RuleCoverage:
    techniques: Counter[str] = Counter()
    tactics: Counter[str] = Counter()
    products: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    services: Counter[str] = Counter()
    titles: dict[str, list[str]] = {}
    for rule in rules:
        techniques.update(rule.techniques)
        tactics.update(_tactics(rule))
        products[rule.product or "(any)"] += 1
        if rule.category:
            categories[rule.category] += 1
        if rule.service:
            services[rule.service] += 1
        for technique in rule.techniques:
            titles.setdefault(technique, []).append(rule.title)
    return RuleCoverage(
        rules=len(rules),
        techniques=dict(sorted(techniques.items())),
        tactics=_sorted(tactics),
        products=_sorted(products),
        categories=_sorted(categories),
        services=_sorted(services),
        titles={k: tuple(sorted(v)) for k, v in titles.items()},
    )


def navigator_layer(coverage: RuleCoverage, *, name: str) -> dict[str, Any]:
    """An ATT&CK Navigator layer: each technique scored by the number of rules naming it."""
    top = max(coverage.techniques.values(), default=1)
    techniques = []
    for technique, count in coverage.techniques.items():
        shown = coverage.titles.get(technique, ())[:MAX_TITLES_IN_COMMENT]
        more = count - len(shown)
        comment = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
        techniques.append(
            {"techniqueID": technique, "score": count, "comment": f"{count} rule(s): {comment}"}
        )
    return {
        "name": name,
        "versions": NAVIGATOR_VERSIONS,
        "domain": "enterprise-attack",
        "description": f"{coverage.rules} Sigma rules, {len(techniques)} techniques (triage)",
        "techniques": techniques,
        "gradient": {"colors": ["#ffffff", "#66b1ff"], "minValue": 0, "maxValue": top},
        "legendItems": [],
    }
