"""Benchmark 5: import time of each generated package in a fresh interpreter, minus
``import requests`` (target: 30 ms at most), and what the first client and the first call of
an operation then cost (the descriptors are built when first used, not at import)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from bench.common import ROOT, record

PACKAGES = ["lleida_mailcert", "mailstore_server", "mailstore_spe", "click2mail"]
RUNS = 15


# Measure as a user's interpreter runs: with bytecode caching (this workplace disables it).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(statement: str) -> float:
    code = "import time; t = time.perf_counter(); " + statement + "; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=ENV
    )
    return float(out.stdout)


def _after_requests(package: str) -> float:
    """Seconds to import the package in a fresh interpreter that has already imported requests:
    the package's own cost ("minus import requests"), measured directly rather than as the
    difference of two noisy totals."""
    code = (
        "import requests, time; t = time.perf_counter(); import generated."
        + package
        + "; print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=ENV
    )
    return float(out.stdout)


def main() -> None:
    for package in PACKAGES:  # warm the .pyc files first
        _time(f"import generated.{package}")
    baseline = statistics.median(_time("import requests") for _ in range(RUNS))
    record("import time", "import requests (for reference)", baseline * 1000, "ms")
    for package in PACKAGES:
        extra = statistics.median(_after_requests(package) for _ in range(RUNS)) * 1000
        record(
            "import time",
            f"generated.{package} after requests",
            extra,
            "ms",
            "<= 30 ms",
            extra <= 30,
        )
    first = statistics.median(_first_use() for _ in range(RUNS)) * 1000
    record("import time", "click2mail: first client and first operation built", first, "ms")


def _first_use() -> float:
    """Seconds for the first client of the largest package and the first call's operation
    descriptor (the package already imported): what import time no longer pays."""
    code = (
        "import time, generated.click2mail as c; t = time.perf_counter(); "
        "client = c.Click2MailClient('u', 'p'); op = client._op_get_credit.operation; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=ENV
    )
    return float(out.stdout)


if __name__ == "__main__":
    main()
