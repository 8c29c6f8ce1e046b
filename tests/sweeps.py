"""What the sweeps share: judge a spec written as data, keep the entries validate accepts, and
hold the accepted list to its record in ``tests/golden/``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from generator import build, checks, compose
from generator.errors import SpecError
from generator.model import Spec

V = TypeVar("V")


def judged(folder: Path, spec: Mapping[str, Any]) -> tuple[Spec, list[SpecError]]:
    """The built ``spec`` and every problem validate finds in it."""
    file = folder / "spec.yaml"
    file.write_text(yaml.safe_dump(dict(spec), sort_keys=False), encoding="utf-8")
    built = build.build_api(compose.load_spec(file))
    return built.spec, built.problems + checks.check(built.spec)


def accepted(
    folder: Path,
    section: str,
    every: dict[str, V],
    spec_of: Callable[[dict[str, V]], Mapping[str, Any]],
) -> tuple[Spec, dict[str, V]]:
    """The API of the entries of ``every`` (named in ``section``: one operation or model each)
    that validate accepts. Every refusal must be located in the entry it refuses."""
    _api, errors = judged(folder, spec_of(every))
    refused = set()
    for error in errors:
        where, name, *_rest = error.key_path.split(".")
        assert where == section and name in every, error  # located in its own entry
        refused.add(name)
    kept = {name: entry for name, entry in every.items() if name not in refused}
    api, errors = judged(folder, spec_of(kept))
    assert errors == []
    return api, kept


def check_record(golden: Path, lines: list[str]) -> None:
    """``lines`` must be what ``golden`` records (``UPDATE_GOLDEN=1`` rewrites it)."""
    text = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"what validate accepts changed: review tests/golden/{golden.name} "
        "(UPDATE_GOLDEN=1 rewrites it)"
    )


def count_line(what: str, counts: Mapping[str, int]) -> str:
    """What a hostile sweep prints when it ends (``pytest ... -s``): how many cases it tried, in
    all and by kind (the figure the README quotes)."""
    kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items()))
    return f"\n{what} tried: {sum(counts.values())} ({kinds})"
