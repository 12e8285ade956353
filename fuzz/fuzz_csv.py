"""Fuzz the CSV and NetFlow CSV loaders (forced: both run on every input).

python fuzz/fuzz_csv.py -runs=100000 [CORPUS_DIR]
"""

import atheris
from harness import fuzz

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest.csvfile import CsvLoader
    from triage.ingest.flows import FlowLoader

if __name__ == "__main__":
    fuzz([CsvLoader().load, FlowLoader().load])
