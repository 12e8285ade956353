"""A warm batch worker: builds the run's dependencies once, then triages item after item.

The same class serves the in-process runner (`--jobs 1`), each pool process (`--jobs N`) and
each Ray actor (`--ray`). Every item ends as an ItemOutcome, never as an exception.
"""

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from triage.batch.deadline import TimeLimitExceeded, time_limit
from triage.batch.items import BatchItem
from triage.batch.memo import RememberedPlaybookSearch
from triage.errors import ExitCode, InputError, TriageError
from triage.failon import Condition, failed_conditions
from triage.settings import Settings

if TYPE_CHECKING:
    from triage.models import Incident
    from triage.pipeline import TriageDeps

INTERNAL_ERROR = 70

# The warm-up incident: one alert that walks every stage (parsing, detection, observables,
# enrichment, scoring, playbook search) without naming anything an online provider would query:
# the addresses are private and the names reserved (RFC 1918, RFC 2606).
_WARM_ALERT = json.dumps(
    {
        "title": "triage batch warm-up",
        "severity": "low",
        "src_ip": "10.0.0.1",
        "dest_ip": "192.168.0.1",
        "host": "warm-up.example",
        "url": "http://warm-up.example/index.html",
        "process": "cmd.exe /c echo warm-up",
    }
).encode()


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    """What every worker needs; it travels to pool processes and Ray actors by pickle."""

    settings: Settings
    conditions: tuple[Condition, ...] = ()
    timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class ItemOutcome:
    """One item's result: a report (exit 0, or 1 when a --fail-on condition held) or an error.

    `fatal` marks a worker that could not start (e.g. a configuration error): the batch stops.
    """

    index: int
    item: str
    exit_code: int
    report_json: str | None = None
    fail_on: tuple[str, ...] = ()
    error: str | None = None
    fatal: bool = False

    @property
    def ok(self) -> bool:
        return self.report_json is not None

    def record(self) -> str:
        """The item's JSON line: {index, item, exit_code, fail_on, report} or an error record."""
        head = {"index": self.index, "item": self.item, "exit_code": self.exit_code}
        if self.report_json is None:
            return json.dumps({**head, "error": self.error}, ensure_ascii=True)
        fields = json.dumps({**head, "fail_on": list(self.fail_on)}, ensure_ascii=True)
        return f'{fields[:-1]}, "report": {self.report_json}}}'


def alert_incident(item: BatchItem, alert: bytes, settings: Settings) -> "Incident":
    """One alert (a JSON Lines line) as an incident of one artifact, as `triage run -` would."""
    from triage.ingest.base import ArtifactSource
    from triage.ingest.registry import load_artifact
    from triage.models import Artifact, Incident

    try:
        parsed = json.loads(alert)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not valid JSON: {str(exc)[:120]}", source=item.label) from exc
    if not isinstance(parsed, dict):
        raise InputError("not a JSON object (one alert per line)", source=item.label)
    sha256 = hashlib.sha256(alert).hexdigest()
    path = f"<{item.label}>"
    source = ArtifactSource(artifact_id="A1", path=path, data=alert)
    loaded = load_artifact(source, settings.limits)
    artifact = Artifact(
        id="A1",
        path=path,
        sha256=sha256,
        format=loaded.format,
        size=len(alert),
        records=len(loaded.records),
        records_lost=loaded.records_lost,
        notes=loaded.notes,
    )
    digest = hashlib.sha256(sha256.encode()).hexdigest()
    return Incident(
        id=f"INC-{digest[:12]}",
        input_digest=digest,
        artifacts=(artifact,),
        records=tuple(loaded.records),
    )


class BatchWorker:
    """Holds one set of dependencies (rules compiled, index open, models loaded) for its life."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.deps: TriageDeps | None = None
        self.setup_error: TriageError | None = None
        try:
            self.deps = self._build()
        except TriageError as exc:
            self.setup_error = exc

    def _build(self) -> "TriageDeps":
        """The dependencies, warmed: every import done, every lazy loader run, before any item
        and outside any --timeout, so the alarm can only land in one item's own work."""
        from triage.wiring import build_deps

        deps = build_deps(self.config.settings)
        if deps.playbooks is not None:
            deps = dataclasses.replace(deps, playbooks=RememberedPlaybookSearch(deps.playbooks))
        warm_up(deps, self.config.settings)
        return deps

    def process(self, item: BatchItem) -> ItemOutcome:
        if self.deps is None:
            error = self.setup_error or TriageError("the worker could not start")
            return ItemOutcome(
                index=item.index,
                item=item.label,
                exit_code=int(error.exit_code),
                error=str(error),
                fatal=True,
            )
        try:
            return self._triage(item, self.deps)
        except TimeLimitExceeded as exc:
            # The alarm may have cut a stage that remembers its failure (a provider marked
            # unavailable, an index marked broken): the next item gets fresh dependencies.
            self._rebuild()
            message = str(exc) if exc.source else f"{item.label}: {exc}"
            return ItemOutcome(
                index=item.index, item=item.label, exit_code=int(exc.exit_code), error=message
            )
        except TriageError as exc:
            message = str(exc) if exc.source else f"{item.label}: {exc}"
            return ItemOutcome(
                index=item.index, item=item.label, exit_code=int(exc.exit_code), error=message
            )
        except Exception as exc:  # a bug in triage: the record says so, the batch goes on
            detail = f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
            return ItemOutcome(
                index=item.index, item=item.label, exit_code=INTERNAL_ERROR, error=detail
            )

    def _rebuild(self) -> None:
        try:
            self.deps = self._build()
        except TriageError as exc:
            self.deps = None
            self.setup_error = exc

    def _triage(self, item: BatchItem, deps: "TriageDeps") -> ItemOutcome:
        from triage.ingest import load_incident
        from triage.pipeline import triage_incident
        from triage.render.safety import escape_json

        settings = self.config.settings
        started = time.monotonic()
        if item.problem is not None:
            raise InputError(item.problem, source=item.label)
        with time_limit(self.config.timeout):
            if item.case_dir is not None:
                incident = load_incident([str(item.case_dir)], settings.limits)
            elif item.alert is not None:
                incident = alert_incident(item, item.alert, settings)
            else:
                raise InputError("empty item", source=item.label)
            report = triage_incident(incident, deps=deps, settings=settings, started=started)
        met = tuple(failed_conditions(report, self.config.conditions))
        return ItemOutcome(
            index=item.index,
            item=item.label,
            exit_code=int(ExitCode.FAIL_ON_MET if met else ExitCode.OK),
            report_json=escape_json(report.model_dump_json()),
            fail_on=met,
        )


def warm_up(deps: "TriageDeps", settings: Settings) -> None:
    """Run the lazy loaders a first triage would (GeoIP data, public-suffix list, playbook
    index, numpy and friends) by triaging a made-up alert and dropping its report."""
    from triage.enrich.ip import geoip_data_file
    from triage.observables.normalise import suffix_extractor
    from triage.pipeline import triage_incident

    suffix_extractor()
    try:
        from triage.enrich.ip import _load_geoip

        _load_geoip(geoip_data_file())
    except Exception:  # no GeoIP data: the provider says so per item, as without warm-up
        pass
    item = BatchItem(index=-1, label="warm-up", alert=_WARM_ALERT)
    try:
        incident = alert_incident(item, _WARM_ALERT, settings)
        # Without the agent: the warm-up must not spend a model call (or reach a provider).
        quiet = dataclasses.replace(deps, agent=None)
        triage_incident(incident, deps=quiet, settings=settings, started=time.monotonic())
    except TriageError:
        pass  # real items meet (and report) the same error


# One warm worker per pool process, made by the pool's initializer.
_process_worker: BatchWorker | None = None


def start_process_worker(config: WorkerConfig) -> None:
    global _process_worker
    _process_worker = BatchWorker(config)


def process_in_worker(item: BatchItem) -> ItemOutcome:
    if _process_worker is None:
        raise RuntimeError("the pool process has no worker (initializer not run)")
    return _process_worker.process(item)
