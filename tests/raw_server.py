"""A TCP server on 127.0.0.1 that answers HTTP requests with raw bytes: for tests where the HTTP
itself is the subject (a server that drips, cuts headers short, lies about its encoding or
redirects elsewhere), which a framework's server would not send.

Each request is read as HTTP/1.1 (Content-Length or chunked body) and handed to ``answer``,
which returns what to do: ``bytes`` are written, a ``float`` pauses that many seconds, ``None``
closes the connection. A connection lives on for the next request unless closed.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

Step = bytes | float | None
Answerer = Callable[["RawRequest"], Iterable[Step]]


@dataclass
class RawRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int  # which connection (0, 1, ...) brought it

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class RawServer:
    answer: Answerer
    tls: ssl.SSLContext | None = None
    requests: list[RawRequest] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(1.0)
        self._stop = threading.Event()
        scheme = "https" if self.tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress
        except OSError:
            pass
        self._thread.join(2)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # shut down
            if self._stop.is_set():
                sock.close()
                return
            number = self.connections
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock, number), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            reader = sock.makefile("rb")
            while not self._stop.is_set():
                request = _read_request(reader, number)
                if request is None:
                    return
                self.requests.append(request)
                for step in self.answer(request):
                    if step is None:
                        return
                    if isinstance(step, float | int):
                        if self._stop.wait(step):
                            return
                        continue
                    sock.sendall(step)
        except (OSError, ssl.SSLError, ValueError):
            return  # the client went away (it gave up, as it should)
        finally:
            try:
                sock.close()
            except OSError:
                pass


def _read_request(reader: object, number: int) -> RawRequest | None:
    readline = reader.readline  # type: ignore[attr-defined]
    line = readline(65537)
    if not line:
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = readline(65537)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    lowered = {k.lower(): v for k, v in headers.items()}
    body = b""
    if lowered.get("transfer-encoding", "").lower() == "chunked":
        pieces = []
        while True:
            size = int(readline(65537).strip().split(b";")[0], 16)
            if size == 0:
                readline(65537)
                break
            pieces.append(reader.read(size))  # type: ignore[attr-defined]
            readline(65537)
        body = b"".join(pieces)
    elif lowered.get("content-length"):
        body = reader.read(int(lowered["content-length"]))  # type: ignore[attr-defined]
    return RawRequest(method, target, headers, body, number)


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    length: bool = True,
) -> bytes:
    """A whole HTTP/1.1 answer as bytes (``length``: with its Content-Length)."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    given = dict(headers or {})
    if length and not any(k.lower() == "content-length" for k in given):
        given["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in given.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` in chunked transfer coding (the last chunk included)."""
    for piece in pieces:
        if piece:
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def drip(data: bytes, interval: float) -> Iterator[Step]:
    """``data`` one byte at a time, ``interval`` seconds apart."""
    for i in range(len(data)):
        yield data[i : i + 1]
        yield interval


def forever(piece: bytes, interval: float = 0.0) -> Iterator[Step]:
    """``piece`` again and again (the server stops when the test ends or the client leaves)."""
    while True:
        yield piece
        if interval:
            yield interval


_REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    500: "Internal Server Error",
}


class Timer:
    """How long a block took."""

    def __enter__(self) -> Timer:
        self.started = time.monotonic()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.started
