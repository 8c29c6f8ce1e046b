"""An HTTP answer as the core sees it, whatever transport brought it: status, headers, URL and,
once the core has read it, the body. The transport's own response object rides along (``raw``:
a ``requests.Response``, a test transport's answer) for callers who look at it
(``last_response``, ``raw_responses()``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any


class Headers(Mapping[str, str]):
    """Header names are case-insensitive (RFC 9110); each keeps the spelling it came with.
    A repeated header is one value, its values joined by ``", "`` (as requests and httpx give
    them)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            if key in merged:
                merged[key] = (merged[key][0], f"{merged[key][1]}, {value}")
            else:
                merged[key] = (name, value)
        self._items = merged

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _value in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


class Answer:
    """One answer whose headers have arrived. ``content`` is its body once the core has read
    it whole (``held``); a streamed body is read piece by piece through the transport."""

    __slots__ = ("status", "headers", "url", "raw", "content", "held", "state")

    def __init__(self, status: int, headers: Mapping[str, str], url: str, raw: Any = None) -> None:
        self.status = status
        self.headers = headers  # case-insensitive (``Headers``, or the transport's own)
        self.url = url  # where it came from (after the redirects the policy followed)
        self.raw = raw
        self.content = b""
        self.held = False
        self.state: Any = None  # the transport's own, while it reads the body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def links(self) -> dict[str, dict[str, str]]:
        """The ``Link`` header (RFC 8288) by relation: ``{"next": {"url": ..., "rel": ...}}``."""
        return parse_links(self.headers.get("Link", ""))

    def __repr__(self) -> str:
        return f"<Answer HTTP {self.status} from {self.url}>"


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]+)*)")
_PARAM = re.compile(r";\s*([^=;\s]+)\s*=\s*\"?([^\";]*)\"?")


def parse_links(value: str) -> dict[str, dict[str, str]]:
    """Each link of a ``Link`` header with its parameters, keyed by ``rel`` (else its URL)."""
    links: dict[str, dict[str, str]] = {}
    for match in _LINK.finditer(value):
        link = {"url": match.group(1).strip()}
        link.update((k.lower(), v.strip()) for k, v in _PARAM.findall(match.group(2)))
        links[link.get("rel") or link["url"]] = link
    return links
