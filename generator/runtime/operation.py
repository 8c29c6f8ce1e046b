"""Descriptions of an API and its operations, as the generated code declares them. The client, the
decoders, tasks and the command line all read these; nothing here has a default the generator
does not also write out, so the spec's values are the only ones.

Named tuples rather than dataclasses: hundreds are built when a package is imported, and
defining a named tuple class costs a fraction of a dataclass (import time is measured).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from .builtin_types import Type
from .errors import ErrorTable

T = TypeVar("T")
# a sentence ends at ". " unless the period closes a common abbreviation ("e.g. the ...")
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)\. ")


def first_sentence(text: str) -> str:
    """The first sentence of a description, ending with a period ('' for no text)."""
    first = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]
    return first if first.endswith(".") or not first else first + "."


class Param(NamedTuple):
    """One operation parameter: its Python name, wire name and how it travels."""

    name: str
    wire: str
    type: Type[Any]
    location: str = "body"  # path | query | body | header | file
    style: str = "plain"  # plain | csv | json | flag
    secret: bool = False
    required: bool = False  # a value must be sent (given by the caller or a client setting)
    client_default: str | None = None  # the client setting used when the caller gives none
    doc: str = ""
    conflicts_with: tuple[str, ...] = ()  # wire names the vendor takes instead of this one
    # a file's name ends with this parameter's value (``PDF`` -> ``file.pdf``) unless named
    extension_from: str | None = None
    const: Any = None  # a value always sent (the method has no argument for it)
    nullable: bool = False  # NULL sends an explicit null


class Pagination(NamedTuple):
    """How one page of an answer leads to the next (paths are wire names below the answer)."""

    style: str  # page | offset | cursor | link
    items: tuple[str, ...] = ()  # (): the answer is the list of items
    param: str | None = None  # the parameter that selects the page (page, offset, cursor)
    first_page: int = 1
    cursor_field: tuple[str, ...] = ()  # cursor: the next cursor in the answer
    cursor_item_field: str | None = None  # cursor: the last item's field holding it
    has_more: tuple[str, ...] = ()  # a boolean in the answer: false ends the walk
    total_pages: tuple[str, ...] = ()  # page: the number of pages in the answer


class Operation(NamedTuple, Generic[T]):
    """One vendor operation. ``T`` is what a successful call returns."""

    name: str  # the client method
    wire_name: str
    method: str
    path: str
    params: Sequence[Param]
    result: Type[T]
    encoding: str  # form | query | json | xml_field | xml_body | multipart
    decoding: str  # envelope | xml | binary_or_xml | json | none
    safe: bool = False
    long_running: bool = False
    success_status: Sequence[int] = ()
    # The operation's own vendor-status rule (replacing XmlStatus.success/failure) when declared
    status_success: Sequence[str] | None = None
    status_failure: Sequence[str] | None = None
    sends_credentials: bool = True  # False: a public endpoint (spec ``auth: false``)
    pagination: Pagination | None = None  # the answer is one page (``iter_<name>`` walks them)
    # a fresh key goes in this header (kept across retries), making the call safe to retry
    idempotency_header: str | None = None
    stream_items: tuple[str, ...] = ()  # element path of the items ``iter_<name>`` yields
    stream_item: Type[Any] | None = None
    doc: str = ""
    # which redirects it follows: same_origin, or any_origin (served elsewhere, e.g. a CDN:
    # GET/HEAD only, every credential dropped); see ``policy.next_hop``
    redirects: str = "same_origin"


class Envelope(NamedTuple):
    """Field names of a JSON status envelope (MailStore-style) and its status codes."""

    status_field: str
    result_field: str
    error_field: str
    message_field: str
    details_field: str
    version_field: str
    token_field: str
    progress_field: str
    text_field: str
    log_field: str
    success: Sequence[str]
    running: Sequence[str]
    cancelled: Sequence[str]
    echo_field: str | None = None  # a field whose value is sent back in ``echo_header``
    echo_header: str | None = None


class XmlStatus(NamedTuple):
    """Where an XML answer carries the vendor status. ``success`` lists the only good codes;
    ``failure`` the codes that are errors even in a 2xx answer; with neither, HTTP decides."""

    status_element: str  # a child, a/b, @attribute or a/@attribute
    message_element: str
    success: Sequence[str]
    failure: Sequence[str]
    root_element: str | None  # the root of the vendor's XML documents, when declared
    code_element: str | None = None  # the error code, when it is not the status itself


class JsonStatus(NamedTuple):
    """Where JSON answers carry the vendor's status and error (dotted paths: ``error.message``).
    With ``status_field``, a successful answer whose status is a failure raises too."""

    status_field: str | None = None
    code_field: str | None = None
    message_field: str | None = None
    details_field: str | None = None
    success: Sequence[str] = ()
    failure: Sequence[str] = ()  # "*": any value present is a failure


class LongRunning(NamedTuple):
    """Polling protocol for long-running tasks (MailStore ``get-status``/``cancel-async``)."""

    status_operation: Operation[Any]
    cancel_operation: Operation[Any]
    token_param: str
    version_param: str
    timeout_param: str
    poll_interval_max: float = 5.0  # seconds: the widest spacing of polls (see PollPacer)


class Setting(NamedTuple):
    """A constructor argument of the generated client that the spec declares."""

    name: str
    type: str  # str | int | float | bool
    default: Any
    required: bool
    secret: bool
    doc: str


class ApiDescription(NamedTuple):
    """Everything the runtime knows about one API."""

    name: str
    title: str
    errors: ErrorTable
    envelope: Envelope
    xml: XmlStatus
    operations: Sequence[Operation[Any]] = ()
    settings: Sequence[Setting] = ()
    environments: Mapping[str, str] = {}
    auth_scheme: str = "none"  # basic | body | bearer | api_key | none
    auth_location: str = "header"  # api_key: header | query
    auth_name: str | None = None  # api_key: the header or query parameter name
    username_field: str | None = None
    password_field: str | None = None
    xml_field: str | None = None
    xml_declaration_encoding: str = "UTF-8"
    long_running: LongRunning | None = None
    json: JsonStatus | None = None
    headers: Mapping[str, str] = {}  # sent with every request
    secret_wire_names: frozenset[str] = frozenset()
    retry_statuses: Sequence[int] = ()
    retry_after_max: float = 60.0  # the longest Retry-After a retry waits for
