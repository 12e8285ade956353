"""Fuzz JSON documents and JSON Lines: alerts, CloudTrail, cloud logs, Zeek JSON, Windows rows.

python fuzz/fuzz_json.py -runs=100000 [CORPUS_DIR]
"""

import atheris
from harness import fuzz

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest.jsondoc import JsonLoader

if __name__ == "__main__":
    fuzz([JsonLoader().load])
