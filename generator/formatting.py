"""Format generated Python with black, in-process."""

from __future__ import annotations

import black
from black.mode import Mode, TargetVersion

MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)


class FormatError(Exception):
    """Rendered source is not valid Python (a template bug); carries the offending file name."""


def format_source(source: str, filename: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except black.parsing.InvalidInput as exc:
        raise FormatError(f"{filename}: rendered code is not valid Python: {exc}") from None
