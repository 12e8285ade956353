"""Fuzz the line-log loaders (forced: each runs on every input): syslog, auditd, access logs,
W3C/IIS, Zeek TSV, XML event lines and plain text.

    python fuzz/fuzz_textlogs.py -runs=100000 [CORPUS_DIR]
"""

import atheris
from harness import fuzz

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest.textlogs import (
        AccessLogLoader,
        AuditdLoader,
        PlainTextLoader,
        SyslogLoader,
        W3cLoader,
        XmlEventLoader,
        ZeekLoader,
    )

LOADERS = (
    SyslogLoader(),
    AuditdLoader(),
    AccessLogLoader(),
    W3cLoader(),
    ZeekLoader(),
    XmlEventLoader(),
    PlainTextLoader(),
)

if __name__ == "__main__":
    fuzz([loader.load for loader in LOADERS])
