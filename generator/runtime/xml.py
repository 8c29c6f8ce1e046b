"""XML in and out. Parsing goes through defusedxml: entity expansion and DTDs are refused."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from .codec import Model, Type, encode_scalar
from .errors import DecodeError


def parse_xml(body: bytes) -> Element:
    """Parse a whole XML document safely."""
    import defusedxml.ElementTree as safe_et  # imported on first use: keeps package import fast
    from defusedxml import DefusedXmlException

    try:
        root: Element = safe_et.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise DecodeError(f"refused unsafe XML: {exc}", body_excerpt=_excerpt(body)) from None
    except safe_et.ParseError as exc:
        raise DecodeError(f"invalid XML: {exc}", body_excerpt=_excerpt(body)) from None
    return root


def looks_like_xml(body: bytes) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") or head.startswith(b"<")


def _excerpt(body: bytes) -> str:
    return body[:500].decode("utf-8", errors="replace")


def child_text(element: Element, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else (child.text or "")


def build_document(
    root_tag: str,
    children: Iterable[tuple[str, Any, Type[Any], str]],
    *,
    declaration_encoding: str | None = None,
) -> str:
    """``<root><name>value</name>...</root>``; values are escaped by ElementTree. ``children`` are
    ``(element, value, type, style)``; style ``flag`` writes an empty element for True only."""
    root = Element(root_tag)
    for tag, value, kind, style in children:
        append_value(root, tag, value, kind, style)
    text = tostring(root, encoding="unicode")
    if declaration_encoding:
        return f'<?xml version="1.0" encoding="{declaration_encoding}"?>{text}'
    return text


def append_value(
    parent: Element, tag: str, value: Any, kind: Type[Any], style: str = "plain"
) -> None:
    if value is None:
        return
    if style == "flag":
        if value:
            SubElement(parent, tag)
        return
    if isinstance(value, Model):
        parent.append(model_to_element(value, tag))
        return
    if kind.kind == "list" and isinstance(value, list | tuple):
        assert kind.item is not None
        for item in value:
            append_value(parent, tag, item, kind.item)
        return
    SubElement(parent, tag).text = encode_scalar(kind, value, style)


def model_to_element(value: Model, tag: str) -> Element:
    """A model as an XML element; wrapped lists become ``<wire><item/>...</wire>``."""
    element = Element(tag)
    for spec in value.__wire_fields__:
        field_value = getattr(value, spec.name)
        if field_value is None:
            continue
        if spec.attribute:
            element.set(spec.wire, encode_scalar(spec.type, field_value))
        elif spec.item_wire and spec.type.item is not None:
            wrapper = SubElement(element, spec.wire)
            for item in field_value:
                append_value(wrapper, spec.item_wire, item, spec.type.item)
        else:
            append_value(element, spec.wire, field_value, spec.type)
    return element


class ChunkReader(io.RawIOBase):
    """A file object over an iterator of byte chunks. ``read`` returns what has arrived instead
    of waiting for a full buffer, so a parser sees each chunk as soon as the network delivers it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


_DOCTYPE = b"<!DOCTYPE"


def iter_elements(
    source: IO[bytes], item_path: tuple[str, ...], watch: Iterable[str] = ()
) -> Iterator[tuple[str, Element]]:
    """Yield ``("item", element)`` for each element at ``item_path`` below the root, as soon as
    it is complete, and ``(tag, element)`` for the root's children named in ``watch`` (e.g. the
    status). Each item is dropped from the tree once yielded, so memory stays flat however many
    items the document holds.

    This hot path uses the C parser rather than defusedxml's pure-Python one (several times
    slower) with the same guarantee: a DTD is refused before any of it reaches the parser, and
    without a DTD no entity can be declared, so neither entity expansion nor external entities
    are possible (undeclared entities are parse errors)."""
    from xml.etree.ElementTree import XMLPullParser

    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    depth_path: list[str] = []
    parents: list[Element] = []
    watched = set(watch)
    in_prolog = True
    tail = b""
    try:
        while True:
            chunk = source.read(_READ_SIZE)
            if in_prolog and chunk:
                window = (tail + chunk).replace(b"\x00", b"")  # UTF-16 prologs too
                if _DOCTYPE in window.upper():
                    raise DecodeError("refused unsafe XML: a DTD (<!DOCTYPE>) is not accepted")
                tail = window[-len(_DOCTYPE) :]
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
            # only start and end events were asked for: each carries an element
            for event, element in cast(Iterator[tuple[str, Element]], parser.read_events()):
                if event == "start":
                    in_prolog = False
                    depth_path.append(element.tag)
                    parents.append(element)
                    continue
                path = tuple(depth_path[1:])
                depth_path.pop()
                parents.pop()
                if path == item_path:
                    yield "item", element
                    if parents:
                        parents[-1].remove(element)
                elif len(path) == 1 and path[0] in watched:
                    yield path[0], element
            if not chunk:
                return
    except ParseError as exc:
        raise DecodeError(f"invalid XML: {exc}") from None


_READ_SIZE = 64 * 1024
