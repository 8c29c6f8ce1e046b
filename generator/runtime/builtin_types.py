"""The built-in types of the spec language, in one table.

Everything a built-in type means lives in its row: the Python annotation the generated code
uses at each position, the runtime descriptor it writes, which YAML defaults fit it, whether a
setting may have it, its OpenAPI schema, and how its values are read from wire or command-line
text and from JSON. The generator (templates, checks, OpenAPI export) and the runtime (codec,
command line) all read this table; nothing else lists the built-in types.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Type(NamedTuple, Generic[T]):
    """How one value travels: ``kind`` plus the model/enum class, item type or date format.

    ``target`` is the model or enum class in generated code; while a spec is being built (the
    classes do not exist yet) it is the ``TypeName`` of the class the generated code defines,
    and for a union the tuple of its options."""

    kind: str
    target: Any = None
    item: Type[Any] | None = None
    format: str | None = None


class TypeName(NamedTuple):
    """A class the generated code defines (a model, an enum, an error class), named before it
    exists: what the generator's descriptors hold where generated ones hold the class."""

    name: str


def class_name(target: Any) -> str:
    """The name of a descriptor's class reference: a class, or the ``TypeName`` of one."""
    return target.name if isinstance(target, TypeName) else str(target.__name__)


def type_expression(kind: Type[Any]) -> str:
    """A type as the spec writes it: ``int``, ``list[str]``, ``PdfRow``, ``A | B``."""
    if kind.kind == "list":
        assert kind.item is not None
        return f"list[{type_expression(kind.item)}]"
    if kind.kind == "union":
        return " | ".join(type_expression(option) for option in kind.target)
    if kind.kind in ("enum", "model"):
        return class_name(kind.target)
    return kind.kind


def leaves(kind: Type[Any]) -> list[Type[Any]]:
    """The single types a type is made of: itself, a list's items, a union's options."""
    if kind.kind == "list":
        assert kind.item is not None
        return leaves(kind.item)
    if kind.kind == "union":
        return [leaf for option in kind.target for leaf in leaves(option)]
    return [kind]


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


# Scalar formats: a boolean's two spellings ("1|0", "Y|N"), an integer's width and padding
# ("%02d"), a float's decimals ("%.2f"). Written as given, read back as given (and as usual).
_INT_FORMAT = re.compile(r"%0?[1-9]?\d?d")
_FLOAT_FORMAT = re.compile(r"%(0?[1-9]\d?)?\.\d{1,2}f")


def bool_spellings(fmt: str) -> tuple[str, str]:
    """``"1|0"`` -> ``("1", "0")``: how the wire writes true and false."""
    true, _bar, false = fmt.partition("|")
    return true, false


def bool_format_problem(fmt: str) -> str | None:
    true, bar, false = fmt.partition("|")
    if not bar or not true or not false or "|" in false or true == false:
        return (
            f"a bool format is the wire's true and false spellings, two different texts "
            f"separated by '|' (e.g. '1|0', 'Y|N'), not {fmt!r}"
        )
    return None


def int_format_problem(fmt: str) -> str | None:
    if _INT_FORMAT.fullmatch(fmt) is None:
        return f"an int format is a width, zero-padded or not: '%02d' writes 1 as 01; not {fmt!r}"
    return None


def float_format_problem(fmt: str) -> str | None:
    if _FLOAT_FORMAT.fullmatch(fmt) is None:
        return f"a float format gives the decimals: '%.2f' writes 2.5 as 2.50; not {fmt!r}"
    return None


def parse_formatted_bool(text: str, fmt: str | None) -> bool:
    if fmt:
        true, false = bool_spellings(fmt)
        if text == true:
            return True
        if text == false:
            return False
    return parse_bool(text)


def format_scalar(value: bool | int | float, fmt: str) -> str:
    """A bool, int or float as its format writes it."""
    if isinstance(value, bool):
        return bool_spellings(fmt)[0 if value else 1]
    return fmt % value


# Formats that are not strftime patterns: seconds or milliseconds since 1970 (UTC).
EPOCH_FORMATS = {"epoch": 1, "epoch_ms": 1000}


def utc_literal(fmt: str) -> bool:
    """A format ending in a literal ``Z`` writes UTC times (``%Y-%m-%dT%H:%M:%SZ``)."""
    return fmt.endswith("Z") and not fmt.endswith("%Z")


def parse_datetime(text: str, fmt: str | None) -> _dt.datetime:
    """Wire text as a datetime: aware when the wire says the zone (an offset, a literal Z, an
    epoch), naive otherwise (the vendor's local time, as it sent it)."""
    if fmt in EPOCH_FORMATS:
        return epoch_datetime(float(text), fmt)
    if not fmt:
        return _dt.datetime.fromisoformat(text)
    moment = _dt.datetime.strptime(text, fmt)
    return moment.replace(tzinfo=_dt.UTC) if utc_literal(fmt) else moment


def epoch_datetime(value: float, fmt: str) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(value / EPOCH_FORMATS[fmt], tz=_dt.UTC)


def format_datetime(value: _dt.date, fmt: str | None) -> str | int:
    """A datetime or date as the wire writes it: an epoch number, a strftime text (an aware
    time converted to UTC first under a literal-Z format), or ISO 8601."""
    if isinstance(value, _dt.datetime) and fmt in EPOCH_FORMATS:
        moment = value if value.tzinfo else value.replace(tzinfo=_dt.UTC)  # naive: UTC
        return round(moment.timestamp() * EPOCH_FORMATS[fmt])
    if not fmt:
        return value.isoformat()
    if isinstance(value, _dt.datetime) and value.tzinfo is not None and utc_literal(fmt):
        value = value.astimezone(_dt.UTC)
    return value.strftime(fmt)


def _datetime_from_json(value: Any, fmt: str | None) -> _dt.datetime:
    if fmt in EPOCH_FORMATS and isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_datetime(float(value), fmt or "epoch")
    if isinstance(value, str):
        return parse_datetime(value, fmt)
    raise ValueError(f"expected a date and time, got {_json_type(value)}")


def parse_date(text: str, fmt: str | None) -> _dt.date:
    if fmt:
        return _dt.datetime.strptime(text, fmt).date()
    return _dt.date.fromisoformat(text)


def _json_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _str_from_json(value: Any, fmt: str | None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # vendors send numeric codes as numbers or strings
    raise ValueError(f"expected text, got {_json_type(value)}")


def _int_from_json(value: Any, fmt: str | None) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"expected an integer, got {value!r} (the fraction would be lost)")
    if isinstance(value, str):
        return int(value)
    raise ValueError(f"expected an integer, got {_json_type(value)}")


def _float_from_json(value: Any, fmt: str | None) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return float(value)
    raise ValueError(f"expected a number, got {_json_type(value)}")


def _bool_from_json(value: Any, fmt: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return parse_formatted_bool(value, fmt)
    raise ValueError(f"expected a boolean, got {_json_type(value)}")


def _text_only(parse: Callable[[str, str | None], Any]) -> Callable[[Any, str | None], Any]:
    def from_json(value: Any, fmt: str | None) -> Any:
        if isinstance(value, str):
            return parse(value, fmt)
        raise ValueError(f"expected text, got {_json_type(value)}")

    return from_json


class BuiltinType(NamedTuple):
    name: str
    annotations: tuple[str, str, str]  # as a model field, a parameter, a result
    descriptor: str  # runtime descriptor expression; {format} is the spec's format
    result_descriptor: str  # the same, for a result
    default_types: tuple[type, ...]  # YAML defaults that fit (none: no default allowed)
    setting: bool  # may a client setting have this type
    formatted: bool  # does ``format`` apply
    openapi: dict[str, Any]
    from_text: Callable[[str, str | None], Any]  # wire or command-line text -> value
    from_json: Callable[[Any, str | None], Any]  # decoded JSON -> value (ValueError if not)
    accepts: tuple[type, ...]  # Python values a parameter of this type takes
    expected: str  # those, in words, for the error when another value is given
    text_parser: Callable[[str], Any] | None = None  # from_text without a format, one call
    format_problem: Callable[[str], str | None] | None = None  # why a format cannot apply

    def parser(self, fmt: str | None) -> Callable[[str], Any]:
        """Text -> value for this format: the one-call parser when the format is irrelevant."""
        if self.text_parser is not None and (fmt is None or not self.formatted):
            return self.text_parser
        from_text = self.from_text
        return lambda text: from_text(text, fmt)

    def annotation(self, position: str) -> str:
        return self.annotations[("field", "param", "return").index(position)]


_BUILTINS = (
    BuiltinType(
        "str",
        ("str", "str", "str"),
        "_rt.STR",
        "_rt.STR",
        (str,),
        True,
        False,
        {"type": "string"},
        lambda text, _fmt: text,
        _str_from_json,
        (str,),
        "text (str)",
    ),
    BuiltinType(
        "int",
        ("int", "int", "int"),
        "_rt.INT",
        "_rt.INT",
        (int,),
        True,
        True,
        {"type": "integer"},
        lambda text, _fmt: int(text),
        _int_from_json,
        (int,),
        "an integer (int)",
        int,
        int_format_problem,
    ),
    BuiltinType(
        "float",
        ("float", "float", "float"),
        "_rt.FLOAT",
        "_rt.FLOAT",
        (int, float),
        True,
        True,
        {"type": "number"},
        lambda text, _fmt: float(text),
        _float_from_json,
        (int, float),
        "a number (int or float)",
        float,
        float_format_problem,
    ),
    BuiltinType(
        "bool",
        ("bool", "bool", "bool"),
        "_rt.BOOL",
        "_rt.BOOL",
        (bool,),
        True,
        True,
        {"type": "boolean"},
        parse_formatted_bool,
        _bool_from_json,
        (bool,),
        "True or False",
        parse_bool,
        bool_format_problem,
    ),
    BuiltinType(
        "json",
        ("JsonValue", "JsonValue", "JsonValue"),
        "_rt.JSON",
        "_rt.JSON",
        (),
        False,
        False,
        {},
        lambda text, _fmt: text,
        lambda value, _fmt: value,
        (dict, list, tuple, str, int, float, bool),
        "JSON data (dict, list, str, number or bool)",
    ),
    BuiltinType(
        "datetime",
        ("datetime.datetime", "datetime.datetime", "datetime.datetime"),
        "_rt.datetime_type({format})",
        "_rt.datetime_type({format})",
        (str,),
        False,
        True,
        {"type": "string", "format": "date-time"},
        parse_datetime,
        _datetime_from_json,
        (_dt.datetime,),
        "a datetime.datetime",
    ),
    BuiltinType(
        "date",
        ("datetime.date", "datetime.date", "datetime.date"),
        "_rt.date_type({format})",
        "_rt.date_type({format})",
        (str,),
        False,
        True,
        {"type": "string", "format": "date"},
        parse_date,
        _text_only(parse_date),
        (_dt.date,),
        "a datetime.date",
    ),
    BuiltinType(
        "binary",
        ("bytes", "FileInput", "BinaryResult"),
        "_rt.BINARY",
        "_rt.BINARY_RESULT",
        (),
        False,
        False,
        {"type": "string", "contentMediaType": "application/octet-stream"},
        lambda text, _fmt: text.encode(),
        _text_only(lambda text, _fmt: text.encode()),
        (str, os.PathLike, bytes, bytearray, io.IOBase, tuple),
        "a path, bytes, a binary file object, or (file name, bytes or file object)",
    ),
    BuiltinType(
        "status",
        ("_rt.Status", "_rt.Status", "_rt.Status"),
        "_rt.STATUS",
        "_rt.STATUS",
        (),
        False,
        False,
        {"$ref": "#/components/schemas/StatusEnvelope"},
        lambda text, _fmt: text,
        lambda value, _fmt: value,
        (),
        "a status",
    ),
)
BUILTIN_TYPES: dict[str, BuiltinType] = {row.name: row for row in _BUILTINS}
# Annotations that name something the generated module imports from the runtime.
RUNTIME_ANNOTATIONS = ("BinaryResult", "FileInput", "JsonValue")
