"""Long-running tasks: a status envelope with a token, polled until it is final.

A ``Task`` decides when to poll, how long to wait between polls and when to give up, as flows
without I/O (``exchange``): they yield ``Poll``, ``Cancel`` and ``Wait`` actions. Its own
methods perform them through a ``TaskBackend`` (the client implements it, a fake in tests can);
a client running a call that waits for its task performs them the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

from .codec import JSON, JsonValue
from .descriptors import LongRunning, Operation
from .errors import ApiError
from .exchange import Action, Flow, Items, Wait, drive, run
from .policy import PollPacer
from .status import Status, StatusCallback

T = TypeVar("T")


class Poll(Action):
    """One ``get-status`` round trip; the server may hold it up to ``wait_time_ms``."""

    __slots__ = ("token", "version", "wait_time_ms")

    def __init__(self, token: str, version: int, wait_time_ms: int) -> None:
        self.token = token
        self.version = version
        self.wait_time_ms = wait_time_ms


class Cancel(Action):
    """Ask the server to cancel the task."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class TaskBackend(Protocol):
    """What a task needs from the client that started it."""

    def poll_status(self, token: str, version: int, wait_time_ms: int) -> Status:
        """Perform a ``Poll``."""
        ...

    def cancel_task(self, token: str) -> None:
        """Perform a ``Cancel``."""
        ...

    def task_result(self, op: Operation[T], status: Status) -> T:
        """The result of a final status, or the vendor's error for a failed one."""
        ...

    def task_error(self, kind: str, message: str, *, token: str | None, seconds: float) -> ApiError:
        """The package's error for a task that cannot go on: ``kind`` is ``timeout`` (the
        package's ``TaskTimeout``) or ``no_token`` (a ``DecodeError``)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Perform a ``Wait`` (the pacing the ``PollPacer`` asks for)."""
        ...


class TaskState(Generic[T]):
    """What a task handle knows and decides, as flows; ``Task`` runs them synchronously,
    ``aio.AsyncTask`` awaits them."""

    def __init__(
        self,
        backend: Any,
        op: Operation[T],
        first: Status,
        *,
        wait_time_ms: int,
        status_callback: StatusCallback | None = None,
        pacer: PollPacer | None = None,
    ) -> None:
        self._backend = backend
        self._pacer = pacer  # None: polls follow each other at once (a fake backend)
        self._not_before = 0.0  # monotonic time before which the next poll waits
        self._op = op
        self.status = first
        self.token = first.token
        self.wait_time_ms = wait_time_ms
        self.status_callback = status_callback
        self.log_output = first.log_output or ""
        self.cancel_requested = False
        self._announced = False

    @property
    def done(self) -> bool:
        return not self.status.running

    @property
    def progress(self) -> int | None:
        return self.status.progress

    @property
    def version(self) -> int | None:
        return self.status.version

    # -- the flows ---------------------------------------------------------------------------
    def refresh_flow(self) -> Flow[Status]:
        if self.done:
            return self.status
        if self.token is None:
            raise self._backend.task_error(
                "no_token",
                f"{self._op.wire_name} answered {self.status.code!r} without a task token to poll",
                token=None,
                seconds=0,
            )
        delay = self._not_before - time.monotonic()
        if delay > 0:
            yield Wait(delay)
        before = self.status.version
        started = time.monotonic()
        status: Status = yield Poll(self.token, before or 0, self.wait_time_ms)
        elapsed = time.monotonic() - started
        self._update(status)
        if self._pacer is not None and not self.done:
            wait = self._pacer.wait_after(elapsed, changed=status.version != before)
            self._not_before = time.monotonic() + wait
        return self.status

    def _update(self, status: Status) -> None:
        self.status = status
        if status.token:
            self.token = status.token
        if status.log_output:
            self.log_output += status.log_output
        if self.status_callback is not None:
            self.status_callback(status)

    def statuses_flow(self) -> Flow[None]:
        if not self._announced:
            self._announced = True
            yield Items((self.status,))
        while not self.done:
            before = self.status.version
            status = yield from self.refresh_flow()
            if status.version != before or self.done:
                yield Items((status,))

    def wait_flow(self, timeout: float | None = None) -> Flow[T]:
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._announced and self.status_callback is not None:
            self.status_callback(self.status)
        self._announced = True
        while not self.done:
            now = time.monotonic()
            if deadline is not None and self._not_before >= deadline > now:
                yield Wait(deadline - now)  # the next poll would come too late
                now = deadline
            if deadline is not None and now >= deadline:
                raise self._backend.task_error(
                    "timeout",
                    f"task {self.token} of {self._op.wire_name} still running after {timeout}s"
                    " (it goes on on the server; resume_task(token) waits again)",
                    token=self.token,
                    seconds=timeout or 0,
                )
            yield from self.refresh_flow()
        result: T = self._backend.task_result(self._op, self.status)
        return result

    def cancel_flow(self) -> Flow[None]:
        if self.token is None or self.done:
            return
        yield Cancel(self.token)
        self.cancel_requested = True


class Task(TaskState[T]):
    """Handle on a running server task: refresh, wait, iterate over updates, cancel, resume."""

    _backend: TaskBackend

    def refresh(self) -> Status:
        """One ``get-status`` round trip (the server holds it up to ``wait_time_ms``), paced:
        polls start at least the client's ``poll_interval`` apart, further apart while the
        server answers at once with nothing new."""
        return run(self.refresh_flow(), self._perform, _nothing_to_release)

    def __iter__(self) -> Iterator[Status]:
        """Every status from now on, the final one included."""
        return drive(self.statuses_flow(), self._perform, _nothing_to_release)

    def wait(self, timeout: float | None = None) -> T:
        """Poll until the task is final; return its result or raise the vendor error."""
        return run(self.wait_flow(timeout), self._perform, _nothing_to_release)

    def cancel(self) -> None:
        """Ask the server to cancel; it decides when. Keep polling (``wait``) to see the end."""
        run(self.cancel_flow(), self._perform, _nothing_to_release)

    def _perform(self, action: Any) -> Any:
        return perform_task_action(self._backend, action)


def perform_task_action(backend: TaskBackend, action: Any) -> Any:
    """Perform a task's action through ``backend`` (sync)."""
    if type(action) is Poll:
        return backend.poll_status(action.token, action.version, action.wait_time_ms)
    if type(action) is Cancel:
        backend.cancel_task(action.token)
        return None
    if type(action) is Wait:
        backend.sleep(action.seconds)
        return None
    raise TypeError(f"a task flow asked for {action!r}")


def _nothing_to_release(answer: Any) -> None:
    """A task's own flows receive no answers (the backend's polls release theirs)."""


def resumed(
    task_class: type[TaskState[Any]],
    backend: Any,
    op: Operation[Any],
    token: str,
    *,
    running_code: str,
    version: int = 0,
    wait_time_ms: int,
    status_callback: StatusCallback | None = None,
    pacer: PollPacer | None = None,
) -> TaskState[JsonValue]:
    """A handle on a task started elsewhere (another process), from its saved token. Its result
    is returned as plain JSON, since the operation that started it is not known here."""
    placeholder = Status(
        code=running_code,
        version=version,
        token=token,
        progress=None,
        text=None,
        log_output=None,
        error_message=None,
        error_details=None,
        result=None,
        raw={},
        running=True,
    )
    plain: Operation[JsonValue] = op._replace(result=JSON)
    return task_class(
        backend,
        plain,
        placeholder,
        wait_time_ms=wait_time_ms,
        status_callback=status_callback,
        pacer=pacer,
    )


class StatusEnvelopePolling:
    """MailStore's protocol: an operation answers "running" with a token in its status
    envelope; ``status_operation`` is polled with the token and the last version seen (held by
    the server up to a timeout), ``cancel_operation`` asks it to stop."""

    name = "status_envelope"
    doc = "long-running tasks polled with `{status}`"

    def poll_args(
        self, lr: LongRunning, token: str, version: int, wait_time_ms: int
    ) -> dict[str, Any]:
        return {lr.token_param: token, lr.version_param: version, lr.timeout_param: wait_time_ms}

    def cancel_args(self, lr: LongRunning, token: str) -> dict[str, Any]:
        return {lr.token_param: token}


LONG_RUNNING_PROTOCOLS: dict[str, StatusEnvelopePolling] = {
    protocol.name: protocol for protocol in (StatusEnvelopePolling(),)
}
