"""Benchmark 7: the async clients. 2,000 MailStore calls over loopback HTTPS with 50 in flight,
the generated async client against a bare ``httpx.AsyncClient`` doing the same POSTs (target: at
most 1.15x); the streaming listing of 200,000 rows with ``async for`` against the sync client on
the same bytes (target: within 1.2x, in constant memory: 1,000,000 rows too); and what importing
a package costs an application that never makes an async client (httpx is not imported)."""

from __future__ import annotations

import subprocess
import sys

from bench.common import CHILD_PEAK, ROOT, record, run_child, server_process
from bench.listing import OURS_STREAM

CALLS = 2000
IN_FLIGHT = 50
OURS = CHILD_PEAK + """
import asyncio, time, warnings
warnings.simplefilter("ignore")
from generated.mailstore_server import AsyncMailStoreServerClient

async def main():
    async with AsyncMailStoreServerClient(base_url="{url}", verify_tls=False) as client:
        await client.get_user_info("john")  # connect once, as every client does
        async def worker(calls):
            for _ in range(calls):
                info = await client.get_user_info("john")
            assert info.user_name == "john"
        t = time.perf_counter()
        await asyncio.gather(*(worker({calls} // {in_flight}) for _ in range({in_flight})))
        return time.perf_counter() - t

report(asyncio.run(main()))
"""
BARE = CHILD_PEAK + """
import asyncio, json, time, warnings, httpx
warnings.simplefilter("ignore")

async def main():
    async with httpx.AsyncClient(verify=False, auth=("admin", "admin")) as client:
        url = "{url}/api/invoke/GetUserInfo"
        await client.post(url, data={"userName": "john"})
        async def worker(calls):
            for _ in range(calls):
                response = await client.post(url, data={"userName": "john"}, timeout=60)
                envelope = json.loads(response.content.decode("utf-8-sig"))
                assert envelope["statusCode"] == "succeeded"
        t = time.perf_counter()
        await asyncio.gather(*(worker({calls} // {in_flight}) for _ in range({in_flight})))
        return time.perf_counter() - t

report(asyncio.run(main()))
"""
ASYNC_STREAM = CHILD_PEAK + """
import asyncio, time
import lxml.etree  # before the clock, as the sync child does
from generated.lleida_mailcert import AsyncMailCertClient

async def main():
    async with AsyncMailCertClient("user", "password", base_url="{url}") as client:
        t = time.perf_counter()
        count = 0
        async for row in client.iter_list_pdf(subjrw="John"):
            count += 1
        assert count == {rows}, count
        return time.perf_counter() - t

report(asyncio.run(main()))
"""
IMPORTS = (
    "import sys, generated.click2mail, generated.lleida_mailcert, generated.mailstore_server,"
    " generated.mailstore_spe; print(sorted(m for m in ('httpx', 'httpcore', 'asyncio')"
    " if m in sys.modules))"
)


def _calls() -> None:
    best: dict[str, float] = {}
    with server_process("bench.tls_server", scheme="https") as url:
        for _ in range(3):  # alternate, best of three: the machine is shared
            for name, code in (("ours", OURS), ("bare", BARE)):
                filled = (
                    code.replace("{url}", url)
                    .replace("{calls}", str(CALLS))
                    .replace("{in_flight}", str(IN_FLIGHT))
                )
                seconds = run_child(filled).seconds
                best[name] = min(best.get(name, seconds), seconds)
    label = f"{CALLS} calls, {IN_FLIGHT} in flight"
    record("async", f"{label}: generated async client", best["ours"], "s")
    record("async", f"{label}: bare httpx.AsyncClient", best["bare"], "s")
    ratio = best["ours"] / best["bare"]
    record(
        "async",
        "generated async client vs bare httpx.AsyncClient",
        ratio,
        "x",
        "<= 1.15x",
        ratio <= 1.15,
    )


def _streaming(sizes: tuple[int, ...] = (200_000, 1_000_000)) -> None:
    with server_process("bench.listing_server") as base:
        small, big = sizes
        url = f"{base}/rows/{small}"
        runs: dict[str, list] = {"sync": [], "async": []}
        for _ in range(3):  # alternated on one server: the ratio compares like with like
            for name, code in (("sync", OURS_STREAM), ("async", ASYNC_STREAM)):
                source = code.replace("{url}", url).replace("{rows}", str(small))
                runs[name].append(run_child(source))
        sync = min(runs["sync"], key=lambda m: m.seconds)
        aio = min(runs["async"], key=lambda m: m.seconds)
        bigger = run_child(
            ASYNC_STREAM.replace("{url}", f"{base}/rows/{big}").replace("{rows}", str(big))
        )
    record("async", f"async for iter_list_pdf, {small:,} rows: time", aio.seconds, "s")
    record("async", f"async for iter_list_pdf, {small:,} rows: peak RSS", aio.peak_rss_mib, "MiB")
    record("async", "the sync iter_list_pdf, same run: time", sync.seconds, "s")
    ratio = aio.seconds / sync.seconds
    record("async", "async streaming time / sync streaming", ratio, "x", "<= 1.2x", ratio <= 1.2)
    record("async", f"async for iter_list_pdf, {big:,} rows: time", bigger.seconds, "s")
    growth = (bigger.peak_rss_mib / aio.peak_rss_mib - 1) * 100
    record(
        "async",
        f"async streaming peak RSS growth {small:,} -> {big:,} rows",
        growth,
        "%",
        "<= 10%",
        growth <= 10,
    )


def _imports() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    none = shown == "[]"
    record(
        "async",
        "modules of the async path imported by importing every package",
        0 if none else 1,
        f"({shown})",
        "none",
        none,
    )


def main() -> None:
    _calls()
    _streaming()
    _imports()


if __name__ == "__main__":
    main()
