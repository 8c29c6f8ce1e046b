"""Format generated Python with black, in-process, chunk by chunk, with a cache keyed by content.

Formatting dominates generation time. Templates mark where a file can be cut (``CHUNK_MARK`` on
a line of its own: before each operation's descriptor and before each operation's methods), and
each chunk is formatted on its own; a chunk of methods is formatted inside a stand-in class
header, so black applies its class-body rules (blank lines, line length at that indent) as in
the whole file (a test checks that black finds nothing to change in any joined file). So one
changed operation re-formats one or two chunks, and the chunks of a big file are shared out
among worker processes.

Results are cached by a hash of black's version, the line length, the indent and the chunk's
text: in memory for the process, and on disk (``.specgen-cache/`` in the project, or
``$SPECGEN_CACHE_DIR``) across runs, one file per generated file. ``SPECGEN_NO_CACHE=1``
bypasses the disk. black itself is imported only when something has to be formatted.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import multiprocessing
import os
import re
import tempfile
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LINE_LENGTH = 100
# A line of its own in rendered source: "a chunk starts here". A control character cannot come
# from spec text (every filter escapes control characters), so a spec cannot forge a cut.
CHUNK_MARK = "#\x01chunk"


@functools.cache
def black_version() -> str:
    """The installed black's version (part of every chunk's key), found without importing
    black or ``importlib.metadata`` (a few hundredths of a second): the name of the
    ``black-<version>.dist-info`` folder beside the package, else the metadata."""
    spec = importlib.util.find_spec("black")
    if spec is not None and spec.origin:
        found = sorted(Path(spec.origin).parent.parent.glob("black-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len("black-") : -len(".dist-info")]
    from importlib import metadata

    return metadata.version("black")


_MEMORY: dict[str, str] = {}
# Below this much unformatted source, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 300_000


class FormatError(Exception):
    """Rendered source is not valid Python (a template bug); carries the offending file name."""

    def __init__(self, filename: str, message: str) -> None:
        super().__init__(filename, message)  # both in args, so it survives a worker process
        self.filename = filename
        self.message = message

    def __str__(self) -> str:
        return f"{self.filename}: {self.message}"


@dataclass(frozen=True)
class Chunk:
    indent: int  # columns the chunk sits at in the file (a multiple of 4)
    text: str  # as rendered, without the blank lines around it
    blank_lines_before: int  # as rendered; the templates emit black's own spacing

    @functools.cached_property
    def key(self) -> str:  # read three times per chunk: hashed once
        digest = hashlib.sha256(f"{black_version()}\n{LINE_LENGTH}\n{self.indent}\n".encode())
        digest.update(self.text.encode("utf-8"))
        return digest.hexdigest()


def split_chunks(source: str) -> list[Chunk]:
    """Cut rendered source at its chunk marks (a source without marks is one chunk)."""
    parts = _MARK_LINE.split(source)
    pieces = [(0, parts[0])] + [(len(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    chunks: list[Chunk] = []
    trailing = 0
    for indent, piece in pieces:
        content = piece.strip()
        if not content:
            trailing += piece.count("\n")
            continue
        head = piece[: len(piece) - len(piece.lstrip())]
        tail = piece[len(piece.rstrip()) :]
        start = head.rfind("\n") + 1  # the first line keeps its indentation
        text = piece[start : len(piece) - len(tail)] + "\n"
        _check_indent(text, indent)
        chunks.append(Chunk(indent, text, trailing + head.count("\n") if chunks else 0))
        trailing = max(tail.count("\n") - 1, 0)
    return chunks


_MARK_LINE = re.compile(r"^( *)" + re.escape(CHUNK_MARK) + r"[ \t]*(?:\n|\Z)", re.M)


def _check_indent(text: str, indent: int) -> None:
    if not indent:
        return
    if indent % 4:
        raise ValueError(f"a chunk mark at indent {indent}, not a multiple of 4")
    outdented = re.search(rf"^(?! {{{indent}}})[ ]*\S.*$", text, re.M)
    if outdented:
        raise ValueError(
            f"a chunk at indent {indent} has a line to the left of it: {outdented.group(0)!r}"
        )


def join_chunks(chunks: list[Chunk], formatted: list[str]) -> str:
    out: list[str] = []
    for chunk, text in zip(chunks, formatted, strict=True):
        if out:
            out.append("\n" * chunk.blank_lines_before)
        out.append(text)
    return "".join(out)


def format_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """Format many files (``{name: source}``). Chunks not in the cache are formatted in parallel
    worker processes when there is enough work to pay for them; the result never depends on how
    the work was split."""
    split: dict[str, list[Chunk]] = {}
    for name, source in sources.items():
        try:
            split[name] = split_chunks(source)
        except ValueError as exc:
            raise FormatError(name, str(exc)) from None
    caches = {name: _DiskCache.load(name) for name in sources}
    missing: dict[str, tuple[str, Chunk]] = {}
    for name, chunks in split.items():
        for chunk in chunks:
            key = chunk.key
            if key not in _MEMORY and key not in missing:
                cached = caches[name].get(key)
                if cached is None:
                    missing[key] = (name, chunk)
                else:
                    _MEMORY[key] = cached
    if missing:
        _MEMORY.update(_format_all(missing))
    out: dict[str, str] = {}
    for name, chunks in split.items():
        texts = [_MEMORY[chunk.key] for chunk in chunks]
        out[name] = join_chunks(chunks, texts)
        caches[name].keep({chunk.key: text for chunk, text in zip(chunks, texts, strict=True)})
    return out


# Workers started ahead (``warm_up``): they import black while this process reads, checks and
# renders the specs.
_READY: list[ProcessPoolExecutor] = []


def warm_up() -> None:
    """Start the formatting workers now, each importing black, when there are CPUs to spare:
    by the time a changed chunk needs formatting, black is ready (the import is a tenth of a
    second, a good part of regenerating one changed operation of a large spec). ``done``
    stops them."""
    cpus = os.cpu_count() or 1
    if _READY or cpus < 2:
        return
    pool = ProcessPoolExecutor(max_workers=cpus, mp_context=multiprocessing.get_context("fork"))
    for _ in range(cpus - 1):  # this process keeps a CPU while it reads and renders
        pool.submit(_import_black)
    _READY.append(pool)


def done() -> None:
    """Stop the workers ``warm_up`` started (without waiting for them)."""
    while _READY:
        _READY.pop().shutdown(wait=False, cancel_futures=True)


def _import_black() -> None:
    import black  # noqa: F401  (imported for what follows)


def _format_all(missing: dict[str, tuple[str, Chunk]]) -> dict[str, str]:
    items = list(missing.items())
    workers = min(len(items), os.cpu_count() or 1)
    size = sum(len(chunk.text) for _, (_, chunk) in items)
    if _READY or (workers > 1 and size >= _PARALLEL_THRESHOLD):
        # Largest first, so the longest job starts at once and the small ones fill in.
        items.sort(key=lambda item: -len(item[1][1].text))
        batch = max(1, len(items) // (workers * 8))
        jobs = [v for _, v in items]
        if _READY:  # workers started ahead, one of them with black imported already
            results = list(_READY[0].map(_format_chunk, jobs, chunksize=batch))
        else:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                results = list(pool.map(_format_chunk, jobs, chunksize=batch))
    else:
        results = [_format_chunk(v) for _, v in items]
    return {key: text for (key, _), text in zip(items, results, strict=True)}


def _format_chunk(job: tuple[str, Chunk]) -> str:
    import black
    from black.mode import Mode, TargetVersion

    filename, chunk = job
    mode = Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)
    depth = chunk.indent // 4
    header = "".join(" " * (4 * level) + "class _:\n" for level in range(depth))
    try:
        text = black.format_str(header + chunk.text, mode=mode)
    except black.parsing.InvalidInput as exc:
        raise FormatError(filename, f"rendered code is not valid Python: {exc}") from None
    return text.split("\n", depth)[depth] if depth else text


class _DiskCache:
    """Formatted chunks of one generated file, from the last run that formatted it."""

    def __init__(self, path: Path | None, entries: dict[str, str]) -> None:
        self.path = path
        self.entries = entries

    @classmethod
    def load(cls, filename: str) -> _DiskCache:
        folder = _cache_dir()
        if folder is None:
            return cls(None, {})
        path = folder / (hashlib.sha256(filename.encode()).hexdigest()[:32] + ".json")
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        valid = isinstance(data, dict) and all(isinstance(v, str) for v in data.values())
        return cls(path, data if valid else {})

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def keep(self, entries: dict[str, str]) -> None:
        """Store exactly these entries (what the file is made of now), if anything changed."""
        if self.path is None or entries == self.entries:
            return
        _store(self.path, json.dumps(entries, ensure_ascii=False))


def _cache_dir() -> Path | None:
    if os.environ.get("SPECGEN_NO_CACHE") == "1":
        return None
    configured = os.environ.get("SPECGEN_CACHE_DIR")
    return (
        Path(configured)
        if configured
        else Path(__file__).resolve().parent.parent / (".specgen-cache")
    )


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
