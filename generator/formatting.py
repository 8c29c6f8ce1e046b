"""Format generated Python with black, in-process, with a cache keyed by content.

Formatting dominates generation time, and its output depends only on the source text, black's
version and the mode, so results are cached by a hash of those three: in memory for the process,
and on disk (``.specgen-cache/`` in the project, or ``$SPECGEN_CACHE_DIR``) across runs. Set
``SPECGEN_NO_CACHE=1`` to bypass it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from pathlib import Path

import black
from black.mode import Mode, TargetVersion

MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)
_MEMORY: dict[str, str] = {}
_BLACK_VERSION = importlib.metadata.version("black")


class FormatError(Exception):
    """Rendered source is not valid Python (a template bug); carries the offending file name."""


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


def format_source(source: str, filename: str) -> str:
    key = _key(source)
    if key in _MEMORY:
        return _MEMORY[key]
    cache = _cache_dir()
    cached = cache / key[:2] / key if cache else None
    if cached is not None and cached.is_file():
        text = cached.read_text(encoding="utf-8")
    else:
        try:
            text = black.format_str(source, mode=MODE)
        except black.parsing.InvalidInput as exc:
            raise FormatError(f"{filename}: rendered code is not valid Python: {exc}") from None
        if cached is not None:
            _store(cached, text)
    _MEMORY[key] = text
    return text


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
