"""Hooks and per-call retries, on the sync and the async client alike: what a tracing or metrics
library needs to see of every call (its operation, each request and answer, each retry), one
span per call, correlation ids added to each request; ``retries=`` per call beside ``timeout=``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from generated._runtime import CallInfo, Hooks, RequestInfo, ResponseInfo, RetryInfo
from generated.click2mail import Click2MailClient
from generated.mailstore_server import AsyncMailStoreServerClient, MailStoreServerClient
from tests.conftest import ROOT
from tests.fake_mailstore import FakeMailStore
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply
from tests.test_auth_schemes import SECRET, package

CREDIT = "<credit><balance>3</balance></credit>"


def _click2mail(flavour: Flavour, server: Loopback, **options: Any) -> Any:
    return flavour.make(
        Click2MailClient, "u", "p", base_url=server.url, retry_backoff=0.01, **options
    )


def test_hooks_see_each_request_answer_and_retry_of_a_call(
    server: Loopback, flavour: Flavour
) -> None:
    seen: list[str] = []
    hooks = Hooks(
        request=lambda info: seen.append(f"request {info.operation} {info.attempt}"),
        response=lambda info: seen.append(f"response {info.operation} {info.status}"),
        retry=lambda info: seen.append(f"retry after {info.attempt}: {info.reason}"),
    )
    server.reply(Reply(503, "busy"), Reply(body=CREDIT))
    client = _click2mail(flavour, server, hooks=hooks)
    assert client.get_credit().balance == 3
    assert seen == [
        "request get_credit 1",
        "response get_credit 503",
        "retry after 1: HTTP 503",
        "request get_credit 2",
        "response get_credit 200",
    ]


def test_a_request_hook_adds_a_correlation_id_to_every_request(
    server: Loopback, flavour: Flavour
) -> None:
    ids = (f"req-{n}" for n in itertools.count(1))

    def correlate(info: RequestInfo) -> None:
        info.headers["X-Correlation-Id"] = next(ids)

    server.reply(Reply(body=CREDIT), Reply(body=CREDIT))
    client = _click2mail(flavour, server, hooks=Hooks(request=correlate))
    client.get_credit()
    client.get_credit()
    assert [r.headers.get("X-Correlation-Id") for r in server.requests] == ["req-1", "req-2"]


def test_hooks_given_to_one_call_run_after_the_clients_for_that_call_only(
    server: Loopback, flavour: Flavour
) -> None:
    order: list[str] = []
    client = _click2mail(flavour, server, hooks=Hooks(request=lambda info: order.append("client")))
    server.reply(Reply(body=CREDIT), Reply(body=CREDIT))
    client.get_credit(
        hooks=Hooks(request=[lambda i: order.append("a"), lambda i: order.append("b")])
    )
    client.get_credit()
    assert order == ["client", "a", "b", "client"]


# -- one span per call (OpenTelemetry-style) ----------------------------------------------------


class Tracer:
    """A stand-in for an OpenTelemetry tracer: spans nest through a context variable, as
    ``start_as_current_span`` makes them."""

    def __init__(self) -> None:
        self.current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
            "span", default=None
        )
        self.finished: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, attributes: dict[str, Any]) -> Iterator[Any]:
        span = {"name": name, "parent": self.current.get(), "events": [], **attributes}
        token = self.current.set(span)
        try:
            yield span
        except Exception as exc:
            span["error"] = type(exc).__name__
            raise
        finally:
            self.current.reset(token)
            self.finished.append(span)


def tracing_hooks(tracer: Tracer) -> Hooks:
    """The README's example: one span per call, its answers and retries as events."""

    def span(info: CallInfo) -> contextlib.AbstractContextManager[Any]:
        return tracer.start_as_current_span(
            f"mailstore {info.wire_name}", {"http.method": info.method, "url": info.url}
        )

    def answered(info: ResponseInfo) -> None:
        current = tracer.current.get()
        if current is not None:
            current["events"].append(("response", info.status))

    def retried(info: RetryInfo) -> None:
        current = tracer.current.get()
        if current is not None:
            current["events"].append(("retry", info.reason))

    return Hooks(call=span, response=answered, retry=retried)


def test_one_span_per_call_holds_its_retries_and_ends_with_its_error(
    server: Loopback, flavour: Flavour
) -> None:
    tracer = Tracer()
    fake = FakeMailStore(
        results={"GetServerInfo": {"machineName": "m", "version": "1"}},
        errors={"GetUserInfo": {"message": "no such user", "details": None}},
    )
    replies = iter([Reply(503, "busy")])
    server.responder = lambda request: next(replies, None) or fake(request)
    client = flavour.make(
        MailStoreServerClient,
        base_url=server.url,
        retry_backoff=0.01,
        hooks=tracing_hooks(tracer),
    )
    client.get_server_info()
    with pytest.raises(Exception, match="no such user"):
        client.get_user_info("ghost")
    first, second = tracer.finished
    assert first["name"] == "mailstore GetServerInfo" and first["parent"] is None
    assert first["events"] == [("response", 503), ("retry", "HTTP 503"), ("response", 200)]
    assert second["name"] == "mailstore GetUserInfo" and second["events"] == [("response", 200)]
    assert "error" not in second  # a vendor error is decoded after the exchange, outside it


def test_concurrent_calls_on_the_async_client_each_get_their_own_span(server: Loopback) -> None:
    tracer = Tracer()
    fake = FakeMailStore(results={"GetUserInfo": {"userName": "x", "privileges": []}})
    server.responder = lambda request: fake(request)

    async def main() -> None:
        async with AsyncMailStoreServerClient(
            base_url=server.url, hooks=tracing_hooks(tracer)
        ) as client:
            await asyncio.gather(*(client.get_user_info(f"u{n}") for n in range(10)))

    asyncio.run(main())
    assert len(tracer.finished) == 10
    assert all(
        span["parent"] is None and span["events"] == [("response", 200)] for span in tracer.finished
    )


def test_the_call_hook_sees_the_url_with_its_secrets_masked(
    tmp_path: Path, server: Loopback, flavour: Flavour
) -> None:
    module = package(
        tmp_path, "hooks_key_api", "{scheme: api_key, token: token, in: query, name: api_key}"
    )
    urls: list[str] = []

    def span(info: CallInfo) -> contextlib.AbstractContextManager[None]:
        urls.append(info.url)
        return contextlib.nullcontext()

    server.reply(Reply(200, "{}"))
    client = flavour.make(module.AuthClient, SECRET, base_url=server.url, hooks=Hooks(call=span))
    client.whoami(filter="x")
    assert server.requests[0].query["api_key"] == [SECRET]  # sent, but never shown to the hook
    assert len(urls) == 1 and SECRET not in urls[0] and "filter=x" in urls[0]


# -- async hooks ----------------------------------------------------------------------------


def test_an_async_client_awaits_coroutine_hooks(server: Loopback) -> None:
    fake = FakeMailStore(results={"GetServerInfo": {"machineName": "m", "version": "1"}})
    server.responder = fake
    seen: list[int] = []

    async def record(info: ResponseInfo) -> None:
        await asyncio.sleep(0)
        seen.append(info.status)

    async def main() -> None:
        async with AsyncMailStoreServerClient(
            base_url=server.url, hooks=Hooks(response=record)
        ) as client:
            await client.get_server_info()

    asyncio.run(main())
    assert seen == [200]


def test_a_sync_client_refuses_a_coroutine_hook_with_a_clear_error(server: Loopback) -> None:
    async def record(info: ResponseInfo) -> None:
        pass

    server.reply(Reply(body=CREDIT))
    client = Click2MailClient("u", "p", base_url=server.url, hooks=Hooks(response=record))
    with pytest.raises(TypeError, match="async hooks need the async client"):
        client.get_credit()


# -- per-call retries ---------------------------------------------------------------------------


def test_retries_zero_sends_a_safe_call_once(server: Loopback, flavour: Flavour) -> None:
    server.reply(Reply(503, "busy"), Reply(body=CREDIT))
    client = _click2mail(flavour, server)
    with pytest.raises(Exception, match="503"):
        client.get_credit(retries=0)
    assert len(server.requests) == 1


def _mailstore(flavour: Flavour, server: Loopback, busy: int) -> Any:
    """A MailStore client whose server answers 503 ``busy`` times, then as MailStore does."""
    server.reply(*[Reply(503, "busy") for _ in range(busy)])
    server.responder = FakeMailStore()
    return flavour.make(MailStoreServerClient, base_url=server.url, retry_backoff=0.01)


def test_retries_given_to_an_unsafe_call_are_the_callers_decision(
    server: Loopback, flavour: Flavour
) -> None:
    client = _mailstore(flavour, server, busy=2)
    client.delete_user("john", retries=2)
    assert [r.path for r in server.requests] == ["/api/invoke/DeleteUser"] * 3


def test_without_retries_an_unsafe_call_is_sent_once(server: Loopback, flavour: Flavour) -> None:
    client = _mailstore(flavour, server, busy=1)
    with pytest.raises(Exception, match="503"):
        client.delete_user("john")
    assert len(server.requests) == 1


# -- the README's OpenTelemetry example, with the real SDK ---------------------------------------


def _readme_block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def test_the_readme_tracing_example_opens_one_span_per_call(
    server: Loopback, flavour: Flavour, spans: InMemorySpanExporter
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_readme_block("span_per_call"), "README.md", "exec"), namespace)  # noqa: S102
    spans.clear()
    fake = FakeMailStore(results={"GetServerInfo": {"machineName": "m", "version": "1"}})
    replies = iter([Reply(503, "busy")])
    server.responder = lambda request: next(replies, None) or fake(request)
    client = flavour.make(
        MailStoreServerClient,
        password="secret",
        base_url=server.url,
        retry_backoff=0.01,
        hooks=namespace["TRACING"],
    )
    client.get_server_info()
    client.get_server_info()
    first, second = spans.get_finished_spans()
    assert first.name == second.name == "MailStore GetServerInfo"
    assert first.kind == trace.SpanKind.CLIENT
    assert first.attributes is not None and first.attributes["http.response.status_code"] == 200
    assert [event.name for event in first.events] == ["retry"]
    assert first.attributes["url.full"] == f"{server.url}/api/invoke/GetServerInfo"
    sent = [r.headers["X-Request-Id"] for r in server.requests]
    ids = [format(s.context.span_id, "016x") for s in (first, first, second)]
    assert sent == ids  # the retry carries its call's span id too


def test_a_streamed_upload_is_sent_once_whatever_the_retries(
    server: Loopback, flavour: Flavour, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 letter")
    server.reply(Reply(503, "busy"), Reply(201, "<document><id>1</id></document>"))
    client = _click2mail(flavour, server)
    with pytest.raises(Exception, match="503"):  # the file was read once: it cannot go again
        client.upload_document("Letter", "PDF", "Letter 8.5 x 11", letter, retries=3)
    assert len(server.requests) == 1
