"""Caps on attacker-controlled input: every loader enforces them and raises InputError."""

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_file_bytes: int = 100 * 1024 * 1024
    max_json_depth: int = 64
    max_records: int = 1_000_000
    max_line_bytes: int = 1024 * 1024  # one line (or one multi-line event) as UTF-8
    max_files: int = 10_000
    max_raw_chars: int = 16_384
