"""Python names derived from wire names."""

from __future__ import annotations

import functools
import keyword
import re

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


@functools.lru_cache(maxsize=4096)  # the same parameter names recur across operations
def snake_case(wire_name: str) -> str:
    """``GetUserInfo`` -> ``get_user_info``, ``timeZoneID`` -> ``time_zone_id``, ``get-status`` ->
    ``get_status``. The result may still be a keyword; callers check with ``python_name_problem``.
    """
    text = _ACRONYM_BOUNDARY.sub(r"\1_\2", wire_name)
    text = _WORD_BOUNDARY.sub(r"\1_\2", text)
    text = _NON_WORD.sub("_", text).strip("_").lower()
    return re.sub(r"_+", "_", text)


def constant_case(value: str) -> str:
    """An enum member name for a wire value: ``Letter 8.5 x 11`` -> ``LETTER_8_5_X_11``."""
    name = snake_case(value).upper() or "EMPTY"
    return f"V_{name}" if name[0].isdigit() else name


def python_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a Python identifier, or None when it can."""
    if not name.isidentifier() or not name.isascii():
        return f"{name!r} is not a valid Python identifier"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword"
    return None
