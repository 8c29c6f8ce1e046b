"""Lleida.net MailCert client over real HTTP: XML-in-a-form-field requests, XML answers."""

from __future__ import annotations

import datetime
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from generated.lleida_mailcert import (
    MailCertClient,
    PdfRow,
    RowOrder,
    VendorError,
)
from tests.loopback import Loopback, Reply

ROW = """<pdf_row><mail_id>12345</mail_id><file_status>5</file_status>
<mail_date>20171108124802</mail_date><mail_to>to@example.com</mail_to><mail_from>f@example.com</mail_from>
<file_id>98765</file_id><file_status_desc>Finished pdf</file_status_desc>
<mail_subj>=?utf-8?Q?John=20aDoe?=</mail_subj><file_type>S</file_type>
<brand_new_field>kept</brand_new_field></pdf_row>"""


def listing(rows: int) -> str:
    return (
        f'<?xml version="1.0" encoding="ISO-8859-1"?><result><status>100</status>'
        f'<pdf_list rows_found="{rows}" rows_ok="{rows}" rows_ko="0">{ROW * rows}</pdf_list>'
        f"</result>"
    )


@pytest.fixture
def client(server: Loopback) -> MailCertClient:
    return MailCertClient("alice", "s3cret&<pw>", base_url=server.url)


def sent_document(server: Loopback) -> ET.Element:
    request = server.requests[-1]
    assert request.method == "POST"
    assert request.path == "/cgi-bin/mailcertapi.cgi"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    (document,) = request.form(encoding="iso-8859-1")["xml"]
    assert document.startswith('<?xml version="1.0" encoding="ISO-8859-1"?>')
    return ET.fromstring(document.encode("iso-8859-1"))


def test_list_pdf_sends_each_filter_in_its_own_element_escaped(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body=listing(1)))
    client.list_pdf(
        mail_from="a@example.com",
        date_min=datetime.datetime(2017, 11, 20, 8, 0),
        date_max=datetime.datetime(2018, 1, 1, 11, 0),
        file_id_min=10,
        subjrw="Tom & Jerry <x>",
        row_order=RowOrder.DESC,
    )
    root = sent_document(server)
    assert root.tag == "list_pdf"
    assert [(child.tag, child.text) for child in root] == [
        ("user", "alice"),
        ("password", "s3cret&<pw>"),
        ("mail_from", "a@example.com"),
        ("date_min", "201711200800"),  # not in date_max, unlike the public library
        ("date_max", "201801011100"),
        ("file_id_min", "10"),
        ("subjrw", "Tom & Jerry <x>"),
        ("row_order", "desc"),
    ]


def test_only_last_file_id_is_an_empty_element_and_unset_filters_are_omitted(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body=listing(1)))
    client.list_pdf(only_last_file_id=True)
    root = sent_document(server)
    assert [child.tag for child in root] == ["user", "password", "only_last_file_id"]
    assert root.find("only_last_file_id").text is None  # type: ignore[union-attr]


def test_characters_outside_latin1_travel_as_xml_references(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body=listing(0)))
    client.list_pdf(subjrw="Zoë – 日本")
    assert "Zo%EB+%26%238211%3B+%26%2326085%3B%26%2326412%3B" in server.requests[-1].body.decode()
    assert sent_document(server).find("subjrw").text == "Zoë – 日本"  # type: ignore[union-attr]


@pytest.mark.parametrize("rows", [0, 1, 3])
def test_list_pdf_rows_are_always_a_typed_list(
    server: Loopback, client: MailCertClient, rows: int
) -> None:
    server.reply(Reply(body=listing(rows)))
    result = client.list_pdf()
    assert result.status == "100"
    assert result.pdf_list is not None
    assert result.pdf_list.rows_found == rows
    assert len(result.pdf_list.pdf_row) == rows
    for row in result.pdf_list.pdf_row:
        assert isinstance(row, PdfRow)
        assert row.mail_id == 12345
        assert row.file_id == 98765
        assert row.file_status == 5
        assert row.mail_date == datetime.datetime(2017, 11, 8, 12, 48, 2)
        assert row.mail_subj == "=?utf-8?Q?John=20aDoe?="
        assert row.extra == {"brand_new_field": "kept"}


def test_a_status_other_than_100_raises_a_vendor_error_with_what_the_vendor_said(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body="<result><status>2001</status><msg>Bad date</msg></result>"))
    with pytest.raises(VendorError) as caught:
        client.list_pdf(file_id_min=1)
    assert caught.value.vendor_status == "2001"
    assert caught.value.vendor_message == "Bad date"


def test_refused_credentials_raise_a_vendor_error(server: Loopback, client: MailCertClient) -> None:
    server.reply(Reply(body="<result><status>401</status><msg>Invalid user</msg></result>"))
    with pytest.raises(VendorError, match="Invalid user"):
        client.get_default_settings()


def test_default_settings_keep_vendor_elements(server: Loopback, client: MailCertClient) -> None:
    server.reply(Reply(body="<result><status>100</status><lang>ES</lang></result>"))
    settings = client.get_default_settings()
    assert settings.status == "100"
    assert settings.extra == {"lang": "ES"}
    assert sent_document(server).tag == "get_default_settings"


def test_download_pdf_returns_the_file(server: Loopback, client: MailCertClient) -> None:
    pdf = b"%PDF-1.4 binary \x00\xff content"
    server.reply(Reply(body=pdf, headers={"Content-Type": "application/pdf"}))
    result = client.download_pdf(98765)
    assert result.has_file
    assert result.content == pdf
    assert sent_document(server).find("file_id").text == "98765"  # type: ignore[union-attr]


def test_download_pdf_tells_when_the_vendor_answered_xml_instead(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(
        Reply(
            body="<result><status>3101</status><msg>PDF not generated yet</msg></result>",
            headers={"Content-Type": "text/xml"},
        )
    )
    result = client.download_pdf(98765)
    assert not result.has_file
    assert result.content is None
    assert (result.status, result.msg) == ("3101", "PDF not generated yet")


def test_rows_keep_their_wire_text_and_decode_the_subject(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body=listing(1)))
    (row,) = client.list_pdf().pdf_list.pdf_row  # type: ignore[union-attr]
    assert row.raw["mail_date"] == "20171108124802"
    assert row.raw["file_id"] == "98765"
    assert row.subject == "John aDoe"
    assert row.mail_subj == "=?utf-8?Q?John=20aDoe?="


def test_iter_list_pdf_yields_rows_before_the_answer_is_complete(
    server: Loopback, client: MailCertClient
) -> None:
    """The server sends the head and two rows, then waits until the client has consumed them."""
    import threading

    consumed = threading.Event()

    def body() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><result><status>100</status><pdf_list rows_found="3">'
        yield (ROW * 2).encode()
        assert consumed.wait(5), "the client did not yield rows while the body was arriving"
        yield ROW.encode() + b"</pdf_list></result>"

    server.reply(Reply(body=body()))
    rows = client.iter_list_pdf(mail_to="to@example.com")
    first, second = next(rows), next(rows)
    consumed.set()
    rest = list(rows)
    assert [r.file_id for r in (first, second, *rest)] == [98765, 98765, 98765]
    assert sent_document(server).find("mail_to").text == "to@example.com"  # type: ignore[union-attr]


def test_iter_list_pdf_raises_the_vendor_error_of_a_failed_listing(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body="<result><status>1001</status><msg>Wrong password</msg></result>"))
    with pytest.raises(VendorError, match="Wrong password"):
        list(client.iter_list_pdf())


def test_download_pdf_streams_to_a_path(
    server: Loopback, client: MailCertClient, tmp_path: Path
) -> None:
    pdf = b"%PDF-1.4 " + bytes(range(256)) * 4096
    server.reply(Reply(body=pdf, headers={"Content-Type": "application/pdf"}))
    target = tmp_path / "cert.pdf"
    result = client.download_pdf(98765, save_to=target)
    assert result.has_file and result.content is None
    assert result.size == len(pdf) and result.saved_to == str(target)
    assert target.read_bytes() == pdf
    assert not (tmp_path / "cert.pdf.part").exists()


def test_download_pdf_to_a_file_object_reports_xml_answers_without_writing(
    server: Loopback, client: MailCertClient
) -> None:
    server.reply(Reply(body="<result><status>3101</status><msg>Not yet</msg></result>"))
    sink = io.BytesIO()
    result = client.download_pdf(1, save_to=sink)
    assert (result.has_file, result.status, result.msg) == (False, "3101", "Not yet")
    assert sink.getvalue() == b""


def test_a_downloaded_pdf_held_in_memory_can_be_saved_later(
    server: Loopback, client: MailCertClient, tmp_path: Path
) -> None:
    server.reply(
        Reply(body=b"%PDF-1.4 saved", headers={"Content-Type": "application/pdf"}),
        Reply(body="<result><status>205</status><msg>Not yet</msg></result>"),
    )
    assert client.download_pdf(1).save(tmp_path / "a.pdf") == 14
    assert (tmp_path / "a.pdf").read_bytes() == b"%PDF-1.4 saved"
    with pytest.raises(ValueError, match="no file in this response"):
        client.download_pdf(2).save(tmp_path / "b.pdf")
