"""The transport policy: what the network may do to a call, decided without doing any I/O.

The network is hostile, not only the answer: a redirect may try to carry the credentials to
another host or to plain http, a small compressed body may inflate without end, a server may
drip one byte at a time, a task may answer "running" as fast as it is asked. Every transport
(requests, httpx) asks this module what to do and applies its answer, so every client and every
decoding follows the same rules:

- redirects stay within the vendor's origin, never go from https to http, and are few;
  an operation the spec allows to be served elsewhere follows GET/HEAD redirects with every
  credential dropped;
- an answer held in memory, an item of a streamed answer and the inflation of a compressed
  body are bounded (``Limits``), and a cut or corrupt compressed body is an error;
- every call has a ``Deadline`` for all of it: connect, headers, body and retries;
- task polls are paced (``PollPacer``);
- inputs that would change the request's meaning are refused before anything is sent: header
  values with control characters, URL settings that are not what they claim to be, basic-auth
  user names with ``:``; path segments are encoded so that ``.`` and ``..`` stay segments.
"""

from __future__ import annotations

import base64
import logging
import re
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, NamedTuple
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from .errors import CallTimeout, LimitExceeded, TransportError

# -- redirects ----------------------------------------------------------------------------------

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
# What a request to another origin keeps of its headers: nothing that could be a credential.
KEPT_ELSEWHERE = frozenset(("user-agent", "accept", "accept-encoding"))
# Header values a body carries, dropped when a redirect turns the request into a GET.
_BODY_HEADERS = frozenset(("content-type", "content-length", "transfer-encoding"))
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The operation's spec key ``redirects``: which redirects it may follow.
SAME_ORIGIN = "same_origin"
ANY_ORIGIN = "any_origin"


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int


def origin_of(url: str) -> Origin:
    """Scheme, host and port of a URL (the default port filled in, the host lower-cased)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return Origin(scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0))


class Hop(NamedTuple):
    """One request of a call's redirect chain."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | IO[bytes] | None
    elsewhere: bool = False  # on another origin than the vendor's: sent without credentials


def next_hop(
    hop: Hop,
    status: int,
    location: str | None,
    *,
    origin: Origin,
    hops: int,
    redirects: str,
    secrets: Iterable[str] = (),
) -> Hop | None:
    """The request a redirect answer asks for, or None when the answer is not a redirect.

    Within ``origin`` a redirect is followed as browsers and requests do (302, 303 and a 301 of
    a POST become a GET, any but 307/308 without the body; 307/308 repeat the request, which a
    streamed body cannot).
    To another origin it is refused unless ``redirects`` is ``any_origin``; then only a GET or
    HEAD is sent, with no credential of any kind: none of the headers but ``KEPT_ELSEWHERE``,
    no body, no cookies, and no query value that is one of ``secrets``. From https to http it
    is always refused. Raises the runtime's ``TransportError`` for a refused redirect.
    """
    if status not in REDIRECT_STATUSES or not location:
        return None
    target = urljoin(hop.url, location.strip())
    shown = mask(target, secrets)
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"the vendor redirected to {shown!r}, which is not an http(s) URL")
    if urlsplit(hop.url).scheme == "https" and parts.scheme == "http":
        raise TransportError(
            f"the vendor redirected from https to plain http ({shown}); not followed: the "
            "request and its credentials would travel in clear"
        )
    if hops >= MAX_REDIRECTS:
        raise TransportError(f"more than {MAX_REDIRECTS} redirects (the last to {shown}); stopped")
    method = hop.method
    keeps_body = status in (307, 308)
    if method != "HEAD" and (status in (302, 303) or (status == 301 and method == "POST")):
        method = "GET"  # as browsers and requests do
    elsewhere = hop.elsewhere or origin_of(target) != origin
    if elsewhere:
        if redirects != ANY_ORIGIN:
            raise TransportError(
                f"the vendor redirected to another origin ({shown}); not followed: the "
                "credentials and the request would go with it. If this operation is served "
                "from elsewhere (a CDN), its spec can say so: redirects: any_origin"
            )
        if method not in ("GET", "HEAD"):
            raise TransportError(
                f"the vendor redirected a {method} to another origin ({shown}); only GET and "
                "HEAD requests are followed elsewhere"
            )
        headers = {k: v for k, v in hop.headers.items() if k.lower() in KEPT_ELSEWHERE}
        return Hop(method, _without_secrets(target, secrets), headers, None, elsewhere=True)
    if keeps_body and hop.body is not None and not isinstance(hop.body, bytes):
        raise TransportError(
            f"the vendor redirected ({status}) to {shown}, which needs the request body again; "
            "a streamed body (a file) cannot be sent twice"
        )
    if method != hop.method or not keeps_body:
        headers = {k: v for k, v in hop.headers.items() if k.lower() not in _BODY_HEADERS}
        return Hop(method, target, headers, None)
    return Hop(method, target, hop.headers, hop.body)


def _without_secrets(url: str, secrets: Iterable[str]) -> str:
    """``url`` without the query pairs whose value is a secret (an API key echoed back)."""
    hidden = {s for s in secrets if s}
    parts = urlsplit(url)
    if not hidden or not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if v not in hidden]
    if len(kept) == len(pairs):
        return url
    return parts._replace(query=urlencode(kept)).geturl()


# Shorter values are not masked: masking "p" would garble every message, and reveal nothing.
_MIN_MASKED = 4
REDACTED = "***"  # what a secret is shown as


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret shown as ``***``, raw and URL-encoded."""
    for secret in secrets:
        if len(secret) < _MIN_MASKED:
            continue
        for form in {
            secret,
            quote(secret, safe=""),
            quote(secret, safe="").replace("%20", "+"),
        }:
            if form in text:
                text = text.replace(form, REDACTED)
    return text


# -- limits -------------------------------------------------------------------------------------


class Limits(NamedTuple):
    """How much of an answer the client accepts (client options of the same names)."""

    max_answer_bytes: int  # an answer held in memory (decoded)
    max_item_bytes: int  # one item of a streamed answer, or the text between two
    max_inflation: float  # decoded bytes per byte on the wire, for compressed bodies


# Below this many decoded bytes any inflation is accepted (a small body compresses unevenly).
INFLATION_FLOOR = 1 << 20
_STEP = 256 * 1024  # decoded bytes produced per decompression step (bounded work per step)
# The content codings the client asks for (Accept-Encoding) and can decode.
ACCEPT_ENCODING = "gzip, deflate"


def answer_too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"the answer is larger than max_answer_bytes={limit} ({_mib(limit)}), the most the "
        "client holds in memory; pass a larger max_answer_bytes to the client, or use the "
        "operation's streaming form where it has one",
        option="max_answer_bytes",
        limit=limit,
    )


def item_too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"one item of the streamed answer (or the text between two) is larger than "
        f"max_item_bytes={limit} ({_mib(limit)}); pass a larger max_item_bytes to the client "
        "if the vendor's items are that large",
        option="max_item_bytes",
        limit=limit,
    )


def _mib(size: float) -> str:
    return f"{size / (1 << 20):g} MiB"


def content_codings(header: str | None) -> list[str]:
    """The codings of a ``Content-Encoding`` header, in the order they were applied."""
    if not header:
        return []
    codings = [c.strip().lower() for c in header.split(",")]
    return [c for c in codings if c and c != "identity"]


class _Inflater:
    """One gzip or deflate coding, decompressed in bounded steps."""

    def __init__(self, coding: str) -> None:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise TransportError(
                f"the answer is encoded as {coding!r}, which the client did not ask for "
                f"(Accept-Encoding: {ACCEPT_ENCODING}) and cannot decode"
            )
        self.gzip = coding != "deflate"
        self._decompressor: zlib._Decompress | None = (
            zlib.decompressobj(16 + zlib.MAX_WBITS) if self.gzip else None
        )
        self._pending = b""  # deflate: the first bytes, until they tell zlib from raw
        self.started = False  # some compressed input was seen
        self.backlog = 0  # input bytes fed but not decompressed yet

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._feed(data)
        except zlib.error as exc:
            raise _corrupt(exc) from None

    def _feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self.started = True
        if self._decompressor is None:  # deflate: zlib-wrapped as the RFC says, or raw
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._decompressor = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        while data:
            decompressor = self._decompressor
            if decompressor.eof:  # data after the end of the stream
                if not data.strip(b"\x00"):
                    return  # padding
                if not self.gzip:
                    raise TransportError("the compressed answer has data after its end")
                decompressor = self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = decompressor.decompress(data, _STEP)
            data = decompressor.unused_data if decompressor.eof else decompressor.unconsumed_tail
            self.backlog = len(data)
            if out:
                yield out
        self.backlog = 0

    def close(self) -> None:
        """The wire body ended: a stream that was started must have reached its end."""
        if not self.started:
            return  # an empty body: nothing was compressed (the decoders judge emptiness)
        if self._decompressor is None or not self._decompressor.eof:
            raise TransportError(
                "the compressed answer was cut off before its end (its stream is incomplete)"
            )


def _corrupt(exc: Exception) -> TransportError:
    return TransportError(f"the compressed answer is corrupt ({exc})")


class BodyDecoder:
    """Wire bytes in, decoded bytes out, within the limits: the content codings undone in
    bounded steps, the inflation ratio checked past ``INFLATION_FLOOR``, and (for an answer
    held in memory) the total decoded size checked against ``max_answer_bytes``."""

    __slots__ = ("limits", "held", "wire", "decoded", "_inflaters")

    def __init__(self, content_encoding: str | None, limits: Limits, *, held: bool) -> None:
        self.limits = limits
        self.held = held
        self.wire = 0
        self.decoded = 0
        # the last coding applied is undone first
        self._inflaters = [_Inflater(c) for c in reversed(content_codings(content_encoding))]

    @property
    def identity(self) -> bool:
        return not self._inflaters

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of the next wire bytes (none, one or many pieces)."""
        self.wire += len(data)
        if not self._inflaters:
            self._count(len(data))
            yield data
            return
        outer = self._inflaters[0]
        for piece in self._through(data, 0):
            self._count(len(piece))
            consumed = max(self.wire - outer.backlog, 1)  # wire bytes inflated so far
            if (
                self.decoded > INFLATION_FLOOR
                and self.decoded > self.limits.max_inflation * consumed
            ):
                raise LimitExceeded(
                    f"the compressed answer inflates more than max_inflation="
                    f"{self.limits.max_inflation:g} times ({self.decoded} bytes from "
                    f"{consumed} on the wire so far): a compression bomb? Pass a larger "
                    "max_inflation to the client if the vendor's answers compress that well",
                    option="max_inflation",
                    limit=self.limits.max_inflation,
                )
            yield piece

    def as_is(self, data: bytes) -> tuple[bytes]:
        """``feed`` for a body without content codings: the bytes counted, handed back."""
        self.wire += len(data)
        self._count(len(data))
        return (data,)

    def _through(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self._inflaters):
            yield data
            return
        for piece in self._inflaters[index].feed(data):
            yield from self._through(piece, index + 1)

    def close(self) -> None:
        """The wire body ended: a compressed stream must have ended too."""
        for inflater in self._inflaters:
            inflater.close()

    def _count(self, size: int) -> None:
        self.decoded += size
        if self.held and self.decoded > self.limits.max_answer_bytes:
            raise answer_too_large(self.limits.max_answer_bytes)


def collect(pieces: Iterable[bytes], limit: int, *, already: int = 0) -> bytes:
    """``pieces`` joined, refused past ``limit`` bytes (a status document read whole)."""
    gathered: list[bytes] = []
    size = already
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise answer_too_large(limit)
        gathered.append(piece)
    return b"".join(gathered)


# -- deadlines ----------------------------------------------------------------------------------


class Deadline:
    """The time one call may still take, for all of it: connect, headers, body, retries. The
    time a streamed item spends in the caller's hands is not counted (``held``): a slow loop
    over a listing is not the server's doing."""

    __slots__ = ("seconds", "origin", "held", "_ends")

    def __init__(self, seconds: float, origin: str, *, extra: float = 0.0) -> None:
        self.seconds = seconds  # as the caller gave it (``extra``: a long poll's hold time)
        self.origin = origin  # who set it, for the message: "this call's" or "the client's"
        self.held = 0.0  # seconds the caller held streamed items (added by the streaming loop)
        self._ends = time.monotonic() + seconds + extra

    def remaining(self) -> float:
        return self._ends + self.held - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def bound(self, seconds: float) -> float:
        """``seconds`` (a connect or read timeout), or less when the deadline is nearer."""
        return max(min(seconds, self.remaining()), 0.001)

    def allows(self, seconds: float) -> bool:
        """Whether waiting ``seconds`` (before a retry) still leaves time to try."""
        return seconds < self.remaining()

    def error(self, what: str, attempts: int = 1) -> CallTimeout:
        return CallTimeout(
            f"the call ran out of time {what}: it may take {self.seconds:g} s in all ("
            f"{self.origin} timeout={self.seconds:g}; connect, answer, body and retries "
            "together)",
            seconds=self.seconds,
            attempts=attempts,
        )


# -- polling ------------------------------------------------------------------------------------


class PollPacer:
    """How long to wait before the next status poll of a task. Polls start at least
    ``minimum`` seconds apart; while the server answers at once with nothing new (it does not
    hold the poll as the protocol says), the spacing doubles up to ``maximum``."""

    __slots__ = ("minimum", "maximum", "spacing")

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.spacing = minimum

    def wait_after(self, elapsed: float, changed: bool) -> float:
        """Seconds to wait after a poll that took ``elapsed`` seconds; ``changed``: it brought
        a new status version."""
        if changed or elapsed >= self.spacing:
            self.spacing = self.minimum  # progress, or the server paced the poll itself
            return max(0.0, self.minimum - elapsed)
        spacing = self.spacing
        self.spacing = min(spacing * 2, self.maximum)
        return max(0.0, spacing - elapsed)


# -- inputs that change the request ---------------------------------------------------------------

# HTAB is allowed in a field value; every other control character (CR, LF, NUL...) is not.
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def header_problem(name: str, value: str) -> str | None:
    """Why a header cannot be sent as given (None: it can). Never repeats the value."""
    if not _TOKEN.match(name):
        return f"the header name {name!r} is not an HTTP token"
    if not isinstance(value, str):
        return f"header {name!r} needs a text value, got {type(value).__name__}"
    bad = _HEADER_CONTROL.search(value)
    if bad:
        return (
            f"header {name!r} holds a control character (U+{ord(bad.group()):04X}) at position "
            f"{bad.start()}; header values cannot carry line breaks, NUL or other control "
            "characters"
        )
    if value[:1] in (" ", "\t"):
        return f"header {name!r} starts with whitespace"
    if not value.isascii():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError as exc:
            return (
                f"header {name!r} holds {value[exc.start]!r}-like text outside ISO-8859-1 at "
                f"position {exc.start}; header values are Latin-1 text"
            )
    return None


def encode_segment(text: str) -> str:
    """A path parameter as one path segment: every reserved character percent-encoded, and the
    dot segments ``.`` and ``..`` too, so that no HTTP stack resolves them away."""
    encoded = quote(text, safe="")
    if encoded in (".", ".."):
        return encoded.replace(".", "%2E")
    return encoded


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` value of HTTP basic auth: ``user:password`` in UTF-8 (RFC 7617)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def basic_credentials_problem(user: str, password: str) -> str | None:
    """Why a user name and password cannot be sent as basic auth (None: they can)."""
    if not isinstance(user, str) or not isinstance(password, str):
        return "the user name and password must be text"
    if ":" in user:
        return "a basic-auth user name cannot contain ':' (RFC 7617: it separates the password)"
    for what, text in (("user name", user), ("password", password)):
        bad = re.search(r"[\x00-\x1f\x7f]", text)
        if bad:
            return f"the {what} holds a control character (U+{ord(bad.group()):04X})"
        if re.search(r"[\ud800-\udfff]", text):
            return f"the {what} is not valid Unicode text (a lone surrogate)"
    return None


# A host, IPv4 address, bracketed IPv6 address or port: what a URL's authority may hold.
_AUTHORITY_VALUE = re.compile(r"^[\w.\-~%\[\]:]+$")


def url_setting_problem(template: str, name: str, value: object) -> str | None:
    """Why a setting cannot fill ``{name}`` in a server URL template (None: it can): a value in
    the host or port must be a host or port, not a path, query or another host's address.
    """
    text = str(value)
    marker = "{" + name + "}"
    if template.strip() == marker:
        return base_url_problem(text)
    scheme_end = template.find("://")
    authority_end = template.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    position = template.find(marker)
    in_authority = (
        scheme_end >= 0
        and position > scheme_end
        and (authority_end < 0 or position < authority_end)
    )
    if in_authority and not _AUTHORITY_VALUE.match(text):
        return (
            f"{text!r} is not a host name or port (a host is a host: no '/', '?', '#', '@', "
            "spaces or a scheme)"
        )
    if re.search(r"[?#\s]|[\x00-\x1f\x7f]", text):
        return f"{text!r} cannot be part of the server URL (it holds '?', '#' or whitespace)"
    return None


def base_url_problem(url: str) -> str | None:
    """Why a base URL is not one (None: it is): http(s), a host, an optional port and path, no
    user name or password, query or fragment."""
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        return f"{url!r} holds whitespace or a control character"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http:// or https:// URL"
    if not parts.hostname:
        return f"{url!r} names no host"
    if "@" in parts.netloc:
        return f"{url!r} holds a user name or password; give credentials as the client's settings"
    try:
        _ = parts.port
    except ValueError:
        return f"{url!r} has an invalid port"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return f"{url!r} holds a query or fragment; a base URL is scheme, host, port and path"
    return None


class UrlSecrets(logging.Filter):
    """Masks secrets that travel in URLs in an HTTP library's own log lines (urllib3's and
    httpx's "GET /x?api_key=..."); installed on that library's logger the first time such a
    secret is sent."""

    def __init__(self, logger: str) -> None:
        super().__init__()
        self.logger = logger
        self.secrets: set[str] = set()

    def watch(self, url: str, secrets: Iterable[str]) -> None:
        """Mask from now on those of ``secrets`` that ``url`` carries."""
        in_url = [s for s in secrets if s and mask(url, [s]) != url]
        if not in_url:
            return
        if not self.secrets:
            logging.getLogger(self.logger).addFilter(self)
        self.secrets.update(in_url)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask(text, self.secrets)
        if masked != text:
            record.msg, record.args = masked, ()
        return True
