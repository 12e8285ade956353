"""A socket guard for tests: refuses every connection and name lookup beyond loopback and
AF_UNIX, and records each attempt, so a test can prove that a command stayed on the machine.

In process: `with NetGuard() as guard: ...; assert guard.attempts == []`.
In a child process: `sitecustomize_dir(tmp, log)` writes a sitecustomize.py that installs the
guard at interpreter start and appends every refused attempt to `log`, one line each.
"""

import ipaddress
import socket
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


class Attempt(NamedTuple):
    call: str  # connect, connect_ex, sendto, create_connection, getaddrinfo, gethostbyname
    target: str
    stack: str  # where in the code it came from, for the failure message


def is_loopback_host(host: object) -> bool:
    """A loopback address literal (127.0.0.0/8, ::1, ::ffff:127.x) or a loopback name."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0]
    if name.lower() in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _allowed_socket_address(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", object()):
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    return is_loopback_host(host)


class NetGuard:
    """Patches socket.socket.connect/connect_ex/sendto, socket.create_connection,
    socket.getaddrinfo and socket.gethostbyname while installed."""

    def __init__(self, *, on_attempt: Any = None) -> None:
        self.attempts: list[Attempt] = []
        self._on_attempt = on_attempt
        self._saved: list[tuple[Any, str, Any]] = []

    def _refuse(self, call: str, target: object) -> OSError:
        stack = "".join(traceback.format_stack(limit=12)[:-2])
        attempt = Attempt(call=call, target=repr(target), stack=stack)
        self.attempts.append(attempt)
        if self._on_attempt is not None:
            self._on_attempt(attempt)
        return ConnectionRefusedError(
            f"network egress blocked by the test guard: {call} {target!r}"
        )

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def install(self) -> "NetGuard":
        guard = self
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_sendto = socket.socket.sendto
        real_create_connection = socket.create_connection
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname

        def connect(self: socket.socket, address: Any) -> None:
            if not _allowed_socket_address(self.family, address):
                raise guard._refuse("connect", address)
            real_connect(self, address)

        def connect_ex(self: socket.socket, address: Any) -> int:
            if not _allowed_socket_address(self.family, address):
                guard._refuse("connect_ex", address)
                return 111  # ECONNREFUSED, as the real call reports it
            return real_connect_ex(self, address)

        def sendto(self: socket.socket, data: Any, *args: Any) -> int:
            address = args[-1]
            if not _allowed_socket_address(self.family, address):
                raise guard._refuse("sendto", address)
            return real_sendto(self, data, *args)  # type: ignore[call-overload, no-any-return]

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            if not is_loopback_host(address[0]):
                raise guard._refuse("create_connection", address)
            return real_create_connection(address, *args, **kwargs)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host is not None and not is_loopback_host(host):
                raise socket.gaierror(str(guard._refuse("getaddrinfo", host)))
            return real_getaddrinfo(host, *args, **kwargs)

        def gethostbyname(host: str) -> str:
            if not is_loopback_host(host):
                raise socket.gaierror(str(guard._refuse("gethostbyname", host)))
            return real_gethostbyname(host)

        self._patch(socket.socket, "connect", connect)
        self._patch(socket.socket, "connect_ex", connect_ex)
        self._patch(socket.socket, "sendto", sendto)
        self._patch(socket, "create_connection", create_connection)
        self._patch(socket, "getaddrinfo", getaddrinfo)
        self._patch(socket, "gethostbyname", gethostbyname)
        return self

    def uninstall(self) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            setattr(owner, name, original)

    def __enter__(self) -> "NetGuard":
        return self.install()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.uninstall()

    def report(self) -> str:
        return "\n".join(f"{a.call} {a.target}\n{a.stack}" for a in self.attempts)


# --- the child-process variant --------------------------------------------------------------

SITECUSTOMIZE = """\
# Written by tests/netguard.py: install the socket guard before any triage code runs.
import sys
sys.path.insert(0, {tests_parent!r})
from tests.netguard import install_for_process
install_for_process({log!r})
del sys.path[0]
"""


def install_for_process(log: str) -> NetGuard:
    """Install the guard for the whole interpreter; each refused attempt is appended to `log`
    and printed to stderr, loudly, since the code that tried may swallow the error."""

    def record(attempt: Attempt) -> None:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{attempt.call} {attempt.target}\n")
        sys.stderr.write(f"NETGUARD: refused {attempt.call} {attempt.target}\n{attempt.stack}")

    return NetGuard(on_attempt=record).install()


def sitecustomize_dir(folder: Path, log: Path) -> Path:
    """A folder holding a sitecustomize.py that guards every Python process started with it
    first on PYTHONPATH; `log` collects the refused attempts (created empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")
    tests_parent = str(Path(__file__).resolve().parents[1])
    (folder / "sitecustomize.py").write_text(
        SITECUSTOMIZE.format(tests_parent=tests_parent, log=str(log)), encoding="utf-8"
    )
    return folder
