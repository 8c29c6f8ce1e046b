"""Benchmark 1: an unpaginated Lleida listing of 200,000 and 1,000,000 rows over loopback HTTP.
The generated client's streaming listing and plain list_pdf against pylleida 0.2.6 on the same
bytes; each measured in a fresh process (wall time, peak RSS)."""

from __future__ import annotations

import sys

from bench.common import CHILD_PEAK, Measure, record, run_child, server_process

OURS_STREAM = (
    CHILD_PEAK
    + """
import time
from generated.lleida_mailcert import MailCertClient
client = MailCertClient("user", "password", base_url="{url}")
t = time.perf_counter()
count = 0
for row in client.iter_list_pdf(subjrw="John"):
    count += 1
assert count == {rows}, count
report(time.perf_counter() - t)
"""
)
OURS_PLAIN = (
    CHILD_PEAK
    + """
import time
from generated.lleida_mailcert import MailCertClient
client = MailCertClient("user", "password", base_url="{url}")
t = time.perf_counter()
result = client.list_pdf(subjrw="John")
assert len(result.pdf_list.pdf_row) == {rows}
report(time.perf_counter() - t)
"""
)
PYLLEIDA = (
    CHILD_PEAK
    + """
import time
from pylleida import PyLleida
client = PyLleida("user", "password")
client.mailcert.endpoint = "{url}/cgi-bin/mailcertapi.cgi"
t = time.perf_counter()
result = client.mailcert.list_pdf(subjrw="John")
assert len(result.pdf_list.pdf_row) == {rows}
report(time.perf_counter() - t)
"""
)


def main(sizes: tuple[int, ...] = (200_000, 1_000_000)) -> None:
    results: dict[tuple[str, int], Measure] = {}
    with server_process("bench.listing_server") as base:
        for rows in sizes:
            url = f"{base}/rows/{rows}"
            clients = {"stream": OURS_STREAM, "plain": OURS_PLAIN}
            if rows == sizes[0]:
                clients["pylleida"] = PYLLEIDA
            for name, code in clients.items():
                measure = run_child(code.replace("{url}", url).replace("{rows}", str(rows)))
                results[(name, rows)] = measure
                label = {
                    "stream": "iter_list_pdf (streaming)",
                    "plain": "list_pdf (plain)",
                    "pylleida": "pylleida 0.2.6 list_pdf",
                }[name]
                record("listing", f"{label}, {rows:,} rows: time", measure.seconds, "s")
                record("listing", f"{label}, {rows:,} rows: peak RSS", measure.peak_rss_mib, "MiB")
    small = sizes[0]
    stream, plain, theirs = (
        results[("stream", small)],
        results[("plain", small)],
        results[("pylleida", small)],
    )
    speed = theirs.seconds / stream.seconds
    record(
        "listing",
        f"streaming speed-up over pylleida at {small:,} rows",
        speed,
        "x",
        ">= 4x",
        speed >= 4,
    )
    memory = theirs.peak_rss_mib / stream.peak_rss_mib
    record(
        "listing",
        f"streaming memory advantage over pylleida at {small:,}",
        memory,
        "x",
        ">= 10x",
        memory >= 10,
    )
    record(
        "listing",
        f"plain list_pdf speed-up over pylleida at {small:,} rows",
        theirs.seconds / plain.seconds,
        "x",
    )
    if len(sizes) > 1:
        big = results[("stream", sizes[-1])]
        growth = (big.peak_rss_mib / stream.peak_rss_mib - 1) * 100
        record(
            "listing",
            f"streaming peak RSS growth {small:,} -> {sizes[-1]:,} rows",
            growth,
            "%",
            "<= 10%",
            growth <= 10,
        )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (200_000, 1_000_000))
