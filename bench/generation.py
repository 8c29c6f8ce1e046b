"""Benchmark 4: generation time. All specs cold (empty format cache) and again with nothing
changed; synthetic 200- and 2,000-operation specs (cost per operation must stay flat); the
2,000-operation spec regenerated after one operation changed (format cache at the level of
chunks); and openapi-python-client on the OpenAPI export of the same 2,000 operations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, record
from generator import pipeline

OPC = Path(os.environ.get("SPECGEN_OPC", ROOT / ".venv-opc" / "bin" / "openapi-python-client"))


def synthetic_spec(operations: int) -> dict[str, object]:
    """A MailStore-like API: form-encoded calls answering a JSON envelope, a few typed results."""
    ops: dict[str, object] = {}
    for i in range(operations):
        ops[f"Operation{i:04d}"] = {
            "doc": f"Synthetic operation number {i}.",
            "returns": "Record" if i % 3 == 0 else "json",
            "safe": i % 2 == 0,
            "params": {
                "recordId": {"type": "int", "required": True, "doc": "A record."},
                "label": {"type": "str", "doc": "A label."},
                "flags": {"type": "list[str]"},
                "dryRun": {"type": "bool"},
            },
        }
    return {
        "spec_version": 1,
        "api": {"name": "synthetic", "title": "Synthetic API", "client_class": "SyntheticClient"},
        "settings": {
            "host": {"type": "str", "default": "localhost"},
            "password": {"type": "str", "default": "x", "secret": True},
        },
        "server": {"url": "https://{host}:8463"},
        "auth": {"scheme": "basic", "username": "host", "password": "password"},
        "protocol": {
            "encoding": "form",
            "decoding": "envelope",
            "path_template": "/api/invoke/{operation}",
        },
        "models": {
            "Record": {
                "fields": {
                    "record_id": {"type": "int", "wire": "recordId"},
                    "label": {"type": "str"},
                }
            }
        },
        "operations": ops,
    }


def _timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, cwd=ROOT, check=True, capture_output=True, env={**os.environ, **(env or {})}
    )
    return time.perf_counter() - start


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        cache = {"SPECGEN_CACHE_DIR": str(scratch / "cache")}
        out = str(scratch / "out")
        cold = _timed([python, "-m", "generator", "generate", "--output", out], cache)
        warm = _timed([python, "-m", "generator", "generate", "--output", out], cache)
        apis = pipeline.load_apis(pipeline.discover_specs(), check_examples=False)
        count = sum(len(api.operations) for api in apis)
        record("generation", f"all {len(apis)} specs ({count} operations), cold", cold, "s")
        record("generation", "all 4 specs, nothing changed (format cache)", warm, "s")
        per_op: dict[int, float] = {}
        for size in (200, 2000):
            spec = scratch / f"synthetic_{size}.yaml"
            spec.write_text(yaml.safe_dump(synthetic_spec(size), sort_keys=False))
            seconds = _timed(
                [
                    python,
                    "-m",
                    "generator",
                    "generate",
                    str(spec),
                    "--output",
                    str(scratch / f"gen{size}"),
                ],
                {"SPECGEN_NO_CACHE": "1"},
            )
            per_op[size] = seconds / size * 1000
            record("generation", f"synthetic {size} operations, cold", seconds, "s")
            record("generation", f"synthetic {size} operations: per operation", per_op[size], "ms")
        growth = per_op[2000] / per_op[200]
        record(
            "generation",
            "per-operation cost 2,000 vs 200 operations",
            growth,
            "x",
            "<= 1.15x",
            growth <= 1.15,
        )
        # one operation of the 2,000 changes: only its chunks are formatted again
        spec = scratch / "synthetic_2000.yaml"
        argv = [python, "-m", "generator", "generate", str(spec), "--output", str(scratch / "re")]
        _timed(argv, cache)
        data = synthetic_spec(2000)
        changed: Any = data["operations"]
        changed["Operation1234"]["doc"] = "Synthetic operation number 1234, changed."
        spec.write_text(yaml.safe_dump(data, sort_keys=False))
        again = _timed(argv, cache)
        record(
            "generation",
            "2,000 operations, one changed: regeneration",
            again,
            "s",
            "<= 1 s",
            again <= 1.0,
        )
        spec.write_text(yaml.safe_dump(synthetic_spec(2000), sort_keys=False))
        ours = seconds
        if OPC.exists():
            document = scratch / "synthetic_2000.openapi.json"
            subprocess.run(
                [
                    python,
                    "-m",
                    "generator",
                    "export-openapi",
                    str(scratch / "synthetic_2000.yaml"),
                    "-o",
                    str(document),
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            target = scratch / "opc"
            theirs = _timed(
                [
                    str(OPC),
                    "generate",
                    "--path",
                    str(document),
                    "--output-path",
                    str(target),
                    "--meta",
                    "none",
                    "--overwrite",
                ]
            )
            record("generation", "openapi-python-client, same 2,000 operations", theirs, "s")
            ratio = ours / theirs
            record(
                "generation",
                "ours / openapi-python-client time",
                ratio,
                "x",
                "<= 0.85x",
                ratio <= 0.85,
            )
        else:
            print(f"openapi-python-client not found at {OPC}; run `make bench` to install it")
        shutil.rmtree(scratch / "out", ignore_errors=True)


if __name__ == "__main__":
    main()
