"""Long-running tasks: a status envelope with a token, polled until it is final."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .codec import JSON, JsonValue, Type
from .operation import ApiDescription, Operation

if TYPE_CHECKING:
    from .client import Client

T = TypeVar("T")


@dataclass(frozen=True)
class Status:
    """One decoded status envelope."""

    code: str | None
    version: int | None
    token: str | None
    progress: int | None
    text: str | None
    log_output: str | None
    error_message: str | None
    error_details: str | None
    result: JsonValue
    raw: Mapping[str, Any] = field(repr=False)
    running: bool = False
    succeeded: bool = False


StatusCallback = Callable[[Status], None]
STATUS: Type[Status] = Type("status")


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_status(api: ApiDescription, data: Mapping[str, Any]) -> Status:
    env = api.envelope
    lr = api.long_running
    error = data.get(env.error_field)
    error_map = error if isinstance(error, dict) else {}
    code = _str_or_none(data.get(env.status_field))
    return Status(
        code=code,
        version=_int_or_none(data.get(lr.version_field if lr else "statusVersion")),
        token=_str_or_none(data.get(lr.token_field if lr else "token")),
        progress=_int_or_none(data.get(lr.progress_field if lr else "percentProgress")),
        text=_str_or_none(data.get(lr.text_field if lr else "statusText")),
        log_output=_str_or_none(data.get(lr.log_field if lr else "logOutput")),
        error_message=_str_or_none(error_map.get(env.message_field)) or _str_or_none(error),
        error_details=_str_or_none(error_map.get(env.details_field)),
        result=data.get(env.result_field),
        raw=data,
        running=code in env.running,
        succeeded=code in env.success,
    )


class TaskTimeout(TimeoutError):
    """``Task.wait(timeout)`` ran out of time; the task goes on on the server."""


class Task(Generic[T]):
    """Handle on a running server task: refresh, wait, iterate over updates, cancel, resume."""

    def __init__(
        self,
        client: Client,
        op: Operation[T],
        first: Status,
        *,
        wait_time_ms: int,
        status_callback: Callable[[Status], None] | None = None,
    ) -> None:
        self._client = client
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

    def refresh(self) -> Status:
        """One ``get-status`` round trip (the server holds it up to ``wait_time_ms``)."""
        if self.done:
            return self.status
        lr = self._client.api.long_running
        assert lr is not None
        if self.token is None:
            raise ValueError("this status has no token to poll")
        args = {
            lr.token_param: self.token,
            lr.version_param: self.status.version or 0,
            lr.timeout_param: self.wait_time_ms,
        }
        status = self._client._decode(
            lr.status_operation, self._client.send(lr.status_operation, args)
        )
        self._update(status)
        return self.status

    def _update(self, status: Status) -> None:
        self.status = status
        if status.token:
            self.token = status.token
        if status.log_output:
            self.log_output += status.log_output
        if self.status_callback is not None:
            self.status_callback(status)

    def __iter__(self) -> Iterator[Status]:
        """Every status from now on, the final one included."""
        if not self._announced:
            self._announced = True
            yield self.status
        while not self.done:
            before = self.status.version
            status = self.refresh()
            if status.version != before or self.done:
                yield status

    def wait(self, timeout: float | None = None) -> T:
        """Poll until the task is final; return its result or raise the vendor error."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._announced and self.status_callback is not None:
            self.status_callback(self.status)
        self._announced = True
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise TaskTimeout(f"task {self.token} still running after {timeout}s")
            self.refresh()
        return self._client._final_result(self._op, self.status)

    def cancel(self) -> None:
        """Ask the server to cancel; it decides when. Keep polling (``wait``) to see the end."""
        lr = self._client.api.long_running
        assert lr is not None
        if self.token is None or self.done:
            return
        self._client.send(lr.cancel_operation, {lr.token_param: self.token})
        self.cancel_requested = True


def resume(
    client: Client, token: str, *, version: int = 0, wait_time_ms: int | None = None
) -> Task[JsonValue]:
    """A handle on a task started elsewhere (another process), from its saved token. Its result
    is returned as plain JSON, since the operation that started it is not known here."""
    lr = client.api.long_running
    if lr is None:
        raise TypeError(f"{client.api.name} declares no long-running protocol")
    op: Operation[JsonValue] = lr.status_operation._replace(result=JSON)
    running = client.api.envelope.running
    placeholder = Status(
        code=running[0] if running else "running",
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
    return client.task_for(op, placeholder, wait_time_ms=wait_time_ms)
