"""Readable text for statuses, models and plain data (the seeds' pretty printer)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .codec import Model, to_jsonable
from .tasks import Status


def pretty(value: Any, indent: int = 0) -> str:
    """One ``key: value`` line per field, nested values indented; log output kept line by line."""
    return "\n".join(_lines(_plain(value), indent))


def _plain(value: Any) -> Any:
    if isinstance(value, Status):
        fields = dataclasses.asdict(value)
        fields.pop("raw")
        return {k: v for k, v in fields.items() if k not in ("running", "succeeded")}
    if isinstance(value, Model):
        return value.to_dict()
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
