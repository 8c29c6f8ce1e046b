"""XML in and out. Parsing goes through defusedxml: entity expansion and DTDs are refused."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from .builtin_types import Type
from .codec import NULL, TEXT_KEY, Model, encode_scalar, union_option
from .errors import DecodeError
from .policy import item_too_large

# Errors the XML parser raises for an encoding it cannot read: an unknown name (LookupError),
# a multi-byte one expat does not support (ValueError), bytes that lie about it.
_ENCODING_ERRORS = (LookupError, ValueError, UnicodeError)
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def parse_xml(body: bytes) -> Element:
    """Parse a whole XML document safely."""
    import defusedxml.ElementTree as safe_et  # imported on first use: keeps package import fast
    from defusedxml import DefusedXmlException

    source: bytes | str = body
    try:
        if body[:4] in _UTF32_BOMS:  # XML allows UTF-32; expat reads only UTF-8 and UTF-16
            source = body.decode("utf-32")
        root: Element = safe_et.fromstring(source, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise DecodeError(f"refused unsafe XML: {exc}", body_excerpt=_excerpt(body)) from None
    except safe_et.ParseError as exc:
        raise DecodeError(f"invalid XML: {exc}", body_excerpt=_excerpt(body)) from None
    except _ENCODING_ERRORS as exc:
        raise DecodeError(
            f"invalid XML: its encoding cannot be read ({exc})", body_excerpt=_excerpt(body)
        ) from None
    return root


# Byte-order marks, and the first bytes of a BOM-less document in a wide encoding ("<" or
# whitespace then "<"), as the XML specification's appendix F lists them.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_WIDE = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def looks_like_xml(body: bytes) -> bool:
    """Whether ``body`` starts like an XML document, in any encoding XML allows (UTF-8, UTF-16
    or UTF-32, with or without a byte-order mark)."""
    head = body[:256]
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return _starts_with_markup(head[len(bom) :], codec)
    if b"\x00" in head[:4]:
        return any(_starts_with_markup(head, codec) for codec in _WIDE)
    return head.lstrip(b" \t\r\n").startswith(b"<")


def _starts_with_markup(head: bytes, codec: str) -> bool:
    width = 4 if "32" in codec else 2 if "16" in codec else 1
    text = head[: len(head) // width * width].decode(codec, errors="replace")
    return text.lstrip(" \t\r\n").startswith("<")


# What XML 1.0 cannot carry as text: control characters but tab, LF and CR; lone surrogates;
# U+FFFE and U+FFFF.
# Compiled on first use: the class spans all of Unicode, and compiling it costs milliseconds
# (import time is measured).
@functools.cache
def _not_xml_text() -> re.Pattern[str]:
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text_problem(value: Any) -> str | None:
    """The first character in ``value`` (text, or the texts of a model, list or mapping) that
    XML cannot carry, described (``U+0001 at position 3``); None when every one can."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.isascii() and item.isprintable():
                continue
            bad = _not_xml_text().search(item)
            if bad:
                return f"U+{ord(bad.group()):04X} at position {bad.start()}"
        elif isinstance(item, Model):
            stack.extend(getattr(item, spec.name) for spec in item.__wire_fields__)
            stack.extend(item.extra.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(item.keys())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def _excerpt(body: bytes) -> str:
    return body[:500].decode("utf-8", errors="replace")


def child_text(element: Element, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else (child.text or "")


def xml_value(element: Element, path: str) -> str | None:
    """The text at ``path`` below ``element``: a child (``status``), a path (``a/b``), an
    attribute of the element (``@status``) or of a descendant (``error/@code``); None if absent."""
    where, at, attribute = path.rpartition("@")
    if not at:
        return child_text(element, path)
    node = element.find(where.rstrip("/")) if where else element
    return None if node is None else node.get(attribute)


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
    if value is NULL:  # an explicit null: the element, empty
        SubElement(parent, tag)
        return
    if style == "flag":
        if value:
            SubElement(parent, tag)
        return
    if kind.kind == "union":
        kind = union_option(kind, value)
    if isinstance(value, Model):
        parent.append(model_to_element(value, tag))
        return
    if kind.kind == "list" and isinstance(value, list | tuple):
        assert kind.item is not None
        for item in value:
            append_value(parent, tag, item, kind.item)
        return
    if kind.kind == "json" and isinstance(value, dict | list | tuple):
        append_json(parent, tag, value)
        return
    SubElement(parent, tag).text = encode_scalar(kind, value, style)


def append_json(parent: Element, tag: str, value: Any) -> None:
    """Plain data as XML, the inverse of how undeclared elements are decoded: a mapping's keys
    become child elements (``@name`` an attribute, ``#text`` the text), a list repeats the
    element, anything else is its text. Iterative: depth costs no stack."""
    stack: list[tuple[Element, str, Any]] = [(parent, tag, value)]
    while stack:
        into, name, item = stack.pop()
        if item is None:
            continue
        if isinstance(item, list | tuple):
            stack.extend((into, name, one) for one in reversed(item))
            continue
        element = SubElement(into, name)
        if not isinstance(item, dict):
            element.text = _json_text(item)
            continue
        children = []
        for key, child in item.items():
            key = str(key)
            if key == TEXT_KEY:
                element.text = _json_text(child)
            elif key.startswith("@"):
                element.set(key[1:], _json_text(child))
            else:
                children.append((element, key, child))
        stack.extend(reversed(children))


def _json_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def model_to_element(value: Model, tag: str) -> Element:
    """A model as an XML element; wrapped lists become ``<wire><item/>...</wire>``."""
    element = Element(tag)
    for spec in value.__wire_fields__:
        field_value = getattr(value, spec.name)
        if field_value is None:
            continue
        if spec.attribute:
            element.set(spec.wire, encode_scalar(spec.type, field_value))
        elif spec.text:
            element.text = encode_scalar(spec.type, field_value)
        elif spec.item_wire and spec.type.item is not None:
            wrapper = SubElement(element, spec.wire)
            for item in field_value:
                append_value(wrapper, spec.item_wire, item, spec.type.item)
        else:
            append_value(element, spec.wire, field_value, spec.type)
    return element


_DOCTYPE = b"<!DOCTYPE"


# What a parser step completes: ``(tag, element)`` for a watched child of the root, or
# ``("item", [elements])`` for the items it completed.
Event = tuple[str, Any]


class ElementStream:
    """An XML answer fed as it arrives: ``steps`` gives ``(tag, element)`` for the root's
    children named in ``watch`` (e.g. the status) that come before the items, then
    ``("item", [elements])`` for the elements at ``item_path`` below the root as soon as they
    are complete; ``close`` (at the end of the answer) the remaining watched children. Items are
    detached once returned, so memory stays flat however many the document holds. No I/O:
    the caller reads the bytes.

    The C parser builds the tree; after each chunk the completed items are taken off the
    container, so no Python code runs per element. Every child but the last is complete; the
    last is too when the chunk ends with its closing tag outside any CDATA section, comment or
    processing instruction (``_Markup`` follows those across chunks) and no descendant shares
    its name. A root other than ``expect_root`` is a ``DecodeError``. A DTD is refused before
    any of it reaches the parser; without a DTD no entity can be declared, so neither entity
    expansion nor external entities are possible (undeclared entities are parse errors). This
    gives defusedxml's guarantees at C speed.

    No item may take more than ``max_item_bytes`` (nor the data between two items, nor what
    comes before the first): the parser holds an open item, or text, whole, so an endless one
    is refused (the policy's ``LimitExceeded``) instead of growing without bound."""

    def __init__(
        self,
        item_path: tuple[str, ...],
        watch: Iterable[str] = (),
        expect_root: str | None = None,
        max_item_bytes: int | None = None,
    ) -> None:
        from xml.etree.ElementTree import XMLPullParser

        self._parser: XMLPullParser[Element] = XMLPullParser(events=("start",))  # the root
        # The parser's own event queue (a deque filled in C): read in place, cleared in C.
        self._queue: Any = self._parser._events_queue  # type: ignore[attr-defined]
        self._container_path = "/".join(item_path[:-1]) or "."
        self._item_tag = item_path[-1]
        self._end_tag = f"</{self._item_tag}>".encode()
        self._markup = _Markup()
        self._watched = list(watch)
        self._reported: set[str] = set()
        self._expect_root = expect_root
        self._root: Element | None = None
        self._container: Element | None = None
        self._in_prolog = True
        self._tail = b""
        # bytes fed since the last item was completed: an upper bound of the open item's size
        self._open_bytes = 0
        self._max_item_bytes = max_item_bytes
        self._item_limit = max_item_bytes if max_item_bytes is not None else float("inf")

    def steps(self, pieces: Iterable[bytes]) -> Iterator[list[Event]]:
        """The events each parser step over the next pieces of the answer completes (a step
        reads at most 64 KiB: bounded work, and each step's items are used before the next
        is parsed)."""
        for piece in pieces:
            for start in range(0, len(piece), _READ_SIZE):
                events: list[Event] = []
                self._step(piece[start : start + _READ_SIZE], events)
                if events:
                    yield events

    def close(self) -> list[Event]:
        """The answer ended: the last events (a truncated document is a ``DecodeError``)."""
        events: list[Event] = []
        self._step(b"", events)
        return events

    def _step(self, chunk: bytes, events: list[Event]) -> None:
        try:
            self._parse(chunk, events)
        except ParseError as exc:
            raise DecodeError(f"invalid XML: {exc}") from None
        except _ENCODING_ERRORS as exc:
            raise DecodeError(f"invalid XML: its encoding cannot be read ({exc})") from None

    def _parse(self, chunk: bytes, events: list[Event]) -> None:
        queue = self._queue
        self._open_bytes += len(chunk)
        if self._in_prolog and chunk:
            window = (self._tail + chunk).replace(b"\x00", b"")  # UTF-16 prologs too
            if _DOCTYPE in window.upper():
                raise DecodeError("refused unsafe XML: a DTD (<!DOCTYPE>) is not accepted")
            self._tail = window[-len(_DOCTYPE) :]
        if chunk:
            self._parser.feed(chunk)
        else:
            self._parser.close()
        if queue and isinstance(queue[-1], Exception):
            raise queue[-1]  # a parse error the parser queued
        if self._root is None and queue:
            root = self._root = queue[0][1]
            self._in_prolog = False
            assert root is not None
            if self._expect_root is not None and root.tag != self._expect_root:
                raise DecodeError(
                    f"expected an XML document with root <{self._expect_root}>, got <{root.tag}>"
                )
        queue.clear()
        inside = self._markup.inside_after(chunk)
        root, container = self._root, self._container
        if root is not None and container is None:
            container = self._container = root.find(self._container_path)
            if container is not None:
                events.extend(_watched(root, self._watched, self._reported, before=container))
        if container is not None and len(container):
            done = len(container)
            if chunk and (
                inside or not _closed(container[-1], self._item_tag, self._end_tag, chunk)
            ):
                done -= 1  # the last child may still be open: keep it for the next chunk
            if done > 0:
                self._open_bytes = len(chunk)  # what is still open began in this chunk
                finished = container[:done]
                del container[:done]
                item_tag = self._item_tag
                items = [element for element in finished if element.tag == item_tag]
                if items:
                    events.append(("item", items))
        if self._open_bytes > self._item_limit:
            assert self._max_item_bytes is not None
            raise item_too_large(self._max_item_bytes)
        if not chunk and root is not None:
            events.extend(_watched(root, self._watched, self._reported, before=None))


def _closed(last: Element, item_tag: str, end_tag: bytes, chunk: bytes) -> bool:
    """Whether the container's last child is complete, given that the chunk does not end inside
    a CDATA section, comment or processing instruction: the data so far ends with its closing
    tag and no descendant has its name (so that tag cannot be a descendant's)."""
    return (
        last.tag == item_tag
        and chunk.rstrip().endswith(end_tag)
        and last.find(".//" + item_tag) is None
    )


class _Markup:
    """Follows, across chunks, whether the data so far ends inside a CDATA section, a comment
    or a processing instruction (where a closing tag is only text). Outside them ``<`` always
    starts markup in well-formed XML, so finding the openers is enough: ``<![CDATA[`` and
    ``<!--`` through their rare ``!`` (``bytes.find`` skims for one byte at memory speed),
    ``<?`` directly (``?`` is common in text, e.g. RFC 2047 subjects)."""

    _BANG = ((b"<![CDATA[", b"]]>"), (b"<!--", b"-->"))

    def __init__(self) -> None:
        self.closer: bytes | None = None  # what ends the construct we are in
        self.carry = b""  # the end of the last chunk: a marker may straddle two chunks

    def inside_after(self, chunk: bytes) -> bool:
        data = self.carry + chunk
        position = 0
        while True:
            if self.closer is not None:
                end = data.find(self.closer, position)
                if end < 0:
                    break
                position = end + len(self.closer)
                self.closer = None
            bang = data.find(b"!", position)
            pi = data.find(b"<?", position)
            if bang < 0 and pi < 0:
                break
            if pi >= 0 and (bang < 0 or pi < bang - 1):
                self.closer, position = b"?>", pi + 2
                continue
            position = bang + 1
            for opener, closer in self._BANG:
                if data.startswith(opener, bang - 1):
                    self.closer, position = closer, bang - 1 + len(opener)
                    break
        # keep enough to see a marker cut in two, but never re-read what was consumed
        keep = max(len(data) - 8, position)
        self.carry = data[keep:]
        return self.closer is not None


def _watched(
    root: Element, tags: list[str], reported: set[str], before: Element | None
) -> Iterator[tuple[str, Element]]:
    """The root's children named in ``tags`` (each once), up to ``before`` when given."""
    for child in root:
        if child is before:
            return
        if child.tag in tags and child.tag not in reported:
            reported.add(child.tag)
            yield child.tag, child


_READ_SIZE = 64 * 1024
