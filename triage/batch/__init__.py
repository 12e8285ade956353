"""Many incidents in one run: case folders or JSON Lines alerts, triaged by warm workers
(processes on this machine, or Ray actors beyond it), one JSON line out per item, in order."""

from triage.batch.items import BatchItem, read_items
from triage.batch.runner import BatchSummary, run_batch
from triage.batch.worker import ItemOutcome, WorkerConfig

__all__ = [
    "BatchItem",
    "BatchSummary",
    "ItemOutcome",
    "WorkerConfig",
    "read_items",
    "run_batch",
]
