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


def _row(row: dict[str, object]) -> str:
    met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
    return (
        f"| {row['benchmark']} | {row['figure']} | {row['value']} {row['unit']} | "
        f"{row['target'] or ''} | {met} |"
    )


def write_results(command: str, seconds: float, sections: list[str]) -> None:
    """bench/RESULTS.md: every figure of a whole run; after a run of some sections, their
    figures replace that benchmark's rows and a line under the header says when and where
    they were measured (the other rows keep their own run's header)."""
    path = common.ROOT / "bench" / "RESULTS.md"
    ran = {str(row["benchmark"]) for row in common.RESULTS}
    if sections and path.exists():
        lines = path.read_text().splitlines()
        table = lines.index("|---|---|---|---|---|")
        kept = [line for line in lines[table + 1 :] if line.split(" | ")[0][2:] not in ran]
        note = (
            f"Re-run since: {', '.join(sections)} on {common.machine()} "
            f"(`{command}`, {seconds / 60:.1f} minutes).  "
        )
        stale = [line for line in lines if line.startswith("Re-run since:")]
        stale = [line for line in stale if any(title in line for title in sections)]
        head = [line for line in lines[: table - 2] if line not in stale]
        head = [*head[:-1], note, ""] if head and not head[-1] else [*head, note, ""]
        rows = kept + [_row(row) for row in common.RESULTS]
        path.write_text("\n".join([*head, *lines[table - 1 : table + 1], *rows]) + "\n")
        return
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {common.machine()}.  ",
        f"Command: `{command}` ({seconds / 60:.1f} minutes).  ",
        "Each client runs in a fresh process against a loopback server in another process; "
        "peak RSS is the client process's own high-water mark (VmHWM).",
        "",
        "| Benchmark | Figure | Value | Target | Met |",
        "|---|---|---|---|---|",
        *(_row(row) for row in common.RESULTS),
    ]
    path.write_text("\n".join(lines) + "\n")


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
    chosen = [title for title, _run in SECTIONS if any(title.startswith(f"{n}.") for n in only)]
    command = "make bench" if not only else f"python -m bench.run {' '.join(sorted(only))}"
    write_results(command, elapsed, chosen)


if __name__ == "__main__":
    main()
