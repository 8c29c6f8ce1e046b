"""Format generated Python with black, in-process, with a cache keyed by content.

Formatting dominates generation time, and its output depends only on the source text, black's
version and the mode, so results are cached by a hash of those three: in memory for the process,
and on disk (``.specgen-cache/`` in the project, or ``$SPECGEN_CACHE_DIR``) across runs. Set
``SPECGEN_NO_CACHE=1`` to bypass it. Files missing from the cache are formatted in parallel
worker processes when there is enough work.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import black
from black.mode import Mode, TargetVersion

LINE_LENGTH = 100
MODE = Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)
_MEMORY: dict[str, str] = {}
_BLACK_VERSION = importlib.metadata.version("black")


class FormatError(Exception):
    """Rendered source is not valid Python (a template bug); carries the offending file name."""

    def __init__(self, filename: str, message: str) -> None:
        super().__init__(filename, message)  # both in args, so it survives a worker process
        self.filename = filename
        self.message = message

    def __str__(self) -> str:
        return f"{self.filename}: {self.message}"


def _cache_dir() -> Path | None:
    if os.environ.get("SPECGEN_NO_CACHE") == "1":
        return None
    configured = os.environ.get("SPECGEN_CACHE_DIR")
    return (
        Path(configured)
        if configured
        else Path(__file__).resolve().parent.parent / (".specgen-cache")
    )


def _key(source: str) -> str:
    digest = hashlib.sha256(f"{_BLACK_VERSION}\n{MODE!r}\n".encode())
    digest.update(source.encode("utf-8"))
    return digest.hexdigest()


def format_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """Format many files (``{name: source}``). Those not in the cache are formatted in parallel
    worker processes when there is enough work to pay for them (black is CPU-bound and the big
    modules of a spec take seconds each); the result never depends on how the work was split."""
    out: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name, source in sources.items():
        cached = _lookup(_key(source))
        if cached is None:
            missing[name] = source
        else:
            out[name] = cached
    workers = min(len(missing), os.cpu_count() or 1)
    if workers > 1 and sum(map(len, missing.values())) >= _PARALLEL_THRESHOLD:
        # Largest first, so the longest job starts at once and the small ones fill in.
        order = sorted(missing, key=lambda name: -len(missing[name]))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_format_one, order, [missing[name] for name in order])
            formatted = dict(zip(order, results, strict=True))
    else:
        formatted = {name: _format_one(name, source) for name, source in missing.items()}
    for name, source in missing.items():
        out[name] = formatted[name]
        _remember(_key(source), formatted[name])
    return {name: out[name] for name in sources}


# Below this much unformatted source, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 300_000


def _format_one(filename: str, source: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except black.parsing.InvalidInput as exc:
        raise FormatError(filename, f"rendered code is not valid Python: {exc}") from None


def _lookup(key: str) -> str | None:
    if key in _MEMORY:
        return _MEMORY[key]
    cache = _cache_dir()
    path = cache / key[:2] / key if cache else None
    if path is not None and path.is_file():
        text = path.read_text(encoding="utf-8")
        _MEMORY[key] = text
        return text
    return None


def _remember(key: str, text: str) -> None:
    _MEMORY[key] = text
    cache = _cache_dir()
    if cache is not None:
        _store(cache / key[:2] / key, text)


def _store(path: Path, text: str) -> None:
    """Write atomically; a cache that cannot be written is only slower, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        pass
