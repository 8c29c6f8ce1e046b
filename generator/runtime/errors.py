"""Exception hierarchy shared by every generated package.

Each generated package subclasses these (``generated.<api>.errors``) so callers can catch either one
vendor's errors or any API error at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple


class ApiError(Exception):
    """Base of every error a generated client raises."""


class TransportError(ApiError):
    """The request did not complete: connection refused or reset, timeout, TLS failure."""

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message if attempts <= 1 else f"{message} (after {attempts} attempts)")
        self.attempts = attempts


class HttpError(ApiError):
    """The server answered with an HTTP status the operation does not accept."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: str = "",
        vendor_status: str | None = None,
        vendor_message: str | None = None,
        attempts: int = 1,
        details: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the server asked to wait (Retry-After)
        self.status = status
        self.headers = dict(headers or {})
        self.body = body
        self.vendor_status = vendor_status
        self.vendor_message = vendor_message
        self.attempts = attempts
        self.details = details  # the vendor's error details (JSON text when structured)


class AuthenticationError(HttpError):
    """The credentials were refused."""


class NotFoundError(HttpError):
    """The addressed resource (or long-running task token) does not exist."""


class VendorError(ApiError):
    """The vendor answered, and its answer says the operation failed."""

    def __init__(
        self,
        message: str,
        *,
        vendor_status: str | None = None,
        vendor_message: str | None = None,
        details: str | None = None,
        payload: object = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.vendor_status = vendor_status
        self.vendor_message = vendor_message
        self.details = details
        self.payload = payload
        self.http_status = http_status


class DecodeError(ApiError):
    """The response could not be understood (invalid JSON or XML, or a value of the wrong type)."""

    def __init__(self, message: str, *, body_excerpt: str = "") -> None:
        super().__init__(message)
        self.body_excerpt = body_excerpt


class TaskTimeout(ApiError, TimeoutError):
    """``Task.wait(timeout=...)`` ran out of time. The task goes on on the server: keep its
    ``token`` to wait again later (``resume_task``) or cancel it."""

    def __init__(self, message: str, *, token: str | None = None, seconds: float = 0) -> None:
        super().__init__(message)
        self.token = token
        self.seconds = seconds


class ErrorRule(NamedTuple):
    """Raise ``error`` when every given condition holds (an empty condition always holds)."""

    error: type[ApiError]
    http_status: Sequence[int] = ()
    vendor_status: Sequence[str] = ()
    operations: Sequence[str] = ()

    def matches(self, operation: str, http_status: int | None, vendor_status: str | None) -> bool:
        if self.http_status and http_status not in self.http_status:
            return False
        if self.vendor_status and vendor_status not in self.vendor_status:
            return False
        return not self.operations or operation in self.operations


class ErrorTable(NamedTuple):
    """The package's own classes for each kind of failure, plus the spec's specific rules."""

    transport: type[TransportError]
    http: type[HttpError]
    auth: type[AuthenticationError]
    not_found: type[NotFoundError]
    vendor: type[VendorError]
    decode: type[DecodeError]
    task_timeout: type[TaskTimeout]
    rules: Sequence[ErrorRule] = ()

    def find(
        self, operation: str, http_status: int | None, vendor_status: str | None
    ) -> type[ApiError] | None:
        for rule in self.rules:
            if rule.matches(operation, http_status, vendor_status):
                return rule.error
        return None
