"""Pagination styles, one small class each in one registry (``PAGINATION_STYLES``): how one page
of an answer leads to the next. Each knows its spec keys and their checks, its documentation
text, and the step from a page to the next, which does no I/O (the client sends the request it
asks for)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol
from urllib.parse import urljoin, urlsplit

from .codec import value_at
from .errors import DecodeError
from .policy import origin_of

if TYPE_CHECKING:
    from .descriptors import Operation, Pagination


class PageView(Protocol):
    """What a style's checks see of a spec's ``paginate`` section."""

    def has(self, key: str) -> bool: ...

    def problem(self, message: str, key: str | None = None, *, at_key: bool = False) -> None: ...


class Page(NamedTuple):
    """One page as the walk sees it: the decoded answer, its items, and the HTTP answer's
    headers and URL (a Link header, a relative next link)."""

    answer: Any
    items: list[Any]
    links: Mapping[str, Mapping[str, str]]  # the Link header by relation (Answer.links)
    url: str


class Next(NamedTuple):
    """The request of the next page: the arguments, and the vendor's own URL when it gave one."""

    args: dict[str, Any]
    url: str | None = None


class PaginationStyle:
    """Base of the styles. ``KEYS``: the ``paginate`` keys only this style takes."""

    name: ClassVar[str] = ""
    KEYS: ClassVar[tuple[str, ...]] = ()
    takes_param: ClassVar[bool] = True  # the walk sets one of the operation's parameters
    doc: ClassVar[str] = ""

    def check(self, paging: Pagination, op: Operation[Any], spec: PageView) -> None:
        """What the schema cannot say about this style's keys."""
        if not self.takes_param:
            if spec.has("param"):
                spec.problem(f"style {self.name!r} {self.doc}: it takes no 'param'", "param")
        elif paging.param is None:
            spec.problem(f"missing required key 'param' for style {self.name!r}", at_key=True)
        elif paging.param not in {p.wire for p in op.params}:
            spec.problem(f"{paging.param!r} names no parameter of {op.wire_name}", "param")
        for style in PAGINATION_STYLES.values():
            if style is not self:
                for key in style.KEYS:
                    if spec.has(key) and key not in self.KEYS:
                        spec.problem(f"{key!r} applies to style {style.name!r}", key)

    def openapi(self, paging: Pagination) -> dict[str, Any]:
        """The ``x-specgen-pagination`` extension of an exported operation."""
        written = {
            "items": paging.items,
            "param": paging.param,
            "totalPages": paging.total_pages,
            "cursorField": paging.cursor_field,
            "cursorItemField": paging.cursor_item_field,
            "hasMore": paging.has_more,
            "nextField": paging.next_field,
            "totalItems": paging.total_items,
        }
        paths = {k: "/".join(v) if isinstance(v, tuple) else v for k, v in written.items() if v}
        return {"style": self.name, **paths}

    def next(
        self, paging: Pagination, op: Operation[Any], page: Page, request: Next, state: set[str]
    ) -> Next | None:
        """The request of the page after ``page`` (asked for by ``request``), or None when the
        walk ends. ``state`` is the walk's memory (cursors seen)."""
        raise NotImplementedError


class PageNumberStyle(PaginationStyle):
    name = "page"
    KEYS = ("first_page", "total_pages")
    doc = "numbers the pages"

    def openapi(self, paging: Pagination) -> dict[str, Any]:
        return {**super().openapi(paging), "firstPage": paging.first_page}

    def next(
        self, paging: Pagination, op: Operation[Any], page: Page, request: Next, state: set[str]
    ) -> Next | None:
        assert paging.param is not None
        # the first page goes without a number unless the caller gave one: it is the first
        given = request.args.get(paging.param)
        number = paging.first_page if given is None else int(given)
        total = _count_at(page.answer, paging.total_pages)
        if total is not None and number >= total:
            return None
        return Next({**request.args, paging.param: number + 1})


class OffsetStyle(PaginationStyle):
    name = "offset"
    KEYS = ("total_items",)
    doc = "skips the items seen"

    def next(
        self, paging: Pagination, op: Operation[Any], page: Page, request: Next, state: set[str]
    ) -> Next | None:
        assert paging.param is not None
        offset = int(request.args.get(paging.param) or 0) + len(page.items)
        total = _count_at(page.answer, paging.total_items)
        if total is not None and offset >= total:
            return None  # every item seen: no request for an empty page
        return Next({**request.args, paging.param: offset})


def _count_at(answer: Any, path: tuple[str, ...]) -> int | None:
    """The number at ``path`` in the answer (a total the walk stops at), if it gives one."""
    count = value_at(answer, path) if path else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


class CursorStyle(PaginationStyle):
    name = "cursor"
    KEYS = ("cursor_field", "cursor_item_field")
    doc = "sends the cursor the answer gives"

    def check(self, paging: Pagination, op: Operation[Any], spec: PageView) -> None:
        super().check(paging, op, spec)
        if sum(spec.has(key) for key in self.KEYS) != 1:
            spec.problem(
                "style 'cursor' needs exactly one of 'cursor_field' (in the answer) or "
                "'cursor_item_field' (of the last item)",
                at_key=True,
            )

    def next(
        self, paging: Pagination, op: Operation[Any], page: Page, request: Next, state: set[str]
    ) -> Next | None:
        cursor = (
            value_at(page.items[-1], (paging.cursor_item_field,))
            if paging.cursor_item_field
            else value_at(page.answer, paging.cursor_field)
        )
        if cursor is None or cursor == "":
            return None
        if str(cursor) in state:
            raise DecodeError(
                f"{op.wire_name}: the vendor sent the cursor {cursor!r} twice; stopped instead "
                "of walking the same pages again"
            )
        state.add(str(cursor))
        param = next(p for p in op.params if p.wire == paging.param)
        value = str(cursor) if param.type.kind == "str" else cursor
        return Next({**request.args, param.wire: value})


class LinkStyle(PaginationStyle):
    name = "link"
    takes_param = False
    doc = "follows the Link header"

    def next(
        self, paging: Pagination, op: Operation[Any], page: Page, request: Next, state: set[str]
    ) -> Next | None:
        link = page.links.get("next", {}).get("url")
        if not link:
            return None
        return Next(request.args, urljoin(page.url, link))  # relative to the page it came in


class NextLinkStyle(PaginationStyle):
    name = "next_link"
    KEYS = ("next_field",)
    takes_param = False
    doc = "follows the next page's URL the answer gives"

    def check(self, paging: Pagination, op: Operation[Any], spec: PageView) -> None:
        super().check(paging, op, spec)
        if not spec.has("next_field"):
            spec.problem(
                "style 'next_link' needs 'next_field': where the answer gives the next page's "
                "URL (Twilio: next_page_uri, Spotify: next)",
                at_key=True,
            )

    def next(
        self, paging: Pagination, op: Operation[Any], page: Page, request: Next, state: set[str]
    ) -> Next | None:
        link = value_at(page.answer, paging.next_field)
        if link is None or link == "":
            return None  # the last page links nowhere
        if not isinstance(link, str):
            raise DecodeError(
                f"{op.wire_name}: the next page's link at {'/'.join(paging.next_field)!r} is "
                f"{type(link).__name__}, not a URL"
            )
        url = urljoin(page.url, link)  # a path is on the host of the page it came in
        if url in state:
            raise DecodeError(
                f"{op.wire_name}: the vendor linked the same page twice; stopped instead of "
                "walking the same pages again"
            )
        state.add(url)
        return Next(request.args, url)


def same_origin_link(op: Operation[Any], url: str, base_url: str) -> None:
    """A vendor's link to a next page is followed only on the origin of the operation's server
    (the credentials would go with it)."""
    if origin_of(url) != origin_of(base_url):
        raise DecodeError(
            f"{op.wire_name}: the next page's link leaves {urlsplit(base_url).netloc} "
            f"({urlsplit(url).netloc}); not followed"
        )


PAGINATION_STYLES: dict[str, PaginationStyle] = {
    style.name: style
    for style in (
        PageNumberStyle(),
        OffsetStyle(),
        CursorStyle(),
        LinkStyle(),
        NextLinkStyle(),
    )
}


def items_of(paging: Pagination, op: Operation[Any], answer: Any) -> list[Any] | None:
    """The items of a page (None: the answer holds none)."""
    items = value_at(answer, paging.items)
    if items is None:
        return None
    if not isinstance(items, list):
        raise DecodeError(f"{op.wire_name}: expected a list of items at {'/'.join(paging.items)!r}")
    return items


def more_after(paging: Pagination, page: Page) -> bool:
    """Whether a page may be followed by another: it has items and does not say it is last."""
    return bool(page.items) and value_at(page.answer, paging.has_more) is not False
