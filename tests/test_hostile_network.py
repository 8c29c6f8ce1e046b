"""The network is hostile too: every client, called every way it can be (plain, streamed, saved
to a file), against servers that misbehave at the HTTP level.

The servers write raw bytes over sockets (``tests/raw_server.py``), so what reaches the client
is exactly what a hostile or broken server sends: redirects to another origin or to plain
http, compression bombs, compressed streams cut short or corrupt, codings nobody asked for,
answers too large to hold, endless items, servers that drip a byte at a time (headers or body),
header blocks cut before their end, empty answers, XML declaring an encoding that does not
exist. Each case asserts the package's own error of the expected kind, no request reaching the
other origin, bounded memory (traced, where the answer is huge), bounded time (the call's
deadline and a margin) and no file left behind.

``pytest tests/test_hostile_network.py -s`` prints how many hostile servers were tried.
"""

from __future__ import annotations

import gzip
import importlib
import itertools
import json
import re
import ssl
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import trustme

from generator.model import Example
from generator.runtime.descriptors import ApiDescription as Api
from generator.runtime.descriptors import Operation
from tests.flavours import SYNC, Flavour
from tests.raw_server import (
    RawRequest,
    RawServer,
    Step,
    Timer,
    chunked,
    drip,
    forever,
    response,
)
from tests.sweeps import count_line
from tests.test_examples import APIS, call_kwargs, examples_of, make_client

CASES_RUN: dict[str, int] = {}
MiB = 1 << 20
# Client options of every case: small bounds keep the huge answers quick to refuse (the
# defaults are proven separately); retries off, so that each case is one exchange.
OPTIONS: dict[str, Any] = {
    "retry_attempts": 0,
    "max_answer_bytes": 2 * MiB,
    "max_item_bytes": 256 * 1024,
    "timeout": 5.0,
}


@pytest.fixture(scope="module", autouse=True)
def _report_the_count() -> Iterator[None]:
    yield
    print(count_line("hostile servers", CASES_RUN))


# -- the ways each client is called -------------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """One client called one way: ``plain`` (the answer held), ``streamed`` (the ``iter_``
    twin) or ``file`` (``save_to=`` a path)."""

    api: Api
    op: Operation
    example: Example
    how: str

    @property
    def id(self) -> str:
        return f"{self.api.name}.{self.op.name}.{self.how}"

    @property
    def good(self) -> bytes:
        return str(self.example.response.get("body", "")).encode("utf-8")

    @property
    def headers(self) -> dict[str, str]:
        given = dict(self.example.response.get("headers") or {})
        return {str(k): str(v) for k, v in given.items()}

    def call(self, base_url: str, target: Path, flavour: Flavour = SYNC, **options: Any) -> Any:
        extra = {"wait_time": 0, "poll_interval": 0.0} if self.api.long_running else {}
        client = make_client(
            self.api, flavour, base_url=base_url, **{**OPTIONS, **extra, **options}
        )
        kwargs = call_kwargs(self.api, self.op, self.example)
        try:
            if self.how == "streamed":
                return list(getattr(client, f"iter_{self.op.name}")(**kwargs))
            if self.how == "file":
                return getattr(client, self.op.name)(**kwargs, save_to=target)
            return getattr(client, self.op.name)(**kwargs)
        finally:
            client.close()


def _way(api_name: str, op_name: str, example_name: str, how: str) -> Way:
    api = next(a for a in APIS if a.name == api_name)
    op = next(o for o in api.operations if o.name == op_name)
    example = next(e for e in examples_of(api, op) if e.name == example_name)
    return Way(api, op, example, how)


WAYS = [
    _way("lleida_mailcert", "list_pdf", "documented", "plain"),
    _way("lleida_mailcert", "list_pdf", "documented", "streamed"),
    _way("lleida_mailcert", "download_pdf", "pdf", "plain"),
    _way("lleida_mailcert", "download_pdf", "pdf", "file"),
    _way("mailstore_server", "get_users", "documented", "plain"),
    _way("mailstore_spe", "get_environment_info", "documented", "plain"),
    _way("click2mail", "get_credit", "documented", "plain"),
    _way("click2mail", "get_proof", "succeeds", "plain"),
    _way("click2mail", "get_proof", "succeeds", "file"),
]


def _is_xml(way: Way) -> bool:
    return way.good.lstrip().startswith(b"<")


# -- the hostile servers ------------------------------------------------------------------------


@dataclass
class Scene:
    """What a kind of server may refer to: the other origin, the way called."""

    way: Way
    other: RawServer


@dataclass(frozen=True)
class Kind:
    """One way for a server to misbehave, and what the client must make of it."""

    name: str
    answer: Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]
    error: str | None  # the package error class expected; None: the call succeeds
    message: str = ""  # a pattern the error's message matches
    applies: Callable[[Way], bool] = lambda way: True
    tls: bool = False  # the server speaks https
    memory: bool = False  # the answer is huge: traced memory must stay bounded
    options: dict[str, Any] = field(default_factory=dict)
    seconds: float = 5.0  # the call must end within this


def _always(*steps: Step) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    return lambda scene: lambda request: steps


def _redirect(status: int) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    return lambda scene: lambda request: [
        response(status, b"", {"Location": f"{scene.other.url}/elsewhere{request.target}"})
    ]


def _same_origin(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    def answer(request: RawRequest) -> Iterable[Step]:
        if request.target.startswith("/moved"):
            return [response(200, scene.way.good, scene.way.headers)]
        return [response(307, b"", {"Location": f"/moved{request.target}"})]

    return answer


def _loop(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    return lambda request: [response(302, b"", {"Location": request.target})]


@cache
def _spaces_member(mib: int) -> bytes:
    """A gzip member of ``mib`` MiB of spaces (about 1 KiB on the wire per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * MiB
    return b"".join(packer.compress(block) for _ in range(mib)) + packer.flush()


@cache
def _zlib_bomb(head: bytes, mib: int, wbits: int) -> bytes:
    """``head``, then ``mib`` MiB of spaces, in one zlib stream (``wbits``: wrapped or raw)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b" " * MiB
    return (
        packer.compress(head)
        + b"".join(packer.compress(block) for _ in range(mib))
        + packer.flush()
    )


def _bomb_head(way: Way) -> bytes:
    """The vendor's own document begun (an XML-looking answer, a status document for a file)."""
    return way.good[: max(way.good.rfind(b"</"), 0)] or b"<"


def _gzip_bomb(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    # then endless spaces: a second gzip member that inflates 1,000 times
    body = gzip.compress(_bomb_head(scene.way)) + _spaces_member(256)
    headers = {**scene.way.headers, "Content-Encoding": "gzip"}
    return lambda request: [response(200, body, headers)]


def _deflate_bomb(wbits: int) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    def build(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
        headers = {**scene.way.headers, "Content-Encoding": "deflate"}
        body = _zlib_bomb(_bomb_head(scene.way), 64, wbits)
        return lambda request: [response(200, body, headers)]

    return build


def _gzipped(
    cut: Callable[[bytes], bytes],
) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    def build(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
        body = cut(gzip.compress(scene.way.good))
        headers = {**scene.way.headers, "Content-Encoding": "gzip"}
        return lambda request: [response(200, body, headers)]

    return build


def _flip_middle(data: bytes) -> bytes:
    middle = 10 + (len(data) - 18) // 2  # inside the deflate data, between header and trailer
    return data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :]


def _oversized(length: bool) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    def build(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
        head = scene.way.good[: max(scene.way.good.rfind(b"</"), 0)] or b"<x>"
        body = head + b" " * (8 * MiB)
        if length:
            return lambda request: [response(200, body, scene.way.headers)]
        start = response(
            200, b"", {**scene.way.headers, "Transfer-Encoding": "chunked"}, length=False
        )
        return lambda request: [
            start,
            *chunked(body[i : i + 65536] for i in range(0, len(body), 65536)),
        ]

    return build


def _endless(after_first_item: bool) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    """The listing, then an item that never ends (an endless text node), or endless
    whitespace after the first complete item."""

    def build(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
        good = scene.way.good
        if after_first_item:
            prefix, filler = good[: good.index(b"</pdf_row>") + len(b"</pdf_row>")], b" "
        else:
            prefix, filler = good[: good.index(b"<mail_subj>") + len(b"<mail_subj>")], b"A"

        def answer(request: RawRequest) -> Iterator[Step]:
            yield response(200, b"", {"Transfer-Encoding": "chunked"}, length=False)
            yield _chunk(prefix)
            yield from forever(_chunk(filler * 65536))

        return answer

    return build


def _chunk(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def _drip_body(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    def answer(request: RawRequest) -> Iterator[Step]:
        yield response(200, b"", {**scene.way.headers, "Content-Length": "1000000"})
        yield from forever(b" ", 0.05)

    return answer


def _drip_headers(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    return lambda request: itertools.chain(drip(b"HTTP/1.1 200 OK\r\n", 0.02), forever(b"X", 0.05))


def _cut_headers(dripped: bool) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n"
    if dripped:
        return lambda scene: lambda request: [*drip(head, 0.002), None]
    return _always(head, None)


def _cut_mid_body(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    whole = response(200, scene.way.good, scene.way.headers)
    return lambda request: [whole[: len(whole) - max(1, len(scene.way.good) // 2)], None]


def _unknown_encoding(status: int) -> Callable[[Scene], Callable[[RawRequest], Iterable[Step]]]:
    def build(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
        good = scene.way.good
        if good.startswith(b"<?xml"):
            body = good[: good.index(b"?>") + 2].replace(b"ISO-8859-1", b"x-nowhere")
            body = body.replace(b"UTF-8", b"x-nowhere") + good[good.index(b"?>") + 2 :]
        else:
            body = b'<?xml version="1.0" encoding="x-nowhere"?>' + good
        return lambda request: [response(status, body, {"Content-Type": "text/xml"})]

    return build


def _status_in_utf16(scene: Scene) -> Callable[[RawRequest], Iterable[Step]]:
    document = _status_document(scene.way)
    text = document.decode("utf-8").replace('encoding="ISO-8859-1"', 'encoding="UTF-16"')
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return lambda request: [
        response(200, text.encode("utf-16"), {"Content-Type": "application/pdf"})
    ]


def _status_example(way: Way) -> Example:
    return next(
        e for e in examples_of(way.api, way.op) if str(e.response.get("body", "")).startswith("<")
    )


def _status_document(way: Way) -> bytes:
    return str(_status_example(way).response.get("body", "")).encode("utf-8")


def _binary(way: Way) -> bool:
    return way.op.decoding == "binary_or_xml"


# a bomb ends at the inflation bound, or first at the item bound of a streamed answer
BOMB = "max_inflation|max_item_bytes"
KINDS = [
    Kind("redirect 307 to another origin", _redirect(307), "TransportError", "another origin"),
    Kind("redirect 302 to another origin", _redirect(302), "TransportError", "another origin"),
    Kind(
        "redirect from https to http",
        _redirect(307),
        "TransportError",
        "from https to plain http",
        tls=True,
    ),
    Kind("endless redirects", _loop, "TransportError", "more than 5 redirects"),
    Kind("redirect within the origin", _same_origin, None),
    Kind("gzip bomb", _gzip_bomb, "LimitExceeded", BOMB, memory=True),
    Kind("deflate bomb", _deflate_bomb(zlib.MAX_WBITS), "LimitExceeded", BOMB, memory=True),
    Kind("raw deflate bomb", _deflate_bomb(-zlib.MAX_WBITS), "LimitExceeded", BOMB, memory=True),
    Kind("gzip cut before its trailer", _gzipped(lambda d: d[:-8]), "TransportError", "cut off"),
    Kind("gzip corrupt", _gzipped(_flip_middle), "TransportError", "corrupt"),
    Kind(
        "a coding not asked for",
        _always(response(200, b"xx", {"Content-Encoding": "br"})),
        "TransportError",
        "did not ask for",
    ),
    Kind(
        "too large to hold (Content-Length)",
        _oversized(True),
        "LimitExceeded",
        "max_answer_bytes",
        applies=lambda way: way.how == "plain" or (way.how == "file" and _is_xml(way)),
        memory=True,
    ),
    Kind(
        "too large to hold (chunked)",
        _oversized(False),
        "LimitExceeded",
        "max_answer_bytes",
        applies=lambda way: way.how == "plain",
        memory=True,
    ),
    Kind(
        "an endless text node",
        _endless(False),
        "LimitExceeded",
        "max_item_bytes",
        applies=lambda way: way.how == "streamed",
        memory=True,
    ),
    Kind(
        "endless whitespace between items",
        _endless(True),
        "LimitExceeded",
        "max_item_bytes",
        applies=lambda way: way.how == "streamed",
        memory=True,
    ),
    Kind(
        "a body dripped a byte at a time",
        _drip_body,
        "CallTimeout",
        "it may take 0.3 s",
        options={"timeout": 0.3, "read_timeout": 0.2},
        seconds=0.9,
    ),
    Kind(
        "headers dripped a byte at a time",
        _drip_headers,
        "CallTimeout",
        "it may take 0.3 s",
        options={"timeout": 0.3, "read_timeout": 0.2},
        seconds=0.9,
    ),
    Kind(
        "headers cut before their end",
        _cut_headers(False),
        "TransportError",
        "headers were cut off",
    ),
    Kind("headers dripped, then cut", _cut_headers(True), "TransportError", "headers were cut off"),
    Kind("cut off mid-body", _cut_mid_body, "TransportError", "cut off"),
    Kind("an empty answer", _always(response(200, b"")), "DecodeError"),
    Kind(
        "an empty answer, ended by closing",
        _always(b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n\r\n", None),
        "DecodeError",
    ),
    Kind(
        "XML declaring an unknown encoding",
        _unknown_encoding(200),
        "DecodeError",
        applies=lambda way: _is_xml(way) or _binary(way),
    ),
    Kind("an error answer declaring an unknown encoding", _unknown_encoding(500), "HttpError"),
    Kind(
        "the status document in UTF-16",
        _status_in_utf16,
        "as the example",
        applies=_binary,
    ),
]

CASES = [(way, kind) for way in WAYS for kind in KINDS if kind.applies(way)]


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, str]:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    bundle = Path(__import__("tempfile").mkdtemp()) / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return context, str(bundle)


@pytest.mark.parametrize(
    ("way", "kind"), CASES, ids=[f"{way.id}: {kind.name}" for way, kind in CASES]
)
def test_a_hostile_server_ends_in_the_package_error_in_bounded_time_and_memory(
    way: Way, kind: Kind, tmp_path: Path, tls: tuple[ssl.SSLContext, str], flavour: Flavour
) -> None:
    package = importlib.import_module(f"generated.{way.api.name}")
    CASES_RUN[kind.name] = CASES_RUN.get(kind.name, 0) + 1
    target = tmp_path / "saved.pdf"
    options = dict(kind.options)
    with RawServer(lambda request: [response(200, way.good, way.headers)]) as other:
        scene = Scene(way, other)
        with RawServer(kind.answer(scene), tls=tls[0] if kind.tls else None) as server:
            if kind.tls:
                options["ca_bundle"] = tls[1]
            if kind.memory:
                tracemalloc.start()
            try:
                with Timer() as timer:
                    outcome: Any = way.call(server.url, target, flavour, **options)
            except Exception as raised:  # noqa: BLE001 - the point is to see what escapes
                outcome = raised
            finally:
                peak = tracemalloc.get_traced_memory()[1] if kind.memory else 0
                tracemalloc.stop()
        assert other.requests == [], f"{len(other.requests)} request(s) reached the other origin"
    assert timer.seconds < kind.seconds, f"the call took {timer.seconds:.1f} s"
    assert peak < 200 * MiB, f"{peak / MiB:.0f} MiB traced"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "saved.pdf"]
    assert leftovers == [], f"left behind: {leftovers}"
    if kind.error == "as the example":
        _assert_as_the_status_example(way, package, outcome)
        return
    if kind.error is None:
        assert not isinstance(outcome, BaseException), f"{type(outcome).__name__}: {outcome}"
        assert len(server.requests) == 2 and server.requests[1].target.startswith("/moved")
        first, second = server.requests
        assert (first.header("Authorization"), first.body) == (
            second.header("Authorization"),
            second.body,
        ), "the credentials stay with the request within the origin"
        return
    assert isinstance(
        outcome, getattr(package, kind.error)
    ), f"expected {kind.error}, got {type(outcome).__name__}: {outcome}"
    assert re.search(kind.message, str(outcome)), str(outcome)
    if way.how == "file":
        assert not target.exists(), "an answer that failed became a file"


def _assert_as_the_status_example(way: Way, package: Any, outcome: Any) -> None:
    """A status document in UTF-16 is read as the vendor's status, as the UTF-8 one is."""
    example = _status_example(way)
    if example.raises:
        assert isinstance(outcome, getattr(package, example.raises)), repr(outcome)
    else:
        assert not isinstance(outcome, BaseException), repr(outcome)
        assert outcome.has_file is False and outcome.status == example.result["status"]


# -- the defaults bound them too ----------------------------------------------------------------


@pytest.mark.parametrize("way", [w for w in WAYS if w.how == "plain"], ids=lambda w: w.id)
def test_with_the_default_limits_a_bomb_ends_within_a_few_mib(
    way: Way, tmp_path: Path, flavour: Flavour
) -> None:
    scene = Scene(way, RawServer(lambda request: []))
    with RawServer(_gzip_bomb(scene)) as server:
        client = make_client(way.api, flavour, base_url=server.url, retry_attempts=0)
        tracemalloc.start()
        try:
            with pytest.raises(_package(way).LimitExceeded) as caught:
                getattr(client, way.op.name)(**call_kwargs(way.api, way.op, way.example))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.option == "max_inflation" and caught.value.limit == 200
    assert peak < 16 * MiB


def test_with_the_default_limits_a_huge_plain_answer_is_refused_in_bounded_memory(
    flavour: Flavour,
) -> None:
    way = WAYS[0]  # Lleida's list_pdf: the answer that can hold every certificate ever issued
    good = way.good
    end = good.index(b"</pdf_list>")
    row = good[good.index(b"<pdf_row>") : end]
    # rows read and decoded as they arrive (a MiB of whitespace after each): the answer's size
    # is what stops it, whatever it holds
    body = good[:end] + (b" " * MiB + row) * 96 + good[end:]

    def answer(request: RawRequest) -> Iterator[Step]:
        yield response(200, b"", {"Transfer-Encoding": "chunked"}, length=False)
        yield from chunked(body[i : i + MiB] for i in range(0, len(body), MiB))

    with RawServer(answer) as server:
        client = make_client(way.api, flavour, base_url=server.url, retry_attempts=0)
        tracemalloc.start()
        try:
            with pytest.raises(_package(way).LimitExceeded, match="iter_|streaming") as caught:
                client.list_pdf()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.option == "max_answer_bytes" and caught.value.limit == 64 * MiB
    assert peak < 200 * MiB, f"{peak / MiB:.0f} MiB traced"


def _package(way: Way) -> Any:
    return importlib.import_module(f"generated.{way.api.name}")


# -- an operation served from elsewhere -----------------------------------------------------------

CDN_SPEC = """\
spec_version: 1
api: {name: cdn_api, title: Served from a CDN, client_class: CdnClient}
settings:
  token: {type: str, secret: true, doc: The API key.}
server: {url: "http://127.0.0.1:1"}
auth: {scheme: api_key, token: token, in: query, name: api_key}
protocol: {encoding: query, decoding: json, default_method: GET}
operations:
  fetch:
    path: /files/{name}
    redirects: any_origin
    params:
      name: {type: str, in: path, required: true}
      X-Signature: {type: str, in: header, secret: true, name: signature}
  store:
    method: POST
    encoding: json
    path: /files
    redirects: any_origin
    params:
      data: {type: str}
"""
KEY = "k3y-0f-the-vendor"


@pytest.fixture(scope="module")
def cdn_package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.spec_packages import build_package

    return build_package(tmp_path_factory.mktemp("cdn"), CDN_SPEC)


def test_a_redirect_elsewhere_that_the_spec_allows_is_followed_without_any_credential(
    cdn_package: Any,
    flavour: Flavour,
) -> None:
    with RawServer(lambda request: [response(200, b'{"blob": 1}')]) as cdn:

        def vendor(request: RawRequest) -> Iterable[Step]:
            location = f"{cdn.url}/blob?api_key={KEY}&expires=60"  # the vendor echoes the key
            return [response(302, b"", {"Location": location, "Set-Cookie": "session=s3ss10n"})]

        with RawServer(vendor) as server:
            client = flavour.make(cdn_package.CdnClient, KEY, base_url=server.url, retry_attempts=0)
            result = client.fetch(
                "report.pdf", signature="s1gnature-xyz", extra_headers={"X-Extra-Key": "extra-k3y"}
            )
            assert result == {"blob": 1}
            (asked,) = server.requests
            assert asked.target == f"/files/report.pdf?api_key={KEY}"
            assert asked.header("X-Signature") == "s1gnature-xyz"
            (followed,) = cdn.requests
    assert (followed.method, followed.target) == ("GET", "/blob?expires=60")
    sent = " ".join(f"{k}: {v}" for k, v in followed.headers.items())
    for credential in (KEY, "s1gnature-xyz", "extra-k3y", "s3ss10n"):
        assert credential not in sent + followed.target, f"{credential} went to the CDN"
    assert sorted(k.lower() for k in followed.headers) == [
        "accept",
        "accept-encoding",
        "host",
        "user-agent",
    ]


@pytest.mark.parametrize(
    ("status", "method", "body"), [(303, "GET", b""), (301, "GET", b""), (307, None, None)]
)
def test_a_post_is_followed_elsewhere_only_as_the_get_the_redirect_asks_for(
    cdn_package: Any,
    status: int,
    method: str | None,
    body: bytes | None,
    flavour: Flavour,
) -> None:
    with RawServer(lambda request: [response(200, b'{"stored": true}')]) as cdn:
        location = {"Location": f"{cdn.url}/stored"}
        with RawServer(lambda request: [response(status, b"", location)]) as server:
            client = flavour.make(cdn_package.CdnClient, KEY, base_url=server.url, retry_attempts=0)
            if method is None:
                with pytest.raises(cdn_package.TransportError, match="only GET and HEAD"):
                    client.store(data="payload")
                assert cdn.requests == []
                return
            assert client.store(data="payload") == {"stored": True}
        (followed,) = cdn.requests
    assert (followed.method, followed.body) == (method, body)
    assert followed.header("Content-Type") is None


def test_from_https_to_http_is_refused_even_where_the_spec_allows_other_origins(
    cdn_package: Any,
    tls: tuple[ssl.SSLContext, str],
    flavour: Flavour,
) -> None:
    with RawServer(lambda request: [response(200, b"{}")]) as plain:
        location = {"Location": f"{plain.url}/blob"}
        with RawServer(lambda request: [response(302, b"", location)], tls=tls[0]) as server:
            client = flavour.make(cdn_package.CdnClient, KEY, base_url=server.url, ca_bundle=tls[1])
            with pytest.raises(cdn_package.TransportError, match="from https to plain http"):
                client.fetch("report.pdf")
        assert plain.requests == []


# -- polling ------------------------------------------------------------------------------------


def _storm(new_version_each_time: bool) -> Callable[[RawRequest], Iterable[Step]]:
    """A MailStore whose get-status answers "running" at once instead of holding the poll."""
    polls = itertools.count(1)

    def answer(request: RawRequest) -> Iterable[Step]:
        version = next(polls) if new_version_each_time else 1
        body = json.dumps(
            {"statusCode": "running", "statusVersion": version, "token": "tok-1", "error": None}
        )
        return [response(200, body.encode(), {"Content-Type": "application/json"})]

    return answer


@pytest.mark.parametrize(
    ("new_versions", "options", "most"),
    [
        (False, {}, 4),  # 0.25, then 0.5 s apart: backing off while nothing changes
        (True, {}, 6),  # progress each time: 0.25 s apart
        (True, {"poll_interval": 0.4}, 4),  # the client's own spacing
    ],
)
def test_a_task_whose_server_answers_at_once_is_polled_at_a_paced_rate(
    new_versions: bool,
    options: dict[str, Any],
    most: int,
    flavour: Flavour,
) -> None:
    from generated.mailstore_server import MailStoreServerClient, TaskTimeout

    with RawServer(_storm(new_versions)) as server:
        client = flavour.make(
            MailStoreServerClient, password="pw", base_url=server.url, retry_attempts=0, **options
        )
        task = client.begin_verify_store(3, True)
        with Timer() as timer, pytest.raises(TaskTimeout):
            task.wait(timeout=1.0)
        polls = len(server.requests) - 1  # the first request started the task
    assert 2 <= polls <= most, f"{polls} polls in {timer.seconds:.1f} s"
    assert timer.seconds < 1.5


# -- a spec's own bounds and pacing ---------------------------------------------------------------


@pytest.fixture(scope="module")
def bounded_package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The task vendor of ``test_task_protocol`` with bounds and pacing of its own."""
    from tests.spec_packages import build_package
    from tests.test_task_protocol import SPEC

    spec = SPEC.replace(
        "server: {",
        "transport: {timeout: 0.5, max_answer_bytes: 4000000, max_item_bytes: 300000, "
        "max_inflation: 10}\nserver: {",
    ).replace(
        "    auto_handle: true\n",
        "    auto_handle: true\n    poll_interval: 0.1\n    poll_interval_max: 0.2\n",
    )
    return build_package(tmp_path_factory.mktemp("bounded"), spec)


def test_the_spec_sets_the_clients_default_deadline_limits_and_pacing(
    bounded_package: Any, flavour: Flavour
) -> None:
    import inspect

    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(bounded_package.TasksClient).parameters.items()
    }
    assert {k: defaults[k] for k in ("timeout", "max_answer_bytes", "max_item_bytes")} == {
        "timeout": 0.5,
        "max_answer_bytes": 4000000,
        "max_item_bytes": 300000,
    }
    assert (defaults["max_inflation"], defaults["poll_interval"]) == (10, 0.1)
    client = flavour.make(bounded_package.TasksClient, base_url="http://127.0.0.1:1")
    assert client._client.limits == (4000000, 300000, 10)
    assert client._client.pacer().maximum == 0.2


def _task_answers(state: Iterator[int]) -> Callable[[RawRequest], Iterable[Step]]:
    def answer(request: RawRequest) -> Iterable[Step]:
        body = json.dumps({"state": "busy", "ticket": "T-1", "rev": next(state)})
        return [response(200, body.encode(), {"Content-Type": "application/json"})]

    return answer


def test_the_spec_paces_the_polls_of_a_server_that_answers_at_once(
    bounded_package: Any, flavour: Flavour
) -> None:
    with RawServer(_task_answers(itertools.repeat(1))) as server:
        client = flavour.make(bounded_package.TasksClient, base_url=server.url, timeout=5)
        task = client.begin_rebuild()
        with pytest.raises(bounded_package.TaskTimeout):
            task.wait(timeout=1.0)
        polls = len(server.requests) - 1
    assert 4 <= polls <= 7  # 0.1 s, then 0.2 s apart (poll_interval_max), not thousands


def test_the_spec_bounds_each_call(bounded_package: Any, flavour: Flavour) -> None:
    def dripping(request: RawRequest) -> Iterator[Step]:
        yield response(200, b"", {"Content-Length": "100000"})
        yield from forever(b" ", 0.05)

    with RawServer(dripping) as server:
        client = flavour.make(bounded_package.TasksClient, base_url=server.url)
        with Timer() as timer, pytest.raises(bounded_package.CallTimeout, match="timeout=0.5"):
            client.begin_rebuild()
    assert timer.seconds < 1.0
    big = b'{"state": "done", "data": "' + b"x" * 4_000_000 + b'"}'
    bomb = gzip.compress(b" " * (2 * MiB))
    for body, headers, option in (
        (big, {}, "max_answer_bytes"),
        (bomb, {"Content-Encoding": "gzip"}, "max_inflation"),
    ):
        with RawServer(lambda request, b=body, h=headers: [response(200, b, h)]) as server:
            client = flavour.make(bounded_package.TasksClient, base_url=server.url)
            with pytest.raises(bounded_package.LimitExceeded) as caught:
                client.begin_rebuild()
        assert caught.value.option == option
