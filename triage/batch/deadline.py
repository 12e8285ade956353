"""A wall-clock limit on one triage (`--timeout`): run and each batch item."""

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from triage.errors import InputError, UsageError

MAX_TIMEOUT = 7 * 86400.0
"""The longest --timeout (a week): beyond it, or not finite, the timer itself would overflow."""


class TimeLimitExceeded(InputError):
    """The incident took longer than --timeout: an over-limit input (exit 3), like a size cap."""


def check_timeout(seconds: float | None) -> float | None:
    """A --timeout value as given, or a usage error (exit 2) when no timer can hold it."""
    if seconds is not None and not (math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT):
        raise UsageError(f"--timeout must be a number of seconds up to {MAX_TIMEOUT:g}")
    return seconds


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in the body after `seconds` (SIGALRM, so the main thread only:
    elsewhere the limit cannot interrupt the work and is not applied)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    message = f"timed out after {seconds:g} s (--timeout)"
    fired = False

    def expire(_signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        fired = True
        raise TimeLimitExceeded(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        # The alarm went off inside code that absorbs failures (an optional stage that degrades
        # instead of failing): the run still took too long, so it is still a timeout.
        raise TimeLimitExceeded(message)
