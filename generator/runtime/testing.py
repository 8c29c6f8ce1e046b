"""A transport that answers from memory: test code that uses a generated client without a
server, a socket or a mock of the client itself. Everything the client decides (the request it
builds, redirects, retries, limits, decoding, pages, tasks) runs as it does over the network::

    from generated._runtime.testing import MemoryTransport, Reply

    transport = MemoryTransport([Reply(200, '{"result": 1}', {"Content-Type": "application/json"})])
    client = SomeClient(..., transport=transport, base_url="https://vendor.test")
    ...
    (request,) = transport.requests  # what the client sent: method, url, headers, body

``MemoryTransport(handler)`` calls ``handler(request)`` for each request instead; a handler
may raise ``NetworkFailure`` (e.g. ``NetworkFailure(NetworkFailure.CONNECTION, "refused")``)
to play a broken network. ``MemoryTransport.from_cassette(path)`` answers from a recorded
cassette. The async client takes the same transport (``AsyncSomeClient(..., transport=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from os import PathLike
from typing import IO, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from .answer import Answer, Headers
from .exchange import NetworkFailure, Read, Send


class Sent(NamedTuple):
    """A request as the client sent it (the body read whole)."""

    method: str
    url: str
    headers: Headers
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)


class Reply(NamedTuple):
    """An answer to give: its status, body (bytes, text, or the pieces it arrives in) and
    headers."""

    status: int = 200
    body: bytes | str | Sequence[bytes] = b""
    headers: Mapping[str, str] = {}

    def pieces(self) -> Iterator[bytes]:
        if isinstance(self.body, str):
            yield self.body.encode("utf-8")
        elif isinstance(self.body, bytes | bytearray):
            yield bytes(self.body)
        else:
            yield from self.body


class MemoryTransport:
    """Answers each request with the next ``Reply`` of a list, or with what a handler says;
    records every request in ``requests``. The sync and the async client take it alike."""

    nonblocking = True  # an async client may use it as it is: it never waits

    def __init__(self, replies: Iterable[Reply] | Callable[[Sent], Reply]) -> None:
        if callable(replies):
            self._handler = replies
        else:
            queue = iter(list(replies))
            self._handler = lambda request: _next_reply(queue, request)
        self.requests: list[Sent] = []
        self.released = 0  # answers the client was done with
        self.closed = False

    @classmethod
    def from_cassette(cls, path: str | PathLike[str]) -> MemoryTransport:
        """Answers from a recorded cassette (vcrpy's YAML format, as ``make record`` and
        ``generator fixtures`` write them): each request gets the first unused interaction with
        its method, path and query (in any order); a request the cassette does not hold is a
        network failure naming it. Needs PyYAML."""
        try:
            import yaml
        except ImportError:  # pragma: no cover: PyYAML is a test dependency of yours
            raise ImportError(
                "MemoryTransport.from_cassette needs PyYAML: pip install pyyaml"
            ) from None
        with open(path, encoding="utf-8") as stream:
            recorded = yaml.safe_load(stream) or {}
        interactions = [_recorded(item) for item in recorded.get("interactions", [])]
        unused = list(interactions)

        def answer(request: Sent) -> Reply:
            key = _request_key(request.method, request.url)
            for index, (wanted, reply) in enumerate(unused):
                if wanted == key:
                    del unused[index]
                    return reply
            raise NetworkFailure(
                NetworkFailure.CONNECTION,
                f"the cassette {path} holds no (further) {request.method} {request.url}",
                retryable=False,
            )

        return cls(answer)

    def default_headers(self, user_agent: str) -> dict[str, str]:
        return {"User-Agent": user_agent, "Accept": "*/*"}

    def send(self, action: Send) -> Answer:
        hop = action.hop
        request = Sent(hop.method, hop.url, Headers(hop.headers), _read_whole(hop.body))
        self.requests.append(request)
        reply = self._handler(request)
        answer = Answer(reply.status, Headers(reply.headers), hop.url, raw=reply)
        answer.state = reply.pieces()
        return answer

    def read(self, action: Read) -> bytes:
        return next(action.answer.state, b"")

    def release(self, answer: Answer) -> None:
        self.released += 1

    def close(self) -> None:
        self.closed = True


def _next_reply(queue: Iterator[Reply], request: Sent) -> Reply:
    reply = next(queue, None)
    if reply is None:
        raise NetworkFailure(
            NetworkFailure.CONNECTION, f"no reply left for {request.method} {request.url}"
        )
    return reply


def _request_key(method: str, url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return method.upper(), parts.path or "/", query


def _recorded(
    item: Mapping[str, Any],
) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], Reply]:
    """One cassette interaction: what request it answers, and the reply."""
    request, response = item["request"], item["response"]
    headers = {
        str(name): ", ".join(map(str, values)) if isinstance(values, list) else str(values)
        for name, values in (response.get("headers") or {}).items()
    }
    body = (response.get("body") or {}).get("string", b"")
    status = response.get("status") or {}
    return _request_key(request["method"], request["uri"]), Reply(
        int(status.get("code", 200)), body, headers
    )


def _read_whole(body: bytes | IO[bytes] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return body.read()
