"""Fuzz the observable extractor: the input becomes the raw text and one field of a record.
Besides not crashing, extraction must be deterministic and every value canonical.

    python fuzz/fuzz_observables.py -runs=20000 [CORPUS_DIR]
"""

import sys

import atheris

with atheris.instrument_imports(include=["triage"]):
    from triage.models import Incident, Record
    from triage.observables import extract_observables
    from triage.observables.normalise import normalise


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    record = Record(
        artifact_id="A1",
        locator="line:1",
        source="text",
        raw=text,
        fields={"CommandLine": text, "DestinationIp": text[:64], "url": text[:256]},
    )
    incident = Incident(id="INC-1", input_digest="0", artifacts=(), records=(record,))
    first = extract_observables(incident)
    assert first == extract_observables(incident)
    for observable in first:
        assert normalise(observable.type, observable.value) in (observable.value, None)
        observable.model_dump_json()


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
