"""Fuzz content sniffing and whichever loader it picks: the path every artifact takes.

python fuzz/fuzz_sniff.py -runs=100000 [CORPUS_DIR]
"""

import atheris
from harness import fuzz

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest.registry import load_artifact

if __name__ == "__main__":
    fuzz([load_artifact])
