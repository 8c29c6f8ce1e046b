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
        self.message = message  # without the attempts
        self.attempts = attempts


class CallTimeout(TransportError, TimeoutError):
    """The call's deadline ran out: a call (connect, answer, body and retries together) may
    take ``timeout`` seconds, the client's option or the call's own (``seconds``)."""

    def __init__(self, message: str, *, seconds: float = 0, attempts: int = 1) -> None:
        super().__init__(message, attempts=attempts)
        self.seconds = seconds


class LimitExceeded(TransportError):
    """The answer went past one of the client's limits (``option``, e.g. ``max_answer_bytes``)
    and was not read further: raise the option if the answer is legitimate."""

    def __init__(self, message: str, *, option: str = "", limit: float = 0) -> None:
        super().__init__(message)
        self.option = option
        self.limit = limit


class LocalFileError(ApiError, OSError):
    """A local file could not be written (``save_to=``, ``BinaryResult.save``): a missing or
    read-only folder, a directory where a file was expected, a full disk. Nothing partial is
    left behind. ``errno`` and ``filename`` are those of the underlying ``OSError``."""

    def __init__(
        self, message: str, *, errno: int | None = None, filename: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.filename = filename

    def __str__(self) -> str:
        return self.message  # OSError would rebuild the text from errno and filename


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


class TokenError(AuthenticationError):
    """The authorization server refused to issue an access token (OAuth 2.0): ``error`` and
    ``error_description`` are what it said (RFC 6749 §5.2), e.g. ``invalid_client`` for a
    wrong client id or secret."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        error: str | None = None,
        error_description: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(
            message,
            status=status,
            vendor_status=error,
            vendor_message=error_description,
            attempts=attempts,
        )
        self.error = error
        self.error_description = error_description


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
    call_timeout: type[CallTimeout] = CallTimeout
    limit: type[LimitExceeded] = LimitExceeded
    local_file: type[LocalFileError] = LocalFileError
    token: type[TokenError] = TokenError

    def find(
        self, operation: str, http_status: int | None, vendor_status: str | None
    ) -> type[ApiError] | None:
        for rule in self.rules:
            if rule.matches(operation, http_status, vendor_status):
                return rule.error
        return None

    def adopt(self, exc: ApiError, prefix: str = "") -> ApiError:
        """This package's error for one the shared runtime raised (the same kind and facts),
        its message prefixed with ``prefix`` (an operation's wire name) when given."""
        mine = (self.call_timeout, self.limit, self.transport, self.local_file, self.decode)
        if isinstance(exc, (*mine, self.token)):
            return exc  # already this package's
        text = str(getattr(exc, "message", exc.args[0] if exc.args else exc))
        message = f"{prefix}: {text}" if prefix else text
        if isinstance(exc, CallTimeout):
            return self.call_timeout(message, seconds=exc.seconds, attempts=exc.attempts)
        if isinstance(exc, LimitExceeded):
            return self.limit(message, option=exc.option, limit=exc.limit)
        if isinstance(exc, TransportError):
            return self.transport(message, attempts=exc.attempts)
        if isinstance(exc, LocalFileError):
            return self.local_file(message, errno=exc.errno, filename=exc.filename)
        if isinstance(exc, DecodeError):
            return self.decode(message, body_excerpt=exc.body_excerpt)
        if isinstance(exc, TokenError):
            return self.token(
                message,
                status=exc.status,
                error=exc.error,
                error_description=exc.error_description,
                attempts=exc.attempts,
            )
        return exc
