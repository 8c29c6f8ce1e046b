"""Benchmark 5: import time of each generated package in a fresh interpreter, minus
``import requests`` (target: under 50 ms)."""

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
            "import time", f"generated.{package} after requests", extra, "ms", "< 50 ms", extra < 50
        )


if __name__ == "__main__":
    main()
