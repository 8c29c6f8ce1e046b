"""Write a rendered tree atomically, and compare a rendered tree with what is on disk."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def write_tree(target: Path, files: Mapping[str, bytes], keep: Iterable[str] = ()) -> None:
    """Replace ``target`` with exactly ``files`` (plus the ``keep`` sub-folders copied from the
    old tree). Everything is written to a sibling temporary folder first and swapped in with two
    renames, so a failure at any point leaves ``target`` as it was."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        for folder in keep:
            source = target / folder
            if source.is_dir():
                shutil.copytree(
                    source, staging / folder, ignore=shutil.ignore_patterns("__pycache__")
                )
        for relative, content in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, target: Path) -> None:
    retired = None
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        retired.rmdir()
        os.rename(target, retired)
    try:
        os.rename(staging, target)
    except BaseException:
        if retired is not None:
            os.rename(retired, target)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (caches excluded), keyed by POSIX relative path."""
    if not root.is_dir():
        return {}
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def diff_tree(
    root: Path, expected: Mapping[str, bytes], scope: Iterable[str] | None = None
) -> list[str]:
    """Unified diffs between ``expected`` and the files on disk (``scope``: top-level entries to
    compare; None compares everything)."""
    actual = read_tree(root)
    if scope is not None:
        wanted = set(scope)
        actual = {k: v for k, v in actual.items() if k.split("/", 1)[0] in wanted}
    problems = []
    for name in sorted(set(actual) | set(expected)):
        old, new = actual.get(name), expected.get(name)
        if old == new:
            continue
        old_lines = _lines(old)
        new_lines = _lines(new)
        label = f"{root.name}/{name}"
        diff = difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=f"{label} (on disk)" if old is not None else "/dev/null",
            tofile=f"{label} (from specs)" if new is not None else "/dev/null",
        )
        problems.append("".join(diff) or f"{label}: differs (binary)\n")
    return problems


def _lines(content: bytes | None) -> list[str]:
    if content is None:
        return []
    return content.decode("utf-8", errors="replace").splitlines(keepends=True)
