"""Generate a client package from spec text into a temporary folder and import it: for testing
spec-language features on small specs of their own (``examples/`` and ``generated/`` are never
touched)."""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap
from pathlib import Path
from types import ModuleType

from generator import pipeline, render
from generator.model import Spec

_COUNTER = itertools.count()


def build_package(folder: Path, spec_text: str) -> ModuleType:
    """The generated package of ``spec_text`` (its ``api.name``), imported under a fresh top
    package so that tests never share modules."""
    top = f"specgen_case_{next(_COUNTER)}"
    spec = folder / "spec.yaml"
    spec.write_text(textwrap.dedent(spec_text), encoding="utf-8")
    (api,) = pipeline.load_apis([spec])
    pipeline.generate([spec], output_dir=folder / top, docs_dir=None)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(f"{top}.{api.name}")


def import_unformatted(folder: Path, api: Spec) -> ModuleType:
    """The package of an already built ``api``, rendered without black (the sweeps generate
    hundreds of operations; formatting does not change what the code does)."""
    top = f"specgen_case_{next(_COUNTER)}"
    env = render.environment()
    files: dict[str, bytes] = {"__init__.py": b"", **pipeline.runtime_files()}
    files.update(
        (f"{api.name}/{name}", source.encode("utf-8"))
        for name, source in render.render_package(api, env).items()
    )
    for name, data in files.items():
        target = folder / top / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(f"{top}.{api.name}")
