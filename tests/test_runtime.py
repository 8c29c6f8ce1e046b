"""The shared runtime on its own: value encoding, decoding, unsafe and broken answers, timeouts."""

from __future__ import annotations

import dataclasses
import datetime
import time
from xml.etree.ElementTree import Element, SubElement

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generated import _runtime as rt
from generated._runtime import codec
from generated._runtime.printing import plain
from generated._runtime.status import parse_status
from generated.click2mail import Click2MailClient, Document, DocumentFormat
from generated.click2mail import DecodeError as C2MDecodeError
from generated.click2mail import TransportError as C2MTransportError
from generated.lleida_mailcert import DecodeError as LleidaDecodeError
from generated.lleida_mailcert import MailCertClient
from generated.mailstore_server import DecodeError as MailStoreDecodeError
from generated.mailstore_server import MailStoreServerClient
from tests.loopback import Loopback, Reply

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<result><status>100</status><msg>&lol3;</msg></result>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><result><status>&xxe;</status></result>"""


@pytest.mark.parametrize(
    ("kind", "value", "style", "wire"),
    [
        (codec.BOOL, True, "plain", "true"),
        (codec.BOOL, False, "plain", "false"),
        (codec.INT, 7, "plain", "7"),
        (rt.list_of(codec.STR), ["admin", "login"], "csv", "admin,login"),
        (rt.JSON, {"a": [1, True, None]}, "json", '{"a":[1,true,null]}'),
        (
            codec.datetime_type("%Y%m%d%H%M"),
            datetime.datetime(2017, 11, 20, 8, 0),
            "plain",
            "201711200800",
        ),
        (rt.date_type("%Y%m%d"), datetime.date(2026, 1, 2), "plain", "20260102"),
        (codec.enum_of(DocumentFormat), DocumentFormat.PDF, "plain", "PDF"),
    ],
)
def test_values_are_encoded_as_the_wire_expects(
    kind: rt.Type[object], value: object, style: str, wire: str
) -> None:
    from generated._runtime.codec import encode_scalar

    assert encode_scalar(kind, value, style) == wire


def test_unknown_enum_values_and_fields_are_kept() -> None:
    document = rt.codec.decode_json(
        rt.model(Document), {"id": 3, "documentFormat": "TIFF", "shiny": {"new": True}}
    )
    assert document.document_format == "TIFF"
    assert document.extra == {"shiny": {"new": True}}
    known = rt.codec.decode_json(rt.model(Document), {"id": 4, "documentFormat": "PDF"})
    assert known.document_format is DocumentFormat.PDF


def test_a_missing_required_field_is_a_decode_error() -> None:
    from generated.mailstore_server import UserInfo

    with pytest.raises(rt.DecodeError, match="userName"):
        rt.codec.decode_json(rt.model(UserInfo), {"fullName": "x"})


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_expansion_and_dtds_are_refused(server: Loopback, payload: str) -> None:
    client = MailCertClient("u", "p", base_url=server.url)
    server.reply(Reply(body=payload))
    started = time.monotonic()
    with pytest.raises(LleidaDecodeError, match="refused unsafe XML"):
        client.get_default_settings()
    assert time.monotonic() - started < 2


def test_unsafe_xml_is_refused_while_streaming_too(server: Loopback) -> None:
    client = MailCertClient("u", "p", base_url=server.url)
    server.reply(Reply(body=BILLION_LAUGHS))
    with pytest.raises(LleidaDecodeError, match="refused unsafe XML"):
        list(client.iter_list_pdf())


@pytest.mark.parametrize(
    "body",
    ["<result><status>100</status><pdf_list>", "not xml at all", "<result><status>1"],
)
def test_truncated_or_invalid_xml_is_a_decode_error_with_an_excerpt(
    server: Loopback, body: str
) -> None:
    client = MailCertClient("u", "p", base_url=server.url)
    server.reply(Reply(body=body))
    with pytest.raises(LleidaDecodeError) as caught:
        client.list_pdf()
    assert caught.value.body_excerpt.startswith(body[:10])


@pytest.mark.parametrize("body", [b'{"statusCode": "succ', b"\xff\xfe not utf-8", b"[1, 2]"])
def test_invalid_or_unexpected_json_is_a_decode_error(server: Loopback, body: bytes) -> None:
    client = MailStoreServerClient(base_url=server.url)
    server.reply(Reply(body=body))
    with pytest.raises(MailStoreDecodeError):
        client.get_server_info()


def test_a_wrongly_typed_value_is_a_decode_error(server: Loopback) -> None:
    client = Click2MailClient("u", "p", base_url=server.url)
    server.reply(Reply(201, "<document><id>twelve</id></document>"))
    with pytest.raises(C2MDecodeError, match="document.id"):
        client.upload_document("n", "PDF", "Letter 8.5 x 11", b"%PDF")


def test_a_server_slower_than_the_read_timeout_is_a_transport_error(server: Loopback) -> None:
    client = Click2MailClient("u", "p", base_url=server.url, read_timeout=0.2)
    server.reply(Reply(200, "<credit/>", delay=1.0))
    started = time.monotonic()
    with pytest.raises(C2MTransportError):
        client.cancel_job(1)  # not safe to repeat: one try
    assert time.monotonic() - started < 0.9
    assert len(server.requests) == 1


def test_the_status_callback_and_pretty_printer_accept_any_status() -> None:
    status = parse_status(
        MailStoreServerClient()._client.api,
        {"statusCode": "failed", "error": {"message": "Boom", "details": "stack"}},
    )
    assert (status.error_message, status.error_details, status.running) == ("Boom", "stack", False)
    assert "error_message: Boom" in rt.pretty(status)


# -- XML rows: the fast path for rows of plain scalar children ----------------------------------


@dataclasses.dataclass(kw_only=True, slots=True)
class _Row(codec.Model):
    ident: int | None = None
    label: str = ""
    when: datetime.datetime | None = None
    ratio: float | None = None
    flag: bool | None = None
    fmt: DocumentFormat | str | None = None


codec.bind_fields(
    _Row,
    (
        codec.Field("ident", "id", codec.INT),
        codec.Field("label", "label", codec.STR, required=True),
        codec.Field("when", "when", codec.datetime_type("%Y%m%d%H%M%S")),
        codec.Field("ratio", "ratio", codec.FLOAT),
        codec.Field("flag", "flag", codec.BOOL),
        codec.Field("fmt", "fmt", codec.enum_of(DocumentFormat)),
    ),
)
_TAGS = ["id", "label", "when", "ratio", "flag", "fmt", "unknown"]
_TEXTS = [
    "",
    "7",
    "-3",
    "x",
    "1.5",
    "true",
    "0",
    "PDF",
    "DOCX",
    "ODS",
    "20171108124802",
    "20171399124802",
    "2017-11-08",
    " 42 ",
    "ñandú",
]


def _decode(element: Element) -> tuple[str, object]:
    try:
        row = codec.decode_xml(codec.model(_Row), element, "row")
    except codec.DecodeError as exc:
        return "error", str(exc)
    return "row", (plain(row), row.extra, row.raw)


@settings(max_examples=400, deadline=None, derandomize=True)
@example(children=[("flag", "7"), ("when", "7")])  # two bad values: the first in the document wins
@example(children=[("id", "1"), ("label", "x"), ("id", "2")])  # a repeated element
@given(st.lists(st.tuples(st.sampled_from(_TAGS), st.sampled_from(_TEXTS)), max_size=9))
def test_rows_of_scalars_decode_the_same_on_the_fast_and_the_general_path(
    children: list[tuple[str, str]],
) -> None:
    """A row whose children are distinct declared scalars skips the general decoder; the result,
    extra, raw texts and errors must be exactly the general decoder's (forced here by an
    attribute, which only adds itself to ``extra``)."""
    fast, general = Element("row"), Element("row", {"marker": "1"})
    for tag, text in children:
        SubElement(fast, tag).text = text or None
        SubElement(general, tag).text = text or None
    kind, fast_result = _decode(fast)
    general_kind, general_result = _decode(general)
    assert kind == general_kind
    if kind == "row":
        assert isinstance(general_result, tuple)
        general_plain, general_extra, general_raw = (
            {k: v for k, v in part.items() if k != "@marker"} for part in general_result
        )
        assert fast_result == (general_plain, general_extra, general_raw)
    else:
        assert fast_result == general_result
