"""The sync half of every generated client: it drives the core's flows (``calls``) over a
transport (requests by default, any ``exchange.Transport``: a test transport answering from
memory), performing each action the flows ask for, and is the ``TaskBackend`` of its tasks."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, cast

import requests

from .answer import Answer
from .arguments import ArgumentValueError
from .calls import Calls
from .data import OperationRef
from .exchange import (
    Await,
    Flow,
    Local,
    Read,
    Release,
    Send,
    Transport,
    Wait,
    drive,
    run,
)
from .policy import url_setting_problem
from .results import BinaryResult
from .status import Status
from .tasks import Cancel, Poll, Task
from .transport import RequestsTransport

T = TypeVar("T")


class Client(Calls):
    """Runtime half of a generated client; the generated class passes its options through."""

    transport: Transport

    def connect(
        self,
        session: requests.Session | None,
        transport: Transport | None,
        *,
        verify_tls: bool,
        ca_bundle: str | None,
    ) -> Transport:
        return transport or RequestsTransport(session, verify_tls=verify_tls, ca_bundle=ca_bundle)

    def close(self) -> None:
        self.transport.close()

    # -- driving the flows ---------------------------------------------------------------------
    def perform(self, action: Any) -> Any:
        """Do what one action of a flow asks: the I/O, and nothing else."""
        kind = type(action)
        if kind is Send:
            return self.transport.send(action)
        if kind is Read:
            return self.transport.read(action)
        if kind is Release:
            self.transport.release(action.answer)
            return None
        if kind is Wait:
            self.sleep(action.seconds)
            return None
        if kind is Local:
            return action.work(*action.args)
        if kind is Poll:
            return self.poll_status(action.token, action.version, action.wait_time_ms)
        if kind is Cancel:
            self.cancel_task(action.token)
            return None
        if kind is Await:
            getattr(action.awaitable, "close", lambda: None)()  # never awaited: no warning
            raise TypeError(
                "a hook returned an awaitable: async hooks need the async client "
                f"({self.api.async_client_class}), a sync client calls plain functions"
            )
        raise TypeError(f"a flow asked for {action!r}")

    def run(self, flow: Flow[T]) -> T:
        return run(flow, self.perform, self._release)

    def _release(self, answer: Answer) -> None:
        self.transport.release(answer)

    def task_backend(self) -> Client:
        return self

    # -- what the generated methods call -------------------------------------------------------
    # Each takes the method's operation and its own arguments (``Calls.call_of`` and twins).
    def call(self, op: OperationRef[T], values: Mapping[str, Any]) -> T:
        return self.run(self.call_of(op, values))

    def call_long_running(self, op: OperationRef[T], values: Mapping[str, Any]) -> T | Task[T]:
        """Start the task; wait for its end when token handling is automatic, else hand it."""
        task = self.begin(op, values)
        return task.wait() if self.automatic(values) else task

    def begin(self, op: OperationRef[T], values: Mapping[str, Any]) -> Task[T]:
        """Start a long-running operation and return its task handle without waiting."""
        return cast(Task[T], self.run(self.begin_of(op, values)))

    def paginate(self, op: OperationRef[Any], values: Mapping[str, Any]) -> Iterator[Any]:
        return drive(self.pages_of(op, values), self.perform, self._release)

    def iterate(self, op: OperationRef[Any], values: Mapping[str, Any]) -> Iterator[Any]:
        return drive(self.items_of(op, values), self.perform, self._release)

    def download(self, op: OperationRef[BinaryResult], values: Mapping[str, Any]) -> BinaryResult:
        return self.run(self.download_of(op, values))

    # -- the TaskBackend of its tasks ----------------------------------------------------------
    def poll_status(self, token: str, version: int, wait_time_ms: int) -> Status:
        return self.run(self.poll_flow(token, version, wait_time_ms))

    def cancel_task(self, token: str) -> None:
        self.run(self.cancel_flow(token))

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def expand_url(template: str, settings: Mapping[str, object]) -> str:
    """``https://{host}:{port}`` filled in from the client's settings, each checked for what
    its place in the URL takes: a host is a host, with no path, query or address in it."""
    for name, value in settings.items():
        problem = url_setting_problem(template, name, value)
        if problem is not None:
            raise ArgumentValueError(f"{name}: {problem}")
    return template.format_map(settings)


def pick_environment(environments: Mapping[str, str], name: str) -> str:
    """The base URL of a named environment (e.g. production or staging)."""
    try:
        return environments[name]
    except KeyError:
        raise ValueError(
            f"unknown environment {name!r}; expected one of: {', '.join(environments)}"
        ) from None
