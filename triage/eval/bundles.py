"""`triage eval --bundles`: score the reports recorded in run bundles, offline, with no re-run.

A bundle made from a labelled case folder carries the case's label (expected.yaml or
label.yaml); each recorded report's citations are re-checked against the bundle's own copies
of the inputs, as `triage eval` checks a fresh report against the case files.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from triage.errors import InputError, TriageError
from triage.eval.labels import CaseLabel, Renamer, plain, read_label
from triage.eval.metrics import CaseResult
from triage.eval.runner import case_result
from triage.settings import Settings

if TYPE_CHECKING:
    from triage.models import TriageReport
    from triage.replay.bundle import Bundle


def score_bundles(
    roots: Iterable[Path], *, settings: Settings, rename: Renamer | None = None
) -> tuple[CaseResult, ...]:
    """Every bundle at or under the roots. One without a label cannot be scored, and one
    that fails its hash check cannot be trusted: either is an input error (exit 3)."""
    from triage.replay.bundle import find_bundles

    current = rename or (lambda technique_id: technique_id)
    folders: list[Path] = []
    for root in roots:
        found = find_bundles(root)
        if not found:
            raise InputError("no run bundles (manifest.json) here", source=plain(str(root)))
        folders.extend(found)
    results = []
    for folder in dict.fromkeys(folders):
        results.append(_score(folder, settings=settings, rename=current))
    return tuple(results)


def _score(folder: Path, *, settings: Settings, rename: Renamer) -> CaseResult:
    from triage.replay.bundle import open_bundle
    from triage.verify import verify_report

    bundle = open_bundle(folder)
    label = _bundle_label(bundle, rename=rename)
    report = bundle.report()
    try:
        located = _at_bundle_copies(report, bundle)
        checked = verify_report(located, base=folder, limits=settings.limits)
    except TriageError as exc:
        error = plain(" ".join(str(exc).split()))[:500]
        return CaseResult(label=label, seconds=0.0, error=error)
    return case_result(
        label, report, seconds=report.run.duration_ms / 1000, checked=checked, rename=rename
    )


def _bundle_label(bundle: "Bundle", *, rename: Renamer) -> CaseLabel:
    """The label as recorded: read through the manifest (hash-checked, no links followed) and
    parsed from a private copy, never from the bundle folder itself."""
    import tempfile

    from triage.replay.bundle import LABEL_DIR

    name = bundle.manifest.label
    if name is None:
        raise InputError(
            "the bundle carries no label: record it from a labelled case folder",
            source=plain(bundle.name),
        )
    data = bundle.read_bytes(name)  # names outside the known label files are refused
    with tempfile.TemporaryDirectory(prefix="triage-label-") as temp:
        private = Path(temp) / LABEL_DIR
        private.mkdir()
        (private / Path(name).name).write_bytes(data)
        label = read_label(private, rename=rename)
    return label.model_copy(update={"folder": bundle.folder / LABEL_DIR})


def _at_bundle_copies(report: "TriageReport", bundle: "Bundle") -> "TriageReport":
    """The report with each artifact's path pointing at the bytes the bundle kept of it; an
    artifact the bundle kept no copy of points at a copy that does not exist (its citations
    are unverifiable), never at a path the bundle or its report names."""
    from triage.replay.bundle import INPUTS

    inputs = bundle.folder.resolve() / INPUTS
    where = {
        item.sha256: str(inputs / item.sha256) for item in bundle.manifest.inputs if item.copied
    }
    missing = str(inputs / "not-copied")
    artifacts = tuple(
        a.model_copy(update={"path": where.get(a.sha256, missing)}) for a in report.artifacts
    )
    return report.model_copy(update={"artifacts": artifacts})
