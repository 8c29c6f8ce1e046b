"""Both clients under one test: the sync client, and the async client driven from the test's
own (sync) code. A test that takes the ``flavour`` fixture (or is parametrized with
``FLAVOURS``) builds its clients with ``flavour.client(...)`` / ``flavour.make(SyncClass, ...)``
and runs as written against either: the async client's coroutines are run to their end on a
private event loop, its async iterators stepped one item at a time, its tasks awaited the same
way. Nothing of the client is replaced: every call goes through its async transport (httpx over
the loopback sockets, or the transport the test gives)."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest

from generated._runtime.aio import AsyncTask
from generated._runtime.tasks import Task


class Blocking:
    """An async client, task or iterator, used from sync code: every coroutine it returns is
    awaited to its end, every async iterator stepped on demand, every task wrapped in turn."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value) or isinstance(value, type):
            return value
        return lambda *args, **kwargs: self._settled(value(*args, **kwargs))

    def _settled(self, result: Any) -> Any:
        if asyncio.iscoroutine(result):
            result = self._run(result)
        if _is_async_task(result):
            return Blocking(result, self._runner)
        if hasattr(result, "__anext__"):
            return _Stepped(result, self)
        return result

    def _run(self, coroutine: Any) -> Any:
        # in a copy of the caller's context: ``raw_responses()`` blocks see the calls
        return self._runner.run(coroutine, context=contextvars.copy_context())

    def __iter__(self) -> Iterator[Any]:  # ``for status in task``
        return _Stepped(self._target.__aiter__(), self)

    def __enter__(self) -> Blocking:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._run(self._target.close())

    @property
    def wrapped(self) -> Any:
        return self._target


def _is_async_task(value: Any) -> bool:
    """An ``AsyncTask`` of any package's runtime (a package built in a test has its own copy)."""
    return isinstance(value, AsyncTask) or any(
        kind.__name__ == "AsyncTask" for kind in type(value).__mro__
    )


class _Stepped:
    """An async iterator stepped from sync code, one item per ``next()``."""

    def __init__(self, iterator: Any, owner: Blocking) -> None:
        self._iterator = iterator
        self._owner = owner

    def __iter__(self) -> _Stepped:
        return self

    def __next__(self) -> Any:
        try:
            return self._owner._run(anext(self._iterator))
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        self._owner._run(self._iterator.aclose())


class Flavour:
    """How a test makes its clients: ``sync`` as they are, ``async`` through ``Blocking``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_async = name == "async"

    def __repr__(self) -> str:
        return self.name

    def make(self, sync_class: type, *args: Any, **kwargs: Any) -> Any:
        """A client of ``sync_class``, or of its async twin from the same package (on the one
        event loop of the test session, as an application's clients share its loop)."""
        if not self.is_async:
            return sync_class(*args, **kwargs)
        package = importlib.import_module(sync_class.__module__.rsplit(".", 1)[0])
        async_class = getattr(package, f"Async{sync_class.__name__}")
        runner = _session_runner()
        client = runner.run(_made(async_class, args, kwargs))
        return Blocking(client, runner)

    def sample(self, items: list[Any], every: int = 4) -> list[Any]:
        """All of ``items`` for the sync client; every ``every``-th for the async one, where a
        sweep of thousands of answers repeats what the shared core decides (the transport is
        what differs, and a sample exercises it at every kind of answer)."""
        return items if not self.is_async else items[::every]

    def task_types(self) -> tuple[type, ...]:
        return (Blocking,) if self.is_async else (Task,)

    def is_task(self, value: Any) -> bool:
        if self.is_async:
            return isinstance(value, Blocking) and _is_async_task(value.wrapped)
        return isinstance(value, Task)


_RUNNER: list[asyncio.Runner] = []


def _session_runner() -> asyncio.Runner:
    if not _RUNNER:
        _RUNNER.append(asyncio.Runner())
    return _RUNNER[0]


async def _made(async_class: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The async client is made inside the loop that will run it (httpx binds to it)."""
    return async_class(*args, **kwargs)


SYNC = Flavour("sync")
ASYNC = Flavour("async")
FLAVOURS = [SYNC, ASYNC]


@pytest.fixture(params=FLAVOURS, ids=str)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Each test that takes it runs on the sync and the async client."""
    flavour: Flavour = request.param
    return flavour
