"""`make bench`: every benchmark, its figures with targets, and bench/RESULTS.md."""

from __future__ import annotations

import compileall
import sys
import time

from bench import (
    async_clients,
    call_overhead,
    common,
    generation,
    import_time,
    large_files,
    listing,
    policy_cost,
)

SECTIONS = [
    ("1. Unpaginated listing (200,000 and 1,000,000 rows)", listing.main),
    ("2. Large files", large_files.main),
    ("3. Call overhead", call_overhead.main),
    ("4. Generation", generation.main),
    ("5. Import time", import_time.main),
    ("6. The transport policy's cost", policy_cost.main),
    ("7. Async clients", async_clients.main),
]


def write_results(command: str, seconds: float) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {common.machine()}.  ",
        f"Command: `{command}` ({seconds / 60:.1f} minutes).  ",
        "Each client runs in a fresh process against a loopback server in another process; "
        "peak RSS is the client process's maximum resident set size.",
        "",
        "| Benchmark | Figure | Value | Target | Met |",
        "|---|---|---|---|---|",
    ]
    for row in common.RESULTS:
        met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(
            f"| {row['benchmark']} | {row['figure']} | {row['value']} {row['unit']} | "
            f"{row['target'] or ''} | {met} |"
        )
    (common.ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    started = time.perf_counter()
    print(f"machine: {common.machine()}")
    # Every child imports the packages from bytecode, as an installed package would: with
    # PYTHONDONTWRITEBYTECODE set (as here) a stale .pyc would have each child compile the
    # sources again, counting the compiler's time and memory as the client's.
    for folder in ("generated", "generator"):
        compileall.compile_dir(str(common.ROOT / folder), quiet=1)
    only = set(sys.argv[1:])
    for title, run in SECTIONS:
        if only and not any(title.startswith(f"{n}.") for n in only):
            continue
        print(f"\n== {title}", flush=True)
        run()
    elapsed = time.perf_counter() - started
    missed = [r for r in common.RESULTS if r["met"] is False]
    print(
        f"\n{len(common.RESULTS)} figures in {elapsed / 60:.1f} min; "
        f"{sum(r['met'] is True for r in common.RESULTS)} targets met, {len(missed)} not met"
    )
    if not only:
        write_results("make bench", elapsed)


if __name__ == "__main__":
    main()
