"""Every decision of a client's calls, as flows without I/O (``exchange``): build the request
(auth included), send it through the transport policy, accept or refuse the HTTP status, decode
the answer (held or streamed), walk pages, start and follow long-running tasks, save a file.
The sync client (``client.Client``) drives these flows over a transport; nothing here waits,
sleeps or touches a socket."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any, TypeVar, cast

from .answer import Answer
from .arguments import ArgumentValueError
from .auth import Auth
from .codec import JSON, JsonValue, xml_decoder
from .data import OperationRef
from .decoding import Decoder
from .descriptors import ApiDescription, LongRunning, Operation
from .encoding import WireRequest, build_request
from .errors import ApiError, ErrorTable, LimitExceeded, LocalFileError
from .exchange import (
    Body,
    Exchange,
    Flow,
    Items,
    Local,
    Release,
    RetryPolicy,
    Sent,
    Wait,
    replayable,
)
from .files import Download, FileTarget
from .hooks import CallInfo, Hooks, joined
from .options import CALL_OPTIONS, CALL_OPTIONS_KEY, CallOptions, call_options
from .pagination import PAGINATION_STYLES, Next, Page, items_of, more_after, same_origin_link
from .policy import Deadline, Limits, PollPacer, base_url_problem, collect, mask
from .results import BinaryResult
from .status import Status, StatusCallback
from .tasks import LONG_RUNNING_PROTOCOLS, Task, TaskState, resumed
from .xml import ElementStream, looks_like_xml

T = TypeVar("T")
# What an auth's own requests (a token request) are sent as: safe to repeat, answered in JSON.
_AUTH_REQUEST: Operation[Any] = Operation(
    name="auth",
    wire_name="auth request",
    method="POST",
    path="",
    params=(),
    result=JSON,
    encoding="form",
    decoding="json",
    safe=True,
)
_SNIFF = 256  # bytes looked at to tell the vendor's XML status document from the file


def named_servers(api: ApiDescription, moved: Mapping[str, str] | None) -> dict[str, str]:
    """The URLs of the spec's named servers, as the client's ``servers=`` moves them (each
    checked as the base URL is; a name the spec does not declare is refused)."""
    unknown = sorted(set(moved or {}) - set(api.server.named))
    if unknown:
        declared = ", ".join(api.server.named) or "none"
        raise ArgumentValueError(
            f"{api.name}: servers: {', '.join(map(repr, unknown))} is not a named server "
            f"(declared: {declared})"
        )
    urls = {**api.server.named, **(moved or {})}
    for name, url in urls.items():
        problem = base_url_problem(url)
        if problem is not None:
            raise ArgumentValueError(f"{api.name}: server {name!r}: {problem}")
    return {name: url.rstrip("/") for name, url in urls.items()}


def call_arguments(op: Operation[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A call's arguments by wire name, from a generated method's own (``locals()``: its
    parameters by Python name, the call options, the client as ``self``); a parameter left
    out takes the client setting it defaults to."""
    options = call_options(*(values.get(name) for name in CALL_OPTIONS["always"]))
    arguments: dict[str, Any] = {CALL_OPTIONS_KEY: options}
    for param in op.params:
        if param.const is not None:
            continue  # sent as the spec says: the method has no argument for it
        value = values[param.name]
        if value is None and param.client_default is not None:
            value = getattr(values["self"], param.client_default)
        arguments[param.wire] = value
    return arguments


class Calls:
    """The calls of one API with one client's options and credentials."""

    def __init__(
        self,
        api: ApiDescription,
        *,
        package: str | None = None,  # the generated package (its logger's name)
        base_url: str,
        credentials: tuple[Any, ...] | None = None,  # the settings the spec's scheme uses
        auth: Auth | None = None,  # the caller's own, instead of the spec's scheme
        connect_timeout: float,
        read_timeout: float,
        timeout: float,
        max_answer_bytes: int,
        max_item_bytes: int,
        max_inflation: float,
        retry_attempts: int,
        retry_backoff: float,
        verify_tls: bool,
        ca_bundle: str | None,
        session: Any,  # the driver's own kind: a requests.Session, an httpx.AsyncClient
        log_level: int | str | None,
        transport: Any = None,  # what moves the bytes instead (a MemoryTransport)
        wait_time: int = 1000,
        status_callback: StatusCallback | None = None,
        auto_handle_token: bool = True,
        poll_interval: float = 0.25,
        hooks: Hooks | None = None,
        servers: Mapping[str, str] | None = None,  # named servers moved (by name)
    ) -> None:
        problem = base_url_problem(base_url)
        if problem is not None:
            raise ArgumentValueError(f"{api.name}: the server URL: {problem}")
        self.servers = named_servers(api, servers)
        if transport is not None and session is not None:
            raise ArgumentValueError(
                f"{api.name}: pass a session or a transport, not both (the transport has its own)"
            )
        if credentials is not None and auth is None:
            problem = api.auth.credentials_problem(credentials)
            if problem is not None:
                raise ArgumentValueError(f"{api.name}: {problem}")
            auth = api.auth.bind(credentials, self.servers)
        self.api = api
        self.transport = self.connect(
            session, transport, verify_tls=verify_tls, ca_bundle=ca_bundle
        )
        headers = self.transport.default_headers(f"specgen-{api.name}")
        self.wait_time_ms = wait_time
        self.status_callback = status_callback
        self.auto_handle_token = auto_handle_token
        self.poll_interval = poll_interval
        self.log = logging.getLogger(package or f"generated.{api.name}")
        if log_level is not None:
            self.log.setLevel(log_level)
        self.auth = auth  # the spec's scheme with the client's credentials, or the caller's
        self.hooks = hooks
        self.limits = Limits(max_answer_bytes, max_item_bytes, max_inflation)
        self.exchange = Exchange(
            api.errors,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            timeout=timeout,
            limits=self.limits,
            retry=RetryPolicy(
                retry_attempts,
                retry_backoff,
                tuple(api.transport.retry_statuses),
                api.transport.retry_after_max,
            ),
            headers=headers,
            log=self.log,
            named_servers=self.servers.values(),
        )
        self.decoder = Decoder(api)

    def connect(
        self, session: Any, transport: Any, *, verify_tls: bool, ca_bundle: str | None
    ) -> Any:
        """The driver's transport: the one given, else its own over ``session``."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return self.exchange.base_url

    def server_url(self, op: Operation[Any]) -> str:
        """Where ``op`` is sent: the API's server, or the named one it says."""
        return self.exchange.base_url if op.server is None else self.servers[op.server]

    @property
    def errors(self) -> ErrorTable:
        return self.api.errors

    # -- one exchange --------------------------------------------------------------------------
    def send_flow(
        self,
        op: Operation[Any],
        args: Mapping[str, Any],
        *,
        stream: bool = False,
        hold: float = 0.0,
        url: str | None = None,
        read: Callable[[Answer, Deadline], Flow[None]] | None = None,
    ) -> Flow[Sent]:
        """Build and send the request; raise on an HTTP status the operation does not accept.
        ``hold``: seconds the server may keep the request open on purpose (a long poll), allowed
        on top of the read timeout and the deadline; ``url``: the vendor's own URL for it (a
        next page). Unless ``stream``, the answer's body has been read (by ``read``: see
        ``Exchange.send``)."""
        auth = self.auth if op.sends_credentials else None
        wire = build_request(self.api, op, args, auth)
        wire.url = url
        wire.base_url = self.server_url(op)
        options: CallOptions | None = args.get(CALL_OPTIONS_KEY)
        if options is not None:
            wire.headers.update(options.extra_headers or {})
            wire.query.extend((options.extra_query or {}).items())
        echo_header = self.api.envelope.echo_header
        if echo_header and self.decoder.echo_value:
            wire.headers[echo_header] = self.decoder.echo_value
            wire.secrets.append(self.decoder.echo_value)
        if auth is not None and type(auth).auth_flow is Auth.auth_flow:
            auth.prepare(wire)  # the default flow: prepare and send, nothing more
            auth = None
        hooks = joined(self.hooks, options.hooks if options else None)
        if hooks is None or not hooks.call:
            sent = yield from self._exchange(op, wire, auth, stream, hold, options, hooks, read)
        else:
            with ExitStack() as spans:  # the caller's context around the whole exchange
                info = CallInfo(op.name, op.wire_name, wire.method, self._shown_url(wire))
                for enter in hooks.call:
                    spans.enter_context(enter(info))
                sent = yield from self._exchange(op, wire, auth, stream, hold, options, hooks, read)
        if not self.decoder.accepted(op, sent.answer.status):
            if stream:
                yield from self.exchange.read_error_body(sent)
            raise self.decoder.http_error(op, sent.answer, sent.attempts)
        return sent

    def _exchange(
        self,
        op: Operation[Any],
        wire: WireRequest,
        auth: Auth | None,
        stream: bool,
        hold: float,
        options: CallOptions | None,
        hooks: Hooks | None,
        read: Callable[[Answer, Deadline], Flow[None]] | None = None,
    ) -> Flow[Sent]:
        timeout = options.timeout if options else None
        retries = options.retries if options else None
        if auth is None:
            return (
                yield from self.exchange.send(
                    op,
                    wire,
                    stream=stream,
                    hold=hold,
                    timeout=timeout,
                    retries=retries,
                    hooks=hooks,
                    read=read,
                )
            )
        return (
            yield from self._authenticated(
                op, wire, auth, stream, hold, timeout, retries, hooks, read
            )
        )

    def _shown_url(self, wire: WireRequest) -> str:
        """Where a request goes, as a hook may record it: its secrets masked."""
        try:
            return mask(wire.full_url(), wire.secrets)
        except UnicodeEncodeError:  # refused when sent, with the reason
            return wire.base_url + wire.path

    def _authenticated(
        self,
        op: Operation[Any],
        wire: WireRequest,
        auth: Auth,
        stream: bool,
        hold: float,
        timeout: float | None,
        retries: int | None,
        hooks: Hooks | None,
        read: Callable[[Answer, Deadline], Flow[None]] | None = None,
    ) -> Flow[Sent]:
        """Send ``wire`` as the auth's flow says: the requests it yields are sent (its own, a
        token request, too) and their answers handed back; the request itself may be sent
        once more (after a 401), if its body can be sent again. All within one deadline."""
        deadline = self.exchange.deadline(timeout, hold)
        flow = auth.auth_flow(wire)
        sent: Sent | None = None
        resent = False
        try:
            step = next(flow)
            while True:
                reply: Answer | None = None
                if isinstance(step, Wait):
                    yield step
                elif step is wire:
                    if sent is not None:  # the request again (after a 401): once, if it can be
                        if resent or not replayable(wire.body):
                            break
                        resent = True
                        if not sent.answer.held:
                            yield Release(sent.answer)
                    sent = yield from self.exchange.send(
                        op,
                        wire,
                        stream=stream,
                        hold=hold,
                        deadline=deadline,
                        retries=retries,
                        hooks=hooks,
                        read=read,
                    )
                    reply = sent.answer
                else:  # the auth's own request (a token request)
                    own = yield from self.exchange.send(
                        _AUTH_REQUEST, step, deadline=deadline, hooks=hooks
                    )
                    reply = own.answer
                step = flow.send(reply)
        except StopIteration:
            pass
        except ApiError as exc:
            raise self.errors.adopt(exc, op.wire_name) from None
        finally:
            flow.close()
        if sent is None:
            raise TypeError(f"{op.wire_name}: the auth flow ended without sending the request")
        return sent

    # -- what the generated methods call: the flow of each, from the method's own arguments --
    # (``locals()``: the parameters by Python name, the call options, the client as ``self``);
    # the sync and the async client drive them.
    def call_of(self, op: OperationRef[T], values: Mapping[str, Any]) -> Flow[T]:
        operation = op.operation
        return self.call_flow(operation, call_arguments(operation, values))

    def begin_of(self, op: OperationRef[T], values: Mapping[str, Any]) -> Flow[TaskState[T]]:
        operation = op.operation
        return self.start_flow(
            operation,
            call_arguments(operation, values),
            wait_time_ms=values.get("wait_time"),
            status_callback=values.get("status_callback"),
        )

    def pages_of(self, op: OperationRef[Any], values: Mapping[str, Any]) -> Flow[None]:
        operation = op.operation
        arguments = call_arguments(operation, values)
        return self.pages_flow(operation, arguments, values.get("max_items"))

    def items_of(self, op: OperationRef[Any], values: Mapping[str, Any]) -> Flow[None]:
        operation = op.operation
        return self.items_flow(operation, call_arguments(operation, values))

    def download_of(
        self, op: OperationRef[BinaryResult], values: Mapping[str, Any]
    ) -> Flow[BinaryResult]:
        operation = op.operation
        arguments = call_arguments(operation, values)
        return self.download_flow(operation, arguments, values.get("save_to"))

    def automatic(self, values: Mapping[str, Any]) -> bool:
        """Whether a long-running call waits for its task's end: the call's
        ``auto_handle_token``, else the client's."""
        given = values.get("auto_handle_token")
        return self.auto_handle_token if given is None else bool(given)

    # -- calls ---------------------------------------------------------------------------------
    def call_flow(self, op: Operation[T], args: Mapping[str, Any]) -> Flow[T]:
        """Send one operation and return its decoded result; long-running answers are polled to
        the end (with the client's wait time and status callback)."""
        reading = Reading(self, op)
        sent = yield from self.send_flow(op, args, read=reading)
        result = reading.result(sent.answer)
        if isinstance(result, Status):
            if op.result.kind == "status":
                return cast(T, result)  # status/cancel calls hand back the envelope itself
            if result.running:
                return (yield from self.task_for(op, result).wait_flow())
            return cast(T, self.decoder.final_result(op, result))
        return cast(T, result)

    def start_flow(
        self,
        op: Operation[T],
        args: Mapping[str, Any],
        *,
        wait_time_ms: int | None = None,
        status_callback: StatusCallback | None = None,
    ) -> Flow[TaskState[T]]:
        """Start a long-running operation and return its task handle without waiting."""
        sent = yield from self.send_flow(op, args)
        status = self.decoder.decode(op, sent.answer)
        if not isinstance(status, Status):
            raise TypeError(f"{op.wire_name} is not decoded as a status envelope")
        return self.task_for(op, status, wait_time_ms=wait_time_ms, status_callback=status_callback)

    def pages_flow(
        self, op: Operation[Any], args: Mapping[str, Any], max_items: int | None = None
    ) -> Flow[None]:
        """Every item of every page, fetching the next page only when the items of this one
        are used up (and none after ``max_items``). Each page is a call of its own: the
        deadline applies to each. The style (``PAGINATION_STYLES``) says what comes next."""
        paging = op.pagination
        assert paging is not None, f"{op.wire_name} declares no pagination"
        style = PAGINATION_STYLES[paging.style]
        request: Next | None = Next(dict(args))  # the first page: the caller's arguments only
        yielded = 0
        walked: set[str] = set()
        while request is not None and (max_items is None or yielded < max_items):
            reading = Reading(self, op)
            sent = yield from self.send_flow(op, request.args, url=request.url, read=reading)
            answer = sent.answer
            decoded = reading.result(answer)
            if isinstance(decoded, Status):  # an envelope: its result is the page
                decoded = self.decoder.final_result(op, decoded)
            with self.decoder.package_errors():
                items = items_of(paging, op, decoded)
            if items is None:
                return
            handed = items if max_items is None else items[: max_items - yielded]
            if handed:
                yield Items(handed)
                yielded += len(handed)
            if max_items is not None and yielded >= max_items:
                return
            page = Page(decoded, items, answer.links, answer.url or self.server_url(op))
            if not more_after(paging, page):
                return
            with self.decoder.package_errors():
                request = style.next(paging, op, page, request, walked)
                if request is not None and request.url is not None:
                    same_origin_link(op, request.url, self.server_url(op))

    def items_flow(self, op: Operation[Any], args: Mapping[str, Any]) -> Flow[None]:
        """Decode and yield the items at the operation's ``stream_items`` path while the XML
        answer is still arriving (those each piece of it completes, together); the vendor
        status is checked before the first item and at the end. The call's deadline does not
        run while items are in the caller's hands."""
        assert op.stream_item is not None, f"{op.wire_name} declares no streamed items"
        sent = yield from self.send_flow(op, args, stream=True)
        answer, deadline = sent.answer, sent.deadline
        clock = time.monotonic
        xml = self.api.xml
        decoder = self.decoder
        seen: dict[str, str] = {}
        checked = False
        body = self.exchange.streamed(op, sent)
        decode = xml_decoder(op.stream_item)
        errors = self.errors
        watch = tuple(
            name for name in (xml.status_element, xml.message_element, xml.code_element) if name
        )
        elements = ElementStream(
            [op.stream_items],
            watch=watch,
            check_root=lambda tag: decoder.check_root(op, tag),
            max_item_bytes=self.limits.max_item_bytes,
        )
        while True:
            pieces = yield from body.next()
            with decoder.package_errors():
                steps = [elements.close()] if pieces is None else elements.steps(pieces)
                for events in steps:
                    for tag, payload in events:
                        if tag != "item":
                            seen[tag] = payload.text or ""
                            continue
                        if not checked and xml.status_element in seen:
                            # a status before the items is checked before the first one; one
                            # after them (accepted as list_pdf accepts it) at the end
                            decoder.check_streamed_status(op, seen, answer.status)
                            checked = True
                        handed = clock()
                        yield Items(map(decode, payload), errors)  # decoded as taken
                        deadline.held += clock() - handed
            if pieces is None:
                break
        yield Release(answer)
        decoder.check_streamed_status(op, seen, answer.status)

    def download_flow(
        self, op: Operation[BinaryResult], args: Mapping[str, Any], save_to: FileTarget | None
    ) -> Flow[BinaryResult]:
        """A binary-or-XML answer. With ``save_to`` the file is streamed to a path (a new file
        beside it, renamed over it once complete) or a binary file object, never held in
        memory; the path's folder is checked before the request is sent."""
        if save_to is None:
            return (yield from self.call_flow(op, args))
        try:
            target: Download = yield Local(Download, save_to)
        except LocalFileError as exc:
            raise self.errors.adopt(exc, op.wire_name) from None
        try:
            sent = yield from self.send_flow(op, args, stream=True)
            answer = sent.answer
            body = self.exchange.streamed(op, sent, whole=True)
            head = b""
            while len(head) < _SNIFF and (pieces := (yield from body.next())) is not None:
                head += b"".join(pieces)
            content_type = answer.headers.get("Content-Type", "")
            if not head:
                raise self.decoder.empty_answer(op)
            if "xml" in content_type or looks_like_xml(head):
                document = yield from self._rest(body, len(head))
                yield Release(answer)
                return self.decoder.status_instead_of_file(op, head + document, answer.status)
            size: int = yield Local(target.write, (head,))
            while (pieces := (yield from body.next())) is not None:
                size += yield Local(target.write, pieces)
            saved_to: str | None = yield Local(target.commit)
            yield Release(answer)
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

    def _rest(self, body: Body, already: int) -> Flow[bytes]:
        """The rest of a streamed body, joined (a status document, bounded like a held one)."""
        parts: list[bytes] = []
        while (pieces := (yield from body.next())) is not None:
            parts.append(collect(pieces, self.limits.max_answer_bytes, already=already))
            already += len(parts[-1])
        return b"".join(parts)

    # -- long-running tasks --------------------------------------------------------------------
    def task_for(
        self,
        op: Operation[T],
        status: Status,
        *,
        wait_time_ms: int | None = None,
        status_callback: StatusCallback | None = None,
    ) -> TaskState[T]:
        if self.api.long_running is None:
            raise TypeError(f"{self.api.name} declares no long-running protocol")
        return self.task_class(
            self.task_backend(),
            op,
            status,
            wait_time_ms=self.wait_time_ms if wait_time_ms is None else wait_time_ms,
            status_callback=status_callback or self.status_callback,
            pacer=self.pacer(),
        )

    # the handle of a long-running task: ``Task`` for the sync client, ``AsyncTask`` for async
    task_class: type[TaskState[Any]] = Task

    def task_backend(self) -> Any:
        """What a task runs its flows with (the driving client)."""
        raise NotImplementedError

    def pacer(self) -> PollPacer:
        """How a task's polls are spaced: the client's ``poll_interval`` at least, backing off
        to the spec's maximum while the server answers at once with nothing new."""
        lr = self._long_running()
        return PollPacer(self.poll_interval, max(self.poll_interval, lr.poll_interval_max))

    def poll_flow(self, token: str, version: int, wait_time_ms: int) -> Flow[Status]:
        lr = self._long_running()
        op = self.api.operation(lr.status_operation)
        args = LONG_RUNNING_PROTOCOLS[lr.protocol].poll_args(lr, token, version, wait_time_ms)
        sent = yield from self.send_flow(op, args, hold=wait_time_ms / 1000)
        status = self.decoder.decode(op, sent.answer)
        if not isinstance(status, Status):
            raise TypeError(f"{op.wire_name} is not decoded as a status")
        return status

    def cancel_flow(self, token: str) -> Flow[None]:
        lr = self._long_running()
        args = LONG_RUNNING_PROTOCOLS[lr.protocol].cancel_args(lr, token)
        yield from self.send_flow(self.api.operation(lr.cancel_operation), args)

    def task_result(self, op: Operation[T], status: Status) -> T:
        return cast(T, self.decoder.final_result(op, status))

    def task_error(self, kind: str, message: str, *, token: str | None, seconds: float) -> ApiError:
        errors = self.api.errors
        if kind == "timeout":
            return errors.task_timeout(message, token=token, seconds=seconds)
        return errors.decode(message)

    def resume(self, token: str, *, version: int = 0) -> TaskState[JsonValue]:
        lr = self._long_running()
        running = self.api.envelope.running
        return resumed(
            self.task_class,
            self.task_backend(),
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


class Reading:
    """How the body of a plain call's answer is read (``Exchange.send``'s ``read``): an answer
    the operation accepts, in a decoding that can decode as it arrives (XML), is decoded while
    it is read, so that neither its body nor its whole tree is held beside the result; any
    other is held whole, then decoded by ``result``."""

    __slots__ = ("calls", "op", "decoded", "answer")

    def __init__(self, calls: Calls, op: Operation[Any]) -> None:
        self.calls = calls
        self.op = op
        self.decoded: Any = None
        self.answer: Answer | None = None  # the answer ``decoded`` was read from

    def __call__(self, answer: Answer, deadline: Deadline) -> Flow[None]:
        decoder, exchange = self.calls.decoder, self.calls.exchange
        accepted = decoder.accepted(self.op, answer.status)
        reader = decoder.reader(self.op, answer) if accepted else None
        if reader is None:
            yield from exchange.hold(answer, deadline)
            return
        yield from exchange.read_into(answer, deadline, reader.feed)
        self.decoded, self.answer = reader.close(), answer

    def result(self, answer: Answer) -> Any:
        """The decoded result of ``answer`` (the one ``send`` returned)."""
        if answer is self.answer:
            return self.decoded
        return self.calls.decoder.decode(self.op, answer)
