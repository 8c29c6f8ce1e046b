"""The async half of every generated client: it awaits the same flows the sync client runs
(``calls``, ``tasks``), over an async transport (httpx by default, ``httpx_transport``), so that
both make every decision in one place. Only the actions are awaited here: a request, a read, a
wait, file work in a worker thread, a caller's async hook.

httpx is imported when the first async client is made, not when a package is imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

from .answer import Answer
from .arguments import ArgumentValueError
from .bases import SharedBase
from .calls import Calls
from .codec import JsonValue
from .data import OperationRef
from .errors import ApiError
from .exchange import (
    THROWN,
    Await,
    Driving,
    Flow,
    Items,
    Local,
    Read,
    Release,
    Send,
    Transport,
    Wait,
)
from .results import BinaryResult
from .status import Status
from .tasks import Cancel, Poll, TaskState

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


class AsyncTransport(Protocol):
    """What the async driver needs to move bytes (``httpx_transport.HttpxTransport``)."""

    def default_headers(self, user_agent: str) -> dict[str, str]: ...

    async def send(self, action: Send) -> Answer: ...

    async def read(self, action: Read) -> bytes: ...

    async def release(self, answer: Answer) -> None: ...

    async def close(self) -> None: ...


class _Awaiting:
    """A sync transport that never blocks (``testing.MemoryTransport``), used as an async one."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def default_headers(self, user_agent: str) -> dict[str, str]:
        return self.transport.default_headers(user_agent)

    async def send(self, action: Send) -> Answer:
        return self.transport.send(action)

    async def read(self, action: Read) -> bytes:
        return self.transport.read(action)

    async def release(self, answer: Answer) -> None:
        self.transport.release(answer)

    async def close(self) -> None:
        self.transport.close()


def as_async(transport: AsyncTransport | Transport, api_name: str) -> AsyncTransport:
    """``transport`` as the async driver uses it: an async one as it is, a sync one only if it
    never blocks (it would hold up the event loop on every read)."""
    if asyncio.iscoroutinefunction(getattr(transport, "send", None)):
        return cast(AsyncTransport, transport)
    if getattr(transport, "nonblocking", False):
        return _Awaiting(cast(Transport, transport))
    raise ArgumentValueError(
        f"{api_name}: {type(transport).__name__} moves bytes synchronously and would block the "
        "event loop; give the async client an async transport (HttpxTransport), or a "
        "MemoryTransport"
    )


# -- driving flows ------------------------------------------------------------------------------

Perform = Any  # an async function of one action


async def _to_items(driving: Driving, perform: Perform) -> Any:
    """Advance the flow, awaiting each action it asks for (a failure thrown back into it),
    until it ends (``Driving.DONE``) or hands out ``Items``; returns that."""
    action = driving.advance()
    while action is not Driving.DONE and type(action) is not Items:
        try:
            reply = await perform(action)
        except THROWN as exc:
            action = driving.fail(exc)
            continue
        driving.performed(action, reply)
        action = driving.advance(reply)
    return action


async def adrive(flow: Flow[Any], perform: Perform, release: Perform) -> AsyncGenerator[Any]:
    """``exchange.drive``, awaited: ``Items`` values are yielded to the caller; answers the
    flow left open (it failed, or the caller stopped iterating) are released."""
    driving = Driving(flow)
    try:
        while (action := await _to_items(driving, perform)) is not Driving.DONE:
            try:
                for value in action.values:
                    yield value
            except (ApiError, RecursionError) as exc:  # a value that failed to decode
                raise action.adopted(exc) from None
    finally:
        for answer in driving.close():
            await release(answer)


async def arun(flow: Flow[T], perform: Perform, release: Perform) -> T:
    """``exchange.run``, awaited: a flow that yields no items, to its end."""
    driving = Driving(flow)
    try:
        action = await _to_items(driving, perform)
        if action is not Driving.DONE:
            raise AssertionError(f"a flow yielded items where none were expected: {action!r}")
        return cast(T, driving.result)
    finally:
        for answer in driving.close():
            await release(answer)


class AsyncTask(TaskState[T]):
    """Handle on a running server task, awaited: ``await task.wait()``, ``async for status in
    task``, ``await task.refresh()``, ``await task.cancel()``."""

    _backend: AsyncClient

    async def refresh(self) -> Status:
        """One ``get-status`` round trip, paced as the sync ``Task.refresh``."""
        return await arun(self.refresh_flow(), self._backend.perform, _nothing_to_release)

    def __aiter__(self) -> AsyncIterator[Status]:
        """Every status from now on, the final one included."""
        return adrive(self.statuses_flow(), self._backend.perform, _nothing_to_release)

    async def wait(self, timeout: float | None = None) -> T:
        """Poll until the task is final; return its result or raise the vendor error."""
        return await arun(self.wait_flow(timeout), self._backend.perform, _nothing_to_release)

    async def cancel(self) -> None:
        """Ask the server to cancel; it decides when. Keep polling (``wait``) to see the end."""
        await arun(self.cancel_flow(), self._backend.perform, _nothing_to_release)


async def _nothing_to_release(answer: Any) -> None:
    """A task's own flows receive no answers (the polls release theirs)."""


class AsyncClient(Calls):
    """Runtime half of a generated async client: the sync ``Client`` awaited."""

    task_class = AsyncTask

    transport: AsyncTransport

    def connect(
        self,
        session: httpx.AsyncClient | None,
        transport: AsyncTransport | Transport | None,
        *,
        verify_tls: bool,
        ca_bundle: str | None,
    ) -> AsyncTransport:
        if transport is not None:
            return as_async(transport, self.api.name)
        try:
            from .httpx_transport import HttpxTransport  # httpx is imported here, not before
        except ModuleNotFoundError as exc:
            if exc.name not in ("httpx", "httpcore", "h11", "anyio"):
                raise
            raise ModuleNotFoundError(
                f"the async client needs httpx ({exc.name} is missing): install the client's "
                "'async' extra (pip install '<distribution>[async]') or httpx",
                name=exc.name,
            ) from None
        return HttpxTransport(session, verify_tls=verify_tls, ca_bundle=ca_bundle)

    async def close(self) -> None:
        await self.transport.close()

    # -- driving the flows ---------------------------------------------------------------------
    async def perform(self, action: Any) -> Any:
        """Await what one action of a flow asks: the I/O, and nothing else."""
        kind = type(action)
        if kind is Send:
            return await self.transport.send(action)
        if kind is Read:
            return await self.transport.read(action)
        if kind is Release:
            await self.transport.release(action.answer)
            return None
        if kind is Wait:
            await asyncio.sleep(action.seconds)
            return None
        if kind is Local:  # file work: in a worker thread, the event loop goes on
            return await asyncio.to_thread(action.work, *action.args)
        if kind is Await:
            return await action.awaitable
        if kind is Poll:
            return await self.run(self.poll_flow(action.token, action.version, action.wait_time_ms))
        if kind is Cancel:
            await self.run(self.cancel_flow(action.token))
            return None
        raise TypeError(f"a flow asked for {action!r}")

    async def run(self, flow: Flow[T]) -> T:
        return await arun(flow, self.perform, self._release)

    async def _release(self, answer: Answer) -> None:
        await self.transport.release(answer)

    def task_backend(self) -> AsyncClient:
        return self

    # -- what the generated methods call (as ``Client``'s, awaited) ----------------------------
    async def call(self, op: OperationRef[T], values: Mapping[str, Any]) -> T:
        return await self.run(self.call_of(op, values))

    async def call_long_running(
        self, op: OperationRef[T], values: Mapping[str, Any]
    ) -> T | AsyncTask[T]:
        task = await self.begin(op, values)
        return await task.wait() if self.automatic(values) else task

    async def begin(self, op: OperationRef[T], values: Mapping[str, Any]) -> AsyncTask[T]:
        return cast(AsyncTask[T], await self.run(self.begin_of(op, values)))

    def paginate(self, op: OperationRef[Any], values: Mapping[str, Any]) -> AsyncIterator[Any]:
        return adrive(self.pages_of(op, values), self.perform, self._release)

    def iterate(self, op: OperationRef[Any], values: Mapping[str, Any]) -> AsyncIterator[Any]:
        return adrive(self.items_of(op, values), self.perform, self._release)

    async def download(
        self, op: OperationRef[BinaryResult], values: Mapping[str, Any]
    ) -> BinaryResult:
        return await self.run(self.download_of(op, values))


class AsyncClientBase(SharedBase):
    """What every generated async client class inherits: ``async with``, ``await close()``."""

    _client: AsyncClient

    async def close(self) -> None:
        """Close the HTTP client (and its pooled connections)."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncTaskClientBase(AsyncClientBase):
    """Base of async clients whose API has long-running tasks."""

    def resume_task(self, token: str, *, version: int = 0) -> AsyncTask[JsonValue]:
        """A handle on a long-running task started earlier (for instance in another process)."""
        return cast(AsyncTask[JsonValue], self._client.resume(token, version=version))
