"""What the vendor's answers mean: one decoder per response decoding, and the rules that turn a
vendor status (in an XML document or a JSON envelope) or an HTTP status into the package's error
classes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Protocol

from .answer import Answer
from .builtin_types import Type, type_expression
from .codec import Spliced, decode_json, decode_xml, list_paths, value_at, xml_decoder
from .descriptors import ApiDescription, Operation
from .errors import ApiError, DecodeError, HttpError, VendorError
from .exchange import TOO_DEEP, retry_after
from .policy import header_problem
from .results import BinaryResult
from .status import Status, parse_status
from .xml import ElementStream, looks_like_xml, parse_xml, xml_value

_BODY_EXCERPT = 2000


class Decoder:
    """Decodes the answers of one API (and remembers what an envelope asks to be echoed)."""

    def __init__(self, api: ApiDescription) -> None:
        self.api = api
        self.errors = api.errors
        self.echo_value: str | None = None  # e.g. MailStore SPE's anti-XSRF token

    def decode(self, op: Operation[Any], answer: Answer) -> Any:
        with self.package_errors():
            return DECODINGS[op.decoding].decode(self, op, answer)

    def reader(self, op: Operation[Any], answer: Answer) -> AnswerReader | None:
        """What decodes ``answer`` while its body arrives, when its decoding can (None: the
        body is held whole and ``decode`` decodes it)."""
        return DECODINGS[op.decoding].reader(self, op, answer)

    @contextlib.contextmanager
    def package_errors(self) -> Iterator[None]:
        """Re-raise the runtime's generic errors (a decode error, a limit) as this package's."""
        try:
            yield
        except ApiError as exc:
            adopted = self.errors.adopt(exc)
            if adopted is exc:
                raise
            raise adopted from None
        except RecursionError:
            raise self.errors.decode(TOO_DEEP) from None

    # -- HTTP status -----------------------------------------------------------------------------
    @staticmethod
    def accepted(op: Operation[Any], status: int) -> bool:
        return status in op.success_status if op.success_status else 200 <= status < 300

    def http_error(self, op: Operation[Any], answer: Answer, attempts: int) -> ApiError:
        """The error for an answer whose HTTP status the operation does not accept."""
        body = answer.content
        text = body[:_BODY_EXCERPT].decode("utf-8", errors="replace")
        vendor_status, vendor_message, details = self.vendor_status_of(body)
        status = answer.status
        errors = self.errors
        cls = errors.find(op.wire_name, status, vendor_status)
        if cls is None:
            cls = {401: errors.auth, 403: errors.auth, 404: errors.not_found}.get(
                status, errors.http
            )
        detail = f": {vendor_message}" if vendor_message else ""
        return make_error(
            cls,
            f"{op.wire_name}: HTTP {status}{detail}",
            http_status=status,
            headers=dict(answer.headers),
            body=text,
            vendor_status=vendor_status,
            vendor_message=vendor_message,
            details=details,
            attempts=attempts,
            retry_after=retry_after(answer.headers.get("Retry-After")),
        )

    def vendor_status_of(self, body: bytes) -> tuple[str | None, str | None, str | None]:
        """Vendor status (or error code), message and details from an error body: XML, JSON
        where ``protocol.json`` says, or a JSON status envelope."""
        if not body.strip():
            return None, None, None
        try:
            if looks_like_xml(body):
                status, code, message = self.xml_status(parse_xml(body))
                return code or status, message, None
            data = json.loads(body.decode("utf-8-sig"))
        except (DecodeError, ValueError, RecursionError):
            return None, None, None
        if not isinstance(data, dict):
            return None, None, None
        if self.api.json is not None:
            status, code, message, details = self.json_status(data)
            return code or status, message, details
        envelope = parse_status(self.api, data)
        return envelope.code, envelope.error_message, envelope.error_details

    def json_status(
        self, data: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """(status, error code, message, details) of a JSON answer, where the spec says."""
        rule = self.api.json
        assert rule is not None
        status, code, message, details = (
            _json_text(value_at(data, path.split("/")) if path else None)
            for path in (rule.status_field, rule.code_field, rule.message_field, rule.details_field)
        )
        return status, code, message, details

    # -- vendor status ---------------------------------------------------------------------------
    def xml_status(self, root: Any) -> tuple[str | None, str | None, str | None]:
        """(status, error code, message) of an XML document, where the spec says they are."""
        xml = self.api.xml
        status = xml_value(root, xml.status_element)
        code = xml_value(root, xml.code_element) if xml.code_element else None
        return status, code, xml_value(root, xml.message_element)

    def check_xml_status(
        self,
        op: Operation[Any],
        status: str | None,
        message: str | None,
        http_status: int,
        payload: object,
        code: str | None = None,
    ) -> None:
        """Raise the declared error when the vendor status says the call failed: a status not in
        ``success`` when success codes are declared, else one of the ``failure`` codes. The
        operation's own rule, when it declares one, replaces the protocol's."""
        xml = self.api.xml
        if self.failed(op, xml.success, xml.failure, status):
            raise self.vendor_failure(op, status, code, message, http_status, payload)

    def check_answer_status(
        self, op: Operation[Any], root: Any, http_status: int, *, if_present: bool = False
    ) -> None:
        """``check_xml_status`` on the vendor status of an XML answer's root (``if_present``:
        not while the document has shown no status yet)."""
        status, code, message = self.xml_status(root)
        if status is None and if_present:
            return
        self.check_xml_status(op, status, message, http_status, payload=root, code=code)

    @staticmethod
    def failed(
        op: Operation[Any], success: Sequence[str], failure: Sequence[str], status: str | None
    ) -> bool:
        """Whether a vendor status is a failure: not one of ``success`` when success codes are
        declared, else one of ``failure`` (``*``: any status present); the operation's own rule
        replaces the protocol's."""
        if op.status_success is not None:
            success, failure = op.status_success, op.status_failure or ()
        if success:
            return status not in success
        return status in failure or ("*" in failure and status is not None)

    def vendor_failure(
        self,
        op: Operation[Any],
        status: str | None,
        code: str | None,
        message: str | None,
        http_status: int,
        payload: object,
        details: str | None = None,
    ) -> ApiError:
        """The declared error for a failed vendor status (matched on the error code when the
        vendor gives one beside the status)."""
        code = code or status
        cls = self.errors.find(op.wire_name, http_status, code) or self.errors.vendor
        return make_error(
            cls,
            f"{op.wire_name}: vendor status {code}: {message or 'no message'}",
            vendor_status=code,
            vendor_message=message,
            details=details,
            payload=payload,
            http_status=http_status,
        )

    def check_streamed_status(
        self, op: Operation[Any], seen: Mapping[str, str], http_status: int
    ) -> None:
        xml = self.api.xml
        self.check_xml_status(
            op,
            seen.get(xml.status_element),
            seen.get(xml.message_element),
            http_status,
            code=seen.get(xml.code_element) if xml.code_element else None,
            payload=dict(seen),
        )

    def final_result(self, op: Operation[Any], status: Status) -> Any:
        """Result of a finished status: succeeded -> decoded result, otherwise the vendor error."""
        if status.code in self.api.envelope.success:
            with self.package_errors():
                return decode_json(op.result, status.result)
        raise self.envelope_error(op, status)

    def envelope_error(self, op: Operation[Any], status: Status) -> ApiError:
        message = status.error_message or f"{op.wire_name} ended with status {status.code!r}"
        cls = self.errors.find(op.wire_name, None, status.code) or self.errors.vendor
        return make_error(
            cls,
            f"{op.wire_name}: {message}",
            vendor_status=status.code,
            vendor_message=status.error_message,
            details=status.error_details,
            payload=status.raw,
        )

    # -- decoders --------------------------------------------------------------------------------
    def _decode_envelope(self, op: Operation[Any], answer: Answer) -> Status:
        data = load_json(answer.content)
        if not isinstance(data, dict):
            raise self.errors.decode(
                f"{op.wire_name}: expected a JSON status envelope", body_excerpt=answer.text[:200]
            )
        status = parse_status(self.api, data)
        echo = self.api.envelope.echo_field
        value = data.get(echo) if echo else None
        if isinstance(value, str) and header_problem("X-Echo", value) is None:
            self.echo_value = value  # one that would break the header is not sent back
        return status

    def _decode_xml(self, op: Operation[Any], answer: Answer) -> Any:
        root = self.parse_xml(op, answer.content)
        self.check_root(op, root.tag)
        self.check_answer_status(op, root, answer.status)
        return decode_xml(op.result, root)

    def _decode_binary_or_xml(self, op: Operation[Any], answer: Answer) -> BinaryResult:
        body = answer.content
        content_type = answer.headers.get("Content-Type", "")
        if not body:
            raise self.empty_answer(op)
        if "xml" in content_type or looks_like_xml(body):
            return self.status_instead_of_file(op, body, answer.status)
        return BinaryResult(
            has_file=True, content=body, content_type=content_type or None, errors=self.errors
        )

    def empty_answer(self, op: Operation[Any]) -> ApiError:
        """An empty answer where a file or the vendor's status document was expected: never a
        file (a 0-byte "PDF" is the server's failure, not a certificate)."""
        return self.errors.decode(
            f"{op.wire_name}: the answer is empty: neither the file nor the vendor's status "
            "document"
        )

    def status_instead_of_file(
        self, op: Operation[Any], body: bytes, http_status: int = 200
    ) -> BinaryResult:
        """The vendor's XML status explaining why a binary answer holds no file (raised as the
        declared error when the operation declares which statuses are failures)."""
        root = self.parse_xml(op, body)
        xml = self.api.xml
        expected = xml.root_element
        status, code, message = self.xml_status(root)
        if (expected and root.tag != expected) or (not expected and status is None):
            what = f"<{expected}>" if expected else f"<{xml.status_element}>"
            raise self.errors.decode(
                f"{op.wire_name}: the answer is neither the file nor the vendor's status "
                f"document ({what}): an XML document with root <{root.tag}>",
                body_excerpt=body[:200].decode("utf-8", "replace"),
            )
        if op.status_success is not None:
            self.check_xml_status(op, status, message, http_status, payload=root, code=code)
        return BinaryResult(
            has_file=False, content=None, status=status, msg=message, errors=self.errors
        )

    def _decode_json(self, op: Operation[Any], answer: Answer) -> Any:
        data = load_json(answer.content, self.errors.decode)
        if self.api.json is not None and isinstance(data, dict):
            self.check_json_status(op, data, answer.status)
        return decode_json(op.result, data)

    def check_json_status(
        self, op: Operation[Any], data: Mapping[str, Any], http_status: int
    ) -> None:
        """A successful JSON answer that says the call failed (a status field, as
        ``protocol.json`` or the operation declares) raises the declared error."""
        rule = self.api.json
        assert rule is not None
        if rule.status_field is None:
            return
        status, code, message, details = self.json_status(data)
        if self.failed(op, rule.success, rule.failure, status):
            raise self.vendor_failure(
                op, status, code, message, http_status, dict(data), details=details
            )

    def expected_root(self, op: Operation[Any]) -> str | None:
        """The root element an XML answer of ``op`` must have: the result model's element, else
        the vendor's status document root (None: not declared, not checked)."""
        result = op.result
        if result.kind == "model" and getattr(result.target, "__xml_element__", None):
            return str(result.target.__xml_element__)
        return self.api.xml.root_element

    def check_root(self, op: Operation[Any], tag: str) -> None:
        """The root must be the declared one; where none is declared, at least not an HTML
        page (a well-formed maintenance page is no vendor's answer)."""
        expected = self.expected_root(op)
        if expected is not None and tag != expected:
            raise self.errors.decode(
                f"{op.wire_name}: expected an XML document with root <{expected}>, got <{tag}>"
            )
        if expected is None and tag.rpartition("}")[2].lower() == "html":
            raise self.errors.decode(
                f"{op.wire_name}: expected the vendor's XML answer, got an HTML page (<{tag}>)"
            )

    def parse_xml(self, op: Operation[Any], body: bytes) -> Any:
        try:
            return parse_xml(body)
        except DecodeError as exc:
            raise self.errors.decode(
                f"{op.wire_name}: {exc}", body_excerpt=exc.body_excerpt
            ) from None


class AnswerReader(Protocol):
    """Decodes an answer while its body arrives: ``feed`` each piece, ``close`` at its end
    for the result."""

    def feed(self, data: bytes) -> None: ...

    def close(self) -> Any: ...


class XmlAnswerReader:
    """An XML answer of a plain call, decoded as it arrives: the items of its lists
    (``list_paths``: a listing's rows) are decoded as soon as each is complete and taken out
    of the tree, so that neither the body nor the whole tree is held beside the result; the
    rest of the document is decoded at its end. Errors come in the order of a document decoded
    whole: the root, then the vendor status (checked before the first item when it comes
    before them), then the first item that did not decode."""

    def __init__(self, decoder: Decoder, op: Operation[Any], http_status: int) -> None:
        self.decoder = decoder
        self.op = op
        self.http_status = http_status
        self.paths = list_paths(op.result)
        self.decoders = [xml_decoder(path.item, kept=True) for path in self.paths]
        self.stream = ElementStream(
            [path.tags for path in self.paths],
            check_root=self._check_root,
            take=self._take if self.paths else None,
            keep_text=[path.keep_text for path in self.paths],
        )
        self.spliced: Spliced = {}
        self.failure: ApiError | None = None
        self.checked = False
        self._last: tuple[Any, int, list[Any]] | None = None  # container, path, its items
        self._where: dict[int, str] = {}

    def feed(self, data: bytes) -> None:
        with self.decoder.package_errors():
            try:
                for _events in self.stream.steps((data,)):
                    pass
            except DecodeError as exc:
                raise self._unreadable(exc) from None

    def close(self) -> Any:
        decoder = self.decoder
        with decoder.package_errors():
            try:
                self.stream.close()
            except DecodeError as exc:
                raise self._unreadable(exc) from None
            root = self.stream.root
            decoder.check_answer_status(self.op, root, self.http_status)
            if self.failure is not None:
                raise self.failure
            return decode_xml(self.op.result, root, spliced=self.spliced or None)

    def _check_root(self, tag: str) -> None:
        self.decoder.check_root(self.op, tag)

    def _unreadable(self, exc: DecodeError) -> ApiError:
        """A document that cannot be read (not a value that cannot be decoded), as
        ``Decoder.parse_xml`` words it."""
        if isinstance(exc, self.decoder.errors.decode):
            return exc  # already worded (the wrong root)
        return self.decoder.errors.decode(
            f"{self.op.wire_name}: {exc}", body_excerpt=exc.body_excerpt
        )

    def _take(self, index: int, container: Any, element: Any) -> None:
        if self.failure is not None:
            return  # an item did not decode: the rest is only read (the status may say why)
        if not self.checked:
            self.checked = True
            self.decoder.check_answer_status(
                self.op, self.stream.root, self.http_status, if_present=True
            )
        path = self.paths[index]
        where = self._where.get(index)
        if where is None:
            where = self._where[index] = ".".join((self.stream.root.tag, *path.tags))
        try:
            item = self.decoders[index](element, where)
        except ApiError as exc:
            self.failure = exc
            return
        last = self._last
        if last is None or last[0] is not container or last[1] != index:
            items = self.spliced.setdefault(container, {}).setdefault(path.tags[-1], [])
            last = self._last = (container, index, items)
        last[2].append(item)


class Decoding:
    """How an operation's answer is read: one class per spec ``decoding``, in ``DECODINGS``.
    Besides decoding it says which answer types it can produce and what the checks, the
    generated methods, the docs and the OpenAPI export need to know of it."""

    name: ClassVar[str] = ""
    reads: ClassVar[bool] = True  # False: no answer is read (the method returns None)
    xml: ClassVar[bool] = False  # answers are XML documents (models are read as XML)
    file: ClassVar[bool] = False  # a file or the vendor's status about it (``save_to=``)
    envelope: ClassVar[bool] = False  # a status envelope (tasks, ``returns: status``)
    pages: ClassVar[bool] = False  # answers can be walked page by page
    streams: ClassVar[bool] = False  # items can be read while the answer arrives
    json_status: ClassVar[bool] = False  # its answers carry ``protocol.json``'s status
    media_type: ClassVar[str | None] = None  # the OpenAPI answer's

    def decode(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> Any:
        raise NotImplementedError

    def reader(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> AnswerReader | None:
        """A reader decoding the answer as it arrives (None: it is decoded once held whole)."""
        return None

    def result_problem(self, result: Type[Any]) -> str | None:
        """Why this decoding cannot produce ``result`` (None: it can)."""
        if result.kind == "binary":
            return (
                "a binary answer needs decoding 'binary_or_xml' (the file, or the vendor's XML "
                f"status); this operation decodes {self.name!r}"
            )
        if result.kind == "status":
            return (
                "'returns: status' is the status envelope itself: it needs decoding 'envelope', "
                f"not {self.name!r}"
            )
        return None


class EnvelopeDecoding(Decoding):
    """A JSON status envelope (MailStore): a result, a failure, or a running task."""

    name = "envelope"
    envelope = True
    pages = True
    media_type = "application/json"

    def decode(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> Any:
        return decoder._decode_envelope(op, answer)

    def result_problem(self, result: Type[Any]) -> str | None:
        return None if result.kind == "status" else super().result_problem(result)


class XmlDecoding(Decoding):
    """One XML document, its vendor status checked."""

    name = "xml"
    xml = True
    pages = True
    streams = True
    media_type = "application/xml"

    def decode(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> Any:
        return decoder._decode_xml(op, answer)

    def reader(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> AnswerReader:
        return XmlAnswerReader(decoder, op, answer.status)

    def result_problem(self, result: Type[Any]) -> str | None:
        if result.kind == "list":
            return (
                "an XML answer is one document: declare a model whose list field holds the "
                f"items (not {type_expression(result)})"
            )
        return super().result_problem(result)


class BinaryOrXmlDecoding(Decoding):
    """A file, or the vendor's XML status explaining why there is none."""

    name = "binary_or_xml"
    xml = True
    file = True
    media_type = "application/octet-stream"

    def decode(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> Any:
        return decoder._decode_binary_or_xml(op, answer)

    def result_problem(self, result: Type[Any]) -> str | None:
        if result.kind != "binary":
            return (
                "decoding 'binary_or_xml' returns the file or the vendor's status: declare "
                f"'returns: binary' (got {type_expression(result)})"
            )
        return None


class JsonDecoding(Decoding):
    """A JSON document (its vendor status checked where ``protocol.json`` says)."""

    name = "json"
    pages = True
    json_status = True
    media_type = "application/json"

    def decode(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> Any:
        return decoder._decode_json(op, answer)


class NoneDecoding(Decoding):
    """No answer is read: the call succeeds or raises on its HTTP status."""

    name = "none"
    reads = False

    def decode(self, decoder: Decoder, op: Operation[Any], answer: Answer) -> Any:
        return None

    def result_problem(self, result: Type[Any]) -> str | None:
        return None


DECODINGS: dict[str, Decoding] = {
    decoding.name: decoding
    for decoding in (
        EnvelopeDecoding(),
        XmlDecoding(),
        BinaryOrXmlDecoding(),
        JsonDecoding(),
        NoneDecoding(),
    )
}


def load_json(body: bytes, error: type[DecodeError] = DecodeError) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))  # MailStore sends a BOM
    except (UnicodeDecodeError, ValueError) as exc:
        raise error(
            f"invalid JSON: {exc}", body_excerpt=body[:200].decode("utf-8", "replace")
        ) from None
    except RecursionError:
        raise error(
            "JSON nested too deeply to decode", body_excerpt=body[:200].decode("utf-8", "replace")
        ) from None


def _json_text(value: Any) -> str | None:
    """A JSON value as the text an error carries (structured values as compact JSON)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def make_error(cls: type[ApiError], message: str, **info: Any) -> ApiError:
    """Build ``cls`` with the keyword arguments its base family accepts."""
    if issubclass(cls, HttpError):
        return cls(
            message,
            status=info.get("http_status") or 0,
            headers=info.get("headers"),
            body=info.get("body", ""),
            vendor_status=info.get("vendor_status"),
            vendor_message=info.get("vendor_message"),
            attempts=info.get("attempts", 1),
            details=info.get("details"),
            retry_after=info.get("retry_after"),
        )
    if issubclass(cls, VendorError):
        return cls(
            message,
            vendor_status=info.get("vendor_status"),
            vendor_message=info.get("vendor_message"),
            details=info.get("details"),
            payload=info.get("payload", info.get("body")),
            http_status=info.get("http_status"),
        )
    return cls(message)
