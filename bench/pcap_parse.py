"""Parse speed of the pcap loader on synthetic captures: "mixed" (HTTP, SMB named-pipe RPC, DNS
and bulk TCP transfer connections) and "tiny" (a flood of single-query DNS flows, each from its
own source port: the shape that once made two records a frame); prints MB/s, frames/s and the
records made (python -m bench.pcap_parse [MB] [mixed|tiny])."""

import sys
import time

from tests.ingest.test_pcap import (
    CLIENT,
    SERVER,
    SRVSVC,
    Conversation,
    capture,
    load,
    smb_pipe_session,
    udp,
)


def frames_for(megabytes: float) -> list[bytes]:
    frames: list[bytes] = []
    size, port = 0, 10_000
    while size < megabytes * 1_000_000:
        port = port + 1 if port < 60_000 else 10_000
        kind = port % 4
        if kind == 0:
            talk = Conversation(80, sport=port).handshake()
            talk.send(b"GET /p?q=1 HTTP/1.1\r\nHost: h.example\r\nUser-Agent: bench\r\n\r\n")
            talk.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", client=False)
            new = talk.close().frames
        elif kind == 1:
            new = smb_pipe_session("srvsvc", SRVSVC, [12, 15, 21]).frames
        elif kind == 2:
            talk = Conversation(443, sport=port).handshake()
            for _ in range(40):
                talk.send(b"\x17\x03\x03" + b"\x00" * 1400, client=False)
            new = talk.close().frames
        else:
            new = [udp(CLIENT, SERVER, port, 53, b"\x00\x01\x01\x00\x00\x01" + b"\x00" * 20)]
        frames.extend(new)
        size += sum(len(frame) + 16 for frame in new)
    return frames


def tiny_frames_for(megabytes: float) -> list[bytes]:
    """Single-query DNS flows, 89 bytes a frame on disk, from many ports and a few clients."""
    header = b"\x00\x01\x01\x00\x00\x01" + b"\x00" * 6  # id 1, RD, one question
    query = header + b"\x01a\x07example\x03com\x00" + b"\x00\x10\x00\x01"  # TXT, IN
    frames: list[bytes] = []
    count = int(megabytes * 1_000_000 / 89)
    for n in range(count):
        client = f"10.0.{n // 60_000 % 250}.1"
        frames.append(udp(client, SERVER, 1024 + n % 60_000, 53, query))
    return frames


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    cases = sys.argv[2:] or ["mixed", "tiny"]
    for case in cases:
        frames = tiny_frames_for(megabytes) if case == "tiny" else frames_for(megabytes)
        data = capture(frames)
        started = time.perf_counter()
        loaded = load(data)
        elapsed = time.perf_counter() - started
        size = len(data) / 1e6
        print(f"{case}: {size:.1f} MB, {len(frames):,} frames, {len(loaded.records):,} records")
        print(
            f"  {elapsed:.2f} s: {elapsed / size:.3f} s/MB, {len(frames) / elapsed:,.0f} frames/s"
        )


if __name__ == "__main__":
    main()
