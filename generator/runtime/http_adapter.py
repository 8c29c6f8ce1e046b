"""The requests adapter the runtime mounts: the call's deadline on every socket operation, and a
header block cut off before its blank line refused.

Timeouts in requests and urllib3 are per socket operation: a server that drips one byte within
each read timeout keeps a call alive for as long as it likes, while the headers arrive or the
body does. Here each connection's socket is wrapped so that every receive and send may block
at most until the deadline of the call in progress (``ACTIVE_DEADLINE``, set by the transport
around each exchange and body read), whichever of that and the read timeout comes first.

http.client accepts a header block that ends with the connection instead of a blank line; such
an answer is cut off, not empty, and is refused here (``HeadersCutOff``).
"""

from __future__ import annotations

import http.client
import io
import socket
from contextvars import ContextVar
from typing import Any

from requests.adapters import DEFAULT_POOLSIZE, HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager

from .policy import Deadline

# The deadline of the exchange or body read running in this thread (None: none).
ACTIVE_DEADLINE: ContextVar[Deadline | None] = ContextVar("specgen_deadline", default=None)


class HeadersCutOff(http.client.HTTPException):
    """The connection ended inside the answer's header block."""


class _CheckedResponse(http.client.HTTPResponse):
    """http.client's response, refusing a header block that the connection's end cut off."""

    def begin(self) -> None:
        reader = self.fp
        spy = _LastLine(reader)
        self.fp = spy  # type: ignore[assignment]
        try:
            super().begin()
        finally:
            if getattr(self, "fp", None) is spy:
                self.fp = reader
        if spy.last not in (b"\r\n", b"\n"):
            raise HeadersCutOff("the answer's headers were cut off before their end")


class _LastLine:
    """Remembers the last line read: a header block ends with an empty one, not with EOF."""

    __slots__ = ("_reader", "last")

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.last = b""

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self._reader.readline(limit)
        self.last = line
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class _DeadlineSocket:
    """A connected socket whose every receive and send blocks at most until the active
    deadline (or the timeout urllib3 set, when that comes first)."""

    __slots__ = ("_sock", "_timeout", "_applied")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()  # what urllib3 asked for
        self._applied = self._timeout  # what the socket has now

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = self._applied = timeout
        self._sock.settimeout(timeout)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        deadline = ACTIVE_DEADLINE.get()
        timeout = self._timeout
        if deadline is not None:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise TimeoutError("the call's deadline ran out")
            if timeout is None or remaining < timeout:
                timeout = remaining
        if timeout != self._applied:
            self._sock.settimeout(timeout)
            self._applied = timeout

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def send(self, *args: Any) -> int:
        self._arm()
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._arm()
        self._sock.sendall(*args)

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_: Any) -> Any:
        # as socket.makefile does, over this wrapper so that every read goes through _arm
        if mode != "rb":
            return getattr(self._sock, "makefile")(mode, buffering)  # noqa: B009 (no overload)
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(raw, buffering or io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:
        self._sock._decref_socketios()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _guard(connection: Any) -> None:
    """Wrap the socket of ``connection`` whenever it connects; check its answers' headers."""
    connect = connection.connect

    def guarded_connect() -> None:
        connect()
        sock = connection.sock
        if isinstance(sock, socket.socket):
            connection.sock = _DeadlineSocket(sock)

    connection.connect = guarded_connect
    if getattr(connection, "response_class", None) is http.client.HTTPResponse:
        connection.response_class = _CheckedResponse


class _GuardedHTTPPool(HTTPConnectionPool):
    def _new_conn(self) -> Any:
        connection = super()._new_conn()
        _guard(connection)
        return connection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    def _new_conn(self) -> Any:
        connection = super()._new_conn()
        _guard(connection)
        return connection


_POOLS = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class GuardedAdapter(HTTPAdapter):
    """requests' own adapter, its connections guarded (see the module's description)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # SOCKS managers keep their own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager


def guard_session(session: Any) -> None:
    """Mount ``GuardedAdapter`` where ``session`` has requests' default adapter (its pool
    settings kept). A caller's own adapter is left alone: the deadline is then still checked
    between reads, not inside them."""
    for prefix in ("https://", "http://"):
        adapter = session.adapters.get(prefix)
        if type(adapter) is HTTPAdapter:
            session.mount(
                prefix,
                GuardedAdapter(
                    pool_connections=getattr(adapter, "_pool_connections", DEFAULT_POOLSIZE),
                    pool_maxsize=getattr(adapter, "_pool_maxsize", DEFAULT_POOLSIZE),
                    max_retries=adapter.max_retries,
                    pool_block=getattr(adapter, "_pool_block", False),
                ),
            )
            adapter.close()
