"""What every fuzz target shares: the loaders run on each input under atheris' coverage
instrumentation, and anything but an InputError is a crash for libFuzzer to report."""

import sys
from collections.abc import Callable, Sequence

import atheris

with atheris.instrument_imports(include=["triage"]):
    from triage.errors import InputError
    from triage.ingest.base import ArtifactSource, Loaded
    from triage.ingest.limits import Limits

Load = Callable[[ArtifactSource, Limits], Loaded]
# Small caps, so that the fuzzer reaches them in a few bytes; the loaders must refuse, not crash.
LIMITS = Limits(max_records=200, max_line_bytes=16_384, max_raw_chars=1024, max_json_depth=16)


def check(loaded: Loaded) -> None:
    assert len(loaded.records) <= LIMITS.max_records
    for record in loaded.records:
        assert len(record.raw) <= LIMITS.max_raw_chars
        assert record.artifact_id == "A1"
        # The report is JSON: every record must serialise (no lone surrogates, no odd types).
        record.model_dump_json()


def fuzz(loads: Sequence[Load]) -> None:
    """Run libFuzzer (flags from the command line, e.g. -runs=N or -max_total_time=S)."""

    def one_input(data: bytes) -> None:
        source = ArtifactSource(artifact_id="A1", path="fuzzed", data=data)
        for load in loads:
            try:
                loaded = load(source, LIMITS)
            except InputError:
                continue
            check(loaded)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
