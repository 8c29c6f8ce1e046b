"""Spec errors that point at a file, line, column and key path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SpecError:
    """One problem in one spec file. Sorted by position so reports read top to bottom."""

    file: str
    line: int
    column: int
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        key = self.key_path or "<document>"
        return f"{where}: {key}: {self.message}"


class SpecErrors(Exception):
    """All errors found in a spec (or several), raised together so a user fixes them in one pass."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(e) for e in self.errors))


def format_key_path(path: tuple[str | int, ...]) -> str:
    """``('operations', 'GetUser', 'params', 0)`` -> ``operations.GetUser.params[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
