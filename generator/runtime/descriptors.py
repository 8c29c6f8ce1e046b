"""Descriptions of an API and its operations: the one model of a spec. The generator builds them
from the YAML (``generator.build``), checks them, documents and exports them; the generated code
writes them out (one literal each) and the runtime executes them. Classes the generated code
defines (models, enums, error classes) are named by ``TypeName`` until they exist.

Behaviours are named here and live in their own registries (``ENCODINGS``, ``DECODINGS``,
``PAGINATION_STYLES``, ``AUTH_SCHEMES``, ``LONG_RUNNING_PROTOCOLS``): a descriptor says which,
the strategy says how.

Named tuples rather than dataclasses: hundreds are built when a package is imported, and
defining a named tuple class costs a fraction of a dataclass (import time is measured).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from .builtin_types import Type
from .errors import ErrorTable

if TYPE_CHECKING:
    from .auth import AuthScheme

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
    type: Type[Any]  # its ``format`` (dates) is in the type
    location: str = "body"  # path | query | body | header | file
    style: str = "plain"  # plain | csv | json | flag | repeat | deep | xml
    secret: bool = False
    required: bool = False  # a value must be sent (given by the caller or a client setting)
    client_default: str | None = None  # the client setting used when the caller gives none
    doc: str = ""
    conflicts_with: tuple[str, ...] = ()  # wire names the vendor takes instead of this one
    # a file's name ends with this parameter's value (``PDF`` -> ``file.pdf``) unless named
    extension_from: str | None = None
    const: Any = None  # a value always sent (the method has no argument for it)
    nullable: bool = False  # NULL sends an explicit null
    default: Any = None  # the method's default for it (None: none)

    @property
    def is_const(self) -> bool:
        return self.const is not None

    @property
    def optional_in_python(self) -> bool:
        """Callers may leave it out: not required, or filled in from a client setting."""
        return not self.required or self.client_default is not None

    @property
    def nullable_in_python(self) -> bool:
        """``None`` is its Python default: unset values are left out of the request."""
        return self.optional_in_python and (self.default is None or self.client_default is not None)


class Pagination(NamedTuple):
    """How one page of an answer leads to the next (paths are wire names below the answer);
    ``style`` names its strategy in ``PAGINATION_STYLES``."""

    style: str
    items: tuple[str, ...] = ()  # (): the answer is the list of items
    param: str | None = None  # the parameter that selects the page (page, offset, cursor)
    first_page: int = 1
    cursor_field: tuple[str, ...] = ()  # cursor: the next cursor in the answer
    cursor_item_field: str | None = None  # cursor: the last item's field holding it
    has_more: tuple[str, ...] = ()  # a boolean in the answer: false ends the walk
    total_pages: tuple[str, ...] = ()  # page: the number of pages in the answer
    next_field: tuple[str, ...] = ()  # next_link: the next page's URL (or path) in the answer
    total_items: tuple[str, ...] = ()  # offset: the number of items in all pages
    item: Type[Any] | None = None  # what one item is (the page walk yields these)


class Operation(NamedTuple, Generic[T]):
    """One vendor operation. ``T`` is what a successful call returns."""

    name: str  # the client method
    wire_name: str
    method: str
    path: str
    params: Sequence[Param]
    result: Type[T]
    encoding: str  # a name in ENCODINGS
    decoding: str  # a name in DECODINGS
    safe: bool = False
    long_running: bool = False
    success_status: Sequence[int] = ()
    # The operation's own vendor-status rule (replacing XmlStatus.success/failure) when declared
    status_success: Sequence[str] | None = None
    status_failure: Sequence[str] | None = None
    sends_credentials: bool = True  # False: a public endpoint (spec ``auth: false``)
    server: str | None = None  # one of ``Server.named``; None: the API's own server
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
    """Where JSON answers carry the vendor's status and error (paths: ``error/message``).
    With ``status_field``, a successful answer whose status is a failure raises too."""

    status_field: str | None = None
    code_field: str | None = None
    message_field: str | None = None
    details_field: str | None = None
    success: Sequence[str] = ()
    failure: Sequence[str] = ()  # "*": any value present is a failure


class LongRunning(NamedTuple):
    """How long-running tasks are followed: ``protocol`` names the strategy in
    ``LONG_RUNNING_PROTOCOLS`` (MailStore's status polling), the rest are its spec keys."""

    status_operation: str  # the wire names of the operations that poll and cancel
    cancel_operation: str
    token_param: str
    version_param: str
    timeout_param: str
    wait_time_ms: int  # the client's wait_time default: how long a poll may be held
    auto_handle: bool  # the client's auto_handle_token default
    poll_interval: float  # seconds: the least spacing of status polls
    poll_interval_max: float  # seconds: the widest, while the server answers at once
    protocol: str


class Setting(NamedTuple):
    """A constructor argument of the generated client that the spec declares."""

    name: str
    type: str  # str | int | float | bool
    default: Any = None
    required: bool = True
    secret: bool = False
    doc: str = ""


class Server(NamedTuple):
    """Where the API is: a URL template filled in from settings, or named environments."""

    url: str | None = None  # e.g. ``https://{host}:{port}``
    environments: Mapping[str, str] = {}
    default_environment: str | None = None
    # the vendor's other servers by name (a token endpoint, an upload host): an operation or
    # the OAuth2 scheme says which it uses; the client's ``servers=`` moves them
    named: Mapping[str, str] = {}


class Protocol(NamedTuple):
    """The API's conventions for every operation that does not say otherwise."""

    encoding: str  # a name in ENCODINGS
    decoding: str  # a name in DECODINGS
    default_method: str
    path_template: str
    xml_declaration_encoding: str
    xml_field: str | None = None  # encoding xml_field: the form field holding the document
    headers: Mapping[str, str] = {}  # sent with every request


class TransportDefaults(NamedTuple):
    """The defaults of the client's transport options (the spec's ``transport``)."""

    connect_timeout: float
    read_timeout: float
    verify_tls: bool
    retry_attempts: int
    retry_backoff: float
    retry_statuses: Sequence[int]
    retry_after_max: float  # the longest Retry-After a retry waits for
    timeout: float  # seconds a whole call may take
    max_answer_bytes: int  # the largest answer held in memory
    max_item_bytes: int  # the largest item of a streamed answer
    max_inflation: float  # decoded / wire bytes of a compressed answer


class ApiDescription(NamedTuple):
    """Everything known about one API: what the generated client is built from. Every value
    the spec sets (or leaves to the schema's defaults, their one home) is written out."""

    name: str
    title: str
    errors: ErrorTable
    envelope: Envelope
    xml: XmlStatus
    auth: AuthScheme
    server: Server
    protocol: Protocol
    transport: TransportDefaults
    operations: Sequence[Operation[Any]] = ()
    settings: Sequence[Setting] = ()
    long_running: LongRunning | None = None
    json: JsonStatus | None = None
    secret_wire_names: frozenset[str] = frozenset()
    client_class: str = ""
    description: str = ""

    @property
    def async_client_class(self) -> str:
        """The async twin of the client class (``Async`` before its name)."""
        return f"Async{self.client_class}"

    def operation(self, wire_name: str) -> Operation[Any]:
        """The operation of that wire name (e.g. the long-running protocol's status poll)."""
        wired = getattr(self.operations, "wired", None)  # a generated package's table
        if wired is not None:
            found: Operation[Any] | None = wired(wire_name)
            if found is not None:
                return found
            raise KeyError(wire_name)
        for op in self.operations:
            if op.wire_name == wire_name:
                return op
        raise KeyError(wire_name)
