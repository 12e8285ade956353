"""Run labelled cases through the real pipeline, in process, with one set of dependencies.

Only a case's artifact files reach the pipeline (never its label); each report is then
re-checked with `triage verify`'s own code. A case that fails becomes a result with its reason.
"""

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from triage.errors import ConfigError, TriageError
from triage.eval.labels import CaseLabel, Renamer, inert
from triage.eval.metrics import CaseResult
from triage.settings import Settings

if TYPE_CHECKING:
    from triage.models import TriageReport
    from triage.pipeline import TriageDeps
    from triage.verify import VerifyResult

CaseDone = Callable[[CaseResult], None]
MAX_ERROR_CHARS = 500


def run_cases(
    labels: Sequence[CaseLabel],
    *,
    settings: Settings,
    rename: Renamer | None = None,
    on_case: CaseDone | None = None,
) -> tuple[CaseResult, ...]:
    """Triage every case; build the detector, enrichment and playbook index once for all."""
    from triage.wiring import build_deps

    if settings.engine == "agent":
        # As `triage run` would: the agent engine does not exist in this version.
        raise ConfigError("the agent engine is not available in this version; use --engine rules")
    deps = build_deps(settings)
    results = []
    for label in labels:
        result = run_case(label, deps=deps, settings=settings, rename=rename)
        results.append(result)
        if on_case is not None:
            on_case(result)
    return tuple(results)


def run_case(
    label: CaseLabel,
    *,
    deps: "TriageDeps",
    settings: Settings,
    rename: Renamer | None = None,
) -> CaseResult:
    from triage.ingest import load_incident
    from triage.pipeline import triage_incident
    from triage.verify import verify_report

    current = rename or (lambda technique_id: technique_id)
    started = time.monotonic()

    def failed(reason: str) -> CaseResult:
        # Errors quote paths and artifact text: one inert line in the scorecard's tables.
        error = inert(" ".join(reason.split()), limit=MAX_ERROR_CHARS)
        return CaseResult(label=label, seconds=time.monotonic() - started, error=error)

    try:
        paths = [str(p) for p in label.artifacts]
        if not paths:
            raise TriageError("no artifact files next to the label", source=str(label.folder))
        incident = load_incident(paths, settings.limits)
        report = triage_incident(incident, deps=deps, settings=settings, started=started)
        seconds = time.monotonic() - started
        checked = verify_report(report, base=Path.cwd(), limits=settings.limits)
    except TriageError as exc:
        return failed(str(exc))
    except OSError as exc:  # the case folder itself could not be listed or read
        return failed(f"cannot read the case folder: {exc.strerror or exc}")
    except Exception as exc:  # a bug on one case must not hide the scores of the others
        return failed(f"internal error: {type(exc).__name__}: {exc}")
    return case_result(label, report, seconds=seconds, checked=checked, rename=current)


def case_result(
    label: CaseLabel,
    report: "TriageReport",
    *,
    seconds: float,
    checked: "VerifyResult",
    rename: Renamer,
) -> CaseResult:
    """What a report said about a labelled case (from a run, or recorded in a bundle)."""
    verdict = report.verdict
    return CaseResult(
        label=label,
        seconds=seconds,
        classification=verdict.classification,
        severity=verdict.severity,
        confidence=verdict.confidence,
        malicious_probability=getattr(verdict, "malicious_probability", None),
        needs_human=verdict.needs_human,
        techniques=tuple(dict.fromkeys(rename(t.id) for t in report.techniques)),
        verify_ok=checked.ok,
        bad_citations=len(checked.mismatches),
    )
