"""The typed intermediate model: what a spec means, independent of YAML and of templates.

Every node carries its ``Source``: the key path it was built from and the loaded spec that knows
where that path is written (file, line, column), so the semantic checks, which run on these
nodes, report errors where the user wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from generator.errors import SpecError

if TYPE_CHECKING:
    from generator.loader import KeyPath, LoadedSpec

from generator.runtime.builtin_types import BUILTIN_TYPES as _BUILTIN_ROWS
from generator.runtime.client import TaskClientBase
from generator.runtime.options import CALL_OPTIONS, CLIENT_OPTIONS

Scalar = str | int | float | bool | None
BUILTIN_TYPES = tuple(_BUILTIN_ROWS)


@dataclass(frozen=True)
class Source:
    """Where a node comes from: its key path in the (composed) spec."""

    path: KeyPath
    spec: LoadedSpec | None = field(default=None, compare=False, hash=False, repr=False)

    def error(self, message: str, *sub: str | int, at_key: bool = False) -> SpecError:
        """An error at this node (or at ``sub`` below it); ``at_key`` points at the key."""
        path = (*self.path, *sub)
        if self.spec is None:
            from generator.errors import format_key_path

            return SpecError("<spec>", 1, 1, format_key_path(path), message)
        return self.spec.error(path, message, at_key=at_key)

    def has(self, *sub: str | int) -> bool:
        """Whether the spec writes this key (rather than leaving it to a default)."""
        return self.spec is not None and (*self.path, *sub) in self.spec.key_positions


NO_SOURCE = Source(())


@dataclass(frozen=True)
class TypeRef:
    """A type expression: a builtin, a named enum/model, a union of those (``A | B``: sent as
    the option the value is, decoded as the first model that fits), or a list of one of those."""

    kind: Literal["builtin", "enum", "model", "list", "union"]
    name: str
    item: TypeRef | None = None
    options: tuple[TypeRef, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.kind == "list"


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: Scalar
    has_default: bool
    doc: str
    secret: bool
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Field:
    name: str
    wire: str
    type: TypeRef
    required: bool
    attribute: bool
    format: str | None
    item_wire: str | None
    mime_decoded: str | None
    doc: str
    text: bool = False  # XML: the element's own text
    nullable: bool = False  # null is a value: accepted in answers, sent with NULL
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Model:
    name: str
    doc: str
    xml_element: str | None
    fields: tuple[Field, ...]
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class EnumMember:
    name: str
    value: str


@dataclass(frozen=True)
class Enum:
    name: str
    doc: str
    members: tuple[EnumMember, ...]
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class ErrorClass:
    name: str
    base: str
    http_status: tuple[int, ...]
    vendor_status: tuple[str, ...]
    operations: tuple[str, ...]
    doc: str
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Param:
    name: str
    wire: str
    type: TypeRef
    required: bool
    default: Scalar
    location: str
    style: str
    format: str | None
    secret: bool
    client_default: str | None
    doc: str
    example: Scalar = None
    conflicts_with: tuple[str, ...] = ()
    extension_from: str | None = None
    const: Scalar = None  # a value always sent; not an argument of the method
    nullable: bool = False  # the caller may send an explicit null (NULL)
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)

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


@dataclass(frozen=True)
class Example:
    name: str
    doc: str
    params: dict[str, object]
    request: dict[str, object]
    response: dict[str, object]
    result: object
    raises: str | None
    provenance: str | None = None  # documented | synthetic (None: not stated)
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Pagination:
    """How an answer that is one page leads to the next (spec ``paginate``); paths are wire
    names below the answer."""

    style: str  # page | offset | cursor | link
    items: tuple[str, ...]  # () : the answer is the list
    item_type: TypeRef
    param: str | None = None  # the parameter selecting the page (page, offset, cursor)
    first_page: int = 1
    cursor_field: tuple[str, ...] = ()
    cursor_item_field: str | None = None
    has_more: tuple[str, ...] = ()
    total_pages: tuple[str, ...] = ()
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Operation:
    wire_name: str
    name: str
    method: str
    path: str
    doc: str
    params: tuple[Param, ...]
    returns: TypeRef
    long_running: bool
    safe: bool
    encoding: str
    decoding: str
    success_status: tuple[int, ...]
    examples: tuple[Example, ...]
    stream_items: tuple[str, ...] = ()
    stream_item_type: TypeRef | None = None
    # The operation's own vendor-status rule (spec ``vendor_status``), replacing protocol.xml's:
    # None when the operation follows the protocol's rule.
    status_success: tuple[str, ...] | None = None
    status_failure: tuple[str, ...] | None = None
    sends_credentials: bool = True  # spec ``auth: false``: a public endpoint
    pagination: Pagination | None = None
    # protocol.idempotency_key, for this operation's method: the header carrying a fresh key
    idempotency_header: str | None = None
    redirects: str = "same_origin"  # or any_origin: may be served elsewhere (a CDN)
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Server:
    url: str | None
    environments: tuple[tuple[str, str], ...]
    default_environment: str | None
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Auth:
    scheme: str
    username: str | None
    password: str | None
    username_field: str | None
    password_field: str | None
    token: str | None = None  # bearer / api_key: the setting holding the secret
    location: str = "header"  # api_key: header | query
    key_name: str | None = None  # api_key: the header or query parameter name
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Transport:
    connect_timeout: float
    read_timeout: float
    verify_tls: bool
    retry_attempts: int
    retry_backoff: float
    retry_statuses: tuple[int, ...]
    retry_after_max: float = 60.0
    timeout: float = 300.0  # seconds a whole call may take
    max_answer_bytes: int = 64 << 20  # the largest answer held in memory
    max_item_bytes: int = 8 << 20  # the largest item of a streamed answer
    max_inflation: float = 200.0  # decoded / wire bytes of a compressed answer


@dataclass(frozen=True)
class LongRunning:
    status_operation: str
    cancel_operation: str
    token_param: str
    version_param: str
    timeout_param: str
    wait_time_ms: int
    auto_handle: bool
    poll_interval: float = 0.25  # seconds: the least spacing of status polls
    poll_interval_max: float = 5.0  # seconds: the widest, while the server answers at once
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Protocol:
    encoding: str
    decoding: str
    xml_field: str | None
    xml_declaration_encoding: str
    envelope: dict[str, object]
    xml: dict[str, object]
    long_running: LongRunning | None
    json: dict[str, object] | None = None  # where JSON answers carry status and error
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request


@dataclass(frozen=True)
class Api:
    name: str
    title: str
    description: str
    client_class: str
    spec_file: str
    settings: tuple[Setting, ...]
    server: Server
    auth: Auth
    transport: Transport
    protocol: Protocol
    enums: tuple[Enum, ...]
    models: tuple[Model, ...]
    errors: tuple[ErrorClass, ...]
    operations: tuple[Operation, ...]
    secret_wire_names: tuple[str, ...] = field(default=())
    source: Source = field(default=NO_SOURCE, compare=False, repr=False)


def split_type(expr: str) -> tuple[bool, str]:
    """``list[PdfRow]`` -> ``(True, 'PdfRow')``; ``int`` -> ``(False, 'int')``."""
    if expr.startswith("list[") and expr.endswith("]"):
        return True, expr[5:-1]
    return False, expr


# Names every generated package defines itself; a spec may not reuse them.
BASE_ERROR_NAMES = (
    "Error",
    "TransportError",
    "HttpError",
    "AuthenticationError",
    "VendorError",
    "NotFoundError",
    "DecodeError",
    "TaskTimeout",
    "CallTimeout",
    "LimitExceeded",
    "LocalFileError",
    "ERROR_TABLE",
)
# Constructor arguments every generated client has (runtime options); settings may not reuse them.
RUNTIME_SETTINGS = tuple(option.name for option in CLIENT_OPTIONS)
# Client attributes and methods every generated client has (read off the runtime's base class);
# neither operations nor settings (which become attributes) may reuse them.
RESERVED_METHODS = tuple(sorted(n for n in dir(TaskClientBase) if not n.startswith("_")))
# Keyword arguments of long-running operations; parameters may not reuse them.
LONG_RUNNING_KWARGS = CALL_OPTIONS["long_running"]
# Keyword arguments every generated method has (a call's own options); parameters may not
# reuse them.
CALL_OPTION_NAMES = CALL_OPTIONS["always"]
