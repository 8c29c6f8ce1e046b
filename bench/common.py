"""Shared helpers for the benchmarks: timing, peak memory of child processes, result lines."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS: list[dict[str, object]] = []


@dataclass
class Measure:
    seconds: float
    peak_rss_mib: float
    baseline_rss_mib: float | None = None  # peak RSS before the measured work, when reported


def run_child(code: str, *, env: dict[str, str] | None = None, timeout: float = 900) -> Measure:
    """Run ``code`` in a fresh interpreter; it must end with ``report(seconds)`` (CHILD_PEAK),
    which prints its time and its own peak RSS."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    baseline = data.get("baseline_rss_kib")
    return Measure(
        float(data["seconds"]),
        float(data["peak_rss_kib"]) / 1024,
        None if baseline is None else float(baseline) / 1024,
    )


def record(
    benchmark: str,
    figure: str,
    value: float,
    unit: str,
    target: str | None = None,
    met: bool | None = None,
) -> None:
    RESULTS.append(
        {
            "benchmark": benchmark,
            "figure": figure,
            "value": round(value, 3),
            "unit": unit,
            "target": target,
            "met": met,
        }
    )
    verdict = "" if met is None else ("  [met]" if met else "  [NOT MET]")
    goal = f"  (target {target})" if target else ""
    print(f"{benchmark:<22} {figure:<58} {value:>12.3f} {unit:<6}{goal}{verdict}", flush=True)


def machine() -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )


# A child's own peak RSS is its memory's high-water mark (VmHWM): ``ru_maxrss`` survives exec
# and so counts what the benchmark process held when it forked the child (about 55 MiB late
# in a run), which hid every figure below it.
CHILD_PEAK = """
import json, resource, sys
def peak_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def report(seconds, **extra):
    print(json.dumps({"seconds": seconds, "peak_rss_kib": peak_kib(), **extra}))
"""


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 without request logging or Nagle delays: the benchmark servers' base."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def server_process(module: str, scheme: str = "http") -> Iterator[str]:
    """Run ``python -m <module> PORTFILE`` (a benchmark server) and yield its base URL."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        port_file = Path(scratch) / "port"
        server = subprocess.Popen([sys.executable, "-m", module, str(port_file)], cwd=ROOT)
        try:
            deadline = time.monotonic() + 60
            while not port_file.exists() or not port_file.read_text():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{module} did not start")
                time.sleep(0.05)
            yield f"{scheme}://127.0.0.1:{port_file.read_text()}"
        finally:
            server.terminate()
            server.wait()
