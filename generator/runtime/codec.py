"""Type descriptors, and conversion between wire values and typed Python values."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import functools
import json
import keyword
import reprlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import IO, TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar, cast

from .builtin_types import (
    BUILTIN_TYPES,
    Type,
    format_datetime,
    format_scalar,
    parse_date,
    parse_datetime,
    utc_literal,
)
from .errors import DecodeError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

# What a file parameter accepts: a path (streamed from disk), bytes, or an open binary file, or
# either of the last two with the file name to send: ``("letter.pdf", data)``.
FileInput = str | PathLike[str] | bytes | IO[bytes] | tuple[str, bytes | IO[bytes]]
JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
M = TypeVar("M", bound="Model")


class Null:
    """The explicit null a vendor takes for a ``nullable`` parameter or field (``None`` means
    "not given" and sends nothing): ``client.update(deadline=NULL)`` sends ``"deadline": null``."""

    _instance: ClassVar[Null | None] = None

    def __new__(cls) -> Null:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"

    def __bool__(self) -> bool:
        return False


NULL = Null()


@dataclass(kw_only=True, slots=True, repr=False, eq=False)
class Model:
    """Base of generated models. ``extra`` keeps wire fields the spec does not declare.

    The generated models are dataclasses that leave ``__repr__`` and ``__eq__`` to this base
    (``repr=False, eq=False``): the same results as the generated ones, without compiling two
    methods per class when a package is imported (import time is measured)."""

    extra: dict[str, JsonValue] = field(default_factory=dict, repr=False)
    # The wire texts of XML values whose type would not write them back the same way (``007``
    # for an int, ``1`` for a bool, an empty element): with the values, all ``raw`` needs. A
    # listing's rows keep none, so their wire text is not held a second time.
    _wire_texts: dict[str, str] | None = field(default=None, repr=False, compare=False)

    __wire_fields__: ClassVar[tuple[Field, ...]] = ()
    __xml_element__: ClassVar[str | None] = None

    @property
    def raw(self) -> dict[str, str]:
        """The wire text of each field of a non-text scalar type, by wire name (a date as the
        vendor wrote it, ``raw["mail_date"] == "20171108124802"``): exactly as it came when
        its type would write it otherwise, else as the type writes the value."""
        odd = self._wire_texts or {}
        texts: dict[str, str] = {}
        for spec in self.__wire_fields__:
            if spec.wire in odd:
                texts[spec.wire] = odd[spec.wire]
                continue
            value = getattr(self, spec.name)
            if value is not None and value is not NULL and spec.type.kind in _RAW_KINDS:
                texts[spec.wire] = encode_scalar(spec.type, value)
        return texts

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _fields_of(type(self))[0])
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = _fields_of(type(self))[1]
        return all(getattr(self, name) == getattr(other, name) for name in names)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq is

    def to_dict(self) -> dict[str, JsonValue]:
        """The model as JSON-ready data keyed by Python field names (plus unknown wire fields)."""
        out: dict[str, JsonValue] = {}
        for spec in self.__wire_fields__:
            out[spec.name] = to_jsonable(getattr(self, spec.name))
        out.update(self.extra)
        return out


_FIELDS_OF: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _fields_of(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of a model class's dataclass fields that its repr shows and that equality
    compares (what the dataclass's own methods would use), worked out once per class."""
    found = _FIELDS_OF.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        found = _FIELDS_OF[cls] = (
            tuple(f.name for f in fields if f.repr),
            tuple(f.name for f in fields if f.compare),
        )
    return found


# The kinds whose wire text ``raw`` reports: scalars that are not text.
_RAW_KINDS = frozenset(("int", "float", "bool", "datetime", "date", "enum"))


STR: Type[str] = Type("str")
INT: Type[int] = Type("int")
FLOAT: Type[float] = Type("float")
BOOL: Type[bool] = Type("bool")
JSON: Type[JsonValue] = Type("json")
BINARY: Type[bytes] = Type("binary")
NONE: Type[None] = Type("none")


def datetime_type(fmt: str | None = None) -> Type[_dt.datetime]:
    return Type("datetime", format=fmt)


def date_type(fmt: str | None = None) -> Type[_dt.date]:
    return Type("date", format=fmt)


def formatted(kind: Type[T], fmt: str) -> Type[T]:
    """A scalar type with the vendor's spelling (``formatted(INT, "%02d")``)."""
    return kind._replace(format=fmt)


def list_of(item: Type[T]) -> Type[list[T]]:
    return Type("list", item=item)


def union_of(*options: Type[Any]) -> Type[Any]:
    """One of several types (``A | B`` in a spec): a value is sent as the option it is an
    instance of, and decoded as the first model whose fields hold every key (else as json)."""
    return Type("union", target=options)


def union_option(kind: Type[Any], value: Any) -> Type[Any]:
    """The option of a union a Python value belongs to (json for plain data)."""
    for option in kind.target:
        if option.kind in ("model", "enum") and isinstance(value, option.target):
            return cast(Type[Any], option)
    for option in kind.target:
        row = BUILTIN_TYPES.get(option.kind)
        if option.kind == "json" or (row is not None and isinstance(value, row.accepts)):
            return cast(Type[Any], option)
    return cast(Type[Any], kind.target[0])


def _decoded_option(kind: Type[Any], keys: Iterable[str]) -> Type[Any]:
    """The option a decoded mapping (or element, by its child tags) is read as: the first model
    declaring every key, else json, else the first option."""
    present = set(keys)
    for option in kind.target:
        if option.kind == "model" and present <= {f.wire for f in option.target.__wire_fields__}:
            return cast(Type[Any], option)
    for option in kind.target:
        if option.kind == "json":
            return cast(Type[Any], option)
    return cast(Type[Any], kind.target[0])


def model(cls: type[M]) -> Type[M]:
    return Type("model", target=cls)


def enum_of(cls: type[enum.Enum]) -> Type[Any]:
    return Type("enum", target=cls)


class Field(NamedTuple):
    """One declared model field: Python name, wire name, type; XML attributes are flagged."""

    name: str
    wire: str
    type: Type[Any]
    required: bool = False
    attribute: bool = False
    item_wire: str | None = None  # wrapped XML list: <wire><item_wire/>...</wire>
    text: bool = False  # XML: the element's own text (beside its attributes)
    nullable: bool = False  # null is a value: a required field may be null
    # for the generated model class, not written into the descriptor:
    doc: str = ""
    mime_decoded: str | None = None  # a property with its RFC 2047 words decoded


def value_at(value: Any, wire_path: Iterable[str | None]) -> Any:
    """The value at a path of wire names below a decoded answer (models by their fields' wire
    names, then their ``extra``; mappings by key); None where the path leads nowhere."""
    for step in wire_path:
        if isinstance(value, Model):
            spec = next((f for f in value.__wire_fields__ if f.wire == step), None)
            value = getattr(value, spec.name) if spec else value.extra.get(str(step))
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def bind_fields(cls: type[Model], fields: Iterable[Field]) -> None:
    """Attach the wire description to a generated model (done once, after all classes exist)."""
    cls.__wire_fields__ = tuple(fields)


# -- decoding ------------------------------------------------------------------------------------


_SCALAR_PARSERS: dict[str, Callable[[str, str | None], Any]] = {
    name: row.from_text for name, row in BUILTIN_TYPES.items()
}
_parse_datetime, _parse_date = parse_datetime, parse_date


def _enum_value(cls: type[enum.Enum], value: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        return value  # unknown values are kept as plain strings, never a crash


def decode_json(kind: Type[T], value: Any, where: str = "result") -> T:
    """Convert decoded JSON into the declared type; unknown keys go to ``Model.extra``."""
    if value is None:
        return cast(T, None)
    if kind.kind == "union":
        keys = value.keys() if isinstance(value, dict) else ()
        return cast(T, decode_json(_decoded_option(kind, keys), value, where))
    try:
        if kind.kind == "model":
            if not isinstance(value, dict):
                raise ValueError(f"expected an object, got {type(value).__name__}")
            return cast(T, _model_from_mapping(kind.target, value, where))
        if kind.kind == "list":
            assert kind.item is not None
            if not isinstance(value, list):
                raise ValueError(f"expected a list, got {type(value).__name__}")
            return cast(
                T, [decode_json(kind.item, v, f"{where}[{i}]") for i, v in enumerate(value)]
            )
        if kind.kind == "enum":
            return cast(T, _enum_value(kind.target, value))
        builtin = BUILTIN_TYPES.get(kind.kind)
        if builtin is not None:
            return cast(T, builtin.from_json(value, kind.format))
        raise ValueError(f"expected {kind.kind}, got {type(value).__name__}")
    except DecodeError:
        raise
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"cannot decode {where}: {exc}", body_excerpt=repr(value)[:200]) from None


def _model_from_mapping(cls: type[M], data: Mapping[str, Any], where: str) -> M:
    values: dict[str, Any] = {}
    known: set[str] = set()
    for spec in cls.__wire_fields__:
        known.add(spec.wire)
        if data.get(spec.wire) is not None:
            values[spec.name] = decode_json(spec.type, data[spec.wire], f"{where}.{spec.wire}")
        elif spec.required and spec.nullable and spec.wire in data:
            values[spec.name] = None  # null is one of its values
        elif spec.required:
            state = "null" if spec.wire in data else "missing"
            raise DecodeError(f"{where}: required field {spec.wire!r} is {state}")
    extra = {k: v for k, v in data.items() if k not in known}
    return cls(**values, extra=extra)


# Undeclared XML deeper than this is refused (a DecodeError), not decoded into data too deep to
# print, compare or serialize; declared models never nest anywhere near it.
MAX_XML_DEPTH = 200
TEXT_KEY = "#text"  # the text of an undeclared element that also has attributes or children


def element_to_json(element: Element) -> JsonValue:
    """An undeclared XML element as plain data: its text, or a mapping of ``@attribute``s,
    children (repeated ones as lists) and ``#text``. Iterative, so depth costs no stack."""
    root: dict[str, JsonValue] = {}
    stack: list[tuple[Element, dict[str, JsonValue], str, int]] = [(element, root, "value", 0)]
    while stack:
        node, parent, key, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            raise DecodeError(
                f"undeclared element <{element.tag}> is nested more than {MAX_XML_DEPTH} deep"
            )
        children = list(node)
        text = node.text or ""
        if not children and not node.attrib:
            value: JsonValue = text
        else:
            mapping: dict[str, JsonValue] = {f"@{k}": v for k, v in node.attrib.items()}
            if text.strip():
                mapping[TEXT_KEY] = text
            # pushed last-first, so they are popped (and added) in document order
            stack.extend((child, mapping, child.tag, depth + 1) for child in reversed(children))
            value = mapping
        _add(parent, key, value)
    return root["value"]


def _add(parent: dict[str, JsonValue], key: str, value: JsonValue) -> None:
    """Children are visited in document order; a repeated tag becomes a list (a value itself
    is never a list, so the two cannot be confused)."""
    if key not in parent:
        parent[key] = value
        return
    existing = parent[key]
    if isinstance(existing, list):
        existing.append(value)
    else:
        parent[key] = [existing, value]


# Lists decoded while their document arrives (a plain call's long listing): the decoded items
# by the element that held them and their tag, put in place when the rest is decoded.
Spliced = dict[Any, dict[str, list[Any]]]


def decode_xml(
    kind: Type[T], element: Element, where: str = "", spliced: Spliced | None = None
) -> T:
    """Convert an XML element into the declared type. Repeated children make lists, so a list
    field holds 0, 1 or many items however many the vendor sent. ``spliced``: items already
    decoded and taken out of the tree (``list_paths``), by the element that held them."""
    where = where or element.tag
    if kind.kind == "union":
        kind = _decoded_option(kind, [*(child.tag for child in element), *element.attrib])
    if kind.kind == "model":
        return cast(T, _model_from_element(kind.target, element, where, spliced))
    if kind.kind == "json":
        return cast(T, element_to_json(element))
    return _decode_xml_text(kind, element.text or "", where)


def _decode_xml_text(kind: Type[T], text: str, where: str) -> T:
    try:
        if kind.kind == "enum":
            return cast(T, _enum_value(kind.target, text))
        if text == "" and kind.kind != "str":
            return cast(T, None)
        return cast(T, _SCALAR_PARSERS[kind.kind](text, kind.format))
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"cannot decode {where}: {exc}", body_excerpt=text[:200]) from None


class ListPath(NamedTuple):
    """A list of an answer that can be decoded item by item while the document arrives: its
    items' path of tags below the root, their type, and whether the element holding them has
    a model that reads its own text (which then must not be dropped as items go)."""

    tags: tuple[str, ...]
    item: Type[Any]
    keep_text: bool


@functools.cache
def list_paths(kind: Type[Any]) -> tuple[ListPath, ...]:
    """The lists of an XML answer of type ``kind`` (a model) whose items can be taken out of the
    tree one by one as they are complete: every list field reached through single model
    fields, the outermost only (a list inside a list's item goes with its item)."""
    paths: list[ListPath] = []
    if kind.kind == "model":
        _collect_lists(kind.target, (), paths, set())
    return tuple(paths)


def _collect_lists(
    cls: type[Model], prefix: tuple[str, ...], paths: list[ListPath], seen: set[type]
) -> None:
    if cls in seen:
        return  # a model that holds itself: its inner lists go with the outer element
    seen = seen | {cls}
    reads_text = any(spec.text for spec in cls.__wire_fields__)
    for spec in cls.__wire_fields__:
        if spec.attribute or spec.text:
            continue
        kind = spec.type
        if kind.kind == "list" and kind.item is not None:
            if spec.item_wire:
                paths.append(ListPath((*prefix, spec.wire, spec.item_wire), kind.item, False))
            else:
                paths.append(ListPath((*prefix, spec.wire), kind.item, reads_text))
        elif kind.kind == "model":
            _collect_lists(kind.target, (*prefix, spec.wire), paths, seen)


# Per-model decoding plans, built once per class: for each wire name, the field and a direct
# text parser. Decoding a row then costs one dict lookup and one call per element.
_SCALAR, _MODEL, _LIST, _WRAPPED_LIST, _OTHER = range(5)
_DIGITS = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}


class _Step(NamedTuple):
    """How one child element is decoded: into attribute ``name``, by ``mode``; for scalars,
    ``parse`` (None keeps the text) and whether empty text means None (all but str and enum)."""

    name: str
    mode: int
    parse: Callable[[str], Any] | None
    empty_is_none: bool
    spec: Field


class _Plan(NamedTuple):
    steps: dict[str, _Step]
    attributes: tuple[Field, ...]  # and the field holding the element's own text, if any
    required: tuple[Field, ...]
    # The decoders compiled for the class (``_compile_rows``): ``rows(element, where)``, and
    # a maker of the decoders of rows that are kept
    rows: Callable[[Any, str], Any] | None
    kept_rows: Callable[[], Callable[[Any, str], Any]] | None


_PLANS: dict[type, _Plan] = {}


def _fixed_width_parser(
    fmt: str, kind: str, *, strict: bool = False
) -> Callable[[str], Any] | None:
    """A fast parser for formats like ``%Y%m%d%H%M%S`` (fixed-width digit fields and literal
    separators); None when the format needs strptime. Anything unexpected falls back to strptime,
    which raises the usual error; ``strict``: it raises ValueError instead, so that what it
    returns is always what the format writes back (a year from 1000 on)."""
    spans: dict[str, tuple[int, int]] = {}
    literals: list[tuple[int, str]] = []
    position = i = 0
    while i < len(fmt):
        code = fmt[i : i + 2]
        if fmt[i] == "%":
            if code not in _DIGITS or code in spans:
                return None
            spans[code] = (position, position + _DIGITS[code])
            position += _DIGITS[code]
            i += 2
        else:
            literals.append((position, fmt[i]))
            position += 1
            i += 1
    if "%Y" not in spans:
        return None
    total = position
    lenient = _parse_datetime if kind == "datetime" else _parse_date

    def slow(text: str, fmt: str) -> Any:
        if strict:
            raise ValueError(f"not exactly {fmt!r}: {text!r}")
        return lenient(text, fmt)

    # (start, end) of each part; (0, 0) for a part the format lacks (month/day 1, time 0)
    (y0, y1), (m0, m1), (d0, d1), (h0, h1), (n0, n1), (s0, s1) = (
        spans.get(code, (0, 0)) for code in ("%Y", "%m", "%d", "%H", "%M", "%S")
    )
    digits_only = not literals
    fields = tuple(spans.values())
    datetime_type = _dt.datetime
    utc = kind == "datetime" and utc_literal(fmt)
    zone = _dt.UTC if utc else None  # a literal Z: UTC
    # an ISO 8601 layout is read by ``fromisoformat`` (in C): where to put its "T", if anywhere
    iso = _ISO_LAYOUTS.get(fmt[:-1] if utc_literal(fmt) else fmt, -1)
    if iso >= 0 and not utc:  # the common layouts: one check, then ``fromisoformat`` in C
        return _iso_parser(fmt, kind, total, iso, digits_only, literals, slow)
    from_iso = datetime_type.fromisoformat

    def parse(text: str) -> Any:
        # digits where the format has fields, its literals elsewhere (a year from 1000)
        if (
            len(text) != total
            or not text.isascii()
            or text[y0] == "0"
            or not (
                text.isdigit()
                if digits_only
                else all(text[p] == c for p, c in literals)
                and all(text[start:end].isdigit() for start, end in fields)
            )
        ):
            return slow(text, fmt)
        try:
            if iso >= 0:  # with a literal Z
                moment = from_iso(f"{text[:iso]}T{text[iso:-1]}" if iso else text[:-1])
                moment = moment.replace(tzinfo=zone)
            else:  # the constructor checks ranges: month 13 or day 32 raise ValueError
                moment = datetime_type(
                    int(text[y0:y1]),
                    int(text[m0:m1]) if m1 else 1,
                    int(text[d0:d1]) if d1 else 1,
                    int(text[h0:h1]) if h1 else 0,
                    int(text[n0:n1]) if n1 else 0,
                    int(text[s0:s1]) if s1 else 0,
                    tzinfo=zone,
                )
        except ValueError:
            return slow(text, fmt)  # the usual message
        return moment if kind == "datetime" else moment.date()

    return parse


def _iso_parser(
    fmt: str,
    kind: str,
    total: int,
    iso: int,
    digits_only: bool,
    literals: list[tuple[int, str]],
    slow: Callable[[str, str], Any],
) -> Callable[[str], Any]:
    """The parser of an ISO 8601 layout (without a zone): the text's shape checked (its length,
    its literals, a year from 1000), the rest to ``fromisoformat``, which reads only ASCII
    digits and checks every range."""
    from_iso = _dt.datetime.fromisoformat
    date = kind == "date"

    if digits_only and iso:  # %Y%m%d%H%M%S: the "T" goes in

        def parse(text: str) -> Any:
            # fromisoformat reads ASCII digits only: what it accepts is what the format writes
            if len(text) == total and text.isdigit() and text[0] != "0":
                try:
                    moment = from_iso(text[:iso] + "T" + text[iso:])
                except ValueError:
                    return slow(text, fmt)
                return moment.date() if date else moment
            return slow(text, fmt)

        # the compiled row decoder writes this check in line (``_compile_rows``)
        parse.digits = (total, iso, date)  # type: ignore[attr-defined]
        return parse

    def exact(text: str) -> Any:
        if (
            len(text) == total
            and text.isascii()
            and text[0] != "0"
            and (text.isdigit() if digits_only else all(text[p] == c for p, c in literals))
        ):
            try:
                moment = from_iso(text)
            except ValueError:
                return slow(text, fmt)
            return moment.date() if date else moment
        return slow(text, fmt)

    return exact


# Formats that are ISO 8601 layouts as they stand (0), or once a "T" goes at a position.
_ISO_LAYOUTS = {
    "%Y-%m-%d": 0,
    "%Y%m%d": 0,
    "%Y-%m-%dT%H:%M:%S": 0,
    "%Y-%m-%d %H:%M:%S": 0,
    "%Y-%m-%dT%H:%M": 0,
    "%Y-%m-%d %H:%M": 0,
    "%Y%m%dT%H%M%S": 0,
    "%Y%m%d%H%M%S": 8,
    "%Y%m%d%H%M": 8,
}


def _text_parser(kind: Type[Any]) -> Callable[[str], Any] | None:
    """A direct parser for a scalar type (None: keep the text as it is)."""
    if kind.kind == "str":
        return None
    if kind.kind == "enum":
        cls = kind.target
        return lambda text: _enum_value(cls, text)
    if kind.kind in ("datetime", "date") and kind.format:
        fixed = _fixed_width_parser(kind.format, kind.kind)
        if fixed is not None:
            return fixed
    return BUILTIN_TYPES[kind.kind].parser(kind.format)


def _plan(cls: type[Model]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        steps: dict[str, _Step] = {}
        for spec in cls.__wire_fields__:
            if spec.attribute or spec.text:
                continue
            kind = spec.type.kind
            parse = None
            if kind == "list":
                mode = _WRAPPED_LIST if spec.item_wire else _LIST
            elif kind == "model":
                mode = _MODEL
            elif kind in _SCALAR_PARSERS and kind not in ("json", "binary") or kind == "enum":
                mode, parse = _SCALAR, _text_parser(spec.type)
                if parse is None and spec.nullable:
                    parse = str  # an empty element is null: the text needs looking at
            else:
                mode = _OTHER
            empty_is_none = kind not in ("str", "enum") or spec.nullable
            steps[spec.wire] = _Step(spec.name, mode, parse, empty_is_none, spec)
        plan = _PLANS[cls] = _Plan(
            steps,
            tuple(spec for spec in cls.__wire_fields__ if spec.attribute or spec.text),
            tuple(spec for spec in cls.__wire_fields__ if spec.required),
            *(_compile_rows(cls, steps) or (None, None)),
        )
    return plan


def _compile_rows(
    cls: type[Model], steps: dict[str, _Step]
) -> tuple[Callable[[Any, str], Any], Callable[[], Callable[[Any, str], Any]]] | None:
    """A decoder of ``cls`` for rows of distinct, declared scalar children without attributes:
    the bulk of a listing. Compiled once per model class, as ``dataclasses`` compiles
    ``__init__``: a row costs a dict of its children's texts and a few operations a field (a
    row that has every field takes the shortest path). Any other element, or a value it does
    not take as it stands (an empty element, a value that does not parse), goes to the
    general path, which gives the same results and reports the first bad value. None when the
    class cannot take this path (a field holds the element's own text, or a required field is
    not a child scalar).

    Two of them: ``rows``, and a maker of decoders for rows that are kept (a plain call's
    listing), which share equal texts between rows (a status, a sender, a date): each text
    field remembers up to ``_SHARED_TEXTS`` texts, so a field whose values repeat costs one
    string for all its rows, and one whose values do not stops growing."""
    fields = cls.__wire_fields__
    if any(spec.text for spec in fields):
        return None
    scalar = [spec for spec in fields if _scalar_step(steps, spec)]
    if any(spec.required and spec not in scalar for spec in fields):
        return None
    defaults = {f.name: f for f in dataclasses.fields(cls)}
    env: dict[str, Any] = {
        "new": object.__new__,
        "cls": cls,
        "absent": object(),
        "general": lambda element, where: _general_model(cls, element, where or element.tag),
        "shared": _SHARED_TEXTS,
    }
    every: list[str | _TextField] = []  # every scalar child is there
    some: list[str | _TextField] = []  # some are missing
    texts: list[int] = []  # the text fields, whose texts rows that are kept share
    wires: list[str] = []  # the scalar fields' wire names, in order
    for i, spec in enumerate(fields):
        attribute = spec.name
        if not attribute.isidentifier() or keyword.iskeyword(attribute):
            return None  # never for a generated model: its fields are checked names
        step = steps.get(spec.wire)
        if step is None or spec not in scalar:  # not a child scalar: its default
            default = defaults[attribute]
            if default.default_factory is not dataclasses.MISSING:
                env[f"d{i}"] = default.default_factory
                line = f"row.{attribute} = d{i}()"
            else:
                env[f"d{i}"] = None if default.default is dataclasses.MISSING else default.default
                line = f"row.{attribute} = d{i}"
            every.append(line)
            some.append(line)
            continue
        env[f"w{i}"] = spec.wire
        missing = "return general(element, where)" if spec.required else f"row.{attribute} = None"
        some += [f"v = pop(w{i}, absent)", "if v is absent:", f"    {missing}"]
        some += ["elif v is None:", "    return general(element, where)", "else:"]  # empty
        wires.append(spec.wire)
        if step.parse is None:  # text: an empty element is "" (None when nullable)
            texts.append(i)
            empty = "" if spec.nullable else ' or ""'
            every.append(_TextField("", i, attribute, f"v{i}{empty}"))
            some.append(_TextField("    ", i, attribute, "v"))
            continue
        parse, check = _exact_parser(spec.type, step.parse)
        env[f"p{i}"] = parse
        value = [f"x = p{i}(v)"]
        digits = getattr(parse, "digits", None)
        if digits is not None:  # %Y%m%d%H%M%S: checked here, read by fromisoformat
            total, iso, date = digits
            env["from_iso"] = _dt.datetime.fromisoformat
            value = [
                f'if len(v) != {total} or v[0] == "0" or not v.isdigit():',
                "    raise ValueError(v)",
                f'x = from_iso(v[:{iso}] + "T" + v[{iso}:]){".date()" if date else ""}',
            ]
        if check is not None:  # a text its type would write otherwise is kept for ``raw``
            env[f"c{i}"] = check
            value += [f"if c{i}(x) != v:", "    odd = odd or {}", f"    odd[w{i}] = v"]
        if parse is int:  # counts and codes: looked up (written as their type writes them)
            env["small"] = _small_ints()
            value = ["x = small.get(v)", "if x is None:", *(f"    {line}" for line in value)]
        value.append(f"row.{attribute} = x")
        every.append(f"v = v{i}")
        if parse is not int and digits is None:  # int(None), len(None) raise TypeError
            every += ["if v is None:", "    return general(element, where)"]
        every += value
        some += [f"    {line}" for line in value]
    names = [f"v{fields.index(spec)}" for spec in scalar]
    unpack = ", ".join(names) + ("," if len(names) == 1 else "")

    def rows_source(kept: bool) -> list[str]:
        return [
            'def rows(element, where=""):',
            "    children = element[:]",
            # the declared fields in their declared order (a listing's rows, one after the
            # other): each text by its position, the tags compared in C
            "    if tuple([child.tag for child in children]) == shape and not element.keys():",
            "        row = new(cls)",
            "        odd = None",
            "        try:",
            (
                f"            {unpack} = [child.text for child in children]"
                if names
                else "            pass"
            ),
            *(f"            {line}" for line in _text_lines(every, kept)),
            "        except (ValueError, TypeError):",
            "            return general(element, where)",
            "    else:",  # another order, some fields missing: each looked up
            "        texts = {child.tag: child.text for child in children}",
            "        if len(texts) != len(children) or element.keys():",  # repeated, attributes:
            "            return general(element, where)",  # the general path reads each
            "        row = new(cls)",
            "        odd = None",
            "        pop = texts.pop",
            "        try:",
            *(f"            {line}" for line in _text_lines(some, kept)),
            "        except (ValueError, TypeError):",
            "            return general(element, where)",
            "        if texts:",
            "            return general(element, where)",
            "    row.extra = {}",
            "    row._wire_texts = odd",
            "    return row",
        ]

    kept = [
        "def kept():",
        *(f"    m{i} = {{}}" for i in texts),
        *(f"    {line}" for line in rows_source(kept=True)),
        "    return rows",
    ]
    source = "\n".join([*rows_source(kept=False), "", "", *kept])
    env["shape"] = tuple(wires)
    exec(compile(source, f"<rows of {cls.__qualname__}>", "exec"), env)  # noqa: S102
    return env["rows"], env["kept"]


class _TextField(NamedTuple):
    """Where a compiled row decoder sets a text field: ``row.<attribute> = <value>``, or, in
    rows that are kept, the value shared through the field's memory ``m<number>`` first."""

    pad: str
    number: int  # the field's place in the class
    attribute: str
    value: str


def _text_lines(lines: list[str | _TextField], kept: bool) -> Iterator[str]:
    """The lines of a compiled row decoder, its text fields set as ``kept`` says."""
    for line in lines:
        if isinstance(line, str):
            yield line
            continue
        pad, memo, value = line.pad, f"m{line.number}", line.value
        if kept:
            if value != "v":
                yield f"{pad}v = {value}"
            yield from (
                f"{pad}u = {memo}.get(v)",
                f"{pad}if u is not None:",
                f"{pad}    v = u",
                f"{pad}elif len({memo}) < shared:",
                f"{pad}    {memo}[v] = v",
            )
            value = "v"
        yield f"{pad}row.{line.attribute} = {value}"


# The texts a text field of rows that are kept remembers, to share them between rows.
_SHARED_TEXTS = 256


@functools.cache
def _small_ints() -> dict[str, int]:
    """``"0"`` to ``"999"`` as their ints: a listing's counts and codes at a lookup each."""
    return {str(number): number for number in range(1000)}


def _scalar_step(steps: dict[str, _Step], spec: Field) -> bool:
    step = steps.get(spec.wire)
    return step is not None and step.mode == _SCALAR and not spec.attribute and not spec.text


class ElementDecoder(Protocol[T_co]):
    """Decodes one element (``where``: its place, for error messages)."""

    def __call__(self, element: Any, where: str = "") -> T_co: ...


def xml_decoder(kind: Type[T], *, kept: bool = False) -> ElementDecoder[T]:
    """``decode_xml`` for many elements of one type (a listing's rows): a model's compiled
    decoder itself, with no dispatch per row. ``kept``: the rows are kept together (a plain
    call's result), and share their equal texts."""
    if kind.kind == "model":
        plan = _plan(kind.target)
        rows = plan.kept_rows() if kept and plan.kept_rows is not None else plan.rows
        if rows is not None:
            return cast(ElementDecoder[T], rows)

    def decode(element: Any, where: str = "") -> T:
        return decode_xml(kind, element, where)

    return decode


def _exact_parser(
    kind: Type[Any], parse: Callable[[str], Any]
) -> tuple[Callable[[str], Any], Callable[[Any], str] | None]:
    """The compiled path's parser of a scalar, and how to tell a text its type would write
    otherwise (None: it always writes it back the same)."""
    if kind.kind in ("enum", "str"):
        return parse, None  # a member's value is its text; an unknown text is kept as is
    if kind.kind == "int" and not kind.format:
        return int, str
    if kind.kind in ("datetime", "date") and kind.format:
        exact = _fixed_width_parser(kind.format, kind.kind, strict=True)
        if exact is not None:
            return exact, None
    return parse, lambda value: encode_scalar(kind, value)


def _model_from_element(
    cls: type[M], element: Element, where: str, spliced: Spliced | None = None
) -> M:
    rows = _plan(cls).rows
    if rows is not None and not spliced:  # what is left of a listing: the general path
        return cast(M, rows(element, where))
    return _general_model(cls, element, where, spliced)


def _general_model(cls: type[M], element: Element, where: str, spliced: Spliced | None = None) -> M:
    """Any element as a model: attributes, the element's own text, unknown children into
    ``extra``, nested models and lists, ``spliced`` items put in place."""
    plan = _plan(cls)
    taken = spliced.get(element) if spliced else None
    steps, attributes, required = plan.steps, plan.attributes, plan.required
    values: dict[str, Any] = {}
    extra: dict[str, JsonValue] = {}
    odd: dict[str, str] = {}
    for spec in attributes:  # and the element's own text, for a text field
        text = (element.text or "").strip() if spec.text else element.attrib.get(spec.wire)
        if text is not None and (text or not spec.text):
            value = _decode_xml_text(spec.type, text, f"{where}@{spec.wire}")
            values[spec.name] = value
            _keep_odd(odd, spec, value, text)
    if element.attrib:
        known = {spec.wire for spec in attributes if spec.attribute}
        for name, text in element.attrib.items():
            if name not in known:
                extra[f"@{name}"] = text
    for child in element:
        tag = child.tag
        step = steps.get(tag)
        if step is None:
            extra[tag] = element_to_json(child)
        elif step.mode == _SCALAR:  # the hot path: one lookup, one parse
            text = child.text or ""
            parse = step.parse
            if parse is None:
                values[step.name] = text
                continue
            if not text and step.empty_is_none:
                values[step.name] = None
                _keep_odd(odd, step.spec, None, text)
                continue
            try:
                value = values[step.name] = parse(text)
            except (ValueError, TypeError) as exc:
                raise DecodeError(
                    f"cannot decode {where}.{tag}: {exc}", body_excerpt=text[:200]
                ) from None
            _keep_odd(odd, step.spec, value, text)
        else:
            _decode_structured(step, child, values, f"{where}.{tag}", spliced)
    if taken:
        for tag, items in taken.items():
            values.setdefault(steps[tag].name, []).extend(items)
    for spec in required:
        if spec.name not in values:
            raise DecodeError(f"{where}: required element {spec.wire!r} is missing")
    return cls(**values, extra=extra, _wire_texts=odd or None)


def _keep_odd(odd: dict[str, str], spec: Field, value: Any, text: str) -> None:
    """Keep ``text`` for ``raw`` when the field's type would not write ``value`` as it (and
    forget an earlier one: of a repeated element, the last is the value)."""
    if spec.type.kind in _RAW_KINDS and (value is None or encode_scalar(spec.type, value) != text):
        odd[spec.wire] = text
    else:
        odd.pop(spec.wire, None)


def _decode_structured(
    step: _Step, child: Element, values: dict[str, Any], where: str, spliced: Spliced | None
) -> None:
    """A child that is a model, a list item, a wrapped list or anything else."""
    spec = step.spec
    if step.mode == _LIST:
        assert spec.type.item is not None
        values.setdefault(step.name, []).append(decode_xml(spec.type.item, child, where, spliced))
    elif step.mode == _WRAPPED_LIST:
        assert spec.type.item is not None
        items = values.setdefault(step.name, [])
        items.extend(
            decode_xml(spec.type.item, item, f"{where}.{item.tag}", spliced)
            for item in child
            if item.tag == spec.item_wire
        )
        taken = spliced.get(child) if spliced else None
        if taken and spec.item_wire in taken:
            items.extend(taken[spec.item_wire])
    else:
        values[step.name] = decode_xml(spec.type, child, where, spliced)


# -- encoding ------------------------------------------------------------------------------------


def to_jsonable(value: Any) -> JsonValue:
    """Typed values back to JSON-ready data (models, enums, dates, lists)."""
    if value is NULL:
        return None
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return cast(JsonValue, value.value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return cast(JsonValue, value)


def to_wire_json(value: Any, kind: Type[Any] | None = None) -> JsonValue:
    """A value as the vendor's JSON: models by their fields' wire names with each field's
    format (an epoch as a number), dates by their format, enums by value; plain data as is."""
    if isinstance(value, Model):
        out: dict[str, JsonValue] = {}
        for spec in value.__wire_fields__:
            field_value = getattr(value, spec.name)
            if field_value is not None:
                out[spec.wire] = to_wire_json(field_value, spec.type)
        out.update(value.extra)
        return out
    if kind is not None and kind.kind == "union":
        kind = union_option(kind, value)
    if isinstance(value, list | tuple):
        item = kind.item if kind is not None and kind.kind == "list" else None
        return [to_wire_json(v, item) for v in value]
    if isinstance(value, _dt.datetime | _dt.date):
        return format_datetime(value, kind.format if kind is not None else None)
    if kind is not None and kind.format and isinstance(value, int | float):
        return format_scalar(value, kind.format)  # the vendor's spelling, as text
    if isinstance(value, dict):
        return {str(k): to_wire_json(v) for k, v in value.items()}
    return to_jsonable(value)


def encode_scalar(kind: Type[Any], value: Any, style: str = "plain") -> str:
    """One parameter value as wire text: lowercase booleans, JSON text, comma-joined lists."""
    if value is NULL:
        return ""  # an explicit null outside JSON: the empty value
    if kind.kind == "union":
        kind = union_option(kind, value)
    if style == "json" or kind.kind == "json":
        if isinstance(value, str) and kind.kind == "json":
            return value  # JSON text already (the argument check made sure it parses)
        return json.dumps(to_wire_json(value, kind), separators=(",", ":"), ensure_ascii=False)
    if kind.kind == "list" or style == "csv":
        items = value if isinstance(value, list | tuple) else [value]
        item_kind = kind.item or STR
        return ",".join(encode_scalar(item_kind, v) for v in items)
    if kind.format and isinstance(value, int | float):  # bool included
        return format_scalar(value, kind.format)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, _dt.datetime | _dt.date):
        return str(format_datetime(value, kind.format))
    return str(value)


def decode_mime_header(text: str | None) -> str | None:
    """RFC 2047 encoded words (``=?utf-8?Q?John=20Doe?=``) as plain text; other text unchanged."""
    if text is None or "=?" not in text:
        return text
    import email.errors
    import email.header

    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (email.errors.HeaderParseError, LookupError, UnicodeDecodeError):
        return text  # malformed words: the raw text is more useful than an exception
