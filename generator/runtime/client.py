"""The runtime half of every generated client: encode the call, send it (``transport``), decode
the answer (``decoding``), and drive long-running tasks (it is their ``TaskBackend``)."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import IO, Any, ClassVar, Self, TypeVar, cast

import requests

from .arguments import ArgumentValueError
from .builtin_types import BUILTIN_TYPES
from .codec import JsonValue, decode_xml
from .decoding import Decoder
from .descriptors import ApiDescription, LongRunning, Operation
from .encoding import build_request
from .errors import ApiError, ErrorTable, LimitExceeded, LocalFileError
from .files import Download, FileTarget
from .options import CALL_OPTIONS_KEY, CallOptions
from .pagination import PAGINATION_STYLES, Next, Page, items_of, more_after, same_origin_link
from .policy import (
    Limits,
    PollPacer,
    base_url_problem,
    collect,
    header_problem,
    url_setting_problem,
)
from .results import BinaryResult
from .status import Status, StatusCallback
from .tasks import LONG_RUNNING_PROTOCOLS, Task, resumed
from .transport import RetryPolicy, Sent, Transport, responses_seen
from .xml import ChunkReader, iter_elements, looks_like_xml

T = TypeVar("T")
_SNIFF = 256  # bytes looked at to tell the vendor's XML status document from the file


def _head(pieces: Iterator[bytes], size: int) -> bytes:
    """The first ``size`` bytes of ``pieces`` (fewer at the end of the answer)."""
    head = b""
    while len(head) < size:
        piece = next(pieces, None)
        if piece is None:
            break
        head += piece
    return head


class Client:
    """Runtime half of a generated client; the generated class passes its options through."""

    def __init__(
        self,
        api: ApiDescription,
        *,
        base_url: str,
        credentials: tuple[str, ...] | None = None,  # (user, password) or (token,)
        connect_timeout: float,
        read_timeout: float,
        timeout: float,
        max_answer_bytes: int,
        max_item_bytes: int,
        max_inflation: float,
        verify_tls: bool,
        ca_bundle: str | None,
        retry_attempts: int,
        retry_backoff: float,
        session: requests.Session | None,
        log_level: int | str | None,
        wait_time: int = 1000,
        status_callback: StatusCallback | None = None,
        auto_handle_token: bool = True,
        poll_interval: float = 0.25,
    ) -> None:
        problem = base_url_problem(base_url)
        if problem is not None:
            raise ArgumentValueError(f"{api.name}: the server URL: {problem}")
        if credentials is not None:
            problem = api.auth.credentials_problem(credentials)
            if problem is not None:
                raise ArgumentValueError(f"{api.name}: {problem}")
        self.api = api
        self.wait_time_ms = wait_time
        self.status_callback = status_callback
        self.auto_handle_token = auto_handle_token
        self.poll_interval = poll_interval
        self.log = logging.getLogger(f"generated.{api.name}")
        if log_level is not None:
            self.log.setLevel(log_level)
        self._credentials = credentials
        self.limits = Limits(max_answer_bytes, max_item_bytes, max_inflation)
        self.transport = Transport(
            api.errors,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            timeout=timeout,
            limits=self.limits,
            verify_tls=verify_tls,
            ca_bundle=ca_bundle,
            retry=RetryPolicy(
                retry_attempts,
                retry_backoff,
                tuple(api.transport.retry_statuses),
                api.transport.retry_after_max,
            ),
            session=session,
            user_agent=f"specgen-{api.name}",
            log=self.log,
        )
        self.decoder = Decoder(api)

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    @property
    def last_response(self) -> requests.Response | None:
        return self.transport.last_response

    def close(self) -> None:
        self.transport.close()

    # -- calls -----------------------------------------------------------------------------------
    def send(
        self,
        op: Operation[Any],
        args: Mapping[str, Any],
        *,
        stream: bool = False,
        hold: float = 0.0,
        url: str | None = None,
    ) -> Sent:
        """Build and send the request; raise on an HTTP status the operation does not accept.
        ``hold``: seconds the server may keep the request open on purpose (a long poll), allowed
        on top of the read timeout and the deadline; ``url``: the vendor's own URL for it (a
        next page). Unless ``stream``, the answer's body has been read."""
        wire = build_request(self.api, op, args, self._credentials)
        wire.url = url
        options: CallOptions | None = args.get(CALL_OPTIONS_KEY)
        if options is not None:
            wire.headers.update(options.extra_headers or {})
            wire.query.extend((options.extra_query or {}).items())
        echo_header = self.api.envelope.echo_header
        if echo_header and self.decoder.echo_value:
            wire.headers[echo_header] = self.decoder.echo_value
            wire.secrets.append(self.decoder.echo_value)
        for name, value in wire.headers.items():
            problem = header_problem(name, value)
            if problem is not None:
                raise ArgumentValueError(f"{op.name}(): {problem}")
        sent = self.transport.send(
            op, wire, stream=stream, hold=hold, timeout=options.timeout if options else None
        )
        if not self.decoder.accepted(op, sent.response.status_code):
            if stream:
                self.transport.read_body(op, sent)
            raise self.decoder.http_error(op, sent.response, sent.attempts)
        return sent

    def call(self, op: Operation[T], args: Mapping[str, Any]) -> T:
        """Send one operation and return its decoded result; long-running answers are polled to
        the end (with the client's wait time and status callback)."""
        result = self.decoder.decode(op, self.send(op, args).response)
        if isinstance(result, Status):
            if op.result.kind == "status":
                return cast(T, result)  # status/cancel calls hand back the envelope itself
            if result.running:
                return self.task_for(op, result).wait()
            return cast(T, self.decoder.final_result(op, result))
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
        status = self.decoder.decode(op, self.send(op, args).response)
        if not isinstance(status, Status):
            raise TypeError(f"{op.wire_name} is not decoded as a status envelope")
        return self.task_for(op, status, wait_time_ms=wait_time_ms, status_callback=status_callback)

    def settle(self, task: Task[T], auto_handle_token: bool | None) -> T | Task[T]:
        """Wait for ``task`` when token handling is automatic (per call, else per client)."""
        automatic = self.auto_handle_token if auto_handle_token is None else auto_handle_token
        return task.wait() if automatic else task

    def paginate(
        self, op: Operation[Any], args: Mapping[str, Any], max_items: int | None = None
    ) -> Iterator[Any]:
        """Every item of every page, fetching the next page only when the items of this one
        are used up (and none after ``max_items``). Each page is a call of its own: the
        deadline applies to each. The style (``PAGINATION_STYLES``) says what comes next."""
        paging = op.pagination
        assert paging is not None, f"{op.wire_name} declares no pagination"
        style = PAGINATION_STYLES[paging.style]
        request: Next | None = Next(style.first(paging, dict(args)))
        yielded = 0
        walked: set[str] = set()
        while request is not None and (max_items is None or yielded < max_items):
            response = self.send(op, request.args, url=request.url).response
            answer = self.decoder.decode(op, response)
            if isinstance(answer, Status):  # an envelope: its result is the page
                answer = self.decoder.final_result(op, answer)
            with self.decoder.package_errors():
                items = items_of(paging, op, answer)
            if items is None:
                return
            for item in items:
                if max_items is not None and yielded >= max_items:
                    return
                yield item
                yielded += 1
            page = Page(answer, items, response.links, response.url or self.base_url)
            if not more_after(paging, page):
                return
            with self.decoder.package_errors():
                request = style.next(paging, op, page, request, walked)
                if request is not None and request.url is not None:
                    same_origin_link(op, request.url, self.transport.origin, self.base_url)

    @property
    def errors(self) -> ErrorTable:
        return self.api.errors

    def iterate(self, op: Operation[Any], args: Mapping[str, Any]) -> Iterator[Any]:
        """Decode and yield the items at the operation's ``stream_items`` path one by one while
        the XML answer is still arriving; the vendor status is checked before the first item
        and at the end. The call's deadline does not run while an item is in the caller's
        hands."""
        assert op.stream_item is not None, f"{op.wire_name} declares no streamed items"
        sent = self.send(op, args, stream=True)
        response, deadline = sent.response, sent.deadline
        clock = time.monotonic
        xml = self.api.xml
        decoder = self.decoder
        seen: dict[str, str] = {}
        checked = False
        try:
            body = ChunkReader(self.transport.body(op, sent))
            watch = tuple(
                name for name in (xml.status_element, xml.message_element, xml.code_element) if name
            )
            events = iter_elements(
                cast(IO[bytes], body),
                op.stream_items,
                watch=watch,
                expect_root=decoder.expected_root(op),
                max_item_bytes=self.limits.max_item_bytes,
            )
            with decoder.package_errors():
                for tag, element in events:
                    if tag != "item":
                        seen[tag] = element.text or ""
                        continue
                    if not checked and xml.status_element in seen:
                        # a status before the items is checked before the first one; one after
                        # them (accepted as list_pdf accepts it) at the end
                        decoder.check_streamed_status(op, seen, response.status_code)
                        checked = True
                    item = decode_xml(op.stream_item, element)
                    handed = clock()
                    yield item
                    deadline.held += clock() - handed
            decoder.check_streamed_status(op, seen, response.status_code)
        finally:
            response.close()

    def download(
        self, op: Operation[BinaryResult], args: Mapping[str, Any], save_to: FileTarget | None
    ) -> BinaryResult:
        """A binary-or-XML answer. With ``save_to`` the file is streamed to a path (a new file
        beside it, renamed over it once complete) or a binary file object, never held in
        memory; the path's folder is checked before the request is sent."""
        if save_to is None:
            return self.call(op, args)
        try:
            target = Download(save_to)
        except LocalFileError as exc:
            raise self.errors.adopt(exc, op.wire_name) from None
        try:
            sent = self.send(op, args, stream=True)
            response = sent.response
            try:
                pieces = self.transport.body(op, sent, whole=True)
                head = _head(pieces, _SNIFF)
                content_type = response.headers.get("Content-Type", "")
                if not head:
                    raise self.decoder.empty_answer(op)
                if "xml" in content_type or looks_like_xml(head):
                    document = collect(pieces, self.limits.max_answer_bytes, already=len(head))
                    return self.decoder.status_instead_of_file(
                        op, head + document, response.status_code
                    )
                size = target.write(itertools.chain((head,), pieces))
                saved_to = target.commit()
            finally:
                response.close()
        except (LocalFileError, LimitExceeded) as exc:
            raise self.errors.adopt(exc, op.wire_name) from None
        finally:
            target.discard()
        return BinaryResult(
            has_file=True,
            content=None,
            content_type=content_type or None,
            size=size,
            saved_to=saved_to,
            errors=self.errors,
        )

    # -- long-running tasks (the TaskBackend protocol) -------------------------------------------
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
            pacer=self.pacer(),
        )

    def pacer(self) -> PollPacer:
        """How a task's polls are spaced: the client's ``poll_interval`` at least, backing off
        to the spec's maximum while the server answers at once with nothing new."""
        lr = self._long_running()
        return PollPacer(self.poll_interval, max(self.poll_interval, lr.poll_interval_max))

    def poll_status(self, token: str, version: int, wait_time_ms: int) -> Status:
        lr = self._long_running()
        op = self.api.operation(lr.status_operation)
        args = LONG_RUNNING_PROTOCOLS[lr.protocol].poll_args(lr, token, version, wait_time_ms)
        status = self.decoder.decode(op, self.send(op, args, hold=wait_time_ms / 1000).response)
        if not isinstance(status, Status):
            raise TypeError(f"{op.wire_name} is not decoded as a status")
        return status

    def cancel_task(self, token: str) -> None:
        lr = self._long_running()
        args = LONG_RUNNING_PROTOCOLS[lr.protocol].cancel_args(lr, token)
        self.send(self.api.operation(lr.cancel_operation), args).response.close()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def task_result(self, op: Operation[T], status: Status) -> T:
        return cast(T, self.decoder.final_result(op, status))

    def task_error(self, kind: str, message: str, *, token: str | None, seconds: float) -> ApiError:
        errors = self.api.errors
        if kind == "timeout":
            return errors.task_timeout(message, token=token, seconds=seconds)
        return errors.decode(message)

    def resume(self, token: str, *, version: int = 0) -> Task[JsonValue]:
        lr = self._long_running()
        running = self.api.envelope.running
        return resumed(
            self,
            self.api.operation(lr.status_operation),
            token,
            running_code=running[0] if running else "running",
            version=version,
            wait_time_ms=self.wait_time_ms,
            status_callback=self.status_callback,
            pacer=self.pacer(),
        )

    def _long_running(self) -> LongRunning:
        if self.api.long_running is None:
            raise TypeError(f"{self.api.name} declares no long-running protocol")
        return self.api.long_running


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


def env_name(api: ApiDescription, setting: str) -> str:
    """``<API>_<SETTING>``: where the client and the command line look for a setting."""
    return f"{api.name}_{setting}".upper()


def settings_from_env(api: ApiDescription, environ: Mapping[str, str]) -> dict[str, Any]:
    """Constructor arguments found in ``environ``: every setting (converted to its type), the
    environment and the base URL."""
    found: dict[str, Any] = {}
    for setting in api.settings:
        text = environ.get(env_name(api, setting.name))
        if text is not None:
            try:
                found[setting.name] = BUILTIN_TYPES[setting.type].from_text(text, None)
            except ValueError as exc:
                raise ArgumentValueError(f"${env_name(api, setting.name)}: {exc}") from None
    for option in ("environment", "base_url"):
        text = environ.get(env_name(api, option))
        if text and (option != "environment" or api.server.environments):
            found[option] = text
    return found


class ClientBase:
    """What every generated client class inherits: lifecycle, raw response access, resumption."""

    _api: ClassVar[ApiDescription]
    _client: Client

    @classmethod
    def from_env(cls, **arguments: Any) -> Self:
        """A client whose settings come from ``<API>_<SETTING>`` environment variables (as on the
        command line), e.g. ``LLEIDA_MAILCERT_PASSWORD``; ``arguments`` win over them."""
        import os

        found = {**settings_from_env(cls._api, os.environ), **arguments}
        missing = [s.name for s in cls._api.settings if s.required and s.name not in found]
        if missing:
            names = ", ".join(f"${env_name(cls._api, name)}" for name in missing)
            raise ArgumentValueError(f"{cls.__name__}.from_env(): set {names} or pass them")
        return cls(**found)

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
        """The raw HTTP response of the most recent request (of any thread)."""
        return self._client.last_response

    def raw_responses(self) -> AbstractContextManager[list[requests.Response]]:
        """The raw HTTP responses of the calls made inside the block, in order (each retry and
        page included; calls of other threads are not seen), beside their typed results::

            with client.raw_responses() as seen:
                job = client.get_job(job_id)
            seen[-1].headers, seen[-1].status_code, seen[-1].content
        """
        return responses_seen()


class TaskClientBase(ClientBase):
    """Base of clients whose API has long-running tasks."""

    def resume_task(self, token: str, *, version: int = 0) -> Task[JsonValue]:
        """A handle on a long-running task started earlier (for instance in another process)."""
        return self._client.resume(token, version=version)
