"""One exception root; each error carries the exit code the CLI maps it to (ARCHITECTURE.md)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAIL_ON_MET = 1
    CHECK_FAILED = 1  # verify found mismatches, lint found problems
    USAGE = 2
    INPUT = 3
    CONFIG = 4
    MODEL = 5


class TriageError(Exception):
    """Base of every error the CLI reports as one line; `source` names the file or item."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class UsageError(TriageError):
    exit_code = ExitCode.USAGE


class InputError(TriageError):
    """Unreadable, unsupported, malformed or over-limit artifact."""

    exit_code = ExitCode.INPUT


class ConfigError(TriageError):
    exit_code = ExitCode.CONFIG


class ModelError(TriageError):
    """Model or provider failure that no fallback could absorb."""

    exit_code = ExitCode.MODEL
