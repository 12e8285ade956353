"""Fuzz the e-mail loader: headers, MIME structure, bodies and attachments.

python fuzz/fuzz_email.py -runs=100000 [CORPUS_DIR]
"""

import atheris
from harness import fuzz

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest.email import EmailLoader

if __name__ == "__main__":
    fuzz([EmailLoader().load])
