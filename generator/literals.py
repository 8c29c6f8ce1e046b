"""Descriptors written out: as Python source (the one literal filter the templates write the
models' fields and the error table with) and as data (``api_document``: the API's description and
its operations, the ``api.json`` a generated package builds them from when first used).

A descriptor (a named tuple or dataclass of ``generator.runtime``) becomes the call that builds
it again, ``_rt.<Class>(field=value, ...)``, each field the spec set written out (fields equal to
their class default are left out, as are ``NOT_WRITTEN``: facts only the generator reads).
Types become their runtime constructors (``_rt.list_of(_rt.model(models.PdfRow))``), the
``TypeName`` of a generated class becomes that class, objects named in ``refs`` become their
name (``_OP_LIST_PDF``, ``ERROR_TABLE``). Strings go through ``filters`` (the security
boundary); the layout is black's, so black finds nothing to change.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from generator.filters import FilterError, py_literal, py_text, str_literal
from generator.formatting import LINE_LENGTH
from generator.runtime.builtin_types import BUILTIN_TYPES, Type, TypeName
from generator.runtime.codec import Field
from generator.runtime.descriptors import ApiDescription, Operation, Pagination, Param, Setting
from generator.runtime.errors import ErrorRule

# Fields only the generator reads: the generated code does not write them out.
NOT_WRITTEN: dict[type, frozenset[str]] = {
    Field: frozenset(("doc", "mime_decoded")),
    Pagination: frozenset(("item",)),
    ApiDescription: frozenset(("description",)),
}
# Descriptors written by the hundred, whose leading fields are written without their names
# (``_rt.Param("token", "token", _rt.STR, ...)``): shorter code, which black formats faster.
POSITIONAL: dict[type, int] = {Param: 3, Field: 3, ErrorRule: 1, Setting: 2}
# Fields whose types are what a call returns (their runtime descriptor is the result's).
_RESULT_FIELDS = frozenset(("result", "stream_item"))


def descriptor(
    value: Any,
    indent: int = 0,
    *,
    refs: Mapping[int, str] | None = None,
    models: str = "models.",
) -> str:
    """``value`` as Python source, starting where the caller writes it at ``indent``:
    ``models`` prefixes the generated model and enum classes (``""`` inside models.py)."""
    return _Writer(refs or {}, models).value(value, indent, indent, "param")


class _Writer:
    def __init__(self, refs: Mapping[int, str], models: str) -> None:
        self.refs = refs
        self.models = models

    def value(self, value: Any, indent: int, lead: int, position: str) -> str:
        """``value`` written ``lead`` columns in, its continuation lines at ``indent``."""
        if id(value) in self.refs:
            return self.refs[id(value)]
        if isinstance(value, Type):
            return self.type(value, position)
        if isinstance(value, TypeName):
            return value.name
        if _is_descriptor(value):
            return self.call(value, indent)
        if isinstance(value, str):
            return py_text(value, indent, " " * (lead - indent))
        if isinstance(value, frozenset):
            inner = self.sequence(tuple(sorted(value)), indent, lead + len("frozenset("))
            return f"frozenset({inner})"
        if isinstance(value, list | tuple):
            return self.sequence(tuple(value), indent, lead)
        if isinstance(value, Mapping):
            return self.mapping(value, indent, lead)
        return py_literal(value)

    def call(self, value: Any, indent: int) -> str:
        name = f"_rt.{type(value).__name__}"
        items = list(_written_fields(value))
        if not items:
            return f"{name}()"
        pad = " " * (indent + 4)
        lines = [f"{name}("]
        positional = POSITIONAL.get(type(value), 0)
        for index, (field, item) in enumerate(items):
            position = "return" if field in _RESULT_FIELDS else "param"
            if index < positional:
                lines.append(f"{pad}{self.value(item, indent + 4, indent + 4, position)},")
                continue
            text = self.value(item, indent + 4, indent + 4 + len(field) + 1, position)
            lines.append(f"{pad}{field}={text},")
        lines.append(" " * indent + ")")
        return "\n".join(lines)

    def sequence(self, items: tuple[Any, ...], indent: int, lead: int) -> str:
        parts = [self.value(item, indent + 4, indent + 4, "param") for item in items]
        inline = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        if "\n" not in inline and lead + len(inline) + 1 <= LINE_LENGTH:
            return inline
        pad = " " * (indent + 4)
        return "(\n" + "".join(f"{pad}{part},\n" for part in parts) + " " * indent + ")"

    def mapping(self, items: Mapping[Any, Any], indent: int, lead: int) -> str:
        parts = [
            f"{str_literal(str(key))}: {self.value(item, indent + 4, indent + 4, 'param')}"
            for key, item in items.items()
        ]
        inline = "{" + ", ".join(parts) + "}"
        if "\n" not in inline and lead + len(inline) + 1 <= LINE_LENGTH:
            return inline
        pad = " " * (indent + 4)
        return "{\n" + "".join(f"{pad}{part},\n" for part in parts) + " " * indent + "}"

    def type(self, kind: Type[Any], position: str) -> str:
        """The runtime expression of a type descriptor."""
        if kind.kind == "list":
            assert kind.item is not None
            return f"_rt.list_of({self.type(kind.item, position)})"
        if kind.kind == "union":
            return f"_rt.union_of({', '.join(self.type(o, position) for o in kind.target)})"
        if kind.kind in ("model", "enum"):
            target = kind.target
            if not isinstance(target, TypeName):
                raise FilterError(f"a {kind.kind} type names {target!r}, not a class to generate")
            maker = "model" if kind.kind == "model" else "enum_of"
            return f"_rt.{maker}({self.models}{target.name})"
        if kind.kind == "none":
            return "_rt.NONE"
        row = BUILTIN_TYPES[kind.kind]
        text = row.result_descriptor if position == "return" else row.descriptor
        if kind.format is not None and "{format}" not in text:
            return f"_rt.formatted({text}, {py_literal(kind.format)})"
        return text.replace("{format}", py_literal(kind.format))


class ApiDocument(NamedTuple):
    """The ``api.json`` of a generated package in its parts: the API's description (but its
    error table, which ``errors.py`` defines) and each operation by Python name, each as
    compact JSON, as ``runtime.data`` reads them back."""

    frame: str
    operations: dict[str, str]

    def text(self) -> str:
        """The file: an operation a line, so that a change shows as its own line."""
        lines = ['{"api": ' + self.frame + ",", ' "operations": {']
        entries = [f"  {_compact(name)}: {data}" for name, data in self.operations.items()]
        lines += [",\n".join(entries), " }}"]
        return "\n".join(lines) + "\n"


class Remembered(Protocol):
    """Where an operation's data was kept from an earlier run (``cache.OperationMemory``)."""

    def get(self, op: Operation[Any]) -> str | None: ...

    def put(self, op: Operation[Any], data: str) -> None: ...


def api_document(api: ApiDescription, remembered: Remembered | None = None) -> ApiDocument:
    """The descriptors of ``api`` as data (deterministic: the same descriptors give the same
    bytes); an operation's data is taken from ``remembered`` when it has it."""
    description = {
        name: to_data(value)
        for name, value in _written_fields(api)
        if name not in ("operations", "errors")
    }
    operations: dict[str, str] = {}
    for op in api.operations:
        data = remembered.get(op) if remembered is not None else None
        if data is None:
            data = _compact(to_data(op))
            if remembered is not None:
                remembered.put(op, data)
        operations[op.name] = data
    return ApiDocument(_compact(description), operations)


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def to_data(value: Any) -> Any:
    """One descriptor (or value) as JSON data: ``{"@": class name, field: value, ...}`` with
    the fields that differ from their class default, a frozenset as ``{"@set": [...]}``."""
    if _is_descriptor(value):
        data = {"@": type(value).__name__}
        data.update((name, to_data(item)) for name, item in _written_fields(value))
        return data
    if isinstance(value, frozenset):
        return {"@set": sorted(to_data(item) for item in value)}
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_data(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise FilterError(f"{value!r} cannot be written as data")


def _is_descriptor(value: Any) -> bool:
    """A named tuple, a dataclass, or an object that lists its ``_fields`` (an auth scheme)."""
    if isinstance(value, type):
        return False
    return hasattr(value, "_fields") or dataclasses.is_dataclass(value)


def _written_fields(value: Any) -> list[tuple[str, Any]]:
    """The fields of a descriptor to write: those that differ from their class default."""
    skipped = NOT_WRITTEN.get(type(value), frozenset())
    if dataclasses.is_dataclass(value):
        out = []
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name in skipped or (f.default is not dataclasses.MISSING and item == f.default):
                continue
            out.append((f.name, item))
        return out
    defaults: Mapping[str, Any] = getattr(type(value), "_field_defaults", {})
    return [
        (name, getattr(value, name))
        for name in value._fields
        if name not in skipped
        and not (name in defaults and _same(getattr(value, name), defaults[name]))
    ]


def _same(value: Any, default: Any) -> bool:
    """Equal to the default and of its kind (``()`` is not ``None``, ``0`` is not ``False``);
    an empty collection is its empty default whatever its kind."""
    if type(value) is type(default):
        return bool(value == default)
    empty = (tuple, list, frozenset, dict)
    return not value and not default and type(value) in empty and type(default) in empty
