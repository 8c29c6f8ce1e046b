"""Request encodings: how an operation's arguments become an HTTP request."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree.ElementTree import tostring

from .arguments import ArgumentValueError, check_arguments
from .codec import NULL, STR, Model, encode_scalar, to_wire_json
from .descriptors import ApiDescription, Operation, Param
from .policy import REDACTED, encode_segment
from .xml import build_document, model_to_element, xml_text_problem

if TYPE_CHECKING:
    from .auth import Auth


class WireRequest:
    """An HTTP request ready to send: what an auth sees and changes. ``log_fields`` is what
    may be logged (secrets masked); ``full_url()`` where it goes."""

    __slots__ = (
        "method",
        "path",
        "query",
        "headers",
        "body",
        "log_fields",
        "secrets",
        "no_auth",
        "url",
        "base_url",
    )

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        self.query: list[tuple[str, str]] = []
        self.headers: dict[str, str] = {}
        self.body: bytes | IO[bytes] | None = None  # a file-like body is streamed
        self.log_fields: dict[str, str] = {}
        # the request's secret values (credentials, secret parameters): masked wherever a
        # message or a log line could repeat them
        self.secrets: list[str] = []
        # send without the session's auth or ~/.netrc: the spec's credentials are in the
        # request itself, or it is a public endpoint
        self.no_auth = False
        self.url: str | None = None  # an absolute URL given by the vendor (a next page's link)
        self.base_url = ""  # the client's, which ``path`` is below

    def full_url(self) -> str:
        """The URL the request goes to, its query included."""
        url = self.url or self.base_url + self.path
        query = self.query if self.url is None else _missing_query(self.url, self.query)
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        return url


def _missing_query(url: str, query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """For a vendor's absolute URL (a next page's link, which carries its own query): only
    the keys it lacks, such as an API key."""
    present = {key for key, _value in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return [(key, value) for key, value in query if key not in present]


# (wire name, value, parameter or None for credentials, what to log instead of the value)
BodyField = tuple[str, Any, Param | None, str | None]


def build_request(
    api: ApiDescription,
    op: Operation[Any],
    args: Mapping[str, Any],
    auth: Auth | None,
) -> WireRequest:
    """Serialize ``args`` (keyed by wire name; ``None`` means unset and is omitted). The
    credentials are the auth's to add (``Auth.auth_flow``), but for those that travel inside
    the body, which are encoded with it."""
    check_arguments(op, args, api.secret_wire_names)
    try:
        return _build(api, op, args, auth)
    except UnicodeEncodeError as exc:  # a lone surrogate in a text argument, say
        raise ArgumentValueError(
            f"{op.name}(): an argument holds text that cannot be encoded ({exc.reason} at "
            f"position {exc.start}: {exc.object[exc.start : exc.end]!a})"
        ) from None


def _build(
    api: ApiDescription,
    op: Operation[Any],
    args: Mapping[str, Any],
    auth: Auth | None,
) -> WireRequest:
    path = op.path
    request = WireRequest(op.method, path)
    request.headers.update(api.protocol.headers)
    body_fields: list[BodyField] = []
    for param in op.params:
        value = param.const if param.const is not None else args.get(param.wire)
        if value is None:
            if param.required:
                raise ArgumentValueError(
                    f"{op.name}(): missing required argument {param.name!r}"
                    + (f" (or the client's {param.client_default})" if param.client_default else "")
                )
            continue
        shown = REDACTED if param.secret or param.wire in api.secret_wire_names else None
        if param.location == "path":
            text = encode_scalar(param.type, value, param.style)
            request.path = request.path.replace("{" + param.wire + "}", encode_segment(text))
            request.log_fields[param.wire] = shown or text
            if shown:
                request.secrets.append(text)
        elif param.location == "query":
            pairs = _param_pairs(param, value)
            request.query.extend(pairs)
            request.log_fields[param.wire] = shown or ",".join(text for _wire, text in pairs)
            if shown:
                request.secrets.extend(text for _wire, text in pairs)
        elif param.location == "header":
            request.headers[param.wire] = encode_scalar(param.type, value, param.style)
            request.log_fields[param.wire] = shown or request.headers[param.wire]
            if shown:
                request.secrets.append(request.headers[param.wire])
        else:
            body_fields.append((param.wire, value, param, shown))
            request.log_fields[param.wire] = shown or _describe(value)
            if shown and isinstance(value, str):
                request.secrets.append(value)
    if op.idempotency_header and op.idempotency_header not in request.headers:
        # one key per call: every retry of this request carries the same one
        import uuid  # here: importing it costs milliseconds (import time is measured)

        request.headers[op.idempotency_header] = str(uuid.uuid4())
    # the client's credentials are the request's own: no session auth or ~/.netrc beside them
    request.no_auth = auth is not None or not op.sends_credentials
    if op.sends_credentials and auth is not None:
        body_fields[:0] = auth.body_fields()
    _check_xml_text(op, _travelling_as_xml(op, body_fields))
    ENCODINGS[op.encoding].encode(api, op, request, body_fields)
    return request


def _travelling_as_xml(op: Operation[Any], fields: list[BodyField]) -> list[BodyField]:
    """The body fields written as XML: all of an XML body, else those of style ``xml``."""
    if ENCODINGS[op.encoding].xml:
        return fields
    return [field for field in fields if field[2] is not None and field[2].style == "xml"]


def _check_xml_text(op: Operation[Any], fields: list[BodyField]) -> None:
    """Text XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/FFFF) is refused
    before anything is sent: the vendor would get an ill-formed document."""
    for wire, value, param, shown in fields:
        problem = xml_text_problem(value)
        if problem is not None:
            name = param.name if param is not None else wire
            where = "" if shown else f" ({problem})"
            raise ArgumentValueError(
                f"{op.name}(): argument {name!r} holds a character XML cannot carry{where}; "
                "XML 1.0 takes no control characters but tab, CR and LF, and no lone surrogates"
            )


def _describe(value: Any) -> str:
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, os.PathLike):
        return f"<file {os.fspath(value)}>"
    return f"<{type(value).__name__}>"


def _text_pairs(fields: list[BodyField]) -> list[tuple[str, str]]:
    pairs = []
    for wire, value, param, _shown in fields:
        if param is None:
            pairs.append((wire, str(value)))
        else:
            pairs.extend(_param_pairs(param, value))
    return pairs


def _param_pairs(param: Param, value: Any) -> list[tuple[str, str]]:
    """(key, text) pairs of one query, form or multipart parameter: one pair; none for a false
    ``flag``; one per item for style ``repeat`` (``id=1&id=2``); bracketed keys for ``deep``."""
    if value is NULL:
        return [(param.wire, "")]  # an explicit null: the key, empty
    if param.style == "flag":
        return [(param.wire, "true")] if value else []
    if param.style == "repeat":
        assert param.type.item is not None
        items = value if isinstance(value, list | tuple) else [value]
        return [(param.wire, encode_scalar(param.type.item, item)) for item in items]
    if param.style == "deep":
        return _bracketed(param.wire, to_wire_json(value, param.type))
    return [(param.wire, _text(param, value))]


def _bracketed(key: str, value: Any) -> list[tuple[str, str]]:
    """Nested data as bracketed form keys (Stripe, Rails): ``metadata[order]=6``,
    ``items[0][price]=p``; booleans lower-case; unset values left out. Iterative."""
    pairs: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [(key, value)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((f"{name}[{k}]", v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend((f"{name}[{i}]", v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, bool):
            pairs.append((name, "true" if item else "false"))
        elif item is not None:
            pairs.append((name, str(item)))
    return pairs


def _text(param: Param, value: Any) -> str:
    """One parameter value as text; style ``xml`` writes a model as an XML document."""
    if param.style == "xml" and isinstance(value, Model):
        element = model_to_element(value, getattr(value, "__xml_element__", None) or param.wire)
        return tostring(element, encoding="unicode")
    return encode_scalar(param.type, value, param.style)


class Encoding:
    """How an operation's body parameters travel: one class per spec ``encoding``, in
    ``ENCODINGS``. Besides encoding a request it says what the checks, the docs, the OpenAPI
    export and the cassettes need to know of it."""

    name: ClassVar[str] = ""
    has_body: ClassVar[bool] = True  # False: every parameter travels in the query
    # "a JSON" / "an XML": the body carries values in its own notation (no parameter styles)
    native: ClassVar[str | None] = None
    text_fields: ClassVar[bool] = False  # a body of text fields: styles apply as in the query
    files: ClassVar[bool] = False  # ``in: file`` parameters travel in it
    xml: ClassVar[bool] = False  # its values are written as XML
    one_model: ClassVar[bool] = False  # the body is exactly one model argument
    uses_xml_field: ClassVar[bool] = False  # the document travels in ``protocol.xml_field``
    media_type: ClassVar[str | None] = None  # the OpenAPI request body's

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        raise NotImplementedError

    def example_body(self, api: ApiDescription, fields: Mapping[str, Any]) -> tuple[str, str]:
        """An example's body fields (wire names, values as written) as the runtime sends them,
        with the content type: what a cassette records."""
        return urlencode(example_pairs(fields)), "application/x-www-form-urlencoded"


class FormEncoding(Encoding):
    """Form fields (``application/x-www-form-urlencoded``)."""

    name = "form"
    text_fields = True
    media_type = "application/x-www-form-urlencoded"

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        if not fields and op.method in _NO_BODY_METHODS:
            return  # a DELETE without fields has no body, so no Content-Type to announce one
        request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        request.body = urlencode(_text_pairs(fields)).encode("ascii")


# Methods whose requests carry no body unless they have something to send (RFC 9110 9.3).
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class QueryEncoding(Encoding):
    """Every parameter in the query string, no body."""

    name = "query"
    has_body = False

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        request.query.extend(_text_pairs(fields))


class JsonEncoding(Encoding):
    """A JSON object of the body parameters (none: no body at all)."""

    name = "json"
    native = "a JSON"
    media_type = "application/json"

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        if not fields:
            return  # nothing to send: no body, no content type (not an empty ``{}``)
        request.headers["Content-Type"] = "application/json"
        payload = {
            wire: to_wire_json(value, param.type if param else None)
            for wire, value, param, _shown in fields
        }
        request.body = json.dumps(payload, separators=(",", ":")).encode("utf-8")

    def example_body(self, api: ApiDescription, fields: Mapping[str, Any]) -> tuple[str, str]:
        return json.dumps(dict(fields), separators=(",", ":")), "application/json"


class XmlFieldEncoding(Encoding):
    """Lleida-style: one form field whose value is an XML document named after the operation."""

    name = "xml_field"
    native = "an XML"
    xml = True
    uses_xml_field = True
    media_type = "application/x-www-form-urlencoded"

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        children = [
            (wire, value, param.type if param else STR, param.style if param else "plain")
            for wire, value, param, _shown in fields
        ]
        charset = api.protocol.xml_declaration_encoding
        document = build_document(op.wire_name, children, declaration_encoding=charset)
        assert api.protocol.xml_field is not None
        request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        # The declared charset is the one on the wire; characters outside it become references.
        request.body = urlencode(
            [(api.protocol.xml_field, document)], encoding=charset, errors="xmlcharrefreplace"
        ).encode("ascii")

    def example_body(self, api: ApiDescription, fields: Mapping[str, Any]) -> tuple[str, str]:
        charset = api.protocol.xml_declaration_encoding
        text = urlencode(example_pairs(fields), encoding=charset, errors="xmlcharrefreplace")
        return text, "application/x-www-form-urlencoded"


class XmlBodyEncoding(Encoding):
    """The body is one model rendered as XML (e.g. a Click2Mail address list)."""

    name = "xml_body"
    native = "an XML"
    xml = True
    one_model = True
    media_type = "application/xml"

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        request.headers["Content-Type"] = "application/xml"
        models = [(wire, value) for wire, value, _p, _s in fields if isinstance(value, Model)]
        if len(models) != 1:
            raise ArgumentValueError(f"{op.name}(): the XML body needs its model argument")
        wire, value = models[0]
        element = model_to_element(value, getattr(value, "__xml_element__", None) or wire)
        request.body = b'<?xml version="1.0" encoding="UTF-8"?>' + tostring(
            element, encoding="utf-8", xml_declaration=False
        )


class MultipartEncoding(Encoding):
    """Streamed multipart: files are read from disk as the body is sent, never held in memory."""

    name = "multipart"
    text_fields = True
    files = True
    media_type = "multipart/form-data"

    def encode(
        self, api: ApiDescription, op: Operation[Any], request: WireRequest, fields: list[BodyField]
    ) -> None:
        encoder_class = _multipart_encoder()
        parts: list[tuple[str, Any]] = []
        texts = {wire: value for wire, value, _param, _shown in fields}
        for wire, value, param, shown in fields:
            if param is not None and param.location == "file":
                parts.append((wire, _file_part(value, _default_file_name(op, param, texts))))
            else:
                parts.extend(_text_pairs([(wire, value, param, shown)]))
        encoder = encoder_class(fields=parts)
        request.headers["Content-Type"] = encoder.content_type
        request.body = encoder

    def example_body(self, api: ApiDescription, fields: Mapping[str, Any]) -> tuple[str, str]:
        encoder = _multipart_encoder()(fields=example_pairs(fields), boundary=MULTIPART_BOUNDARY)
        return encoder.to_string().decode("utf-8"), str(encoder.content_type)


MULTIPART_BOUNDARY = "specgen-fixture-boundary"  # the boundary of recorded examples


def _multipart_encoder() -> Any:
    # imported here: requests-toolbelt costs ~10 ms of import time and only uploads need it
    from requests_toolbelt.multipart.encoder import (  # type: ignore[import-untyped]
        MultipartEncoder,
    )

    return MultipartEncoder


def example_pairs(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Key/value pairs of an example's query or form; a list value repeats its key."""
    return [
        (str(key), str(item))
        for key, value in fields.items()
        for item in (value if isinstance(value, list) else [value])
    ]


ENCODINGS: dict[str, Encoding] = {
    encoding.name: encoding
    for encoding in (
        FormEncoding(),
        QueryEncoding(),
        JsonEncoding(),
        XmlFieldEncoding(),
        XmlBodyEncoding(),
        MultipartEncoding(),
    )
}


def default_location(encoding: str) -> str:
    """Where a parameter travels when it does not say: the body, or the query when the
    encoding has no body."""
    return "body" if ENCODINGS[encoding].has_body else "query"


def effective_encoding(method: str, declared: str | None, protocol_encoding: str) -> str:
    """How an operation's parameters travel. A GET has no body: unless the operation says
    otherwise, its parameters go in the query."""
    if declared is not None:
        return declared
    return QueryEncoding.name if method == "GET" else protocol_encoding


def _default_file_name(op: Operation[Any], param: Param, values: Mapping[str, Any]) -> str:
    """The name sent for a file the caller did not name: the parameter's wire name, with the
    extension another parameter gives (``documentFormat=PDF`` -> ``file.pdf``) when declared."""
    if param.extension_from is None or values.get(param.extension_from) is None:
        return param.wire
    source = next(p for p in op.params if p.wire == param.extension_from)
    extension = encode_scalar(source.type, values[param.extension_from]).lower()
    return f"{param.wire}.{extension}"


def _file_part(value: Any, default_name: str) -> tuple[str, Any, str]:
    """(file name, content, content type) of one file: a path keeps its own name, an open file
    its base name, bytes and unnamed streams get ``default_name``; the type follows the name."""
    if isinstance(value, tuple):
        name, content = value
    elif isinstance(value, str | os.PathLike):
        path = Path(value)
        name, content = path.name, path.open("rb")
    elif isinstance(value, bytes | bytearray):
        name, content = default_name, bytes(value)
    else:
        stream: IO[bytes] = value
        given = getattr(stream, "name", None)
        name = Path(given).name if isinstance(given, str) and given else default_name
        content = stream
    return (name, content, mimetypes.guess_type(name)[0] or "application/octet-stream")
