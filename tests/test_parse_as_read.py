"""A plain call's XML answer is decoded while it arrives: its long lists are decoded row by row
and taken out of the tree, neither the body nor the whole tree is held beside the result, and
the result is exactly the one a document decoded whole would give (values, errors and their
order). Rows keep no second copy of their wire text, and equal texts are shared between rows."""

from __future__ import annotations

import tracemalloc

import pytest
from lxml import etree

from generated._runtime import codec
from generated._runtime.decoding import XmlAnswerReader
from generated.lleida_mailcert import DecodeError, MailCertClient, VendorError
from generated.lleida_mailcert.client import _API
from generated.lleida_mailcert.models import PdfRow
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply

ROW = (
    "<pdf_row><mail_id>{n}</mail_id><mail_date>20171108124802</mail_date><credits>1</credits>"
    "<file_id>{n}</file_id><file_status>5</file_status><mail_from>sender@example.com</mail_from>"
    "<mail_subj>=?utf-8?Q?John=20Doe?=</mail_subj><file_uid>f{n:012d}</file_uid></pdf_row>"
)


def listing(rows: int, *, status: str = "100", status_last: bool = False, row: str = ROW) -> bytes:
    head = '<?xml version="1.0" encoding="ISO-8859-1"?><result>'
    status_element = f"<status>{status}</status><msg>as the vendor says</msg>"
    items = "".join(row.format(n=n) for n in range(1, rows + 1))
    listed = f'<pdf_list rows_found="{rows}" rows_ok="{rows}" rows_ko="0">{items}</pdf_list>'
    inner = listed + status_element if status_last else status_element + listed
    return f"{head}{inner}</result>".encode("latin-1")


def test_a_large_listing_is_decoded_without_holding_its_body(
    server: Loopback, flavour: Flavour
) -> None:
    body = listing(20_000)  # about 5 MiB
    server.reply(Reply(body=listing(2)), Reply(body=body), Reply(body=body))
    client = flavour.make(MailCertClient, "u", "p", base_url=server.url)
    client.list_pdf()  # the first call sets the transport up (TLS contexts, pools)
    tracemalloc.start()
    try:
        result = client.list_pdf()
        peak, held = tracemalloc.get_traced_memory()[1], tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert result.pdf_list is not None and len(result.pdf_list.pdf_row) == 20_000
    assert [row.mail_id for row in result.pdf_list.pdf_row[:3]] == [1, 2, 3]
    # what the call held beyond its result: a few pieces of the body, never all of it (only
    # for the sync client: when the async flavour's asyncio.Runner ends a call it checks its
    # SIGINT handler, and Python 3.11's signal module writes that handler's repr, the
    # finished task with its whole result, into an error message it then drops)
    if not flavour.is_async:
        extra = peak - held
        assert extra < len(body) / 4, f"{extra / 2**20:.1f} MiB more than the result"
    assert not client.last_response.content  # larger than KEPT_BYTES: not kept
    streamed = list(client.iter_list_pdf())
    assert streamed == result.pdf_list.pdf_row


def test_a_small_answer_is_kept_for_last_response(server: Loopback) -> None:
    body = listing(3)
    server.reply(Reply(body=body))
    client = MailCertClient("u", "p", base_url=server.url)
    assert len(client.list_pdf().pdf_list.pdf_row) == 3  # type: ignore[union-attr]
    assert client.last_response.content == body


def test_the_tree_left_after_the_rows_are_taken_is_the_document_without_them() -> None:
    op = next(op for op in _API.description.operations if op.name == "list_pdf")
    reader = XmlAnswerReader(MailCertClient("u", "p")._client.decoder, op, 200)
    body = listing(1_000)
    for start in range(0, len(body), 4096):
        reader.feed(body[start : start + 4096])
    result = reader.close()
    container = reader.stream.root.find("pdf_list")
    assert container is not None and len(container) == 0 and container.text is None
    assert result.pdf_list.rows_found == 1_000 and len(result.pdf_list.pdf_row) == 1_000


def test_the_vendor_status_wins_over_a_row_that_does_not_decode(server: Loopback) -> None:
    """Decoded whole, the document's status is checked before its rows: a failing status
    after a bad row is still the vendor's error, and a good status lets the row's error out."""
    bad_row = ROW.replace("<credits>1</credits>", "<credits>one</credits>")
    client = MailCertClient("u", "p", base_url=server.url)
    server.reply(Reply(body=listing(3, status="500", status_last=True, row=bad_row)))
    with pytest.raises(VendorError, match="500"):
        client.list_pdf()
    server.reply(Reply(body=listing(3, status_last=True, row=bad_row)))
    with pytest.raises(DecodeError, match=r"result\.pdf_list\.pdf_row\.credits"):
        client.list_pdf()
    server.reply(Reply(body=listing(3, status="500", row=bad_row)))  # status first: at once
    with pytest.raises(VendorError, match="500"):
        client.list_pdf()


def test_a_body_cut_mid_listing_is_read_again_from_the_start(server: Loopback) -> None:
    body = listing(500)
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body[: len(body) // 2]
    server.reply(Reply(raw=cut), Reply(body=body))
    client = MailCertClient("u", "p", base_url=server.url, retry_backoff=0.01)
    result = client.list_pdf()  # safe: retried, the rows of the cut answer dropped
    assert [row.mail_id for row in result.pdf_list.pdf_row] == list(range(1, 501))  # type: ignore[union-attr]


def test_rows_keep_no_wire_text_their_values_write_back(server: Loopback) -> None:
    odd = ROW.replace("<credits>1</credits>", "<credits>007</credits>")
    server.reply(Reply(body=listing(2)), Reply(body=listing(1, row=odd)))
    client = MailCertClient("u", "p", base_url=server.url)
    rows = client.list_pdf().pdf_list.pdf_row  # type: ignore[union-attr]
    assert all(row._wire_texts is None for row in rows)  # nothing kept a second time
    assert rows[1].raw == {
        "mail_id": "2",
        "mail_date": "20171108124802",
        "credits": "1",
        "file_id": "2",
        "file_status": "5",
    }
    (kept,) = client.list_pdf().pdf_list.pdf_row  # type: ignore[union-attr]
    assert kept.credits == 7 and kept.raw["credits"] == "007"  # as the vendor wrote it


def test_equal_texts_of_a_kept_listing_are_one_string(server: Loopback) -> None:
    server.reply(Reply(body=listing(300)))
    rows = MailCertClient("u", "p", base_url=server.url).list_pdf().pdf_list.pdf_row  # type: ignore[union-attr]
    assert all(row.mail_from is rows[0].mail_from for row in rows)
    assert len({id(row.file_uid) for row in rows}) == 300  # different texts stay apart
    assert rows[0].mail_from == "sender@example.com" and rows[5].file_uid == "f000000000006"


def test_a_texts_memory_per_field_is_bounded() -> None:
    decode = codec.xml_decoder(codec.model(PdfRow), kept=True)
    memos = [cell.cell_contents for cell in decode.__closure__ or () if isinstance(cell.cell_contents, dict)]
    for n in range(2_000):
        decode(etree.fromstring(ROW.format(n=n)))
    assert memos and all(len(memo) <= codec._SHARED_TEXTS for memo in memos)
