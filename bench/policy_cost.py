"""Benchmark 6: what the transport policy costs on the hot path. Every answer's bytes go through
``BodyDecoder`` (counted against the limits; inflated in bounded steps when compressed) and
every streamed row past the deadline's bookkeeping: measured here on their own, in process,
against the bare work (a loop over the same chunks; zlib inflating the same chunks whole)."""

from __future__ import annotations

import gzip
import time
import zlib

from bench.common import record
from bench.listing_server import body
from generated._runtime.policy import BodyDecoder, Limits

LIMITS = Limits(max_answer_bytes=1 << 40, max_item_bytes=8 << 20, max_inflation=200)
CHUNK = 256 * 1024


def _best(run: object, times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    gib = bytes(CHUNK)
    chunks = [gib] * 4096  # 1 GiB in the chunks the transport reads

    def bare() -> None:
        size = 0
        for chunk in chunks:
            size += len(chunk)

    def counted() -> None:
        decoder = BodyDecoder(None, LIMITS, held=True)
        for chunk in chunks:
            for _piece in decoder.feed(chunk):
                pass
        decoder.close()

    bare_s, counted_s = _best(bare), _best(counted)
    per_chunk = (counted_s - bare_s) / len(chunks) * 1e6
    record("policy", "1 GiB counted against the limits (4,096 chunks)", counted_s * 1000, "ms")
    # a loopback download reads a chunk in about 100 µs: 2 µs is 2% of the fastest network
    record("policy", "counting, per chunk of 256 KiB", per_chunk, "µs", "<= 2 µs", per_chunk <= 2)

    listing = b"".join(body(100_000))  # the benchmark listing: 62 MB of rows
    wire = gzip.compress(listing, 6)
    wire_chunks = [wire[i : i + CHUNK] for i in range(0, len(wire), CHUNK)]

    def zlib_alone() -> None:  # the same chunks, inflated whole, nothing counted
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        for chunk in wire_chunks:
            inflater.decompress(chunk)

    def bounded() -> None:
        decoder = BodyDecoder("gzip", LIMITS, held=False)
        for chunk in wire_chunks:
            for _piece in decoder.feed(chunk):
                pass
        decoder.close()

    alone, ours = _best(zlib_alone, 3), _best(bounded, 3)
    record("policy", f"gzip listing inflated, {len(listing) >> 20} MiB: zlib alone", alone, "s")
    record("policy", "the same, in bounded steps with the inflation check", ours, "s")
    record(
        "policy",
        "bounded inflation vs zlib alone",
        ours / alone,
        "x",
        "<= 1.1x",
        ours / alone <= 1.1,
    )


if __name__ == "__main__":
    main()
