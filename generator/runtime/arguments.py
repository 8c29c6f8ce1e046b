"""Arguments are checked before anything is sent: a value of the wrong type, an enum value outside
the declared set or two arguments the vendor takes only one of raise an error naming the
parameter (``str(value)`` of the wrong thing is never sent)."""

from __future__ import annotations

import enum
import io
import json
import os
import re
from collections.abc import Collection, Mapping
from typing import Any

from .builtin_types import BUILTIN_TYPES, Type
from .codec import NULL, Model
from .descriptors import Operation, Param


class ArgumentTypeError(TypeError):
    """An argument of the wrong type (raised before the request is sent)."""


class ArgumentValueError(ValueError):
    """An argument with a value the operation does not take (raised before anything is sent)."""


class MissingFileError(ArgumentValueError, FileNotFoundError):
    """A file argument names a path that is not a readable file (nothing was sent)."""


def check_arguments(
    op: Operation[Any], args: Mapping[str, Any], secret_wires: Collection[str] = ()
) -> None:
    """Check every given argument (keyed by wire name; None means not given). A secret's
    value (a secret parameter, or one whose wire name is secret) is never shown in a message."""
    given = {p.wire for p in op.params if args.get(p.wire) is not None}
    for param in op.params:
        value = args.get(param.wire)
        if value is None:
            continue
        if value is NULL:
            if not param.nullable:
                raise ArgumentValueError(
                    f"{op.name}(): argument {param.name!r} cannot be null (leave it out instead)"
                )
            continue
        _check(op, param, param.type, value, param.secret or param.wire in secret_wires)
        for other in param.conflicts_with:
            if other in given:
                other_name = next((p.name for p in op.params if p.wire == other), other)
                raise ArgumentValueError(
                    f"{op.name}(): {param.name!r} cannot be combined with {other_name!r} "
                    "(the vendor takes one or the other)"
                )


def _check(op: Operation[Any], param: Param, kind: Type[Any], value: Any, secret: bool) -> None:
    problem = _problem(param, kind, value, secret)
    if problem is not None:
        error, text = problem
        raise error(f"{op.name}(): argument {param.name!r} {text}")


# A lone surrogate: text Python holds but no encoding can send (it is not Unicode text).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _problem(
    param: Param, kind: Type[Any], value: Any, secret: bool = False
) -> tuple[type[Exception], str] | None:
    name = kind.kind
    if name == "union":
        options = kind.target
        if isinstance(value, Model):  # a model is one of the model options, never plain data
            options = [o for o in options if o.kind == "model"]
        problems = [_problem(param, option, value, secret) for option in options]
        if any(problem is None for problem in problems):
            return None
        return (ArgumentTypeError, f"expects {_union_words(kind)}, got {_show(value, secret)}")
    if name == "list":
        assert kind.item is not None
        if not isinstance(value, list | tuple):
            if (
                param.style in ("csv", "repeat")
                and _problem(param, kind.item, value, secret) is None
            ):
                return None  # one item stands for a list of one
            return ArgumentTypeError, f"expects a list, got {_show(value, secret)}"
        for item in value:
            problem = _problem(param, kind.item, item, secret)
            if problem is not None:
                return problem
        return None
    if name == "enum":
        cls: type[enum.Enum] = kind.target
        if isinstance(value, cls):
            return None
        allowed = [str(m.value) for m in cls]
        if isinstance(value, str) and value in allowed:
            return None
        if isinstance(value, enum.Enum | str):
            shown = "a secret value" if secret else repr(value)
            return (ArgumentValueError, f"must be one of {', '.join(allowed)}; got {shown}")
        return (
            ArgumentTypeError,
            f"expects one of {', '.join(allowed)}, got {_show(value, secret)}",
        )
    if name == "model":
        if not isinstance(value, kind.target):
            return (
                ArgumentTypeError,
                f"expects a {kind.target.__name__}, got {_show(value, secret)}",
            )
        for field in kind.target.__wire_fields__:  # a model's own fields are checked too
            field_value = getattr(value, field.name)
            if field_value is NULL and not field.nullable:
                return ArgumentValueError, f"field {field.name!r} cannot be null"
            unset = field_value is None or field_value is NULL
            problem = None if unset else _problem(param, field.type, field_value, secret)
            if problem is not None:
                error, text = problem
                return error, f"field {field.name!r}: {text}"
        return None
    row = BUILTIN_TYPES.get(name)
    if name == "binary":
        return _file_problem(value)
    if name == "json" and isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return (
                ArgumentValueError,
                "is text that is not JSON (pass a dict or list, or JSON text)",
            )
        return None
    if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
        position = _SURROGATE.search(value).start()  # type: ignore[union-attr]
        return (
            ArgumentValueError,
            f"is not valid Unicode text (a lone surrogate at position {position})",
        )
    if row is None or not row.accepts or _accepts(row.accepts, value):
        return None
    if name == "json" and isinstance(value, Model):
        return None  # sent as its JSON form
    return ArgumentTypeError, f"expects {row.expected}, got {_show(value, secret)}"


def _file_problem(value: Any) -> tuple[type[Exception], str] | None:
    if isinstance(value, tuple):
        if (
            len(value) == 2
            and isinstance(value[0], str)
            and value[0]
            and isinstance(value[1], bytes | bytearray | io.IOBase)
            and not isinstance(value[1], io.TextIOBase)
        ):
            return None
        return ArgumentTypeError, f"expects (file name, bytes or binary file), got {_show(value)}"
    if isinstance(value, str | os.PathLike):
        if not os.path.isfile(value):
            return (
                MissingFileError,
                f"names no readable file: {os.fspath(value)!r}; nothing was sent",
            )
        return None
    row = BUILTIN_TYPES["binary"]
    if _accepts(row.accepts, value):
        return None
    return ArgumentTypeError, f"expects {row.expected}, got {_show(value)}"


def _union_words(kind: Type[Any]) -> str:
    words = []
    for option in kind.target:
        if option.kind in ("model", "enum"):
            words.append(f"a {option.target.__name__}")
        elif option.kind == "json":
            words.append("plain data (a dict)")
        else:
            row = BUILTIN_TYPES.get(option.kind)
            words.append(row.expected if row else option.kind)
    return " or ".join(words)


def _accepts(accepted: tuple[type, ...], value: Any) -> bool:
    if isinstance(value, bool) and bool not in accepted:
        return False  # True is an int to Python, not to the vendor
    if isinstance(value, io.TextIOBase):
        return False  # a file opened in text mode: files travel as bytes
    return isinstance(value, accepted)


def _show(value: Any, secret: bool = False) -> str:
    """A value as a message shows it: its type and the start of its repr (only its type when
    it is secret)."""
    if secret:
        return f"{type(value).__name__} (the value is secret: not shown)"
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"
