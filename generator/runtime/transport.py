"""Sending requests: one session, timeouts, TLS, retries with backoff. This layer knows HTTP and
the network, not what the vendor's answers mean."""

from __future__ import annotations

import datetime
import email.utils
import logging
import random
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import requests
import urllib3

from .encoding import WireRequest
from .errors import ErrorTable
from .operation import Operation

T = TypeVar("T")


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


# Failures after which a safe request is worth another try: no connection, no answer in time,
# or a body cut off mid-way.
_RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class Sent(NamedTuple):
    response: requests.Response
    attempts: int


class Transport:
    """Sends wire requests over one ``requests.Session`` (keep-alive, pooling)."""

    def __init__(
        self,
        errors: ErrorTable,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        verify_tls: bool,
        ca_bundle: str | None,
        retry: RetryPolicy,
        session: requests.Session | None,
        user_agent: str,
        log: logging.Logger,
    ) -> None:
        self.errors = errors
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.verify: bool | str = ca_bundle if ca_bundle else verify_tls
        self.retry = retry
        self.log = log
        self.last_response: requests.Response | None = None
        self._owns_session = session is None
        self.session = session or requests.Session()
        if self.session.headers.get("User-Agent") in (None, requests.utils.default_user_agent()):
            self.session.headers["User-Agent"] = user_agent  # a caller's own agent is kept

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def send(
        self,
        op: Operation[Any],
        wire: WireRequest,
        *,
        stream: bool = False,
        hold: float = 0.0,
        read_timeout: float | None = None,
    ) -> Sent:
        """Send ``wire``, retrying safe operations (and those carrying an idempotency key) on
        network failures and retryable statuses.
        Any answer that arrives is returned, whatever its status. ``hold`` seconds are allowed
        on top of the read timeout (the server holds a long poll that long on purpose)."""
        retried = op.safe or op.idempotency_header is not None  # the vendor runs it once
        attempts = 1 + (self.retry.attempts if retried else 0)
        url = wire.url or self.base_url + wire.path
        timeout = (self.timeout[0], (read_timeout or self.timeout[1]) + hold)
        if wire.secrets:
            _URL_SECRETS.add(wire.secrets)
        for attempt in range(1, attempts + 1):
            self._log_request(wire, attempt)
            try:
                response = self.session.request(
                    wire.method,
                    url,
                    params=_query_for(wire),
                    data=wire.body,
                    headers=wire.headers,
                    timeout=timeout,
                    verify=self.verify,
                    stream=stream,  # without it requests reads the body here (faster path)
                    auth=_no_auth if wire.no_auth else None,
                )
            except requests.exceptions.SSLError as exc:
                raise self.errors.transport(_tls_message(op, url, exc), attempts=attempt) from None
            except _RETRYABLE as exc:
                if attempt < attempts:
                    time.sleep(self.retry.delay(attempt - 1))
                    continue
                text = _scrub(str(exc), wire.secrets)
                raise self.errors.transport(
                    f"{op.wire_name}: {type(exc).__name__}: {text}", attempts=attempt
                ) from None
            except requests.RequestException as exc:
                text = _scrub(str(exc), wire.secrets)
                raise self.errors.transport(f"{op.wire_name}: {text}") from None
            self.last_response = response
            for seen in _SEEN_RESPONSES.get():
                seen.append(response)
            self.log.debug(
                "%s %s -> HTTP %s",
                wire.method,
                _mask(wire.path, wire.secrets),
                response.status_code,
            )
            if response.status_code in self.retry.statuses and attempt < attempts:
                wait = self.retry.wait_before_retry(response, attempt - 1)
                if wait is not None:
                    response.close()
                    self.log.debug("HTTP %s: retrying in %.1f s", response.status_code, wait)
                    time.sleep(wait)
                    continue
            return Sent(response, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_request(self, wire: WireRequest, attempt: int) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            suffix = f" (attempt {attempt})" if attempt > 1 else ""
            path = _mask(wire.path, wire.secrets)  # a secret path parameter is not logged
            self.log.debug("%s %s%s fields=%s", wire.method, path, suffix, wire.log_fields)

    def guard(self, op: Operation[Any], items: Iterator[T]) -> Iterator[T]:
        """Turn a connection that fails or stalls mid-body into the package's transport error."""
        try:
            yield from items
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self.errors.transport(
                f"{op.wire_name}: the answer was cut off mid-body ({type(exc).__name__}); "
                "nothing partial was kept"
            ) from None


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
    mask secrets that travel in the URL."""
    return _mask(text.split("(Caused by", 1)[0].strip() or text, secrets)


def _mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret masked, raw and URL-encoded."""
    for secret in secrets:
        for form in {secret, quote_plus(secret), quote(secret, safe="")}:
            if form and form in text:
                text = text.replace(form, "***")
    return text


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
        masked = _mask(text, self.secrets)
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


def _query_for(wire: WireRequest) -> list[tuple[str, str]] | None:
    """The query to add to the URL: all of it, or for a vendor's absolute URL (a next page's
    link, which carries its own query) only the keys it lacks, such as an API key."""
    if wire.url is None:
        return wire.query or None
    present = {key for key, _value in parse_qsl(urlsplit(wire.url).query, keep_blank_values=True)}
    return [(key, value) for key, value in wire.query if key not in present] or None


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Per-request auth that sends nothing: overrides the session's credentials."""
    return request
