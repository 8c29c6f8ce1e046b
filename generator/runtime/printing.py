"""Readable text for statuses, models and plain data (the seeds' pretty printer)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .codec import Model, to_jsonable


def pretty(value: Any, indent: int = 0) -> str:
    """One ``key: value`` line per field, nested values indented; log output kept line by line."""
    return "\n".join(_lines(plain(value), indent))


def plain(value: Any) -> Any:
    """A result as JSON-ready data: models by field name, statuses and binary results without
    their internal bookkeeping (the raw envelope, derived flags)."""
    if isinstance(value, Model):
        return value.to_dict()
    from .results import BinaryResult  # here, not at import: importing a package stays fast
    from .status import Status

    if isinstance(value, Status | BinaryResult):
        data = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        for internal in ("raw", "running", "succeeded", "errors"):
            data.pop(internal, None)
        return to_jsonable(data)
    return to_jsonable(value)


def _lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if isinstance(value, Mapping):
        if not value:
            return [pad + "{}"]
        out = []
        for key, item in value.items():
            if isinstance(item, Mapping | list) and item:
                out.append(f"{pad}{key}:")
                out.extend(_lines(item, indent + 1))
            elif isinstance(item, str) and "\n" in item:
                out.append(f"{pad}{key}:")
                out.extend(f"{pad}  | {line}" for line in item.rstrip("\r\n").splitlines())
            else:
                out.append(f"{pad}{key}: {_scalar(item)}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, Mapping | list) and item:
                out.append(f"{pad}-")
                out.extend(_lines(item, indent + 1))
            else:
                out.append(f"{pad}- {_scalar(item)}")
        return out
    return [pad + _scalar(value)]


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return str(value)
