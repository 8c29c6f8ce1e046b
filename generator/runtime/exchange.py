"""One call's exchanges with the server, as steps without I/O: every decision the transport
policy makes (the first request, redirects, retries and their waits, the deadline, body limits,
the package's error for a network failure) is taken here, and what needs the network is asked
of a transport as an action.

A *flow* is a generator: it yields actions (``Send``, ``Read``, ``Release``, ``Wait``, and from
the layers above ``Poll``, ``Cancel`` and ``Items``), receives what each brought (an ``Answer``,
bytes, a status) and returns its result. A driver performs the actions: the sync client over
requests (or a test transport answering from memory), the async client (``aio``) over httpx,
awaiting the same actions. A transport raises ``NetworkFailure`` (thrown into the flow) when the
network fails an action, and never decides anything.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import random
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlsplit

from .answer import Answer
from .arguments import ArgumentValueError
from .descriptors import Operation
from .encoding import WireRequest
from .errors import ApiError, ErrorTable, LocalFileError
from .hooks import Hooks, RequestInfo, ResponseInfo, RetryInfo
from .policy import (
    ACCEPT_ENCODING,
    BodyDecoder,
    Deadline,
    Hop,
    Limits,
    Origin,
    answer_too_large,
    header_problem,
    mask,
    next_hop,
    origin_of,
)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
# An answer decoded as it is read keeps its body too while it is no larger than this.
KEPT_BYTES = 1 << 20


# -- actions ------------------------------------------------------------------------------------


class Action:
    """Base of the actions: plain slotted classes (cheaper to define than named tuples, and
    import time is measured), equal when their fields are."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Send(Action):
    """Send one request; the answer is the ``Answer`` whose headers arrived (its body unread).
    ``bare``: nothing of the transport's own (session auth, cookies, ~/.netrc) goes with it;
    ``secrets``: values to mask wherever the transport logs or reports the request."""

    __slots__ = ("hop", "bare", "connect_timeout", "read_timeout", "deadline", "secrets")

    def __init__(
        self,
        hop: Hop,
        bare: bool,
        connect_timeout: float,
        read_timeout: float,
        deadline: Deadline,
        secrets: Sequence[str],
    ) -> None:
        self.hop = hop
        self.bare = bare
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.secrets = secrets


class Read(Action):
    """The next undecoded bytes of an answer's body (``b""`` at its end); ``whole``: as much
    as one read brings (a file), else what has arrived."""

    __slots__ = ("answer", "whole", "deadline")

    def __init__(self, answer: Answer, whole: bool, deadline: Deadline) -> None:
        self.answer = answer
        self.whole = whole
        self.deadline = deadline


class Release(Action):
    """Done with an answer: its connection goes back to the pool (or is closed if unread)."""

    __slots__ = ("answer",)

    def __init__(self, answer: Answer) -> None:
        self.answer = answer


class Wait(Action):
    """Sleep before going on (a retry's backoff, the spacing of task polls)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Items(Action):
    """Values for the caller of an iterating flow (a page's items, the elements a step of a
    streamed answer completed, decoded as they are taken): handed out in turn, the flow
    resumes after the last. ``errors``: the package whose errors a value that fails to decode
    raises (the runtime's own are adopted)."""

    __slots__ = ("values", "errors")

    def __init__(self, values: Iterable[Any], errors: ErrorTable | None = None) -> None:
        self.values = values
        self.errors = errors

    def adopted(self, exc: ApiError | RecursionError) -> BaseException:
        """What a value that failed to decode raises: the package's error (``errors``)."""
        if self.errors is None:
            return exc
        if isinstance(exc, RecursionError):
            return self.errors.decode(TOO_DEEP)
        return self.errors.adopt(exc)


class Local(Action):
    """Local work that may block (creating, writing and renaming a downloaded file): a sync
    driver does it in place, an async one in a worker thread, so that no file write holds up
    an event loop. What it raises (a ``LocalFileError``) is thrown back into the flow."""

    __slots__ = ("work", "args")

    def __init__(self, work: Callable[..., Any], *args: Any) -> None:
        self.work = work
        self.args = args


class Await(Action):
    """An awaitable a caller's hook returned: an async driver awaits it; a sync one refuses
    (an async hook was given to a sync client)."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: Any) -> None:
        self.awaitable = awaitable


Flow = Generator[Any, Any, T]


def notify(functions: Sequence[Callable[[Any], Any]], info: Any) -> Flow[None]:
    """Run each of a caller's hooks with ``info``; an awaitable one returns is awaited by the
    async driver (``Await``)."""
    for function in functions:
        result = function(info)
        if result is not None and hasattr(result, "__await__"):
            yield Await(result)


class NetworkFailure(Exception):
    """What a transport raises when the network fails an action. ``kind`` says how, in the
    terms the core words its errors in; ``retryable``: another try may succeed (a refused TLS
    certificate will not)."""

    TLS = "tls"  # detail: the reason the certificate was refused
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    HEADERS_CUT_OFF = "headers_cut_off"
    CUT_OFF = "cut_off"  # detail: the exception's name
    CONNECTION = "connection"  # detail: what went wrong
    OTHER = "other"

    def __init__(self, kind: str, detail: str = "", *, retryable: bool = True) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.retryable = retryable


class Transport(Protocol):
    """What a sync driver needs to move bytes: the four actions that touch the network."""

    def default_headers(self, user_agent: str) -> dict[str, str]:
        """``User-Agent`` and ``Accept`` of every request (a caller's own kept)."""
        ...

    def send(self, action: Send) -> Answer: ...

    def read(self, action: Read) -> bytes: ...

    def release(self, answer: Answer) -> None: ...

    def close(self) -> None: ...


# -- retries ------------------------------------------------------------------------------------


class RetryPolicy(NamedTuple):
    """Exponential backoff with jitter, for operations the spec marks safe to repeat; a
    server's ``Retry-After`` is honoured up to ``max_wait`` seconds."""

    attempts: int  # retries after the first try
    backoff: float  # seconds before the first retry; doubles each time
    statuses: tuple[int, ...]  # HTTP statuses worth another try
    max_wait: float = 60.0  # the longest Retry-After worth waiting for

    def delay(self, retry: int) -> float:
        return float(self.backoff * (2**retry) * random.uniform(0.5, 1.5))

    def wait_before_retry(self, headers: Mapping[str, str], retry: int) -> float | None:
        """Seconds to wait before retrying this answer: its Retry-After, else the backoff;
        None when the server asks for longer than ``max_wait`` (not worth holding the call)."""
        asked = retry_after(headers.get("Retry-After"))
        if asked is None:
            return self.delay(retry)
        return asked if asked <= self.max_wait else None


def retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (delta-seconds or an HTTP date); None if absent or not
    understood."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, (moment - datetime.datetime.now(datetime.UTC)).total_seconds())


# -- one call -----------------------------------------------------------------------------------


class Sent(NamedTuple):
    """An answer whose headers arrived: its body is read (unless streamed) within ``deadline``."""

    answer: Answer
    attempts: int
    deadline: Deadline


class Exchange:
    """The transport policy of one client: how its calls are sent, followed, retried, bounded
    and read, as flows."""

    def __init__(
        self,
        errors: ErrorTable,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        timeout: float,
        limits: Limits,
        retry: RetryPolicy,
        headers: Mapping[str, str],
        log: logging.Logger,
        named_servers: Iterable[str] = (),  # the vendor's other servers (server.named)
    ) -> None:
        self.errors = errors
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)
        # the vendor's own origins by base URL (a request to any goes as to the API's), worked
        # out once: a request below one of them needs no URL parsing to know its origin
        self.origins = {self.base_url: self.origin}
        self.origins.update((url, origin_of(url)) for url in named_servers)
        self.vendor_origins = set(self.origins.values())
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.timeout = timeout  # the deadline of every call that gives none of its own
        self.limits = limits
        self.retry = retry
        self.headers = {**headers, "Accept-Encoding": ACCEPT_ENCODING}  # codings we can bound
        self.log = log
        self.last_response: Any = None

    def deadline(self, timeout: float | None, hold: float = 0.0) -> Deadline:
        """The deadline of one call: its own ``timeout``, else the client's; ``hold`` seconds
        more for a long poll the server holds on purpose."""
        if timeout is None:
            return Deadline(self.timeout, "the client's", extra=hold)
        return Deadline(timeout, "this call's", extra=hold)

    def send(
        self,
        op: Operation[Any],
        wire: WireRequest,
        *,
        stream: bool = False,
        hold: float = 0.0,
        timeout: float | None = None,
        deadline: Deadline | None = None,
        retries: int | None = None,
        hooks: Hooks | None = None,
        read: Callable[[Answer, Deadline], Flow[None]] | None = None,
    ) -> Flow[Sent]:
        """Send ``wire``, retrying safe operations (and those carrying an idempotency key) on
        network failures and retryable statuses, all within the call's deadline (``deadline``
        when the call sends more than one request, else one from ``timeout``). Any answer
        that arrives is returned, whatever its status; unless ``stream``, with its body read.
        ``hold`` seconds are allowed on top of the read timeout and the deadline (the server
        holds a long poll that long on purpose). ``retries``: this call's own number of
        retries, whether or not the spec marks the operation safe (the caller's decision);
        ``hooks`` see every request, answer and retry. ``read``: how the body of an answer
        that is not streamed is read (default: ``hold``, whole into ``content``); a failure
        while reading it is retried as one before the answer."""
        for name, value in wire.headers.items():  # the auth's included
            problem = header_problem(name, value)
            if problem is not None:
                raise ArgumentValueError(f"{op.name}(): {problem}")
        if retries is None:
            retried = op.safe or op.idempotency_header is not None  # the vendor runs it once
            retries = self.retry.attempts if retried else 0
        attempts = 1 + max(0, retries) if replayable(wire.body) else 1  # a stream goes once
        if deadline is None:
            deadline = self.deadline(timeout, hold)
        read_timeout = self.read_timeout + hold
        try:
            first, origin = self.first_hop(wire)
        except UnicodeEncodeError as exc:  # an extra_query value that is not Unicode text
            raise ArgumentValueError(
                f"{op.name}(): a query value cannot be encoded ({exc.reason}); nothing was sent"
            ) from None
        for attempt in range(1, attempts + 1):
            self._log_request(wire, attempt)
            if hooks is not None and hooks.request:
                yield from notify(hooks.request, RequestInfo(op.name, first, attempt))
            arrived = False  # the answer's headers: a failure after them is in the body
            try:
                answer = yield from self._follow(op, first, origin, wire, deadline, read_timeout)
                arrived = True
                if not stream:
                    yield from (read or self.hold)(answer, deadline)
            except ApiError as exc:  # the policy refused: a redirect, a limit, a cut stream
                raise self.errors.adopt(exc, op.wire_name) from None
            except NetworkFailure as failure:
                error = self.failure(op, failure, wire.secrets, deadline, attempt, body=arrived)
                if attempt < attempts and self._worth_retrying(failure, error):
                    backoff = self.retry.delay(attempt - 1)
                    if deadline.allows(backoff):
                        if hooks is not None and hooks.retry:
                            info = RetryInfo(op.name, attempt, backoff, str(error), None)
                            yield from notify(hooks.retry, info)
                        yield Wait(backoff)
                        continue
                raise error from None
            self._record(answer, wire)
            if hooks is not None and hooks.response:
                yield from notify(hooks.response, ResponseInfo(op.name, first, answer, attempt))
            if answer.status in self.retry.statuses and attempt < attempts:
                wait = self.retry.wait_before_retry(answer.headers, attempt - 1)
                if wait is not None and deadline.allows(wait):
                    if not answer.held:
                        yield Release(answer)
                    self.log.debug("HTTP %s: retrying in %.1f s", answer.status, wait)
                    if hooks is not None and hooks.retry:
                        info = RetryInfo(op.name, attempt, wait, f"HTTP {answer.status}", answer)
                        yield from notify(hooks.retry, info)
                    yield Wait(wait)
                    continue
            return Sent(answer, attempt, deadline)
        raise AssertionError("unreachable")  # pragma: no cover

    def first_hop(self, wire: WireRequest) -> tuple[Hop, Origin]:
        """The request as first sent, and the origin it goes to; one on an origin not the
        vendor's (an auth's token request elsewhere) goes alone, without anything of the
        transport's own."""
        wire.base_url = wire.base_url or self.base_url  # a named server's, or the API's
        url = wire.full_url()
        origin = self.origins.get(wire.base_url) if wire.url is None else None
        if origin is None:
            origin = origin_of(url)  # the vendor's own link, a token endpoint
        elsewhere = origin not in self.vendor_origins
        hop = Hop(wire.method, url, {**self.headers, **wire.headers}, wire.body, elsewhere)
        return hop, origin

    def _follow(
        self,
        op: Operation[Any],
        hop: Hop,
        origin: Origin,
        wire: WireRequest,
        deadline: Deadline,
        read_timeout: float,
    ) -> Flow[Answer]:
        """Send one request and follow its redirects as the policy allows: within ``origin``,
        the one it was sent to (the API's, a named server's, a token endpoint's)."""
        for hops in range(1000):
            if deadline.expired():
                raise deadline.error("before the request was sent")
            connect = deadline.bound(self.connect_timeout)
            answer: Answer = yield Send(
                hop,
                wire.no_auth or hop.elsewhere,
                connect,
                deadline.bound(read_timeout),
                deadline,
                wire.secrets,
            )
            following = next_hop(
                hop,
                answer.status,
                answer.headers.get("Location"),
                origin=origin,
                hops=hops,
                redirects=op.redirects,
                secrets=wire.secrets,
            )
            if following is None:
                return answer
            yield Release(answer)
            self.log.debug(
                "HTTP %s: redirected to %s", answer.status, mask(following.url, wire.secrets)
            )
            hop = following
        raise AssertionError("unreachable")  # pragma: no cover: next_hop stops the chain

    def _record(self, answer: Answer, wire: WireRequest) -> None:
        self.last_response = answer.raw
        for seen in _SEEN_RESPONSES.get():
            seen.append(answer.raw)
        if self.log.isEnabledFor(logging.DEBUG):  # masking is not free: only when shown
            path = mask(_shown_path(wire), wire.secrets)
            self.log.debug("%s %s -> HTTP %s", wire.method, path, answer.status)

    def _log_request(self, wire: WireRequest, attempt: int) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            suffix = f" (attempt {attempt})" if attempt > 1 else ""
            path = mask(_shown_path(wire), wire.secrets)  # nor is a secret path parameter
            self.log.debug("%s %s%s fields=%s", wire.method, path, suffix, wire.log_fields)

    # -- bodies ------------------------------------------------------------------------------
    def reader(self, answer: Answer, deadline: Deadline, *, held: bool, whole: bool) -> Body:
        return Body(answer, deadline, self.limits, held=held, whole=whole)

    def hold(self, answer: Answer, deadline: Deadline) -> Flow[None]:
        """Read the whole body into ``answer.content`` (bounded by ``max_answer_bytes``)."""
        return self.read_into(answer, deadline, None)

    def read_into(
        self, answer: Answer, deadline: Deadline, feed: Callable[[bytes], None] | None
    ) -> Flow[None]:
        """Read the whole body (bounded by ``max_answer_bytes``), handing each piece to ``feed``
        as it arrives. Without ``feed`` the body is kept whole in ``content``; with one, only an
        answer no larger than ``KEPT_BYTES`` is kept too (for ``last_response.content``)."""
        body = self.reader(answer, deadline, held=True, whole=True)
        kept: list[bytes] | None = []
        room = KEPT_BYTES if feed is not None else float("inf")
        while (pieces := (yield from body.next())) is not None:
            for piece in pieces:
                if kept is not None:
                    room -= len(piece)
                    if room >= 0:
                        kept.append(piece)
                    else:
                        kept = None
                if feed is not None:
                    feed(piece)
        answer.content = b"".join(kept) if kept else b""
        answer.held = True
        yield Release(answer)

    def streamed(self, op: Operation[Any], sent: Sent, *, whole: bool = False) -> Body:
        """The body of a streamed answer, read as it arrives through the policy (``whole``:
        in full reads, for files; else each piece as soon as the network delivers it); its
        failures are the package's errors."""
        return Body(
            sent.answer, sent.deadline, self.limits, held=False, whole=whole, owner=(self, op, sent)
        )

    def read_error_body(self, sent: Sent) -> Flow[None]:
        """Read a streamed answer's body into ``content`` (an error answer, whose body the
        error carries); an answer that cannot be read leaves it empty."""
        try:
            yield from self.hold(sent.answer, sent.deadline)
        except (ApiError, NetworkFailure):
            sent.answer.content = b""

    # -- failures ----------------------------------------------------------------------------
    def failure(
        self,
        op: Operation[Any],
        failure: NetworkFailure,
        secrets: Iterable[str],
        deadline: Deadline,
        attempt: int,
        *,
        body: bool = False,
    ) -> ApiError:
        """The package's error for a network failure, in words a person can act on."""
        errors = self.errors
        kind = failure.kind
        if kind == NetworkFailure.TLS:
            return errors.transport(
                tls_message(op, self.base_url, failure.detail), attempts=attempt
            )
        if deadline.remaining() <= 0.01:
            phase = "while reading the answer" if body else "waiting for the answer"
            return errors.adopt(deadline.error(phase, attempt), op.wire_name)
        if kind == NetworkFailure.HEADERS_CUT_OFF:
            text = "the answer's headers were cut off before their end"
        elif body and kind == NetworkFailure.READ_TIMEOUT:
            text = f"no data for read_timeout={self.read_timeout:g} s while reading the answer"
        elif body or kind == NetworkFailure.CUT_OFF:
            text = f"the answer was cut off mid-body ({failure.detail}); nothing partial was kept"
        elif kind == NetworkFailure.CONNECT_TIMEOUT:
            text = f"could not connect within connect_timeout={self.connect_timeout:g} s"
        elif kind == NetworkFailure.READ_TIMEOUT:
            text = f"no answer within read_timeout={self.read_timeout:g} s"
        else:
            text = mask(failure.detail, secrets) or kind
        return errors.transport(f"{op.wire_name}: {text}", attempts=attempt)

    def _worth_retrying(self, failure: NetworkFailure, error: ApiError) -> bool:
        """A safe request is tried again after the network failed it (no connection, no answer
        in time, a body cut off), not after TLS refused it or the deadline ran out: another
        try cannot help those."""
        return failure.retryable and not isinstance(error, self.errors.call_timeout)


class Body:
    """An answer's body read through the policy: the content codings undone within the limits,
    every read within the deadline. ``next()`` is a flow returning the decoded pieces of the
    next read (an iterator, consumed before the next read), or None at the end."""

    __slots__ = ("answer", "deadline", "whole", "decoder", "owner")

    def __init__(
        self,
        answer: Answer,
        deadline: Deadline,
        limits: Limits,
        *,
        held: bool,
        whole: bool,
        owner: tuple[Exchange, Operation[Any], Sent] | None = None,
    ) -> None:
        self.answer = answer
        self.deadline = deadline
        self.whole = whole
        self.owner = owner  # set: failures become the package's errors here
        try:
            self.decoder = BodyDecoder(answer.headers.get("Content-Encoding"), limits, held=held)
        except ApiError as exc:  # a content coding the client cannot undo
            raise self._adopted(exc) from None
        if held and self.decoder.identity:
            declared = answer.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limits.max_answer_bytes:
                raise answer_too_large(limits.max_answer_bytes)  # not worth reading

    def next(self) -> Flow[Iterator[bytes] | None]:
        try:
            if self.deadline.expired():
                raise NetworkFailure(NetworkFailure.READ_TIMEOUT, "the call's deadline ran out")
            chunk: bytes = yield Read(self.answer, self.whole, self.deadline)
            if not chunk:
                self.decoder.close()
                return None
            if self.decoder.identity:
                return iter(self.decoder.as_is(chunk))  # counted at once, nothing to undo
        except (ApiError, NetworkFailure) as exc:
            raise self._adopted(exc) from None
        return self._decoded(chunk)

    def _decoded(self, chunk: bytes) -> Iterator[bytes]:
        try:
            yield from self.decoder.feed(chunk)
        except ApiError as exc:
            raise self._adopted(exc) from None

    def _adopted(self, exc: ApiError | NetworkFailure) -> BaseException:
        if self.owner is None:
            return exc
        exchange, op, sent = self.owner
        if isinstance(exc, NetworkFailure):
            return exchange.failure(op, exc, (), sent.deadline, sent.attempts, body=True)
        return exchange.errors.adopt(exc, op.wire_name)


def replayable(body: Any) -> bool:
    """Whether a request body can be sent a second time (a streamed file cannot)."""
    return body is None or isinstance(body, bytes | bytearray)


def _shown_path(wire: WireRequest) -> str:
    """What the log shows of where a request goes: its path, or the URL's path of one that
    goes elsewhere (an auth's token request)."""
    if wire.path or wire.url is None:
        return wire.path
    return urlsplit(wire.url).path or "/"


def tls_message(op: Operation[Any], url: str, reason: str) -> str:
    """A certificate refusal in words a person can act on."""
    host = urlsplit(url).hostname or url
    return (
        f"{op.wire_name}: the TLS certificate of {host} was refused ({reason}). If the server "
        "uses a private CA, pass ca_bundle='ca.pem' (CLI: --ca-bundle); to skip the check, "
        "verify_tls=False (CLI: --insecure). Not retried: another try cannot help."
    )


# -- driving flows ------------------------------------------------------------------------------


class Driving:
    """The bookkeeping of running one flow, the same for every driver (sync here, async in
    ``aio``): the next action, what a failed action throws back, the answers the flow
    opened and did not release (released when it ends, however it ends)."""

    __slots__ = ("flow", "opened", "result")

    DONE: Any = object()  # what ``advance`` returns once the flow has returned ``result``

    def __init__(self, flow: Flow[Any]) -> None:
        self.flow = flow
        self.opened: list[Answer] = []
        self.result: Any = None

    def advance(self, reply: Any = None) -> Any:
        """The flow's next action, ``reply`` being what the last one brought."""
        try:
            return self.flow.send(reply)
        except StopIteration as done:
            self.result = done.value
            return self.DONE

    def fail(self, failure: BaseException) -> Any:
        """The flow's next action after its last one failed (thrown into it)."""
        try:
            return self.flow.throw(failure)
        except StopIteration as done:
            self.result = done.value
            return self.DONE

    def performed(self, action: Any, reply: Any) -> None:
        if type(action) is Send:
            self.opened.append(reply)
        elif type(action) is Release and action.answer in self.opened:
            self.opened.remove(action.answer)

    def close(self) -> list[Answer]:
        """End the flow; the answers left to release."""
        self.flow.close()
        return self.opened


# What a driver throws back into the flow when an action fails: the network, a local file.
THROWN = (NetworkFailure, LocalFileError)


def drive(
    flow: Flow[T], perform: Callable[[Any], Any], release: Callable[[Answer], None]
) -> Generator[Any, None, T]:
    """Run ``flow``: each action is ``perform``ed and its result sent back (a failure thrown
    back instead); ``Items`` values are yielded to the caller. Every answer the flow leaves
    unreleased (it failed, or the caller stopped iterating) is released at the end."""
    driving = Driving(flow)
    try:
        action = driving.advance()
        while action is not Driving.DONE:
            if type(action) is Items:
                try:
                    yield from action.values
                except (ApiError, RecursionError) as exc:
                    raise action.adopted(exc) from None
                action = driving.advance()
                continue
            try:
                reply = perform(action)
            except THROWN as exc:
                action = driving.fail(exc)
                continue
            driving.performed(action, reply)
            action = driving.advance(reply)
        return driving.result  # type: ignore[no-any-return]
    finally:
        for answer in driving.close():
            release(answer)


TOO_DEEP = "the answer is nested too deeply to decode"


def run(flow: Flow[T], perform: Callable[[Any], Any], release: Callable[[Answer], None]) -> T:
    """Run a flow that yields no items to its end and return its result."""
    driven = drive(flow, perform, release)
    try:
        item = next(driven)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    driven.close()
    raise AssertionError(f"a flow yielded an item where none was expected: {item!r}")


# The raw response lists of the ``raw_responses()`` blocks open in this thread or task.
_SEEN_RESPONSES: ContextVar[tuple[list[Any], ...]] = ContextVar("seen", default=())


@contextmanager
def responses_seen() -> Iterator[list[Any]]:
    """Every raw response received inside the block, in order: retries and pages included.
    Blocks nest (an outer block sees its inner blocks' responses too); other threads' calls
    are not seen."""
    seen: list[Any] = []
    token = _SEEN_RESPONSES.set((*_SEEN_RESPONSES.get(), seen))
    try:
        yield seen
    finally:
        _SEEN_RESPONSES.reset(token)
