"""The requests transport: it moves the bytes the core's flows ask for (``exchange``) over one
``requests.Session``, and turns what the network does wrong into ``NetworkFailure``. It decides
nothing: redirects, retries, limits and deadlines are the core's.

Every request is prepared here and handed to the session's adapter directly, so that nothing
happens that the core did not decide: requests follows no redirect and reads no body on its
own; every socket operation is bounded by the call's deadline (``http_adapter``).
"""

from __future__ import annotations

import datetime
import http.client
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.cookies import extract_cookies_to_jar
from requests.hooks import dispatch_hook

from .answer import Answer
from .exchange import NetworkFailure, Read, Send
from .http_adapter import ACTIVE_DEADLINE, HeadersCutOff, guard_session
from .policy import UrlSecrets

# What can go wrong on the network while a request is sent or its answer read.
_NETWORK = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
# ... and which of those another try may overcome.
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
_CHUNK = 256 * 1024  # bytes asked of the socket per read


class RequestsTransport:
    """Sends the core's requests over one ``requests.Session`` (keep-alive, pooling); a
    caller's session keeps its adapters, cookies, hooks and proxies."""

    def __init__(
        self, session: requests.Session | None, *, verify_tls: bool, ca_bundle: str | None
    ) -> None:
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.verify: bool | str = ca_bundle if ca_bundle else verify_tls
        guard_session(self.session)

    def default_headers(self, user_agent: str) -> dict[str, str]:
        headers = self.session.headers
        if headers.get("User-Agent") in (None, requests.utils.default_user_agent()):
            headers["User-Agent"] = user_agent  # a caller's own agent is kept
        return {
            "User-Agent": str(headers.get("User-Agent", "")),
            "Accept": str(headers.get("Accept", "*/*")),
        }

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def send(self, action: Send) -> Answer:
        hop = action.hop
        _URL_SECRETS.watch(hop.url, action.secrets)  # urllib3 logs the URL at DEBUG level
        request = requests.Request(
            hop.method,
            hop.url,
            headers=dict(hop.headers),
            data=hop.body,
            auth=_no_auth if action.bare else None,
        )
        try:
            # elsewhere: the request alone, without the session's cookies, headers or auth
            prepared = request.prepare() if hop.elsewhere else self.session.prepare_request(request)
            prepared.url = _exact_url(prepared.url or hop.url, hop.url)
            settings: Any = self.session.merge_environment_settings(
                prepared.url, {}, True, self.verify, None
            )
            adapter = self.session.get_adapter(prepared.url)
            token = ACTIVE_DEADLINE.set(action.deadline)
            started = time.perf_counter()
            try:
                response = adapter.send(
                    prepared, timeout=(action.connect_timeout, action.read_timeout), **settings
                )
            finally:
                ACTIVE_DEADLINE.reset(token)
        except _NETWORK as exc:
            raise _failure(exc, body=False) from None
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        hooked: requests.Response = _dispatch_hook("response", prepared.hooks, response)
        if not hop.elsewhere:
            _extract_cookies(self.session.cookies, prepared, hooked.raw)
        return Answer(hooked.status_code, hooked.headers, hooked.url or hop.url, raw=hooked)

    def read(self, action: Read) -> bytes:
        answer = action.answer
        if answer.state is None:
            answer.state = _reader(answer.raw.raw, action.whole)
        token = ACTIVE_DEADLINE.set(action.deadline)
        try:
            chunk: bytes = answer.state()
        except _NETWORK as exc:
            raise _failure(exc, body=True) from None
        finally:
            ACTIVE_DEADLINE.reset(token)
        return chunk

    def release(self, answer: Answer) -> None:
        response: requests.Response = answer.raw
        if answer.held:
            _set_content(response, answer.content)  # ``last_response.content`` as requests has it
        response.close()  # back to the pool once read whole, else the connection is dropped


def _failure(exc: BaseException, *, body: bool) -> NetworkFailure:
    """What went wrong, in the core's terms (``body``: while the answer's body was read)."""
    retryable = isinstance(exc, _RETRYABLE)
    if isinstance(exc, requests.exceptions.SSLError):
        return NetworkFailure(NetworkFailure.TLS, _tls_reason(exc), retryable=False)
    if body:
        timed_out = _caused_by(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError))
        kind = NetworkFailure.READ_TIMEOUT if timed_out else NetworkFailure.CUT_OFF
        return NetworkFailure(kind, type(exc).__name__, retryable=retryable)
    if _caused_by(exc, HeadersCutOff):
        return NetworkFailure(NetworkFailure.HEADERS_CUT_OFF, retryable=retryable)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return NetworkFailure(NetworkFailure.CUT_OFF, type(exc).__name__, retryable=retryable)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkFailure(NetworkFailure.CONNECT_TIMEOUT, retryable=retryable)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return NetworkFailure(NetworkFailure.READ_TIMEOUT, retryable=retryable)
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        detail = f"{type(exc).__name__}: {_cause_dropped(str(exc))}"
        return NetworkFailure(NetworkFailure.CONNECTION, detail, retryable=retryable)
    detail = _cause_dropped(str(exc)) or type(exc).__name__
    return NetworkFailure(NetworkFailure.OTHER, detail, retryable=retryable)


def _set_content(response: requests.Response, body: bytes) -> None:
    """Give ``response`` the body the core read, as requests would have read it itself."""
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


_TLS_REASON = re.compile(
    r"\[SSL[^\]]*\][^'\")]*|certificate verify failed[^'\")]*|hostname[^'\")]*"
)


def _tls_reason(exc: Exception) -> str:
    """Why the certificate was refused (urllib3 nests the reason deep)."""
    reasons = _TLS_REASON.findall(str(exc))
    return reasons[-1].strip() if reasons else type(exc).__name__


def _cause_dropped(text: str) -> str:
    """urllib3's nested cause dropped from a message (long, and it repeats the URL)."""
    return text.split("(Caused by", 1)[0].strip() or text


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Per-request auth that sends nothing: no session credentials, no ~/.netrc lookup."""
    return request


_URL_SECRETS = UrlSecrets("urllib3.connectionpool")
