"""Benchmark 1: an unpaginated Lleida listing of 200,000 and 1,000,000 rows over loopback HTTP.
The generated client's streaming listing and plain list_pdf against pylleida 0.2.6 and two bare
loops on the same bytes (the floors: the standard library's ``iterparse`` and lxml's pull
parser, the engine the clients use); each measured in a fresh process (wall time, peak RSS),
the 200,000-row figures as the best of three runs taken in turns."""

from __future__ import annotations

import sys

from bench.common import CHILD_PEAK, Measure, record, run_child, server_process

# Every child imports what it uses before its clock starts: the floors import lxml, and so do
# these (the clients import it with their first XML answer).
OURS_STREAM = CHILD_PEAK + """
import time
import lxml.etree
from generated.lleida_mailcert import MailCertClient
client = MailCertClient("user", "password", base_url="{url}")
t = time.perf_counter()
count = 0
for row in client.iter_list_pdf(subjrw="John"):
    count += 1
assert count == {rows}, count
report(time.perf_counter() - t)
"""
OURS_PLAIN = CHILD_PEAK + """
import time
import lxml.etree
from generated.lleida_mailcert import MailCertClient
# past the default bound of answers held in memory (max_answer_bytes, 64 MiB): raised to measure
client = MailCertClient("user", "password", base_url="{url}", max_answer_bytes=8 << 30)
t = time.perf_counter()
result = client.list_pdf(subjrw="John")
assert len(result.pdf_list.pdf_row) == {rows}
report(time.perf_counter() - t)
"""
# A floor: the standard library's iterparse over the same streamed bytes, one dict per row
# (text of each child), no types, no checks.
FLOOR = CHILD_PEAK + """
import time
from xml.etree.ElementTree import iterparse
import requests
t = time.perf_counter()
response = requests.post("{url}/cgi-bin/mailcertapi.cgi", data={"subjrw": "John"}, stream=True)
response.raw.decode_content = True
count = 0
for _event, element in iterparse(response.raw, events=("end",)):
    if element.tag == "pdf_row":
        row = {child.tag: child.text for child in element}
        count += 1
        element.clear()
assert count == {rows}, count
report(time.perf_counter() - t)
"""
# The second floor: lxml's pull parser (libxml2, the engine the clients use) over the same
# bytes, one dict per row, each row detached once read. Ours must stay within 1.3x of it.
FLOOR_LXML = CHILD_PEAK + """
import time
from lxml.etree import XMLPullParser
import requests
t = time.perf_counter()
response = requests.post("{url}/cgi-bin/mailcertapi.cgi", data={"subjrw": "John"}, stream=True)
parser = XMLPullParser(events=("end",), tag="pdf_row")
count = 0
for chunk in response.iter_content(256 * 1024):
    parser.feed(chunk)
    for _event, element in parser.read_events():
        row = {child.tag: child.text for child in element}
        count += 1
        element.getparent().remove(element)
parser.close()
assert count == {rows}, count
report(time.perf_counter() - t)
"""
PYLLEIDA = CHILD_PEAK + """
import time
from pylleida import PyLleida
client = PyLleida("user", "password")
client.mailcert.endpoint = "{url}/cgi-bin/mailcertapi.cgi"
t = time.perf_counter()
result = client.mailcert.list_pdf(subjrw="John")
assert len(result.pdf_list.pdf_row) == {rows}
report(time.perf_counter() - t)
"""


LABELS = {
    "stream": "iter_list_pdf (streaming)",
    "plain": "list_pdf (plain)",
    "pylleida": "pylleida 0.2.6 list_pdf",
    "floor": "bare iterparse, one dict per row (floor)",
    "lxml": "bare lxml pull parser, one dict per row (floor)",
}


def main(sizes: tuple[int, ...] = (200_000, 1_000_000)) -> None:
    results: dict[tuple[str, int], Measure] = {}
    with server_process("bench.listing_server") as base:
        for rows in sizes:
            url = f"{base}/rows/{rows}"
            clients = {"stream": OURS_STREAM, "plain": OURS_PLAIN}
            if rows == sizes[0]:
                clients.update(lxml=FLOOR_LXML, floor=FLOOR, pylleida=PYLLEIDA)
            sources = {
                name: code.replace("{url}", url).replace("{rows}", str(rows))
                for name, code in clients.items()
            }
            # the ratios compare runs on a shared machine whose speed drifts: the best of
            # three, taken in turns (each client once, then again), so that a slow minute
            # falls on all of them alike
            runs: dict[str, list[Measure]] = {name: [] for name in clients}
            for _turn in range(3 if rows == sizes[0] else 1):
                for name, source in sources.items():
                    runs[name].append(run_child(source))
            for name in clients:
                measure = results[(name, rows)] = min(runs[name], key=lambda m: m.seconds)
                label = LABELS[name]
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
    over_lxml = stream.seconds / results[("lxml", small)].seconds
    record(
        "listing",
        f"streaming time / bare lxml floor at {small:,} rows",
        over_lxml,
        "x",
        "<= 1.3x",
        over_lxml <= 1.3,
    )
    record(
        "listing",
        f"streaming time / bare iterparse floor at {small:,} rows",
        stream.seconds / results[("floor", small)].seconds,
        "x",
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
    plain_speed = theirs.seconds / plain.seconds
    record(
        "listing",
        f"plain list_pdf speed-up over pylleida at {small:,} rows",
        plain_speed,
        "x",
        ">= 3x",
        plain_speed >= 3,
    )
    plain_memory = plain.peak_rss_mib / theirs.peak_rss_mib
    record(
        "listing",
        f"plain list_pdf peak RSS / pylleida's at {small:,} rows",
        plain_memory,
        "x",
        "<= 0.35x",
        plain_memory <= 0.35,
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
        held = results[("plain", sizes[-1])].peak_rss_mib
        record(
            "listing",
            f"plain list_pdf peak RSS at {sizes[-1]:,} rows",
            held,
            "MiB",
            "< 1.2 GiB",
            held < 1.2 * 1024,
        )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (200_000, 1_000_000))
