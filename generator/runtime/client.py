"""The HTTP core every generated client delegates to: one session, retries, decoding, errors."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, Self, TypeVar, cast

import requests
import urllib3

from .codec import JsonValue, Type, decode_json, decode_xml
from .encoding import WireRequest, build_request
from .errors import ApiError, DecodeError, ErrorTable, HttpError, VendorError
from .operation import ApiDescription, Operation
from .results import BinaryResult, FileTarget
from .tasks import Status, StatusCallback, Task, parse_status, resume
from .xml import ChunkReader, child_text, iter_elements, looks_like_xml, parse_xml

T = TypeVar("T")
_BODY_EXCERPT = 2000


class RetryPolicy(NamedTuple):
    """Exponential backoff with jitter, for operations the spec marks safe to repeat."""

    attempts: int = 2  # retries after the first try
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    statuses: tuple[int, ...] = (502, 503, 504, 524)

    def delay(self, retry: int) -> float:
        return float(self.backoff * (2**retry) * random.uniform(0.5, 1.5))


class Client:
    """Runtime half of a generated client. Usable as a context manager; closes its session."""

    def __init__(
        self,
        api: ApiDescription,
        *,
        base_url: str,
        credentials: tuple[str, str] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        verify_tls: bool = True,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        wait_time_ms: int = 1000,
        status_callback: StatusCallback | None = None,
        auto_handle_token: bool = True,
        log_level: int | str | None = None,
        user_agent: str = "specgen-client",
    ) -> None:
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.verify: bool | str = ca_bundle if ca_bundle else verify_tls
        self.retry = retry or RetryPolicy()
        self.wait_time_ms = wait_time_ms
        self.status_callback = status_callback
        self.auto_handle_token = auto_handle_token
        self.log = logging.getLogger(f"generated.{api.name}")
        if log_level is not None:
            self.log.setLevel(log_level)
        self.last_response: requests.Response | None = None
        self._credentials = credentials
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", user_agent)
        if api.auth_scheme == "basic" and credentials is not None:
            self.session.auth = credentials
        self._echo_value: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # -- calls -----------------------------------------------------------------------------------
    def call(self, op: Operation[T], args: Mapping[str, Any]) -> T:
        """Send one operation and return its decoded result; long-running answers are polled to
        the end (with the client's wait time and status callback)."""
        response = self.send(op, args)
        result = self._decode(op, response)
        if isinstance(result, Status):
            if op.result.kind == "status":
                return cast(T, result)  # status/cancel calls hand back the envelope itself
            if result.running:
                return self.task_for(op, result).wait()
            return self._final_result(op, result)
        return cast(T, result)

    def call_long_running(
        self,
        op: Operation[T],
        args: Mapping[str, Any],
        *,
        wait_time_ms: int | None = None,
        status_callback: StatusCallback | None = None,
    ) -> Task[T]:
        """Start a long-running operation and return its task handle without waiting."""
        response = self.send(op, args)
        status = self._decode(op, response)
        if not isinstance(status, Status):
            raise TypeError(f"{op.wire_name} is not decoded as a status envelope")
        return self.task_for(op, status, wait_time_ms=wait_time_ms, status_callback=status_callback)

    def iterate(
        self,
        op: Operation[Any],
        args: Mapping[str, Any],
        item_path: tuple[str, ...],
        item: Type[T],
    ) -> Iterator[T]:
        """Decode and yield the items at ``item_path`` one by one while the XML answer is still
        arriving; the vendor status is checked before the first item and at the end."""
        response = self.send(op, args, stream=True)
        xml = self.api.xml
        seen: dict[str, str] = {}
        checked = False
        try:
            body = ChunkReader(response.iter_content(_CHUNK))
            watch = (xml.status_element, xml.message_element)
            events = iter_elements(cast(IO[bytes], body), item_path, watch=watch)
            with self.package_errors():
                for tag, element in _guard_stream(op, self.api.errors, events):
                    if tag != "item":
                        seen[tag] = element.text or ""
                        continue
                    if not checked:
                        self._check_streamed_status(op, seen, response.status_code)
                        checked = True
                    yield decode_xml(item, element)
            self._check_streamed_status(op, seen, response.status_code)
        finally:
            response.close()

    def _check_streamed_status(
        self, op: Operation[Any], seen: Mapping[str, str], http_status: int
    ) -> None:
        xml = self.api.xml
        self._check_xml_status(
            op,
            seen.get(xml.status_element),
            seen.get(xml.message_element),
            http_status,
            payload=dict(seen),
        )

    def _check_xml_status(
        self,
        op: Operation[Any],
        code: str | None,
        message: str | None,
        http_status: int,
        payload: object,
    ) -> None:
        """Raise the declared error when the vendor status says the call failed: a status not in
        ``success`` when success codes are declared, else one of the ``failure`` codes."""
        xml = self.api.xml
        if xml.success and code in xml.success:
            return
        if not xml.success and code not in xml.failure:
            return
        cls = self.api.errors.find(op.wire_name, http_status, code) or self.api.errors.vendor
        raise _make_error(
            cls,
            f"{op.wire_name}: vendor status {code}: {message or 'no message'}",
            vendor_status=code,
            vendor_message=message,
            payload=payload,
            http_status=http_status,
        )

    def download(
        self, op: Operation[BinaryResult], args: Mapping[str, Any], save_to: FileTarget | None
    ) -> BinaryResult:
        """A binary-or-XML answer. With ``save_to`` the file is streamed to a path (written
        beside it first, then renamed) or a binary file object, never held in memory."""
        if save_to is None:
            return self.call(op, args)
        response = self.send(op, args, stream=True)
        try:
            chunks = _guard_stream(op, self.api.errors, response.iter_content(_CHUNK))
            first = next(chunks, b"")
            content_type = response.headers.get("Content-Type", "")
            if "xml" in content_type or looks_like_xml(first):
                return self._status_instead_of_file(op, first + b"".join(chunks))
            size, saved_to = _write_stream(save_to, first, chunks)
            return BinaryResult(
                has_file=True,
                content=None,
                content_type=content_type or None,
                size=size,
                saved_to=saved_to,
            )
        finally:
            response.close()

    def settle(self, task: Task[T], auto_handle_token: bool | None) -> T | Task[T]:
        """Wait for ``task`` when token handling is automatic (per call, else per client)."""
        automatic = self.auto_handle_token if auto_handle_token is None else auto_handle_token
        return task.wait() if automatic else task

    def task_for(
        self,
        op: Operation[T],
        status: Status,
        *,
        wait_time_ms: int | None = None,
        status_callback: StatusCallback | None = None,
    ) -> Task[T]:
        if self.api.long_running is None:
            raise TypeError(f"{self.api.name} declares no long-running protocol")
        return Task(
            self,
            op,
            status,
            wait_time_ms=self.wait_time_ms if wait_time_ms is None else wait_time_ms,
            status_callback=status_callback or self.status_callback,
        )

    def _final_result(self, op: Operation[T], status: Status) -> T:
        """Result of a finished status: succeeded -> decoded result, otherwise the vendor error."""
        envelope = self.api.envelope
        if status.code in envelope.success:
            with self.package_errors():
                return decode_json(op.result, status.result)
        raise self._envelope_error(op, status)

    def _envelope_error(self, op: Operation[Any], status: Status) -> ApiError:
        message = status.error_message or f"{op.wire_name} ended with status {status.code!r}"
        cls = self.api.errors.find(op.wire_name, None, status.code) or self.api.errors.vendor
        return _make_error(
            cls,
            f"{op.wire_name}: {message}",
            vendor_status=status.code,
            vendor_message=status.error_message,
            details=status.error_details,
            payload=status.raw,
        )

    # -- HTTP ------------------------------------------------------------------------------------
    def send(
        self, op: Operation[Any], args: Mapping[str, Any], *, stream: bool = False
    ) -> requests.Response:
        """Build and send the request, retrying safe operations; raise on unaccepted statuses."""
        wire = build_request(self.api, op, args, self._credentials)
        if self._echo_value and self.api.envelope.echo_header:
            wire.headers[self.api.envelope.echo_header] = self._echo_value
        attempts = 1 + (self.retry.attempts if op.safe else 0)
        url = self.base_url + wire.path
        for attempt in range(1, attempts + 1):
            self._log_request(wire, url, attempt)
            try:
                response = self.session.request(
                    wire.method,
                    url,
                    params=wire.query or None,
                    data=wire.body,
                    headers=wire.headers,
                    timeout=self.timeout,
                    verify=self.verify,
                    stream=stream,  # without it requests reads the body here (faster path)
                )
            except _RETRYABLE as exc:
                if attempt < attempts:
                    time.sleep(self.retry.delay(attempt - 1))
                    continue
                raise self.api.errors.transport(
                    f"{op.wire_name}: {type(exc).__name__}: {_scrub(str(exc))}", attempts=attempt
                ) from None
            except requests.RequestException as exc:
                raise self.api.errors.transport(f"{op.wire_name}: {_scrub(str(exc))}") from None
            self.last_response = response
            self.log.debug("%s %s -> HTTP %s", wire.method, wire.path, response.status_code)
            if response.status_code in self.retry.statuses and attempt < attempts:
                response.close()
                time.sleep(self.retry.delay(attempt - 1))
                continue
            if not _accepted(op, response.status_code):
                raise self._http_error(op, response, attempt)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_request(self, wire: WireRequest, url: str, attempt: int) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            suffix = f" (attempt {attempt})" if attempt > 1 else ""
            self.log.debug("%s %s%s fields=%s", wire.method, wire.path, suffix, wire.log_fields)

    def _http_error(
        self, op: Operation[Any], response: requests.Response, attempts: int
    ) -> ApiError:
        try:
            body = response.content
        except requests.RequestException:
            body = b""
        text = body[:_BODY_EXCERPT].decode("utf-8", errors="replace")
        vendor_status, vendor_message = self._vendor_status_of(body)
        status = response.status_code
        errors = self.api.errors
        cls = errors.find(op.wire_name, status, vendor_status)
        if cls is None:
            cls = {401: errors.auth, 403: errors.auth, 404: errors.not_found}.get(
                status, errors.http
            )
        detail = f": {vendor_message}" if vendor_message else ""
        message = f"{op.wire_name}: HTTP {status}{detail}"
        return _make_error(
            cls,
            message,
            http_status=status,
            headers=dict(response.headers),
            body=text,
            vendor_status=vendor_status,
            vendor_message=vendor_message,
            attempts=attempts,
        )

    def _vendor_status_of(self, body: bytes) -> tuple[str | None, str | None]:
        """Vendor status and message from an error body, when it is XML or a JSON envelope."""
        if not body.strip():
            return None, None
        try:
            if looks_like_xml(body):
                root = parse_xml(body)
                xml = self.api.xml
                return child_text(root, xml.status_element), child_text(root, xml.message_element)
            data = json.loads(body.decode("utf-8-sig"))
        except (DecodeError, ValueError):
            return None, None
        if isinstance(data, dict):
            status = parse_status(self.api, data)
            return status.code, status.error_message
        return None, None

    # -- decoding --------------------------------------------------------------------------------
    def _decode(self, op: Operation[Any], response: requests.Response) -> Any:
        with self.package_errors():
            return _DECODERS[op.decoding](self, op, response)

    @contextlib.contextmanager
    def package_errors(self) -> Iterator[None]:
        """Re-raise the runtime's generic decode errors as this package's ``DecodeError``."""
        try:
            yield
        except DecodeError as exc:
            if isinstance(exc, self.api.errors.decode):
                raise
            raise self.api.errors.decode(str(exc), body_excerpt=exc.body_excerpt) from None

    def _decode_envelope(self, op: Operation[Any], response: requests.Response) -> Status:
        data = _load_json(response.content)
        if not isinstance(data, dict):
            raise self.api.errors.decode(
                f"{op.wire_name}: expected a JSON status envelope", body_excerpt=response.text[:200]
            )
        status = parse_status(self.api, data)
        echo = self.api.envelope.echo_field
        if echo and isinstance(data.get(echo), str):
            self._echo_value = data[echo]
        return status

    def _decode_xml(self, op: Operation[Any], response: requests.Response) -> Any:
        root = self._parse_xml(op, response.content)
        self._raise_for_xml_status(op, root, response.status_code)
        return decode_xml(op.result, root)

    def _raise_for_xml_status(self, op: Operation[Any], root: Any, http_status: int) -> None:
        xml = self.api.xml
        self._check_xml_status(
            op,
            child_text(root, xml.status_element),
            child_text(root, xml.message_element),
            http_status,
            payload=root,
        )

    def _decode_binary_or_xml(
        self, op: Operation[Any], response: requests.Response
    ) -> BinaryResult:
        body = response.content
        content_type = response.headers.get("Content-Type", "")
        if "xml" in content_type or looks_like_xml(body):
            return self._status_instead_of_file(op, body)
        return BinaryResult(has_file=True, content=body, content_type=content_type or None)

    def _status_instead_of_file(self, op: Operation[Any], body: bytes) -> BinaryResult:
        """The vendor's XML status explaining why a binary answer holds no file."""
        root = self._parse_xml(op, body)
        xml = self.api.xml
        return BinaryResult(
            has_file=False,
            content=None,
            status=child_text(root, xml.status_element),
            msg=child_text(root, xml.message_element),
        )

    def _decode_json(self, op: Operation[Any], response: requests.Response) -> Any:
        return decode_json(op.result, _load_json(response.content, self.api.errors.decode))

    def _decode_none(self, op: Operation[Any], response: requests.Response) -> None:
        return None

    def _parse_xml(self, op: Operation[Any], body: bytes) -> Any:
        try:
            return parse_xml(body)
        except DecodeError as exc:
            raise self.api.errors.decode(
                f"{op.wire_name}: {exc}", body_excerpt=exc.body_excerpt
            ) from None


_CHUNK = 256 * 1024
# Failures after which a safe request is worth another try: no connection, no answer in time,
# or a body cut off mid-way.
_RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def _guard_stream(op: Operation[Any], errors: ErrorTable, items: Iterator[T]) -> Iterator[T]:
    """Turn a connection that fails or stalls mid-body into the package's transport error."""
    try:
        yield from items
    except (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError) as exc:
        raise errors.transport(f"{op.wire_name}: body interrupted: {type(exc).__name__}") from None


def _write_stream(
    target: FileTarget, first: bytes, rest: Iterator[bytes]
) -> tuple[int, str | None]:
    if isinstance(target, str | os.PathLike):
        final = Path(target)
        partial = final.with_name(final.name + ".part")
        try:
            with partial.open("wb") as out:
                size = _copy(out, first, rest)
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size, str(final)
    return _copy(target, first, rest), None


def _copy(out: IO[bytes], first: bytes, rest: Iterator[bytes]) -> int:
    out.write(first)
    size = len(first)
    for chunk in rest:
        out.write(chunk)
        size += len(chunk)
    return size


def expand_url(template: str, settings: Mapping[str, object]) -> str:
    """``https://{host}:{port}`` filled in from the client's settings."""
    return template.format_map(settings)


def pick_environment(environments: Mapping[str, str], name: str) -> str:
    """The base URL of a named environment (e.g. production or staging)."""
    try:
        return environments[name]
    except KeyError:
        raise ValueError(
            f"unknown environment {name!r}; expected one of: {', '.join(environments)}"
        ) from None


def _accepted(op: Operation[Any], status: int) -> bool:
    return status in op.success_status if op.success_status else 200 <= status < 300


def _load_json(body: bytes, error: type[DecodeError] = DecodeError) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))  # MailStore sends a BOM
    except (UnicodeDecodeError, ValueError) as exc:
        raise error(
            f"invalid JSON: {exc}", body_excerpt=body[:200].decode("utf-8", "replace")
        ) from None


def _scrub(text: str) -> str:
    """Drop urllib3's nested cause (long, and it repeats the URL) from transport messages."""
    return text.split("(Caused by", 1)[0].strip() or text


def _make_error(cls: type[ApiError], message: str, **info: Any) -> ApiError:
    """Build ``cls`` with the keyword arguments its base family accepts."""
    if issubclass(cls, HttpError):
        return cls(
            message,
            status=info.get("http_status") or 0,
            headers=info.get("headers"),
            body=info.get("body", ""),
            vendor_status=info.get("vendor_status"),
            vendor_message=info.get("vendor_message"),
            attempts=info.get("attempts", 1),
        )
    if issubclass(cls, VendorError):
        return cls(
            message,
            vendor_status=info.get("vendor_status"),
            vendor_message=info.get("vendor_message"),
            details=info.get("details"),
            payload=info.get("payload", info.get("body")),
            http_status=info.get("http_status"),
        )
    return cls(message)


_DECODERS: dict[str, Callable[[Client, Operation[Any], requests.Response], Any]] = {
    "envelope": Client._decode_envelope,
    "xml": Client._decode_xml,
    "binary_or_xml": Client._decode_binary_or_xml,
    "json": Client._decode_json,
    "none": Client._decode_none,
}


class ClientBase:
    """What every generated client class inherits: lifecycle, raw response access, resumption."""

    _client: Client

    def close(self) -> None:
        """Close the HTTP session (and its pooled connections)."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def last_response(self) -> requests.Response | None:
        """The raw HTTP response of the most recent request."""
        return self._client.last_response


class TaskClientBase(ClientBase):
    """Base of clients whose API has long-running tasks."""

    def resume_task(self, token: str, *, version: int = 0) -> Task[JsonValue]:
        """A handle on a long-running task started earlier (for instance in another process)."""
        return resume(self._client, token, version=version)
