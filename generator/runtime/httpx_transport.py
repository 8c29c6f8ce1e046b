"""The httpx transport of the async clients: it moves the bytes the core's flows ask for
(``exchange``) over one ``httpx.AsyncClient``, and turns what the network does wrong into
``NetworkFailure``. Like the requests transport it decides nothing: httpx follows no redirect
and decodes no body here; the call's deadline bounds every await on the network, so that a
server dripping bytes within each read timeout cannot outlive it (its ``TimeoutError`` is the
core's read timeout, which the core words as the deadline's).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator
from typing import IO, Any

import httpx

from .answer import Answer
from .exchange import NetworkFailure, Read, Send
from .policy import UrlSecrets

_CHUNK = 256 * 1024  # bytes read from an upload's file per step
_URL_SECRETS = UrlSecrets("httpx")


class HttpxTransport:
    """Sends the core's requests over one ``httpx.AsyncClient`` (keep-alive, pooling, HTTP/1.1);
    a caller's client keeps its headers, cookies, event hooks, proxies and transport."""

    def __init__(
        self, client: httpx.AsyncClient | None, *, verify_tls: bool, ca_bundle: str | None
    ) -> None:
        self._owns_client = client is None
        if client is None:
            verify: ssl.SSLContext | bool = verify_tls
            if ca_bundle:
                verify = ssl.create_default_context(cafile=ca_bundle)
            client = httpx.AsyncClient(verify=verify, follow_redirects=False, timeout=None)
        self.client = client

    def default_headers(self, user_agent: str) -> dict[str, str]:
        headers = self.client.headers
        if headers.get("User-Agent", "").startswith("python-httpx/"):
            headers["User-Agent"] = user_agent  # a caller's own agent is kept
        return {
            "User-Agent": headers.get("User-Agent", user_agent),
            "Accept": headers.get("Accept", "*/*"),
        }

    async def close(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def send(self, action: Send) -> Answer:
        hop = action.hop
        _URL_SECRETS.watch(hop.url, action.secrets)  # httpx logs each request's URL (INFO)
        headers = dict(hop.headers)
        content = _content(hop.body, headers)
        timeout = httpx.Timeout(
            connect=action.connect_timeout,
            read=action.read_timeout,
            write=action.read_timeout,
            pool=action.connect_timeout,
        )
        try:
            if hop.elsewhere:  # the request alone: no client headers, cookies or auth
                request = httpx.Request(
                    hop.method,
                    hop.url,
                    headers=headers,
                    content=content,
                    extensions={"timeout": timeout.as_dict()},
                )
            else:
                request = self.client.build_request(
                    hop.method, hop.url, headers=headers, content=content, timeout=timeout
                )
            async with asyncio.timeout(max(action.deadline.remaining(), 0.0)):
                response = await self.client.send(
                    request,
                    stream=True,
                    follow_redirects=False,
                    auth=None if action.bare or hop.elsewhere else httpx.USE_CLIENT_DEFAULT,
                )
        except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, ssl.SSLError) as exc:
            failure = _failure(exc, body=False)
            if failure.kind == NetworkFailure.CONNECTION:  # where it could not go (masked later)
                failure = NetworkFailure(failure.kind, f"{failure.detail} ({hop.method} {hop.url})")
            raise failure from None
        return Answer(response.status_code, response.headers, str(response.url), raw=response)

    async def read(self, action: Read) -> bytes:
        answer = action.answer
        response: httpx.Response = answer.raw
        if answer.state is None:
            answer.state = response.aiter_raw().__aiter__()  # what each network read brings
        try:
            async with asyncio.timeout(max(action.deadline.remaining(), 0.0)):
                chunk: bytes = await anext(answer.state, b"")
        except (httpx.HTTPError, OSError, TimeoutError, ssl.SSLError) as exc:
            raise _failure(exc, body=True) from None
        return chunk

    async def release(self, answer: Answer) -> None:
        response: httpx.Response = answer.raw
        if answer.held:
            response._content = answer.content  # ``last_response.content`` as httpx has it
        await response.aclose()  # back to the pool once read whole, else the connection is dropped


def _content(body: bytes | IO[bytes] | None, headers: dict[str, str]) -> Any:
    """What httpx sends: bytes as they are; a file (or a streamed multipart body) read in a
    worker thread, piece by piece, its length announced when known."""
    if body is None or isinstance(body, bytes | bytearray):
        return body
    size = _length(body)
    if size is not None and not any(name.lower() == "content-length" for name in headers):
        headers["Content-Length"] = str(size)
    return _pieces(body)


async def _pieces(body: IO[bytes]) -> AsyncIterator[bytes]:
    while piece := await asyncio.to_thread(body.read, _CHUNK):
        yield piece


def _length(body: Any) -> int | None:
    """The bytes left to read in ``body``, if it can tell (requests-toolbelt's encoder has
    ``len``; a real file, its size past the current position)."""
    size = getattr(body, "len", None)
    if isinstance(size, int):
        return size
    try:
        left: int = os.fstat(body.fileno()).st_size - body.tell()
        return left
    except (AttributeError, OSError, ValueError):
        return None


def _failure(exc: BaseException, *, body: bool) -> NetworkFailure:
    """What went wrong, in the core's terms (``body``: while the answer's body was read)."""
    tls = _tls_error(exc)
    if tls is not None:
        return NetworkFailure(NetworkFailure.TLS, tls, retryable=False)
    if body:
        timed_out = isinstance(exc, httpx.TimeoutException | TimeoutError)
        kind = NetworkFailure.READ_TIMEOUT if timed_out else NetworkFailure.CUT_OFF
        return NetworkFailure(kind, type(exc).__name__)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return NetworkFailure(NetworkFailure.CONNECT_TIMEOUT)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return NetworkFailure(NetworkFailure.READ_TIMEOUT)
    if isinstance(exc, httpx.RemoteProtocolError):
        # h11 tells no partial header block from none at all: either way the connection
        # ended before a complete answer's headers
        return NetworkFailure(NetworkFailure.HEADERS_CUT_OFF)
    if isinstance(exc, httpx.TransportError | OSError):
        detail = str(exc) or type(exc).__name__
        return NetworkFailure(NetworkFailure.CONNECTION, f"{type(exc).__name__}: {detail}")
    return NetworkFailure(NetworkFailure.OTHER, str(exc) or type(exc).__name__, retryable=False)


def _tls_error(exc: BaseException) -> str | None:
    """Why a certificate was refused, if that is what ``exc`` is (httpx nests ssl's error)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):  # "[SSL: CERTIFICATE_VERIFY_FAILED] ... (_ssl.c:1006)"
            return str(seen).split(" (_ssl.c", 1)[0]
        seen = seen.__cause__ or seen.__context__
    return None
