"""Local files a call writes, created safely.

A download to a path is written to a new file in the target's own folder, created exclusively
under an unpredictable name (``tempfile.mkstemp``: no symlink planted there is followed, no
existing file is reused), and renamed over the target only once the answer is complete; on any
failure it is removed. The folder is checked by creating that file before the request is sent.
Every local problem is the runtime's ``LocalFileError`` (also an ``OSError``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import IO

from .errors import LocalFileError

# Where a streamed download goes: a path (written beside it first, then renamed) or a binary file.
FileTarget = str | PathLike[str] | IO[bytes]


def local_error(exc: OSError, doing: str, path: str, folder: str | None = None) -> LocalFileError:
    """``exc`` as the runtime's error: what could not be done to which file, and why."""
    reason = exc.strerror or type(exc).__name__
    inside = f" (in the folder {folder!r})" if folder is not None else ""
    return LocalFileError(
        f"local file: cannot {doing} {path!r}: {reason}{inside}",
        errno=exc.errno,
        filename=path,
    )


class Download:
    """Where one streamed download is written: a partial file beside a target path, or the
    caller's own binary file object."""

    def __init__(self, target: FileTarget) -> None:
        self._stream: IO[bytes] | None = None
        self._partial: str | None = None
        self.final: str | None = None
        if not isinstance(target, str | PathLike):
            self._stream = target
            return
        final = Path(target)
        self.final = str(final)
        if final.is_dir():
            raise LocalFileError(
                f"local file: {self.final!r} is a directory; give a file path to save to",
                errno=21,
                filename=self.final,
            )
        folder = final.parent
        try:
            handle, partial = tempfile.mkstemp(
                prefix=f".{final.name}.", suffix=".part", dir=folder or "."
            )
        except OSError as exc:
            raise local_error(exc, "save to", self.final, str(folder)) from None
        self._partial = partial
        self._stream = os.fdopen(handle, "wb")

    def write(self, pieces: Iterable[bytes]) -> int:
        """Write every piece; returns the number of bytes written."""
        stream = self._stream
        assert stream is not None
        size = 0
        for piece in pieces:
            try:
                stream.write(piece)
            except OSError as exc:
                name = self.final or str(getattr(stream, "name", "the file object"))
                raise local_error(exc, "write", name) from None
            size += len(piece)
        return size

    def commit(self) -> str | None:
        """The answer is complete: rename the partial file over the target (atomic within a
        folder). Returns the path written, if any."""
        if self._partial is None:
            return None
        assert self._stream is not None and self.final is not None
        try:
            self._stream.close()
            os.replace(self._partial, self.final)
        except OSError as exc:
            self.discard()
            raise local_error(exc, "save", self.final) from None
        self._partial = None
        return self.final

    def discard(self) -> None:
        """Nothing of a failed download is left behind (the caller's own file is theirs)."""
        if self._partial is None:
            return
        assert self._stream is not None
        self._stream.close()
        try:
            os.unlink(self._partial)
        except FileNotFoundError:
            pass
        self._partial = None
