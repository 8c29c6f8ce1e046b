"""Result shapes shared by several APIs."""

from __future__ import annotations

from dataclasses import dataclass, field

from .builtin_types import Type
from .errors import ErrorTable, LocalFileError
from .files import Download, FileTarget

__all__ = ["BINARY_RESULT", "BinaryResult", "FileTarget"]


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
    # the package whose errors ``save`` raises (set by the client that made the result)
    errors: ErrorTable | None = field(default=None, repr=False, compare=False)

    def save(self, target: FileTarget) -> int:
        """Write the file to a path (safely: a new file renamed over it once complete) or a
        binary file object; returns the number of bytes written."""
        if not self.has_file or self.content is None:
            raise ValueError(f"no file in this response (status {self.status}: {self.msg})")
        try:
            download = Download(target)
            try:
                size = download.write((self.content,))
                download.commit()
            finally:
                download.discard()
        except LocalFileError as exc:
            if self.errors is None:
                raise
            raise self.errors.adopt(exc) from None
        return size


BINARY_RESULT: Type[BinaryResult] = Type("binary")
