"""The async clients as an asyncio application uses them: ``await`` every method, ``async for``
over pages, streamed rows and task statuses, ``async with``; many calls in flight on one client;
nothing holding up the event loop (a dripping server, a file being written); httpx imported only
when an async client is made. The shared behaviour (errors, limits, redirects, deadlines, tasks,
hostile answers) is proven on both clients by the modules that take the ``flavour`` fixture."""

from __future__ import annotations

import asyncio
import inspect
import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

from generated._runtime.aio import AsyncTask
from generated.lleida_mailcert import AsyncMailCertClient
from generated.mailstore_server import AsyncMailStoreServerClient, TaskTimeout
from tests.conftest import ROOT
from tests.fake_mailstore import VERIFY_LOG, FakeMailStore
from tests.loopback import Loopback, Reply
from tests.raw_server import RawRequest, RawServer, Step, chunked, response
from tests.test_examples import APIS
from tests.test_seed_scenarios import LISTING

ROW = (
    "<pdf_row><mail_id>{n}</mail_id><file_status>5</file_status><mail_date>20171108124802"
    "</mail_date><mail_to></mail_to><mail_from></mail_from><file_id>{n}</file_id>"
    "<file_status_desc>Finished pdf</file_status_desc><mail_subj>s</mail_subj>"
    "<file_type>S</file_type></pdf_row>"
)


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# -- the same surface ---------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.name)
def test_every_package_has_an_async_twin_with_the_same_methods_and_parameters(api: Any) -> None:
    package = __import__(f"generated.{api.name}", fromlist=["x"])
    sync_class = getattr(package, api.client_class)
    async_class = getattr(package, f"Async{api.client_class}")
    assert f"Async{api.client_class}" in package.__all__
    public = {n for n in dir(sync_class) if not n.startswith("_")}
    assert public == {n for n in dir(async_class) if not n.startswith("_")}
    for name in sorted(public):
        sync_method, async_method = getattr(sync_class, name), getattr(async_class, name)
        if not callable(sync_method) or name in ("from_env",):
            continue
        assert inspect.signature(sync_method).parameters.keys() == (
            inspect.signature(async_method).parameters.keys()
        ), name
        iterates = name.startswith("iter_")
        synchronous = iterates or name in ("raw_responses", "resume_task")
        assert inspect.iscoroutinefunction(async_method) is not synchronous, name
    sync_init = inspect.signature(sync_class.__init__).parameters
    assert sync_init.keys() == inspect.signature(async_class.__init__).parameters.keys()


def test_importing_a_package_imports_neither_asyncio_nor_httpx_until_an_async_client_is_made() -> (
    None
):
    probe = (
        "import sys\n"
        "import generated.click2mail as package\n"
        "print('asyncio' in sys.modules, 'httpx' in sys.modules)\n"
        "cls = package.AsyncClick2MailClient\n"
        "print('asyncio' in sys.modules, 'httpx' in sys.modules)\n"
        "cls('u', 'p', base_url='http://127.0.0.1:9')\n"
        "print('asyncio' in sys.modules, 'httpx' in sys.modules)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert shown[:3] == ["False False", "True False", "True True"]


# -- calls --------------------------------------------------------------------------------------


def test_fifty_calls_in_flight_on_one_client_each_get_their_own_answer(server: Loopback) -> None:
    fake = FakeMailStore(results={"GetUserInfo": {"userName": "x", "privileges": []}})

    def answer(request: Any) -> Reply:
        time.sleep(0.05)  # each answer takes a while: one after the other, 2.5 s in all
        return fake(request)

    server.responder = answer

    async def main() -> tuple[list[str], float]:
        async with AsyncMailStoreServerClient(base_url=server.url) as client:
            started = time.monotonic()
            users = await asyncio.gather(*(client.get_user_info(f"user{n}") for n in range(50)))
            return [user.user_name for user in users], time.monotonic() - started

    names, seconds = _run(main())
    assert names == ["x"] * 50
    asked = sorted(args["userName"] for name, args in fake.calls if name == "GetUserInfo")
    assert asked == sorted(f"user{n}" for n in range(50))
    assert seconds < 2.0  # in flight together, not one after the other


def _ticking_while(coroutine: Any) -> tuple[Any, float]:
    """Run ``coroutine`` beside a ticker; the longest gap between two ticks (how long the
    event loop was held up)."""

    async def main() -> tuple[Any, float]:
        gaps: list[float] = []
        stop = asyncio.Event()

        created = time.monotonic()

        async def tick() -> None:
            last = created  # a loop held up before the first tick counts too
            while not stop.is_set():
                await asyncio.sleep(0.005)
                now = time.monotonic()
                gaps.append(now - last)
                last = now
            gaps.append(time.monotonic() - last)  # up to the end (or from the start, if never)

        ticker = asyncio.create_task(tick())
        try:
            result = await coroutine
        except Exception as exc:  # noqa: BLE001 - the outcome is compared by the caller
            result = exc
        stop.set()
        await ticker
        return result, max(gaps)

    return _run(main())


def test_a_server_dripping_its_answer_never_holds_up_the_event_loop() -> None:
    body = LISTING.encode("latin-1")

    def dripping(request: RawRequest) -> Iterable[Step]:
        yield response(200, b"", {"Content-Length": str(len(body))})
        for start in range(0, len(body), 8):  # about 0.8 s of dripping in all
            yield body[start : start + 8]
            yield 0.01

    with RawServer(dripping) as slow:

        async def call() -> Any:
            async with AsyncMailCertClient("u", "p", base_url=slow.url) as client:
                return await client.list_pdf()

        result, longest_gap = _ticking_while(call())
    assert not isinstance(result, Exception), result
    assert result.pdf_list.rows_found == 1
    assert longest_gap < 0.3  # a blocking read would hold the loop for the whole drip


def test_the_deadline_ends_a_dripping_answer_on_the_async_client_too() -> None:
    def dripping(request: RawRequest) -> Iterable[Step]:
        yield response(200, b"", {"Content-Length": "100000"})
        while True:
            yield b" "
            yield 0.05

    with RawServer(dripping) as slow:

        async def call() -> Any:
            async with AsyncMailCertClient("u", "p", base_url=slow.url, timeout=0.5) as c:
                return await c.list_pdf()

        started = time.monotonic()
        outcome, _ = _ticking_while(call())
    assert type(outcome).__name__ == "CallTimeout", repr(outcome)
    assert time.monotonic() - started < 2.0


def test_rows_are_yielded_as_they_arrive_with_async_for() -> None:
    release = threading.Event()
    head = '<?xml version="1.0"?><result><status>100</status><pdf_list rows_found="2">'

    def two_parts(request: RawRequest) -> Iterable[Step]:
        yield response(200, b"", {"Transfer-Encoding": "chunked"}, length=False)
        first = (head + ROW.format(n=1)).encode()
        yield f"{len(first):x}\r\n".encode() + first + b"\r\n"
        release.wait(5)  # the rest only after the client has the first row
        yield from chunked([(ROW.format(n=2) + "</pdf_list></result>").encode()])

    with RawServer(two_parts) as server:

        async def main() -> list[int]:
            seen: list[int] = []
            async with AsyncMailCertClient("u", "p", base_url=server.url) as client:
                async for row in client.iter_list_pdf():
                    seen.append(row.mail_id)
                    release.set()
            return seen

        assert _run(main()) == [1, 2]


def test_a_download_is_written_in_a_worker_thread_not_on_the_event_loop(server: Loopback) -> None:
    writers: list[str] = []

    class Recording(io.BytesIO):
        def write(self, data: Any) -> int:
            writers.append(threading.current_thread().name)
            return super().write(data)

    server.reply(
        Reply(body=b"%PDF-1.4 " + b"x" * 100_000, headers={"Content-Type": "application/pdf"})
    )
    target = Recording()

    async def main() -> Any:
        async with AsyncMailCertClient("u", "p", base_url=server.url) as client:
            return await client.download_pdf(1, save_to=target)

    result = _run(main())
    assert result.has_file and result.size == len(target.getvalue()) == 100_009
    assert writers and threading.main_thread().name not in writers


def test_a_cancelled_call_gives_its_connection_back_and_the_client_goes_on(
    server: Loopback,
) -> None:
    server.reply(Reply(body=LISTING, delay=1.0), Reply(body=LISTING))

    async def main() -> int | None:
        async with AsyncMailCertClient("u", "p", base_url=server.url) as client:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(client.list_pdf(), 0.2)
            listing = await client.list_pdf()
            return listing.pdf_list.rows_found if listing.pdf_list else None

    assert _run(main()) == 1


# -- long-running tasks -------------------------------------------------------------------------


@pytest.fixture
def mailstore(server: Loopback) -> tuple[Loopback, FakeMailStore]:
    fake = FakeMailStore()
    server.responder = fake
    return server, fake


def test_await_a_long_running_call_with_its_status_callback(
    mailstore: tuple[Loopback, FakeMailStore],
) -> None:
    server, _fake = mailstore
    seen: list[int | None] = []

    async def main() -> Any:
        async with AsyncMailStoreServerClient(
            base_url=server.url, poll_interval=0, status_callback=lambda s: seen.append(s.version)
        ) as client:
            return await client.verify_store(1, False)

    _run(main())
    assert seen == list(range(len(VERIFY_LOG) + 1))  # the first status, then each new one


def test_begin_a_task_then_follow_it_with_async_for_cancel_and_resume(
    mailstore: tuple[Loopback, FakeMailStore],
) -> None:
    server, fake = mailstore

    async def main() -> tuple[list[int | None], bool, str]:
        async with AsyncMailStoreServerClient(base_url=server.url, poll_interval=0) as client:
            task = await client.begin_verify_store(1, False)
            assert isinstance(task, AsyncTask)
            versions = []
            async for status in task:
                versions.append(status.version)
            second = await client.begin_verify_store(2, False)
            await second.cancel()
            token = second.token or ""
            resumed = client.resume_task(token)
            return versions, second.cancel_requested, type(resumed).__name__

    versions, cancelled, resumed = _run(main())
    assert versions == sorted(versions) and len(versions) == len(set(versions)) > 3
    assert cancelled and resumed == "AsyncTask"
    assert any(name == "cancel-async" for name, _args in fake.calls)


def test_a_task_outliving_its_wait_raises_task_timeout(
    mailstore: tuple[Loopback, FakeMailStore],
) -> None:
    server, fake = mailstore
    fake.poll_delay = 0.1  # 17 steps: 1.7 s, far past the wait

    async def main() -> None:
        async with AsyncMailStoreServerClient(base_url=server.url, poll_interval=0.01) as client:
            task = await client.begin_verify_store(1, False)
            await task.wait(timeout=0.3)

    with pytest.raises(TaskTimeout, match="resume_task"):
        _run(main())
