"""Only the package's errors escape: every example answer of every spec, made hostile.

Each answer a spec documents is served again truncated at every offset (100 spread offsets past
200 bytes), with bytes flipped, nested 10,000 deep, wrapped in HTML, with other HTTP statuses, cut
off mid-stream and split at random chunk boundaries. Each call must return the example's result
(any result where the change is legitimately data: flipped bytes, other 2xx statuses, a
shorter file) or raise a subclass of the package's ``Error`` — never another exception, and
never leave a partial download behind. The answers travel through requests' own transport
adapter interface (httpx's transport interface for the async client), so the whole client runs
(send, retries, decode, stream) without sockets; the loopback tests elsewhere cover the
sockets. The async client meets every kind of hostile answer of every fourth example, a sample
of each kind's variants (an eighth of the offsets, a third of the statuses): the decisions are
the shared core's, the sync run holds them to every variant of every example.
"""

from __future__ import annotations

import importlib
import random
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from generated._runtime.printing import plain
from generator.model import Example
from generator.runtime.descriptors import ApiDescription as Api
from generator.runtime.descriptors import Operation
from tests.flavours import ASYNC, SYNC, Flavour
from tests.sweeps import count_line
from tests.test_examples import APIS, call_kwargs, examples_of, make_client

STATUSES = (200, 201, 202, 204, 301, 302, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 599)
HTML_PAGE = b"<html><head><title>Maintenance</title></head><body><p>Back soon</p></body></html>"
CASES_RUN: dict[str, int] = {}  # hostile answers tried, by kind (printed after the module)
MAX_REQUESTS = 6  # a task that never ends is cut off here (a TransportError), not polled forever
SPREAD_BY_FUNCTION = True  # its four sweeps run on several workers at once (tests/conftest.py)


@pytest.fixture(scope="module", autouse=True)
def _report_the_count() -> Iterator[None]:
    """``pytest tests/test_hostile_answers.py -s`` prints the figure the README quotes."""
    yield
    print(count_line("hostile answers", CASES_RUN))


class Answer:
    def __init__(
        self,
        body: bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        chunks: list[int] | None = None,
        cut_after: int | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = headers or {}
        self.chunks = chunks  # sizes; None: one piece
        self.cut_after = cut_after  # bytes sent before the connection breaks


class _Body:
    """What requests reads a response from (urllib3's streaming interface)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.closed = False

    def stream(self, amt: int | None = None, decode_content: bool = True) -> Iterator[bytes]:
        body = self.answer.body
        limit = len(body) if self.answer.cut_after is None else self.answer.cut_after
        sizes = self.answer.chunks or [max(1, limit)]
        position = 0
        for size in _cycle(sizes):
            if position >= limit:
                break
            piece = body[position : min(position + size, limit)]
            position += len(piece)
            yield piece
        if self.answer.cut_after is not None:
            raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass


def _cycle(sizes: list[int]) -> Iterator[int]:
    while True:
        yield from sizes


class ScriptedAdapter(BaseAdapter):
    """Answers every request with the same scripted answer (a hostile server repeats itself)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer
        self.count = 0

    def send(self, request: Any, stream: bool = False, **kwargs: Any) -> requests.Response:
        self.count += 1
        if self.count > MAX_REQUESTS:
            raise requests.ConnectionError("the scripted server stops answering")
        response = requests.Response()
        response.status_code = self.answer.status
        response.headers = CaseInsensitiveDict(self.answer.headers)
        response.raw = _Body(self.answer)
        response.url = request.url
        response.request = request
        response.reason = "scripted"
        response.connection = self  # type: ignore[attr-defined]
        if not stream:
            _ = response.content
        return response

    def close(self) -> None:
        pass


def _session(answer: Answer) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy lookups: they would dominate a socket-free call
    session.mount("http://", ScriptedAdapter(answer))
    session.mount("https://", ScriptedAdapter(answer))
    return session


class _AsyncBody(httpx.AsyncByteStream):
    """The scripted answer's pieces, as an httpx transport delivers them (a cut connection is
    httpx's own error)."""

    def __init__(self, answer: Answer) -> None:
        self.pieces = _Body(answer).stream()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            for piece in self.pieces:
                yield piece
        except urllib3.exceptions.ProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from None


class ScriptedHttpx(httpx.AsyncBaseTransport):
    """``ScriptedAdapter`` for the async client: httpx's transport interface, no sockets."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if self.count > MAX_REQUESTS:
            raise httpx.ConnectError("the scripted server stops answering")
        await request.aread()
        return httpx.Response(
            self.answer.status, headers=self.answer.headers, stream=_AsyncBody(self.answer)
        )


def _connection(answer: Answer, flavour: Flavour) -> Any:
    """What the client of ``flavour`` talks to: a requests session or an httpx client."""
    if flavour.is_async:
        return httpx.AsyncClient(transport=ScriptedHttpx(answer), trust_env=False)
    return _session(answer)


def _examples() -> list[tuple[Api, Operation, Example]]:
    return [
        (api, op, ex)
        for api in APIS
        for op in api.operations
        for ex in examples_of(api, op)
        if "body" in ex.response
    ]


EXAMPLES = _examples()
# Every example on the sync client, every fourth one on the async client.
FLAVOURED = [(SYNC, case) for case in EXAMPLES] + [(ASYNC, case) for case in EXAMPLES[::4]]


def _answer_of(example: Example) -> Answer:
    response = example.response
    headers = {str(k): str(v) for k, v in dict(response.get("headers") or {}).items()}
    return Answer(
        str(response.get("body", "")).encode("utf-8"),
        int(str(response.get("status", 200))),
        headers,
    )


def _call(
    api: Api, op: Operation, example: Example, answer: Answer, tmp_path: Path, flavour: Flavour
) -> list[Any]:
    """Every way to call the operation (plain, streaming twin, download to a path); each
    outcome is the result or the exception raised."""
    outcomes: list[Any] = []
    kwargs = call_kwargs(api, op, example)
    ways: list[tuple[str, dict[str, Any]]] = [(op.name, kwargs)]
    if op.stream_items:
        ways.append((f"iter_{op.name}", kwargs))
    if op.decoding == "binary_or_xml":
        ways.append((op.name, {**kwargs, "save_to": tmp_path / "saved.bin"}))
    for name, arguments in ways:
        extra = {"wait_time": 0} if api.long_running else {}
        client = make_client(api, flavour, session=_connection(answer, flavour), **extra)
        method = getattr(client, name)
        try:
            result = method(**arguments)
            if name.startswith("iter_"):
                result = list(result)
            outcomes.append(result)
        except Exception as exc:  # noqa: BLE001 - the point is to see what escapes
            outcomes.append(exc)
        finally:
            client.close()
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]
        assert not leftovers, f"a partial download was left behind: {leftovers}"
    return outcomes


def _check(
    api: Api,
    op: Operation,
    example: Example,
    answer: Answer,
    tmp_path: Path,
    variant: str,
    *,
    same_result: bool,
    flavour: Flavour = SYNC,
) -> None:
    """Only package errors escape; with ``same_result``, a success is the example's result."""
    package = importlib.import_module(f"generated.{api.name}")
    CASES_RUN[variant] = CASES_RUN.get(variant, 0) + 1
    for outcome in _call(api, op, example, answer, tmp_path, flavour):
        if isinstance(outcome, BaseException):
            assert isinstance(
                outcome, package.Error
            ), f"{api.name}.{op.name} [{variant}] let {type(outcome).__name__} escape: {outcome}"
            assert str(outcome), f"{api.name}.{op.name} [{variant}]: an error without a message"
            continue
        if same_result and example.raises is None and op.decoding not in ("binary_or_xml", "none"):
            shown = [plain(o) for o in outcome] if isinstance(outcome, list) else plain(outcome)
            expected = example.result
            if isinstance(outcome, list) and op.stream_items and not isinstance(expected, list):
                continue  # the streaming twin yields the items; compared in its own test
            assert shown == expected, f"{api.name}.{op.name} [{variant}] decoded wrong data"


def _ids(case: tuple[Api, Operation, Example]) -> str:
    api, op, example = case
    return f"{api.name}.{op.name}.{example.name}"


FLAVOURED_IDS = [f"{flavour}-{_ids(case)}" for flavour, case in FLAVOURED]


def _offsets(length: int) -> list[int]:
    """Where an answer is cut: every offset of a short one, 100 spread over a longer one (and
    its last two bytes, where a closing tag or brace ends)."""
    if length <= 200:
        return list(range(length))
    step = length // 100 + 1
    return sorted({*range(0, length, step), length - 1, length - 2})


@pytest.mark.parametrize(("flavour", "case"), FLAVOURED, ids=FLAVOURED_IDS)
def test_truncated_answers_decode_right_or_raise_a_package_error(
    case: tuple[Api, Operation, Example], tmp_path: Path, flavour: Flavour
) -> None:
    api, op, example = case
    answer = _answer_of(example)
    for i, offset in enumerate(flavour.sample(_offsets(len(answer.body)), 8)):
        cut = Answer(answer.body[:offset], answer.status, answer.headers)
        _check(api, op, example, cut, tmp_path, "truncated", same_result=True, flavour=flavour)
        if i % 4 == 0:  # the connection breaking there, a quarter of the offsets
            broken = Answer(answer.body, answer.status, answer.headers, [7, 3, 64], offset)
            _check(
                api,
                op,
                example,
                broken,
                tmp_path,
                "cut mid-stream",
                same_result=True,
                flavour=flavour,
            )


@pytest.mark.parametrize(("flavour", "case"), FLAVOURED, ids=FLAVOURED_IDS)
def test_any_chunking_gives_the_example_result(
    case: tuple[Api, Operation, Example], tmp_path: Path, flavour: Flavour
) -> None:
    api, op, example = case
    answer = _answer_of(example)
    rng = random.Random(_ids(case))
    for _ in range(1 if flavour.is_async else 8):
        sizes = [rng.randint(1, 40) for _ in range(rng.randint(1, 6))]
        chunked = Answer(answer.body, answer.status, answer.headers, sizes)
        _check(
            api, op, example, chunked, tmp_path, "random chunks", same_result=True, flavour=flavour
        )


@pytest.mark.parametrize(("flavour", "case"), FLAVOURED, ids=FLAVOURED_IDS)
def test_flipped_bytes_html_and_other_statuses_raise_only_package_errors(
    case: tuple[Api, Operation, Example], tmp_path: Path, flavour: Flavour
) -> None:
    api, op, example = case
    answer = _answer_of(example)
    rng = random.Random(_ids(case))
    body = answer.body
    for _ in range((3 if flavour.is_async else 24) if body else 0):
        position = rng.randrange(len(body))
        flipped = (
            body[:position]
            + bytes([rng.choice((0, 0x3C, 0x22, 0xFF, body[position] ^ 0x20))])
            + body[position + 1 :]
        )
        _check(
            api,
            op,
            example,
            Answer(flipped, answer.status, answer.headers),
            tmp_path,
            "flipped byte",
            same_result=False,
            flavour=flavour,
        )
    for wrapped in (b"<html><body>" + body + b"</body></html>", HTML_PAGE):
        for content_type in flavour.sample(["text/html", "text/xml", "application/json"], 2):
            page = Answer(wrapped, 200, {"Content-Type": content_type})
            _check(
                api, op, example, page, tmp_path, "HTML page", same_result=False, flavour=flavour
            )
    for status in flavour.sample(list(STATUSES), 3):
        _check(
            api,
            op,
            example,
            Answer(body, status, answer.headers),
            tmp_path,
            "HTTP status",
            same_result=False,
            flavour=flavour,
        )


@pytest.mark.parametrize(("flavour", "case"), FLAVOURED, ids=FLAVOURED_IDS)
def test_deep_nesting_is_a_package_error_in_bounded_memory(
    case: tuple[Api, Operation, Example], tmp_path: Path, flavour: Flavour
) -> None:
    api, op, example = case
    answer = _answer_of(example)
    depth = 10_000
    bodies = [b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth]
    text = answer.body
    close = text.rfind(b"</")
    if close > 0:  # an unknown element nested 10,000 deep inside the vendor's own document
        bodies.append(text[:close] + b"<x>" * depth + b"</x>" * depth + text[close:])
    for body in bodies:
        tracemalloc.start()
        try:
            _check(
                api,
                op,
                example,
                Answer(body, answer.status, answer.headers),
                tmp_path,
                "nested 10,000 deep",
                same_result=False,
                flavour=flavour,
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (
            peak < 64 * 1024 * 1024
        ), f"{api.name}.{op.name}: {peak / 2**20:.0f} MiB for a {len(body)}-byte answer"
