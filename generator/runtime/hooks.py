"""Hooks: a caller's own functions that see every call of a client (tracing, metrics,
correlation ids), on the sync and the async client alike.

``Hooks(call=..., request=..., response=..., retry=...)`` is given to a client
(``hooks=``, for all its calls) or to one call (``hooks=``, added after the client's):

- ``call(info)`` returns a context manager that is entered around the whole exchange of one
  call (its requests, retries, redirects, auth requests, and the body of an answer read whole):
  one tracing span per call.
- ``request(info)`` runs before each request is sent (each retry too); it may add headers
  (``info.headers[...] = ...``), a correlation id for instance.
- ``response(info)`` runs for each answer whose headers have arrived, whatever its status.
- ``retry(info)`` runs before the client waits to try again.

A hook of an async client may be a coroutine function: its result is awaited. Hooks run in
the caller's thread (or task), in the order given; what they raise ends the call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .answer import Answer
    from .policy import Hop

# A hook: one function, or several (run in order).
Hook = Callable[[Any], Any] | Sequence[Callable[[Any], Any]]


class CallInfo:
    """What the ``call`` hook sees: the operation (its Python and wire names) and the first
    request's method and URL."""

    __slots__ = ("operation", "wire_name", "method", "url")

    def __init__(self, operation: str, wire_name: str, method: str, url: str) -> None:
        self.operation = operation
        self.wire_name = wire_name
        self.method = method
        self.url = url

    def __repr__(self) -> str:
        return f"<CallInfo {self.operation}: {self.method} {self.url}>"


class RequestInfo:
    """A request about to be sent: ``headers`` may be changed (they are the request's own)."""

    __slots__ = ("operation", "hop", "attempt")

    def __init__(self, operation: str, hop: Hop, attempt: int) -> None:
        self.operation = operation
        self.hop = hop
        self.attempt = attempt  # 1 for the first try

    @property
    def method(self) -> str:
        return self.hop.method

    @property
    def url(self) -> str:
        return self.hop.url

    @property
    def headers(self) -> dict[str, str]:
        return self.hop.headers  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<RequestInfo {self.operation}: {self.method} {self.url} (attempt {self.attempt})>"


class ResponseInfo:
    """An answer whose headers arrived (its body read, unless the call streams it)."""

    __slots__ = ("operation", "request", "answer", "attempt")

    def __init__(self, operation: str, request: Hop, answer: Answer, attempt: int) -> None:
        self.operation = operation
        self.request = request  # method, url, headers as sent first
        self.answer = answer
        self.attempt = attempt

    @property
    def status(self) -> int:
        return self.answer.status

    @property
    def headers(self) -> Any:
        return self.answer.headers

    @property
    def raw(self) -> Any:
        """The transport's own response (a ``requests.Response``, an ``httpx.Response``)."""
        return self.answer.raw

    def __repr__(self) -> str:
        return f"<ResponseInfo {self.operation}: HTTP {self.status}>"


class RetryInfo:
    """A retry about to be waited for: after which attempt, how long, and why."""

    __slots__ = ("operation", "attempt", "wait", "reason", "answer")

    def __init__(
        self, operation: str, attempt: int, wait: float, reason: str, answer: Answer | None
    ) -> None:
        self.operation = operation
        self.attempt = attempt  # the attempt that failed
        self.wait = wait  # seconds before the next
        self.reason = reason  # "HTTP 503", or the error a network failure would have raised
        self.answer = answer  # the answer retried, if one arrived

    def __repr__(self) -> str:
        return f"<RetryInfo {self.operation}: attempt {self.attempt}, {self.reason}>"


def _functions(hook: Hook | None) -> tuple[Callable[[Any], Any], ...]:
    if hook is None:
        return ()
    if callable(hook):
        return (hook,)
    return tuple(hook)


class Hooks:
    """The hooks of a client or of one call (each event: a function, or several in order)."""

    __slots__ = ("call", "request", "response", "retry")

    def __init__(
        self,
        *,
        call: (
            Callable[[CallInfo], AbstractContextManager[Any]]
            | Sequence[Callable[[CallInfo], AbstractContextManager[Any]]]
            | None
        ) = None,
        request: Hook | None = None,
        response: Hook | None = None,
        retry: Hook | None = None,
    ) -> None:
        self.call = _functions(call)
        self.request = _functions(request)
        self.response = _functions(response)
        self.retry = _functions(retry)

    def __add__(self, other: Hooks | None) -> Hooks:
        """These hooks, then ``other``'s."""
        if other is None:
            return self
        both = Hooks()
        for name in self.__slots__:
            setattr(both, name, getattr(self, name) + getattr(other, name))
        return both

    def __bool__(self) -> bool:
        return bool(self.call or self.request or self.response or self.retry)

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(getattr(self, name))}" for name in self.__slots__)
        return f"Hooks({counts})"


def joined(client: Hooks | None, call: Hooks | None) -> Hooks | None:
    """The hooks of one call: the client's, then the call's own."""
    if client is None or not client:
        return call or None
    return client + call
