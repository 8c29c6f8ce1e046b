"""Descriptions of an API and its operations, as the generated code declares them.

Named tuples rather than dataclasses: hundreds are built when a package is imported, and
defining a named tuple class costs a fraction of a dataclass (import time is measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from .codec import Type
from .errors import ErrorTable

T = TypeVar("T")


class Param(NamedTuple):
    """One operation parameter on the wire."""

    wire: str
    type: Type[Any]
    location: str = "body"  # path | query | body | header | file
    style: str = "plain"  # plain | csv | json | flag
    secret: bool = False
    required: bool = False


class Operation(NamedTuple, Generic[T]):
    """One vendor operation. ``T`` is what a successful call returns."""

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


class Envelope(NamedTuple):
    """Field names of a JSON status envelope (MailStore-style)."""

    status_field: str = "statusCode"
    result_field: str = "result"
    error_field: str = "error"
    message_field: str = "message"
    details_field: str = "details"
    success: Sequence[str] = ("succeeded",)
    running: Sequence[str] = ("running",)
    cancelled: Sequence[str] = ("cancelled",)
    echo_field: str | None = None  # a field whose value is sent back in ``echo_header``
    echo_header: str | None = None


class XmlStatus(NamedTuple):
    """Where an XML answer carries the vendor status. ``success`` lists the only good codes;
    ``failure`` the codes that are errors even in a 2xx answer; with neither, HTTP decides."""

    status_element: str = "status"
    message_element: str = "msg"
    success: Sequence[str] = ()
    failure: Sequence[str] = ()


class LongRunning(NamedTuple):
    """Polling protocol for long-running tasks (MailStore ``get-status``/``cancel-async``)."""

    status_operation: Operation[Any]
    cancel_operation: Operation[Any]
    token_field: str = "token"
    version_field: str = "statusVersion"
    progress_field: str = "percentProgress"
    log_field: str = "logOutput"
    text_field: str = "statusText"
    token_param: str = "token"
    version_param: str = "lastKnownStatusVersion"
    timeout_param: str = "millisecondsTimeout"


class ApiDescription(NamedTuple):
    """Everything the runtime needs to know about one API besides its operations."""

    name: str
    errors: ErrorTable
    auth_scheme: str = "none"  # basic | body | none
    username_field: str | None = None
    password_field: str | None = None
    xml_field: str | None = None
    xml_declaration_encoding: str = "UTF-8"
    envelope: Envelope = Envelope()
    xml: XmlStatus = XmlStatus()
    long_running: LongRunning | None = None
    secret_wire_names: frozenset[str] = frozenset()
