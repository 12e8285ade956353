"""The explicit loader registry and content sniffing (file names and extensions are not trusted)."""

from triage.errors import InputError
from triage.ingest.base import ArtifactSource, Loaded, Loader, decode_text
from triage.ingest.limits import Limits

SNIFF_BYTES = 64 * 1024


def default_loaders() -> tuple[Loader, ...]:
    """Loaders in sniffing order: binary magic first, the most specific text formats next,
    plain text last."""
    from triage.ingest.csvfile import CsvLoader
    from triage.ingest.email import EmailLoader
    from triage.ingest.evtx import EvtxLoader
    from triage.ingest.flows import FlowLoader
    from triage.ingest.jsondoc import JsonLoader
    from triage.ingest.pcap import PcapLoader
    from triage.ingest.textlogs import (
        AccessLogLoader,
        AuditdLoader,
        PlainTextLoader,
        SyslogLoader,
        W3cLoader,
        XmlEventLoader,
        ZeekLoader,
    )

    return (
        EvtxLoader(),
        PcapLoader(),
        JsonLoader(),
        ZeekLoader(),
        W3cLoader(),
        EmailLoader(),
        AuditdLoader(),
        XmlEventLoader(),
        SyslogLoader(),
        AccessLogLoader(),
        FlowLoader(),  # flow exports are CSV: claimed before the generic loader
        CsvLoader(),
        PlainTextLoader(),
    )


def looks_binary(head: bytes) -> bool:
    """NUL bytes or mostly non-text bytes in the first block (UTF-16 text has a BOM)."""
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control / len(head) > 0.05


def load_artifact(
    source: ArtifactSource, limits: Limits, loaders: tuple[Loader, ...] | None = None
) -> Loaded:
    if not source.data.strip():
        raise InputError("empty file: nothing to triage", source=source.path)
    head = source.data[:SNIFF_BYTES]
    text_head = decode_text(head)
    for loader in loaders or default_loaders():
        if loader.sniff(head, text_head):
            return loader.load(source, limits)
    if looks_binary(head):
        raise InputError(
            "binary data in no supported format (EVTX, pcap, JSON, logs, email)",
            source=source.path,
        )
    raise InputError("unsupported format", source=source.path)


def loader_for(format_name: str, loaders: tuple[Loader, ...] | None = None) -> Loader:
    for loader in loaders or default_loaders():
        if loader.format == format_name or format_name in getattr(loader, "formats", ()):
            return loader
    raise InputError(f"no loader for format {format_name!r}")
