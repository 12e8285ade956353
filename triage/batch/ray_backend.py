"""`--ray ADDRESS`: the batch's items as tasks on warm Ray actors (the `triage[ray]` extra).

Each actor is a BatchWorker: it builds the dependencies once on its node and triages the
items sent to it. Every node needs triage installed (the same version) and, for case
folders, the same paths; alerts travel with the task.
"""

import os
from typing import Any

from triage.batch.items import BatchItem
from triage.batch.worker import INTERNAL_ERROR, BatchWorker, ItemOutcome, WorkerConfig
from triage.errors import ConfigError

LOCAL = "local"  # start a Ray instance on this machine for the run, instead of joining one


def _listening(address: str, *, timeout: float = 5.0) -> bool:
    """Whether a HOST:PORT (or ray://HOST[:PORT]) address takes connections; Ray itself would
    retry for minutes. `local`, `auto` and other forms are left to Ray."""
    import socket

    client = address.startswith("ray://")
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host and client:
        host, port = address.removeprefix("ray://"), "10001"
    if not host or not port.isdigit():
        return True
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except OSError:
        return False


class RayBackend:
    def __init__(self, config: WorkerConfig, *, address: str, workers: int) -> None:
        # Ray reports usage statistics by default; triage sends nothing anywhere unless asked.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            import ray
        except ImportError as exc:
            raise ConfigError("--ray needs Ray: pip install 'triage[ray]'") from exc
        self._ray = ray
        self._owns_connection = not ray.is_initialized()
        if self._owns_connection and not _listening(address):
            raise ConfigError(f"cannot join the Ray cluster at {address}: nothing answers there")
        if self._owns_connection:
            options: dict[str, Any] = {"log_to_driver": False}
            if address == LOCAL:
                options["include_dashboard"] = False
            try:
                ray.init(address=None if address == LOCAL else address, **options)
            except Exception as exc:  # Ray raises bare Exception when its node fails to start
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                raise ConfigError(f"cannot join the Ray cluster at {address}: {reason}") from exc
        actor: Any = ray.remote(num_cpus=1)(BatchWorker)
        self.actors: list[Any] = [actor.remote(config) for _ in range(workers)]
        self.in_flight = workers * 4
        self._sent = 0

    def submit(self, item: BatchItem) -> Any:
        actor = self.actors[self._sent % len(self.actors)]
        self._sent += 1
        return actor.process.remote(item)

    def collect(self, pending: Any, item: BatchItem) -> ItemOutcome:
        try:
            outcome: ItemOutcome = self._ray.get(pending)
        except self._ray.exceptions.RayError as exc:
            # The actor died or the task was lost: this item failed, the others go on.
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            return ItemOutcome(
                index=item.index,
                item=item.label,
                exit_code=INTERNAL_ERROR,
                error=f"Ray task failed: {type(exc).__name__}: {detail}",
            )
        return outcome

    def close(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor)
        if self._owns_connection:
            self._ray.shutdown()
