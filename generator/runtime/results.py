"""Result shapes shared by several APIs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import IO

from .builtin_types import Type

# Where a streamed download goes: a path (written beside it, then renamed) or a binary file.
FileTarget = str | PathLike[str] | IO[bytes]


@dataclass
class BinaryResult:
    """A response that is either a file (``has_file``) or the vendor's status/message about it."""

    has_file: bool
    content: bytes | None
    status: str | None = None
    msg: str | None = None
    content_type: str | None = None
    size: int | None = None  # bytes received
    saved_to: str | None = None  # where a streamed download was written (a path), if anywhere

    def save(self, target: str | Path | IO[bytes]) -> int:
        """Write the file to a path or binary file object; returns the number of bytes written."""
        if not self.has_file or self.content is None:
            raise ValueError(f"no file in this response (status {self.status}: {self.msg})")
        if isinstance(target, str | Path):
            Path(target).write_bytes(self.content)
        else:
            target.write(self.content)
        return len(self.content)


BINARY_RESULT: Type[BinaryResult] = Type("binary")


def write_stream(target: FileTarget, first: bytes, rest: Iterator[bytes]) -> tuple[int, str | None]:
    """Stream chunks to a path (written beside it as ``.part``, renamed when complete, removed on
    any failure) or to a binary file object. Returns the size and the path written, if any."""
    if isinstance(target, str | PathLike):
        final = Path(target)
        partial = final.with_name(final.name + ".part")
        try:
            with partial.open("wb") as out:
                size = _copy(out, first, rest)
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size, str(final)
    return _copy(target, first, rest), None


def _copy(out: IO[bytes], first: bytes, rest: Iterator[bytes]) -> int:
    out.write(first)
    size = len(first)
    for chunk in rest:
        out.write(chunk)
        size += len(chunk)
    return size
