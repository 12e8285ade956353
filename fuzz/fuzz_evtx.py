"""Fuzz the EVTX loader (its header checks, and the evtx parser it drives). Give it a real EVTX
file in CORPUS_DIR: random bytes rarely get past the chunk magic.

    python fuzz/fuzz_evtx.py -runs=20000 [CORPUS_DIR]
"""

import atheris
from harness import fuzz

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest.evtx import EvtxLoader

if __name__ == "__main__":
    fuzz([EvtxLoader().load])
