"""XML in and out. Answers are parsed by lxml (libxml2, in C) as they arrive, configured to trust
nothing: a DTD is refused before any of it reaches the parser, so no entity can be declared,
let alone expanded or fetched; no entity is resolved, nothing is loaded from the network, and
libxml2's own limits stay on (no huge-tree mode: 256 levels deep, 10 MB in one text node).
Request documents are written with the standard library's ElementTree."""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from .builtin_types import Type
from .codec import NULL, TEXT_KEY, Model, encode_scalar, union_option
from .errors import DecodeError
from .policy import item_too_large

# How every answer is parsed (lxml's XMLParser options). Comments and processing instructions
# are left out of the tree, as ElementTree leaves them out: the tree holds elements only.
_PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}
_UTF8_BOM = b"\xef\xbb\xbf"


@functools.cache
def _etree() -> Any:
    """lxml.etree, imported on first use: importing a package stays fast (it is measured)."""
    from lxml import etree

    return etree


def parse_xml(body: bytes) -> Any:
    """Parse a whole XML document safely (an lxml element)."""
    feed = XmlFeed(_etree().XMLParser(**_PARSER_OPTIONS))
    feed.feed(body)
    return feed.close()


# Byte-order marks, and the first bytes of a BOM-less document in a wide encoding ("<" or
# whitespace then "<"), as the XML specification's appendix F lists them.
_BOMS = (
    (_UTF8_BOM, "utf-8"),
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


def _wide_codec(head: bytes) -> str | None:
    """The codec of a document in UTF-16 or UTF-32 that starts with ``head`` (its first four
    bytes at least, or all of it): by its byte-order mark, else by where the NULs around its
    first "<" fall. None for the byte encodings, whose declaration libxml2 reads itself."""
    for bom, codec in _BOMS[1:]:
        if head.startswith(bom):
            return codec[:6]  # "utf-16"/"utf-32": the codec reads the mark and drops it
    if b"\x00" in head[:4]:
        for codec in _WIDE:
            if _starts_with_markup(head, codec):
                return codec
    return None


class _Prolog:
    """Reads what comes before the root element (the XML declaration, comments, processing
    instructions, whitespace) across chunks, and refuses a DTD (or any other ``<!``
    declaration) before any of it reaches the parser. ``done`` once the root element starts."""

    __slots__ = ("carry", "closer", "done")

    def __init__(self) -> None:
        self.carry = ""  # the unread end of the last chunk (a marker may straddle two)
        self.closer: str | None = None  # what ends the comment or instruction we are in
        self.done = False

    def read(self, text: str) -> None:
        data = self.carry + text
        position = 0
        while True:
            if self.closer is not None:
                end = data.find(self.closer, position)
                if end < 0:  # keep enough to see the closer cut in two
                    self.carry = data[max(position, len(data) - len(self.closer) + 1) :]
                    return
                position = end + len(self.closer)
                self.closer = None
            rest = data[position:].lstrip(" \t\r\n\ufeff")
            position = len(data) - len(rest)
            opening = rest[:4]
            if opening.startswith("<?"):
                self.closer, position = "?>", position + 2
            elif opening == "<!--":
                self.closer, position = "-->", position + 4
            elif len(opening) < 4 and "<!--".startswith(opening):  # "", "<", "<!", "<!-"
                self.carry = rest
                return
            elif opening.startswith("<!"):
                raise DecodeError("refused unsafe XML: a DTD (<!DOCTYPE>) is not accepted")
            else:  # the root element (or what is not XML: the parser says so)
                self.done = True
                self.carry = ""
                return


class XmlFeed:
    """The bytes of one XML document, fed to an lxml parser as they arrive: the encoding is
    sniffed from the first bytes (UTF-16 and UTF-32, which libxml2's push parser does not read
    without help, are decoded here and fed as text), the prolog is read for a DTD before the
    parser sees it, and what goes wrong is a ``DecodeError`` with the start of the document."""

    __slots__ = ("parser", "excerpt", "_pending", "_text", "_prolog")

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.excerpt = b""  # the first bytes of the document, for error messages
        self._pending: bytes | None = b""  # the first bytes, until the encoding is known
        self._text: codecs.IncrementalDecoder | None = None
        self._prolog: _Prolog | None = _Prolog()

    def feed(self, chunk: bytes) -> None:
        if self._pending is not None:
            chunk = self._pending + chunk
            if len(chunk) < 4:
                self._pending = chunk
                return
            self._start(chunk)
        self._feed(chunk)

    def close(self) -> Any:
        """The end of the document: its root element (a cut or empty one is a DecodeError)."""
        if self._pending is not None:  # a document shorter than four bytes
            pending = self._pending
            self._start(pending)
            if pending:
                self._feed(pending)
        try:
            if self._text is not None:
                rest = self._text.decode(b"", final=True)
                if rest:
                    self.parser.feed(rest)
            root = self.parser.close()
        except UnicodeDecodeError as exc:
            raise self._encoding_error(exc) from None
        except _etree().ParseError as exc:
            raise self.error(exc) from None
        if root.getroottree().docinfo.doctype:  # never: the prolog was read for one
            raise DecodeError("refused unsafe XML: a DTD (<!DOCTYPE>) is not accepted")
        return root

    def _feed(self, chunk: bytes) -> None:
        data: bytes | str = chunk
        try:
            if self._text is not None:
                data = self._text.decode(chunk)
            if self._prolog is not None:
                self._read_prolog(data)
            self.parser.feed(data)
        except UnicodeDecodeError as exc:
            raise self._encoding_error(exc) from None
        except _etree().ParseError as exc:
            raise self.error(exc) from None

    def _start(self, first: bytes) -> None:
        self._pending = None
        self.excerpt = first[:500]
        codec = _wide_codec(first)
        if codec is not None:
            self._text = codecs.getincrementaldecoder(codec)()

    def _read_prolog(self, data: bytes | str) -> None:
        assert self._prolog is not None
        if isinstance(data, bytes):  # a byte encoding: the markup is ASCII whatever it is
            if data.startswith(_UTF8_BOM) and not self._prolog.carry:
                data = data[len(_UTF8_BOM) :]
            data = data.decode("latin-1")
        self._prolog.read(data)
        if self._prolog.done:
            self._prolog = None

    def error(self, exc: Exception) -> DecodeError:
        """A parse error as the package's, with the parser's first complaint (lxml's push
        parser may report a later consequence of it)."""
        log = getattr(self.parser, "error_log", None)
        first = next((entry for entry in log or () if entry.level_name in _ERRORS), None)
        if first is not None:
            text, where = first.message.strip(), f"line {first.line}, column {first.column}"
        else:
            text, where = getattr(exc, "msg", None) or str(exc), ""
        for limit, words in _LIMITS:  # libxml2's limits, in words for the caller
            if limit in text:
                text = words
                break
        message = f"{text}, {where}" if where else text
        return DecodeError(f"invalid XML: {message}", body_excerpt=_excerpt(self.excerpt))

    def _encoding_error(self, exc: UnicodeError) -> DecodeError:
        return DecodeError(
            f"invalid XML: its encoding cannot be read ({exc})",
            body_excerpt=_excerpt(self.excerpt),
        )


_ERRORS = ("ERROR", "FATAL")
_LIMITS = (
    ("Excessive depth", "the document is nested more than 256 elements deep"),
    ("Resource limit exceeded", "a text in the document is longer than 10,000,000 bytes"),
)


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


# What a parser step completes: ``(tag, element)`` for a watched child of the root, or
# ``("item", [elements])`` for the items it completed.
Event = tuple[str, Any]
# What a plain call does with each item as soon as it is complete: (path index, the element
# that held it, the item, detached).
TakeItem = Callable[[int, Any, Any], None]


class ElementStream:
    """An XML answer fed as it arrives, its items taken out as soon as each is complete.

    ``item_paths`` are paths of tags below the root (``("pdf_list", "pdf_row")``). Streaming
    (no ``take``): ``steps`` gives, for each parser step, ``("item", [elements])`` for the items
    it completed and ``(tag, element)`` for the root's children named in ``watch`` (the vendor
    status) that end before the first item; ``close`` gives the rest of those at the end.
    Items are detached from the tree, and so is whatever came before them in their container,
    so memory stays flat however many the document holds. A plain call passes ``take``, which
    gets each item with its container as soon as it is complete (the container keeps its other
    children: the tree left at ``close`` is the document without its items). No I/O: the
    caller reads the bytes.

    lxml's pull parser reports the end of the items' tags only (filtered in C), so no Python
    code runs for the elements inside an item. ``check_root`` sees the root's tag before the
    first item is handed out (it raises for the wrong document). No item may take more than
    ``max_item_bytes`` (nor the data between two items, nor what comes before the first): the
    parser holds an open item whole, so an endless one is refused (the policy's
    ``LimitExceeded``) instead of growing without bound."""

    def __init__(
        self,
        item_paths: Sequence[tuple[str, ...]],
        watch: Iterable[str] = (),
        check_root: Callable[[str], None] | None = None,
        max_item_bytes: int | None = None,
        take: TakeItem | None = None,
        keep_text: Sequence[bool] = (),
    ) -> None:
        self._paths = [tuple(path) for path in item_paths]
        self._watched = tuple(watch)
        tags = sorted({path[-1] for path in self._paths} | set(self._watched))
        etree = _etree()
        if tags:
            parser = etree.XMLPullParser(events=("end",), tag=tags, **_PARSER_OPTIONS)
            self._read_events: Callable[[], Iterable[tuple[str, Any]]] = parser.read_events
        else:  # nothing to take out as it ends: the parser only builds the tree
            parser = etree.XMLParser(**_PARSER_OPTIONS)
            self._read_events = tuple
        self._feed = XmlFeed(parser)
        self._check_root = check_root
        self._take = take
        # a container's own text is dropped as items go (whitespace between them would pile up
        # in it) unless its model reads that text
        self._keep_text = tuple(keep_text) or (False,) * len(self._paths)
        self._containers: dict[Any, int] = {}  # container element -> index of its path
        # streaming: the last item each container completed in this step
        self._last_items: dict[Any, Any] = {}
        self._taken = 0  # a plain call: the items taken so far
        self._reported: set[str] = set()
        self._root: Any = None
        self._items_seen = False
        # bytes fed since the last item was completed: an upper bound of the open item's size
        self._open_bytes = 0
        self._max_item_bytes = max_item_bytes
        self._item_limit = max_item_bytes if max_item_bytes is not None else float("inf")

    @property
    def excerpt(self) -> str:
        """The start of the document, for error messages."""
        return _excerpt(self._feed.excerpt)

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

    @property
    def root(self) -> Any:
        """The document's root element once ``close`` has run (without the items taken)."""
        return self._root

    def _step(self, chunk: bytes, events: list[Event]) -> None:
        self._open_bytes += len(chunk)
        root = self._feed.close() if not chunk else None
        if chunk:
            self._feed.feed(chunk)
        items: list[Any] = []
        taken = self._taken
        last_items = self._last_items
        containers = self._containers
        streaming = self._take is None
        append = items.append
        for _event, element in self._read_events():
            container = element.getparent()
            if streaming and container in containers:  # the hot path: an item of a listing
                append(element)
            else:
                self._event(element, container, items, events)
        if streaming and items:  # the last item of each container (usually one for all)
            for item in items if len(containers) > 1 else items[-1:]:
                last_items[item.getparent()] = item
        if last_items:  # streaming: each container loses what it held up to its last item
            for container, last in last_items.items():
                del container[: container.index(last) + 1]
                if not self._keep_text[containers[container]]:
                    container.text = None
            last_items.clear()
        if items or self._taken > taken:
            self._open_bytes = len(chunk)  # what is still open began in this chunk
        if items:
            events.append(("item", items))
        if self._open_bytes > self._item_limit:
            assert self._max_item_bytes is not None
            raise item_too_large(self._max_item_bytes)
        if root is not None:
            if self._root is None:
                self._found(root)
            events.extend(_watched(root, self._watched, self._reported))

    def _event(self, element: Any, container: Any, items: list[Any], events: list[Event]) -> None:
        """An end event off the hot path: the first (the root is checked), a watched child of
        the root, the first item of a container, every item of a plain call."""
        if self._root is None:
            self._found(element.getroottree().getroot())
        tag = element.tag
        if tag in self._watched and container is self._root:
            if tag not in self._reported and not self._items_seen:
                self._reported.add(tag)
                events.append((tag, element))
            return
        index = self._containers.get(container)
        if index is None:
            index = self._path_index(element, container)
            if index is None:
                return  # an element of that name elsewhere: part of what holds it
        self._items_seen = True
        if self._take is None:
            items.append(element)
            return
        previous = element.getprevious()
        if previous is not None:
            previous.tail = None  # whitespace after the items taken would pile up there
        self._take(index, container, element)
        self._taken += 1
        container.remove(element)
        if not self._keep_text[index]:
            container.text = None

    def _found(self, root: Any) -> None:
        self._root = root
        if self._check_root is not None:
            self._check_root(root.tag)

    def _path_index(self, element: Any, container: Any) -> int | None:
        """The index of the path ``element`` is at (checked once per container)."""
        tags = [element.tag]
        node = container
        while node is not None and node is not self._root:
            tags.append(node.tag)
            node = node.getparent()
        if node is None:
            return None
        found = tuple(reversed(tags))
        for index, path in enumerate(self._paths):
            if path == found:
                self._containers[container] = index
                return index
        return None


def _watched(root: Any, tags: Sequence[str], reported: set[str]) -> Iterator[tuple[str, Any]]:
    """The root's children named in ``tags`` not reported yet (each once)."""
    for child in root:
        if child.tag in tags and child.tag not in reported:
            reported.add(child.tag)
            yield child.tag, child


_READ_SIZE = 64 * 1024
