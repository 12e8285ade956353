"""Drive a batch: items go to warm workers, outcomes come back and are written in input order,
a bounded number in flight; items already in a --resume file are skipped."""

import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from triage.batch.items import BatchItem
from triage.batch.worker import (
    INTERNAL_ERROR,
    BatchWorker,
    ItemOutcome,
    WorkerConfig,
    process_in_worker,
    start_process_worker,
)
from triage.errors import TriageError

# Outcomes rank by how much they should worry whoever reads the batch's exit code.
_SEVERITY = {0: 0, 1: 1, 3: 2, 4: 3, 5: 4, INTERNAL_ERROR: 5}


class BatchStopped(TriageError):
    """A worker could not start (e.g. a configuration error) or died: the batch cannot go on."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[assignment]  # 70 is no ExitCode member


class Backend(Protocol):
    """Where items are triaged: in this process, in a process pool, or on Ray actors."""

    in_flight: int

    def submit(self, item: BatchItem) -> Any: ...

    def collect(self, pending: Any, item: BatchItem) -> ItemOutcome: ...

    def close(self) -> None: ...


class InProcessBackend:
    """`--jobs 1`: one warm worker in this process (no pool, no pickling)."""

    in_flight = 1

    def __init__(self, config: WorkerConfig) -> None:
        self.worker = BatchWorker(config)

    def submit(self, item: BatchItem) -> ItemOutcome:
        return self.worker.process(item)

    def collect(self, pending: ItemOutcome, item: BatchItem) -> ItemOutcome:
        return pending

    def close(self) -> None:
        return None


class ProcessPoolBackend:
    """`--jobs N`: N processes, each building its dependencies once (the pool's initializer)."""

    def __init__(self, config: WorkerConfig, *, jobs: int) -> None:
        import multiprocessing

        # spawn: workers start from a clean interpreter, never from a copy of this one's locks.
        self.pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_process_worker,
            initargs=(config,),
        )
        self.in_flight = jobs * 4

    def submit(self, item: BatchItem) -> "Future[ItemOutcome]":
        return self.pool.submit(process_in_worker, item)

    def collect(self, pending: "Future[ItemOutcome]", item: BatchItem) -> ItemOutcome:
        try:
            return pending.result()
        except BrokenProcessPool as exc:
            # A worker died (killed, out of memory): the pool cannot go on, so neither can we.
            raise BatchStopped(f"a batch worker process died ({exc})", INTERNAL_ERROR) from exc

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@dataclass(kw_only=True)
class BatchSummary:
    items: int = 0
    reports: int = 0
    fail_on_met: int = 0
    skipped: int = 0
    failed: dict[int, int] = field(default_factory=dict)
    """exit code → number of items that failed with it."""
    seconds: float = 0.0
    exit_code: int = 0

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    @property
    def rate(self) -> float:
        done = self.reports + self.failures
        return done / self.seconds if self.seconds > 0 else 0.0

    def add(self, outcome: ItemOutcome) -> None:
        self.items += 1
        if outcome.ok:
            self.reports += 1
            self.fail_on_met += bool(outcome.fail_on)
        else:
            self.failed[outcome.exit_code] = self.failed.get(outcome.exit_code, 0) + 1
        if _SEVERITY.get(outcome.exit_code, 5) > _SEVERITY.get(self.exit_code, 5):
            self.exit_code = outcome.exit_code

    def line(self) -> str:
        failed = ", ".join(f"exit {code}: {n}" for code, n in sorted(self.failed.items()))
        return (
            f"triage batch: {self.items:,} items, {self.reports:,} reports "
            f"({self.fail_on_met:,} met --fail-on), {self.failures:,} failed"
            f"{f' ({failed})' if failed else ''}, {self.skipped:,} skipped (resumed); "
            f"{self.seconds:.1f} s, {self.rate:.1f} items/s"
        )


def done_items(resume: Path) -> frozenset[str]:
    """Items that already have a report in a previous batch output (error records do not
    count: those items are tried again). A torn last line from an interrupted run is ignored."""
    try:
        handle = resume.open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return frozenset()
    except OSError as exc:
        raise TriageError(f"cannot read: {exc.strerror or exc}", source=str(resume)) from exc
    done: set[str] = set()
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            item = record.get("item") if isinstance(record, dict) else None
            if isinstance(item, str) and "report" in record:
                done.add(item)
    return frozenset(done)


def run_batch(
    items: Iterable[BatchItem],
    *,
    backend: Backend,
    sink: TextIO,
    skip: frozenset[str] = frozenset(),
    progress: Callable[[BatchSummary], None] | None = None,
) -> BatchSummary:
    """Triage every item not in `skip`; one line per item on `sink`, in input order.

    A worker that cannot start (configuration) stops the batch with its error; any other
    failure is that item's error record and the batch goes on.
    """
    summary = BatchSummary()
    started = time.monotonic()
    window: deque[tuple[BatchItem, Any]] = deque()

    def settle() -> None:
        item, pending = window.popleft()
        outcome = backend.collect(pending, item)
        if outcome.fatal:
            raise BatchStopped(outcome.error or "a batch worker could not start", outcome.exit_code)
        sink.write(outcome.record() + "\n")
        sink.flush()
        summary.add(outcome)
        summary.seconds = time.monotonic() - started
        if progress is not None:
            progress(summary)

    try:
        for item in items:
            if item.label in skip:
                summary.skipped += 1
                continue
            window.append((item, backend.submit(item)))
            while len(window) >= backend.in_flight:
                settle()
        while window:
            settle()
    finally:
        backend.close()
    summary.seconds = time.monotonic() - started
    return summary
