"""What the checks ask of types: their shape, whether they name something that exists, and
whether a default or a format fits them (on the runtime's ``Type`` descriptors)."""

from __future__ import annotations

from typing import Any

from generator.errors import SpecError
from generator.model import BUILTIN_TYPES, Scalar, Source, Spec
from generator.runtime.builtin_types import BUILTIN_TYPES as BUILTIN_ROWS
from generator.runtime.builtin_types import (
    EPOCH_FORMATS,
    Type,
    class_name,
    leaves,
    type_expression,
)

_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    name: row.default_types for name, row in BUILTIN_ROWS.items() if row.default_types
}
FORMATTED = tuple(name for name, row in BUILTIN_ROWS.items() if row.formatted)


def is_scalar(kind: Type[Any]) -> bool:
    """One value that is not data: a built-in other than json, or an enum."""
    return (kind.kind in BUILTIN_TYPES and kind.kind != "json") or kind.kind == "enum"


def shape(kind: Type[Any]) -> str:
    """How a value of ``kind`` can travel as text: ``scalar`` (one value), ``list`` (of single
    values), ``data`` (models, json, lists of those), ``binary`` (a file)."""
    if kind.kind == "list":
        assert kind.item is not None
        return "list" if shape(kind.item) == "scalar" else "data"
    if kind.kind == "union":
        shapes = {shape(option) for option in kind.target}
        return "scalar" if shapes == {"scalar"} else "data"
    if kind.kind in ("model", "json"):
        return "data"
    return "binary" if kind.kind == "binary" else "scalar"


def type_problem(spec: Spec, kind: Type[Any]) -> str | None:
    """Why a type does not name what exists (None: it does)."""
    if kind.kind == "list":
        assert kind.item is not None
        return type_problem(spec, kind.item)
    if kind.kind == "union":
        options = [type_expression(o) for o in kind.target]
        if len(set(options)) != len(options):
            return f"{type_expression(kind)!r} names a type twice"
        if any(o.kind == "binary" for o in kind.target):
            return "'binary' cannot be one option of a union"
        return next(filter(None, (type_problem(spec, o) for o in kind.target)), None)
    if kind.kind != "model" or spec.model(class_name(kind.target)) is not None:
        return None
    known = sorted([*BUILTIN_TYPES, *(e.name for e in spec.enums), *(m.name for m in spec.models)])
    return f"unknown type {class_name(kind.target)!r} (known types: {', '.join(known)})"


def default_problem(spec: Spec, kind: Type[Any], default: Scalar) -> str | None:
    """Why ``default`` is not a value of ``kind`` (None: it is)."""
    if default is None:
        return None
    if kind.kind in ("list", "union"):
        return f"a {kind.kind} parameter cannot have a default, got {default!r}"
    name = type_expression(kind)
    if kind.kind == "enum":
        enum = next((e for e in spec.enums if e.name == name), None)
        values = [m.value for m in enum.members] if enum else []
        if default not in values:
            return f"default {default!r} is not a value of enum {name} ({', '.join(values)})"
        return None
    expected = _DEFAULT_TYPES.get(kind.kind)
    if expected is None:
        return f"type {name} cannot have a default"
    if isinstance(default, bool) and bool not in expected:
        return f"default {default!r} is a boolean, expected {name}"
    if not isinstance(default, expected):
        return f"default {default!r} is a {type(default).__name__}, expected {name}"
    return None


def format_problems(source: Source, kind: Type[Any]) -> list[SpecError]:
    """A format where its type takes none, one its type cannot write (a bool's spellings, an
    int's width, a float's decimals), or an epoch format on a date."""
    formatted = [leaf for leaf in leaves(kind) if leaf.format is not None]
    if not formatted:
        return []
    whole = kind.item if kind.kind == "list" and kind.item is not None else kind
    if whole.kind not in FORMATTED:
        names = ", ".join(FORMATTED[:-1]) + " and " + FORMATTED[-1]
        return [source.error(f"'format' applies only to {names} types", "format")]
    fmt = formatted[0].format
    assert fmt is not None
    if fmt in EPOCH_FORMATS and whole.kind != "datetime":
        return [source.error(f"{fmt!r} applies to datetime values", "format")]
    check = BUILTIN_ROWS[whole.kind].format_problem
    problem = check(fmt) if check is not None else None
    return [source.error(problem, "format")] if problem else []
