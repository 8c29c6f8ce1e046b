"""Input that would change what the request means is refused, or encoded, before anything is
sent: path parameters that are dot segments, URL settings that are not what they claim to be
(a host is a host), header values with line breaks or NUL, text XML cannot carry, user names
basic auth cannot carry; credentials travel as RFC 7617 says (UTF-8); and no message, at any
level, repeats a secret."""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

import pytest

from generated._runtime import ArgumentTypeError, ArgumentValueError
from generated.click2mail import Click2MailClient
from generated.lleida_mailcert import MailCertClient
from generated.mailstore_server import MailStoreServerClient
from generated.mailstore_spe import MailStoreSpeClient
from tests.loopback import Loopback, Reply

ENVELOPE = '{"statusCode": "succeeded", "statusVersion": 2, "token": null, "result": null}'


@pytest.fixture
def c2m(server: Loopback) -> Click2MailClient:
    return Click2MailClient("u", "password", base_url=server.url, retry_attempts=0)


@pytest.mark.parametrize(
    ("segment", "sent"),
    [
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a/../b", "a%2F..%2Fb"),
        ("x?y#z", "x%3Fy%23z"),
        ("..%2F", "..%252F"),
        ("sp ace+é", "sp%20ace%2B%C3%A9"),
    ],
)
def test_a_path_parameter_is_one_segment_whatever_it_holds(
    c2m: Click2MailClient, server: Loopback, segment: str, sent: str
) -> None:
    server.reply(Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    c2m.get_proof(555, 42, segment)
    (request,) = server.requests
    assert request.target == f"/jobs/555/proof/42/{sent}"


@pytest.mark.parametrize(
    "host",
    [
        "archive.example.com/api/invoke/DeleteUser?userName=john#",
        "archive.example.com?x=1",
        "evil.example.com#",
        "user@evil.example.com",
        "archive.example.com/other",
        "archive .example.com",
        "https://archive.example.com",
    ],
)
def test_a_host_setting_must_be_a_host(server: Loopback, host: str) -> None:
    with pytest.raises(ArgumentValueError, match=r"^host: .*(not a host|cannot be part)"):
        MailStoreServerClient(host=host)


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://archive.example.com",
        "https://admin:admin@archive.example.com",
        "https://archive.example.com/api?x=1",
        "https://archive.example.com#top",
        "https://",
        "https://archive.example.com:99999",
        "https://archive.example.com/a b",
    ],
)
def test_a_base_url_is_scheme_host_port_and_path(base_url: str) -> None:
    with pytest.raises(ArgumentValueError, match="the server URL"):
        MailStoreServerClient(base_url=base_url)


def test_hosts_ports_and_addresses_that_are_what_they_say_are_taken() -> None:
    for host in ("archive.example.com", "10.0.0.7", "[::1]", "bücher.example"):
        MailStoreServerClient(host=host, port=8463).close()
    MailCertClient("u", "p", endpoint="https://tsa.lleida.net/sub/path").close()


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"X-Trace": "a\r\nInjected: yes"}, "control character \\(U\\+000D\\)"),
        ({"X-Trace": "a\nb"}, "U\\+000A"),
        ({"X-Trace": "nul\x00"}, "U\\+0000"),
        ({"X-Trace": " leading"}, "starts with whitespace"),
        ({"X-Trace": "check ✓"}, "outside ISO-8859-1"),
        ({"Bad Name": "x"}, "not an HTTP token"),
        ({"X-Trace:": "x"}, "not an HTTP token"),
    ],
)
def test_a_header_that_would_change_the_request_is_refused_before_sending(
    c2m: Click2MailClient, server: Loopback, headers: dict[str, str], problem: str
) -> None:
    with pytest.raises(ArgumentValueError, match=problem) as caught:
        c2m.get_credit(extra_headers=headers)
    assert server.requests == []
    for value in headers.values():
        if len(value) > 3:
            assert value not in str(caught.value)  # the value is never repeated


def test_tabs_and_latin_1_are_header_text(c2m: Click2MailClient, server: Loopback) -> None:
    server.reply(Reply(200, "<credit><balance>1</balance></credit>"))
    c2m.get_credit(extra_headers={"X-Trace": "a\tb é"})
    assert server.requests[0].headers["X-Trace"] == "a\tb é"  # sent as Latin-1, read as such


def test_an_echo_header_the_server_asks_for_with_a_line_break_is_not_sent(
    server: Loopback,
) -> None:
    hostile = '{"statusCode": "succeeded", "statusVersion": 2, "result": null, '
    server.reply(
        Reply(200, hostile + '"antiXsrfToken": "t0k\\r\\nX-Admin: 1"}'),
        Reply(200, ENVELOPE),
    )
    client = MailStoreSpeClient(base_url=server.url, instance_id="test01", retry_attempts=0)
    client.ping()
    client.ping()
    second = server.requests[1].headers
    assert "X-XSRF-Token" not in second and "X-Admin" not in second


@pytest.mark.parametrize(
    ("text", "shown"),
    [("a\x01b", "U+0001 at position 1"), ("bell\x07", "U+0007"), ("\ufffe", "U+FFFE")],
)
def test_text_xml_cannot_carry_is_refused_before_an_xml_body_is_sent(
    server: Loopback, text: str, shown: str
) -> None:
    client = MailCertClient("u", "p", base_url=server.url, retry_attempts=0)
    expected = re.escape(f"'subjrw' holds a character XML cannot carry ({shown}")
    with pytest.raises(ArgumentValueError, match=expected):
        client.list_pdf(subjrw=text)
    assert server.requests == []


def test_a_model_field_xml_cannot_carry_is_refused_too(
    c2m: Click2MailClient, server: Loopback
) -> None:
    from generated.click2mail import Mapping2Address, NewAddressList

    addresses = NewAddressList(
        address_list_name="November",
        address_mapping_id=2,
        addresses=[Mapping2Address(first_name="Ann\x0b", last_name="Lee", address1="1 Main St")],
    )
    with pytest.raises(ArgumentValueError, match="XML cannot carry"):
        c2m.create_address_list(addresses)
    assert server.requests == []


@pytest.mark.parametrize("where", ["query", "form"])
def test_text_that_is_not_unicode_is_refused_before_anything_is_sent(
    server: Loopback, where: str
) -> None:
    lone = "abc\ud800"
    if where == "form":
        client: Any = MailStoreServerClient(base_url=server.url, retry_attempts=0)
        with pytest.raises(ArgumentValueError, match="lone surrogate"):
            client.get_user_info(lone)
    else:
        c2m = Click2MailClient("u", "p", base_url=server.url, retry_attempts=0)
        with pytest.raises(ArgumentValueError, match="lone surrogate|cannot be encoded"):
            c2m.get_credit(extra_query={"q": lone})
    assert server.requests == []


@pytest.mark.parametrize("password", ["pässwörd", "密码🔑", "plain"])
def test_basic_auth_credentials_travel_as_utf_8(server: Loopback, password: str) -> None:
    server.reply(Reply(200, ENVELOPE))
    MailStoreServerClient(username="ädmin", password=password, base_url=server.url).get_users()
    scheme, token = server.requests[0].headers["Authorization"].split(" ", 1)
    assert scheme == "Basic"
    assert base64.b64decode(token) == f"ädmin:{password}".encode()


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("ad:min", "pw", "cannot contain ':'"),
        ("admin\n", "pw", "user name holds a control character"),
        ("admin", "p\x00w", "password holds a control character"),
    ],
)
def test_credentials_basic_auth_cannot_carry_are_refused_when_the_client_is_built(
    username: str, password: str, problem: str
) -> None:
    with pytest.raises(ArgumentValueError, match=problem) as caught:
        MailStoreServerClient(username=username, password=password)
    assert password not in str(caught.value) or len(password) < 4


# -- no message shows a secret -------------------------------------------------------------------

CARD = "4111111111111111"


def _purchase(client: Click2MailClient, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "billing_name": "Ann Lee",
        "billing_address1": "1 Main St",
        "billing_city": "Oakton",
        "billing_state": "VA",
        "billing_zip": "22124",
        "billing_amount": 10.0,
        "billing_number": CARD,
        "billing_month": 1,
        "billing_year": 2030,
        "billing_cvv": "123",
        "billing_cc_type": "VI",
        **changes,
    }
    return client.purchase_credit(**arguments)


@pytest.mark.parametrize(
    "call",
    [
        lambda server: MailStoreServerClient(base_url=server.url).set_user_password(
            "john", b"N3wPassw0rd-secret"
        ),
        lambda server: MailStoreServerClient(base_url=server.url).set_user_password(
            "john", ["N3wPassw0rd-secret"]
        ),
        lambda server: _purchase(
            Click2MailClient("u", "p", base_url=server.url), billing_number=int(CARD)
        ),
        lambda server: _purchase(
            Click2MailClient("u", "p", base_url=server.url), billing_number=(CARD,)
        ),
    ],
    ids=["bytes password", "list password", "card number as int", "card number in a tuple"],
)
def test_an_argument_error_on_a_secret_never_shows_its_value(
    server: Loopback, caplog: pytest.LogCaptureFixture, call: Any
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(ArgumentTypeError) as caught:
        call(server)
    shown = "\n".join([str(caught.value), repr(caught.value), caplog.text])
    assert "(the value is secret: not shown)" in str(caught.value)
    for secret in ("N3wPassw0rd", CARD, "4111"):
        assert secret not in shown
    assert server.requests == []


def test_a_refused_redirect_that_echoes_a_secret_masks_it(server: Loopback) -> None:
    location = f"http://127.0.0.2:1/steal?number={CARD}&cvv=1234"
    server.reply(Reply(307, b"", {"Location": location}))
    client = Click2MailClient("u", "s3cret-password", base_url=server.url, retry_attempts=0)
    with pytest.raises(Exception, match="another origin") as caught:
        _purchase(client, billing_cvv="1234")
    assert CARD not in str(caught.value) and "cvv=***" in str(caught.value)


def test_a_delete_without_fields_sends_no_body_and_no_content_type(server: Loopback) -> None:
    server.reply(Reply(200, "<document><id>5</id></document>"))
    client = Click2MailClient("u", "p", base_url=server.url)
    client.delete_document(5)
    (sent,) = server.requests
    assert (sent.method, sent.body) == ("DELETE", b"")
    assert "Content-Type" not in sent.headers and sent.headers.get("Content-Length") in (None, "0")
