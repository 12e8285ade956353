"""The `triage eval` scorecard as tables: per case, totals, per format and reliability,
rendered for a terminal (Rich) or as Markdown. Pure functions of the Scorecard."""

from collections.abc import Sequence
from typing import NamedTuple

from rich.console import Group, RenderableType
from rich.table import Table

from triage.eval.metrics import CaseRow, Scorecard, Totals
from triage.render import safe_text

# The totals shown per format (all of them are in --json).
FORMAT_COLUMNS = (
    "cases",
    "errors",
    "accuracy",
    "malicious_recall",
    "benign_specificity",
    "macro_f1",
    "technique_hit_rate",
    "citation_validity",
    "brier",
)


class TextTable(NamedTuple):
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _number(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def _mark(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "NO")


def _severity(row: CaseRow) -> str:
    got = row.severity_got or "–"
    return f"{row.severity_expected} → {got}" if row.severity_expected else got


def _techniques(row: CaseRow) -> str:
    text = f"{len(row.techniques_expected)}/{len(row.techniques_got)}"
    return f"{text} {_mark(row.technique_hit)}" if row.technique_hit is not None else text


def _got(row: CaseRow) -> str:
    if row.error is not None:
        return f"error: {row.error}"
    return f"{row.got} ({'right' if row.correct else 'wrong'})"


def case_table(rows: Sequence[CaseRow]) -> TextTable:
    headers = (
        "case",
        "format",
        "truth",
        "got",
        "severity",
        "p(malicious)",
        "techniques exp/got hit",
        "verify ok",
        "seconds",
    )
    body = tuple(
        (
            safe_text(row.case),
            row.format,
            row.expected or "–",
            safe_text(_got(row)),
            _severity(row),
            _number(row.p_malicious),
            _techniques(row),
            _mark(row.verify_ok),
            f"{row.seconds:.2f}",
        )
        for row in rows
    )
    return TextTable("Cases", headers, body)


def totals_table(totals: Totals) -> TextTable:
    rows = tuple((name, _number(value)) for name, value in totals.model_dump().items())
    return TextTable("Totals", ("metric", "value"), rows)


def format_table(by_format: dict[str, Totals]) -> TextTable:
    rows = tuple(
        (name, *(_number(getattr(totals, column)) for column in FORMAT_COLUMNS))
        for name, totals in by_format.items()
    )
    return TextTable("By format", ("format", *FORMAT_COLUMNS), rows)


def reliability_table(card: Scorecard) -> TextTable:
    rows = tuple(
        (
            f"{b.low:.1f}–{b.high:.1f}",
            str(b.count),
            _number(b.mean_predicted),
            _number(b.observed_rate),
        )
        for b in card.reliability
    )
    return TextTable(
        "Reliability of p(malicious)", ("bin", "count", "mean predicted", "observed rate"), rows
    )


def scorecard_tables(card: Scorecard) -> tuple[TextTable, ...]:
    return (
        case_table(card.cases),
        totals_table(card.totals),
        format_table(card.by_format),
        reliability_table(card),
    )


def render_scorecard_rich(card: Scorecard) -> RenderableType:
    tables = []
    for title, headers, rows in scorecard_tables(card):
        table = Table(title=title, title_justify="left", header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*row)
        tables.append(table)
    return Group(*tables)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_scorecard_markdown(card: Scorecard) -> str:
    lines = ["# triage eval scorecard", ""]
    for title, headers, rows in scorecard_tables(card):
        lines += [f"## {title}", "", "| " + " | ".join(headers) + " |"]
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)
