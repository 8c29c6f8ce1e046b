"""Sending requests over ``requests``: one session, the transport policy (``policy``) applied to
every exchange, retries with backoff. This layer knows HTTP and the network, not what the
vendor's answers mean.

Every request is prepared here and handed to the session's adapter directly, so that nothing
happens that the policy did not decide: redirects are followed (or refused) here, one hop at a
time; bodies are read here, undecoded, and inflated within the client's limits; every socket
operation is bounded by the call's deadline (``http_adapter``).
"""

from __future__ import annotations

import datetime
import email.utils
import http.client
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import urllib3
from requests.cookies import extract_cookies_to_jar
from requests.hooks import dispatch_hook

from .arguments import ArgumentValueError
from .descriptors import Operation
from .encoding import WireRequest
from .errors import ApiError, ErrorTable
from .http_adapter import ACTIVE_DEADLINE, HeadersCutOff, guard_session
from .policy import (
    ACCEPT_ENCODING,
    BodyDecoder,
    Deadline,
    Hop,
    Limits,
    answer_too_large,
    mask,
    next_hop,
    origin_of,
)


class RetryPolicy(NamedTuple):
    """Exponential backoff with jitter, for operations the spec marks safe to repeat; a
    server's ``Retry-After`` is honoured up to ``max_wait`` seconds."""

    attempts: int  # retries after the first try
    backoff: float  # seconds before the first retry; doubles each time
    statuses: tuple[int, ...]  # HTTP statuses worth another try
    max_wait: float = 60.0  # the longest Retry-After worth waiting for

    def delay(self, retry: int) -> float:
        return float(self.backoff * (2**retry) * random.uniform(0.5, 1.5))

    def wait_before_retry(self, response: requests.Response, retry: int) -> float | None:
        """Seconds to wait before retrying this answer: its Retry-After, else the backoff;
        None when the server asks for longer than ``max_wait`` (not worth holding the call)."""
        asked = retry_after(response.headers.get("Retry-After"))
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


# What can go wrong on the network while a request is sent or its answer read.
_NETWORK = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
_CHUNK = 256 * 1024  # bytes asked of the socket per read


class Sent(NamedTuple):
    """An answer whose headers arrived: its body is read (unless streamed) within ``deadline``."""

    response: requests.Response
    attempts: int
    deadline: Deadline


class Transport:
    """Sends wire requests over one ``requests.Session`` (keep-alive, pooling)."""

    def __init__(
        self,
        errors: ErrorTable,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        timeout: float,
        limits: Limits,
        verify_tls: bool,
        ca_bundle: str | None,
        retry: RetryPolicy,
        session: requests.Session | None,
        user_agent: str,
        log: logging.Logger,
    ) -> None:
        self.errors = errors
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.timeout = timeout  # the deadline of every call that gives none of its own
        self.limits = limits
        self.verify: bool | str = ca_bundle if ca_bundle else verify_tls
        self.retry = retry
        self.log = log
        self.last_response: requests.Response | None = None
        self._owns_session = session is None
        self.session = session or requests.Session()
        guard_session(self.session)
        if self.session.headers.get("User-Agent") in (None, requests.utils.default_user_agent()):
            self.session.headers["User-Agent"] = user_agent  # a caller's own agent is kept

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def deadline(self, timeout: float | None, hold: float = 0.0) -> Deadline:
        """The deadline of one call: its own ``timeout``, else the client's; ``hold`` seconds
        more for a long poll the server holds on purpose."""
        if timeout is None:
            return Deadline(self.timeout, "the client's", extra=hold)
        return Deadline(timeout, "this call's", extra=hold)

    # -- one call ----------------------------------------------------------------------------------
    def send(
        self,
        op: Operation[Any],
        wire: WireRequest,
        *,
        stream: bool = False,
        hold: float = 0.0,
        timeout: float | None = None,
    ) -> Sent:
        """Send ``wire``, retrying safe operations (and those carrying an idempotency key) on
        network failures and retryable statuses, all within the call's deadline. Any answer
        that arrives is returned, whatever its status; unless ``stream``, with its body read.
        ``hold`` seconds are allowed on top of the read timeout and the deadline (the server
        holds a long poll that long on purpose)."""
        retried = op.safe or op.idempotency_header is not None  # the vendor runs it once
        attempts = 1 + (self.retry.attempts if retried else 0)
        deadline = self.deadline(timeout, hold)
        read_timeout = self.read_timeout + hold
        try:
            first = self._first_hop(wire)
        except UnicodeEncodeError as exc:  # an extra_query value that is not Unicode text
            raise ArgumentValueError(
                f"{op.name}(): a query value cannot be encoded ({exc.reason}); nothing was sent"
            ) from None
        in_url = [s for s in wire.secrets if s and mask(first.url, [s]) != first.url]
        if in_url:
            _URL_SECRETS.add(in_url)  # urllib3 logs the URL at DEBUG level
        for attempt in range(1, attempts + 1):
            self._log_request(wire, attempt)
            arrived = False  # the answer's headers: a failure after them is in the body
            try:
                response = self._exchange(op, first, wire, deadline, read_timeout)
                arrived = True
                if not stream:
                    self._hold(response, deadline)
            except ApiError as exc:  # the policy refused: a redirect, a limit, a cut stream
                raise self.errors.adopt(exc, op.wire_name) from None
            except _NETWORK as exc:
                failure = self._failure(op, exc, wire, deadline, attempt, body=arrived)
                if attempt < attempts and _worth_retrying(exc, failure, self.errors):
                    backoff = self.retry.delay(attempt - 1)
                    if deadline.allows(backoff):
                        time.sleep(backoff)
                        continue
                raise failure from None
            self._record(response, wire)
            if response.status_code in self.retry.statuses and attempt < attempts:
                wait = self.retry.wait_before_retry(response, attempt - 1)
                if wait is not None and deadline.allows(wait):
                    response.close()
                    self.log.debug("HTTP %s: retrying in %.1f s", response.status_code, wait)
                    time.sleep(wait)
                    continue
            return Sent(response, attempt, deadline)
        raise AssertionError("unreachable")  # pragma: no cover

    def _first_hop(self, wire: WireRequest) -> Hop:
        url = wire.url or self.base_url + wire.path
        query = wire.query if wire.url is None else _missing_query(wire.url, wire.query)
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        headers = {
            "User-Agent": str(self.session.headers.get("User-Agent", "")),
            "Accept": str(self.session.headers.get("Accept", "*/*")),
            "Accept-Encoding": ACCEPT_ENCODING,  # the codings the policy can bound
            **wire.headers,
        }
        return Hop(wire.method, url, headers, wire.body)

    def _exchange(
        self, op: Operation[Any], hop: Hop, wire: WireRequest, deadline: Deadline, read: float
    ) -> requests.Response:
        """Send one request and follow its redirects as the policy allows."""
        for hops in range(1000):
            response = self._send_hop(hop, wire, deadline, read)
            try:
                following = next_hop(
                    hop,
                    response.status_code,
                    response.headers.get("Location"),
                    origin=self.origin,
                    hops=hops,
                    redirects=op.redirects,
                    secrets=wire.secrets,
                )
            except BaseException:
                response.close()
                raise
            if following is None:
                return response
            response.close()
            self.log.debug(
                "HTTP %s: redirected to %s", response.status_code, mask(following.url, wire.secrets)
            )
            hop = following
        raise AssertionError("unreachable")  # pragma: no cover: next_hop stops the chain

    def _send_hop(
        self, hop: Hop, wire: WireRequest, deadline: Deadline, read: float
    ) -> requests.Response:
        if deadline.expired():
            raise deadline.error("before the request was sent")
        request = requests.Request(
            hop.method,
            hop.url,
            headers=dict(hop.headers),
            data=hop.body,
            auth=_no_auth if wire.no_auth or hop.elsewhere else None,
        )
        # elsewhere: the request alone, without the session's cookies, headers or auth
        prepared = request.prepare() if hop.elsewhere else self.session.prepare_request(request)
        prepared.url = _exact_url(prepared.url or hop.url, hop.url)
        settings: Any = self.session.merge_environment_settings(
            prepared.url, {}, True, self.verify, None
        )
        adapter = self.session.get_adapter(prepared.url)
        timeout = (deadline.bound(self.connect_timeout), deadline.bound(read))
        token = ACTIVE_DEADLINE.set(deadline)
        started = time.perf_counter()
        try:
            response = adapter.send(prepared, timeout=timeout, **settings)
        finally:
            ACTIVE_DEADLINE.reset(token)
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        hooked: requests.Response = _dispatch_hook("response", prepared.hooks, response)
        if not hop.elsewhere:
            _extract_cookies(self.session.cookies, prepared, hooked.raw)
        return hooked

    def _record(self, response: requests.Response, wire: WireRequest) -> None:
        self.last_response = response
        for seen in _SEEN_RESPONSES.get():
            seen.append(response)
        self.log.debug(
            "%s %s -> HTTP %s", wire.method, mask(wire.path, wire.secrets), response.status_code
        )

    def _log_request(self, wire: WireRequest, attempt: int) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            suffix = f" (attempt {attempt})" if attempt > 1 else ""
            path = mask(wire.path, wire.secrets)  # a secret path parameter is not logged
            self.log.debug("%s %s%s fields=%s", wire.method, path, suffix, wire.log_fields)

    # -- bodies ----------------------------------------------------------------------------------
    def _pieces(
        self, response: requests.Response, deadline: Deadline, *, held: bool, whole: bool
    ) -> Iterator[bytes]:
        """The decoded body, piece by piece, within the limits and the deadline."""
        decoder = BodyDecoder(response.headers.get("Content-Encoding"), self.limits, held=held)
        if held and decoder.identity:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.limits.max_answer_bytes:
                raise answer_too_large(self.limits.max_answer_bytes)  # not worth reading
        read = _reader(response.raw, whole)
        while True:
            if deadline.expired():
                raise TimeoutError("the call's deadline ran out")
            token = ACTIVE_DEADLINE.set(deadline)
            try:
                chunk = read()
            finally:
                ACTIVE_DEADLINE.reset(token)
            if not chunk:
                break
            yield from decoder.feed(chunk)
        decoder.close()

    def _hold(self, response: requests.Response, deadline: Deadline) -> None:
        """Read the whole body into ``response.content`` (bounded by ``max_answer_bytes``)."""
        body = b"".join(self._pieces(response, deadline, held=True, whole=True))
        _set_content(response, body)

    def body(self, op: Operation[Any], sent: Sent, *, whole: bool = False) -> Iterator[bytes]:
        """The decoded body of a streamed answer, as it arrives (``whole``: in full reads of
        the socket, for files; else each piece as soon as the network delivers it)."""
        try:
            yield from self._pieces(sent.response, sent.deadline, held=False, whole=whole)
        except ApiError as exc:
            raise self.errors.adopt(exc, op.wire_name) from None
        except _NETWORK as exc:
            raise self._failure(op, exc, None, sent.deadline, sent.attempts, body=True) from None

    def read_body(self, op: Operation[Any], sent: Sent) -> None:
        """Read a streamed answer's body into ``response.content`` (an error answer, whose
        body the error carries); an answer that cannot be read leaves it empty."""
        try:
            self._hold(sent.response, sent.deadline)
        except (ApiError, *_NETWORK):
            _set_content(sent.response, b"")

    # -- failures --------------------------------------------------------------------------------
    def _failure(
        self,
        op: Operation[Any],
        exc: BaseException,
        wire: WireRequest | None,
        deadline: Deadline,
        attempt: int,
        *,
        body: bool = False,
    ) -> ApiError:
        """The package's error for a network failure, in words a person can act on."""
        errors = self.errors
        secrets = wire.secrets if wire is not None else ()
        if isinstance(exc, requests.exceptions.SSLError):
            return errors.transport(_tls_message(op, self.base_url, exc), attempts=attempt)
        if deadline.remaining() <= 0.01:
            phase = "while reading the answer" if body else "waiting for the answer"
            return errors.adopt(deadline.error(phase, attempt), op.wire_name)
        if _caused_by(exc, HeadersCutOff):
            text = "the answer's headers were cut off before their end"
        elif body and _caused_by(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
            text = f"no data for read_timeout={self.read_timeout:g} s while reading the answer"
        elif body or isinstance(exc, requests.exceptions.ChunkedEncodingError):
            text = (
                f"the answer was cut off mid-body ({type(exc).__name__}); nothing partial was kept"
            )
        elif isinstance(exc, requests.exceptions.ConnectTimeout):
            text = f"could not connect within connect_timeout={self.connect_timeout:g} s"
        elif isinstance(exc, requests.exceptions.ReadTimeout):
            text = f"no answer within read_timeout={self.read_timeout:g} s"
        elif isinstance(exc, requests.ConnectionError | requests.Timeout):
            text = f"{type(exc).__name__}: {_scrub(str(exc), secrets)}"
        else:
            text = _scrub(str(exc), secrets) or type(exc).__name__
        return errors.transport(f"{op.wire_name}: {text}", attempts=attempt)


def _worth_retrying(exc: BaseException, failure: ApiError, errors: ErrorTable) -> bool:
    """A safe request is tried again after the network failed it (no connection, no answer in
    time, a body cut off), not after TLS refused it or the deadline ran out: another try
    cannot help those."""
    if isinstance(failure, errors.call_timeout) or isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(exc, _RETRYABLE)


_RETRYABLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
)


def _set_content(response: requests.Response, body: bytes) -> None:
    """Give ``response`` the body read here, as requests would have read it itself."""
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]


# requests' own steps of ``Session.send`` (untyped there), done here around the adapter
_dispatch_hook: Callable[..., Any] = dispatch_hook
_extract_cookies: Callable[..., None] = extract_cookies_to_jar


def _caused_by(
    exc: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]
) -> bool:
    """Whether ``kind`` is somewhere in the chain or arguments of ``exc`` (requests nests
    urllib3's errors in its own, and urllib3 nests http.client's)."""
    seen: list[BaseException] = [exc]
    while seen:
        current = seen.pop()
        if isinstance(current, kind):
            return True
        for inner in (current.__cause__, current.__context__, *current.args):
            if isinstance(inner, BaseException) and len(seen) < 20:
                seen.append(inner)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            seen.append(reason)
    return False


def _reader(raw: Any, whole: bool) -> Callable[[], bytes]:
    """A function returning the next undecoded bytes of ``raw`` (b"" at the end): urllib3's
    response read directly (``read1``: what one socket read brings), anything else (a
    cassette, a test adapter) through its ``stream``."""
    if isinstance(raw, urllib3.response.HTTPResponse):
        if whole:
            return lambda: raw.read(_CHUNK, decode_content=False)
        return lambda: raw.read1(_CHUNK, decode_content=False)
    stream = raw.stream(_CHUNK, decode_content=False)
    return lambda: next(stream, b"")


def _exact_url(prepared: str, ours: str) -> str:
    """The URL to send: scheme and host as requests normalised them, path and query exactly as
    the runtime encoded them (requests would turn ``%2E%2E`` back into ``..``)."""
    sent, exact = urlsplit(prepared), urlsplit(ours)
    return urlunsplit((sent.scheme, sent.netloc, exact.path or "/", exact.query, ""))


def _missing_query(url: str, query: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """For a vendor's absolute URL (a next page's link, which carries its own query): only
    the keys it lacks, such as an API key."""
    present = {key for key, _value in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return [(key, value) for key, value in query if key not in present]


_TLS_REASON = re.compile(
    r"\[SSL[^\]]*\][^'\")]*|certificate verify failed[^'\")]*|hostname[^'\")]*"
)


def _tls_message(op: Operation[Any], url: str, exc: Exception) -> str:
    """A certificate refusal in words a person can act on (the reason urllib3 nests deep)."""
    reasons = _TLS_REASON.findall(str(exc))
    reason = reasons[-1].strip() if reasons else type(exc).__name__
    host = urllib3.util.parse_url(url).host or url
    return (
        f"{op.wire_name}: the TLS certificate of {host} was refused ({reason}). If the server "
        "uses a private CA, pass ca_bundle='ca.pem' (CLI: --ca-bundle); to skip the check, "
        "verify_tls=False (CLI: --insecure). Not retried: another try cannot help."
    )


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """Drop urllib3's nested cause (long, and it repeats the URL) from transport messages, and
    mask the request's secrets."""
    return mask(text.split("(Caused by", 1)[0].strip() or text, secrets)


class _UrlSecrets(logging.Filter):
    """Masks secrets that travel in URLs in urllib3's own debug lines ("GET /x?api_key=...");
    installed on urllib3's logger the first time such a secret is sent."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secrets: Iterable[str]) -> None:
        if not self.secrets:
            logging.getLogger("urllib3.connectionpool").addFilter(self)
        self.secrets.update(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask(text, self.secrets)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


_URL_SECRETS = _UrlSecrets()
# The response lists of the ``raw_responses()`` blocks open in this thread or task.
_SEEN_RESPONSES: ContextVar[tuple[list[requests.Response], ...]] = ContextVar("seen", default=())


@contextmanager
def responses_seen() -> Iterator[list[requests.Response]]:
    """Every raw response received inside the block, in order: retries and pages included.
    Blocks nest (an outer block sees its inner blocks' responses too); other threads' calls
    are not seen."""
    seen: list[requests.Response] = []
    token = _SEEN_RESPONSES.set((*_SEEN_RESPONSES.get(), seen))
    try:
        yield seen
    finally:
        _SEEN_RESPONSES.reset(token)


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Per-request auth that sends nothing: no session credentials, no ~/.netrc lookup."""
    return request
