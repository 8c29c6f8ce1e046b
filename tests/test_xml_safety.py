"""XML answers are parsed by lxml (libxml2), and nothing an answer says can make the parser read
a file, reach the network or expand entities: a DTD is refused before the parser sees any of it,
whatever the encoding, wherever the chunks of the answer are cut; and the parser's own options
refuse to resolve entities or fetch anything even when a DTD gets to it. Documents that only
mention a DTD (in a comment, in CDATA) are read as usual."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from generated._runtime import xml
from generated._runtime.errors import DecodeError
from generated.lleida_mailcert import DecodeError as LleidaDecodeError
from generated.lleida_mailcert import MailCertClient
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply

LISTING = "<result><status>100</status><pdf_list><pdf_row><mail_id>1</mail_id></pdf_row></pdf_list></result>"


def _hostile(planted: str) -> dict[str, str]:
    """Documents whose prolog declares a DTD: each would expand entities, read a file or
    reach ``planted`` (a loopback server that records every request) if the DTD were used."""
    body = "<result><status>&e;</status><pdf_list/></result>"
    return {
        "billion laughs": (
            '<!DOCTYPE result [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
            '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
            + body
        ),
        "quadratic blowup": (
            f'<!DOCTYPE result [<!ENTITY e "{"x" * 50_000}">]><result><status>'
            + "&e;" * 2_000
            + "</status></result>"
        ),
        "external entity (file)": '<!DOCTYPE result [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + body,
        "external entity (network)": (
            f'<!DOCTYPE result [<!ENTITY e SYSTEM "{planted}/entity">]>' + body
        ),
        "external DTD": f'<!DOCTYPE result SYSTEM "{planted}/evil.dtd"><result/>',
        "parameter entity": (
            f'<!DOCTYPE result [<!ENTITY % p SYSTEM "{planted}/p.dtd"> %p;]>' + body
        ),
        "DTD after a comment and an instruction": (
            '<?xml version="1.0"?><!-- a listing --><?style x?>\n'
            '<!DOCTYPE result [<!ENTITY e "x">]>' + body
        ),
        "lower-case doctype": '<!doctype result [<!ENTITY e "x">]>' + body,
    }


ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with a BOM": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "utf-16 with a BOM": lambda text: text.encode("utf-16"),
    "utf-16-le without a BOM": lambda text: text.encode("utf-16-le"),
    "utf-16-be without a BOM": lambda text: text.encode("utf-16-be"),
    "utf-32 with a BOM": lambda text: text.encode("utf-32"),
}
CHUNKS = (0, 1, 7)  # 0: the whole document at once


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data] if not size else [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture(scope="module")
def planted() -> Iterator[Loopback]:
    with Loopback() as server:
        server.responder = lambda request: Reply(200, '<!ENTITY e "leaked">')
        yield server


def _read_whole(data: bytes, size: int) -> None:
    feed = xml.XmlFeed(xml._etree().XMLParser(**xml._PARSER_OPTIONS))
    for piece in _pieces(data, size):
        feed.feed(piece)
    feed.close()


def _read_streamed(data: bytes, size: int) -> None:
    stream = xml.ElementStream([("pdf_list", "pdf_row")], watch=("status",))
    for _events in stream.steps(_pieces(data, size)):
        pass
    stream.close()


def _read_taken(data: bytes, size: int) -> None:
    stream = xml.ElementStream([("pdf_list", "pdf_row")], take=lambda *item: None)
    for _events in stream.steps(_pieces(data, size)):
        pass
    stream.close()


READERS = {"whole": _read_whole, "streamed": _read_streamed, "taken one by one": _read_taken}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_dtd_is_refused_in_every_encoding_however_the_answer_is_cut(
    planted: Loopback, encoding: str, reader: str
) -> None:
    for name, text in _hostile(planted.url).items():
        data = ENCODINGS[encoding](text)
        for size in CHUNKS:
            started = time.monotonic()
            with pytest.raises(DecodeError, match="refused unsafe XML: a DTD"):
                READERS[reader](data, size)
            assert time.monotonic() - started < 1, (name, size)
    assert planted.requests == []


@pytest.mark.parametrize("reader", READERS)
def test_documents_that_only_mention_a_dtd_are_read(reader: str) -> None:
    mentions = [
        '<?xml version="1.0"?><!-- <!DOCTYPE result> in a comment -->' + LISTING,
        "<?pi <!DOCTYPE x> in an instruction?>" + LISTING,
        LISTING.replace("<status>100", "<status><![CDATA[<!DOCTYPE x>]]>100"),
        "\n  \t" + LISTING,
    ]
    for text in mentions:
        for encoding in ("utf-8", "utf-16 with a BOM", "utf-32 with a BOM"):
            for size in CHUNKS:
                READERS[reader](ENCODINGS[encoding](text), size)


def test_the_parser_itself_resolves_no_entity_and_fetches_nothing(planted: Loopback) -> None:
    """Defence in depth: with our reading of the prolog out of the way, lxml's options alone
    (no entity resolution, no network, no DTD loading, libxml2's limits) still read no file,
    reach no server and expand nothing without bound."""
    etree = xml._etree()
    for name, text in _hostile(planted.url).items():
        if name == "lower-case doctype":
            continue  # not XML: the parser refuses it anyway
        started = time.monotonic()
        try:
            root = etree.fromstring(text.encode(), etree.XMLParser(**xml._PARSER_OPTIONS))
        except etree.XMLSyntaxError:
            continue  # refused: as safe as it gets
        finally:
            assert time.monotonic() - started < 1, name
        content = etree.tostring(root)
        assert b"root:" not in content and b"leaked" not in content, name
        assert len(content) < 200_000, name  # entities stay references, or are refused
    assert planted.requests == []


def test_xinclude_is_not_processed() -> None:
    root = xml.parse_xml(
        b'<result xmlns:xi="http://www.w3.org/2001/XInclude"><status>100</status>'
        b'<xi:include href="file:///etc/passwd" parse="text"/></result>'
    )
    assert len(root) == 2 and b"root:" not in xml._etree().tostring(root)


@pytest.mark.parametrize("how", ["plain", "streamed"])
def test_the_clients_refuse_a_dtd_in_utf_16(server: Loopback, flavour: Flavour, how: str) -> None:
    client = flavour.make(MailCertClient, "u", "p", base_url=server.url)
    hostile = _hostile(server.url)["billion laughs"]
    server.reply(Reply(body=hostile.encode("utf-16"), headers={"Content-Type": "text/xml"}))
    with pytest.raises(LleidaDecodeError, match="refused unsafe XML"):
        if how == "plain":
            client.list_pdf()
        else:
            list(client.iter_list_pdf())
    assert len(server.requests) == 1  # the answer's own request, nothing else


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (b"<a>" * 300 + b"</a>" * 300, "nested more than 256 elements deep"),
        (b"<a>" + b"x" * 11_000_000 + b"</a>", "longer than 10,000,000 bytes"),
    ],
)
def test_libxml2_limits_stay_on_and_are_said_in_words(document: bytes, words: str) -> None:
    with pytest.raises(DecodeError, match=words):
        xml.parse_xml(document)
