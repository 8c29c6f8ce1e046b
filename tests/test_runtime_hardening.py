"""Broken servers and wrong arguments, case by case, over real HTTP: each ends in the package's
typed error with an actionable message, or in the right data (the property tests over every
spec example are in ``test_hostile_answers.py``)."""

from __future__ import annotations

import datetime
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generated import mailstore_server, mailstore_spe
from generated._runtime import ArgumentTypeError, ArgumentValueError
from generated.lleida_mailcert import DecodeError as LleidaDecodeError
from generated.lleida_mailcert import MailCertClient, VendorError
from generated.lleida_mailcert import TransportError as LleidaTransportError
from generated.mailstore_server import MailStoreServerClient
from tests.loopback import Loopback, Reply

ENVELOPE = '{"statusCode": "succeeded", "statusVersion": 1, "result": %s}'
ROW = (
    "<pdf_row><mail_id>{n}</mail_id><file_id>{n}</file_id><file_status>5</file_status>"
    "<mail_subj>{subject}</mail_subj>{extra}</pdf_row>"
)


@pytest.fixture
def lleida(server: Loopback) -> MailCertClient:
    return MailCertClient("alice", "pw", base_url=server.url, retry_attempts=0)


@pytest.fixture
def mailstore(server: Loopback) -> MailStoreServerClient:
    return MailStoreServerClient(base_url=server.url, retry_attempts=0)


# -- answers that are not what they claim ------------------------------------------------------


def test_an_html_page_served_as_a_download_is_a_decode_error_naming_its_root(
    server: Loopback, lleida: MailCertClient
) -> None:
    page = "<html><body><h1>Maintenance</h1></body></html>"
    server.reply(Reply(body=page, headers={"Content-Type": "text/html"}))
    with pytest.raises(LleidaDecodeError, match="neither the file nor .*root <html>"):
        lleida.download_pdf(98765)


def test_an_xml_answer_with_another_root_is_a_decode_error(
    server: Loopback, lleida: MailCertClient
) -> None:
    server.reply(Reply(body="<html><body>oops</body></html>"))
    with pytest.raises(LleidaDecodeError, match="root <result>, got <html>"):
        lleida.list_pdf()
    server.reply(Reply(body="<html><body>oops</body></html>"))
    with pytest.raises(LleidaDecodeError, match="root <result>, got <html>"):
        list(lleida.iter_list_pdf())


def test_an_unknown_element_keeps_its_text_beside_its_attributes(
    server: Loopback, lleida: MailCertClient
) -> None:
    server.reply(
        Reply(body='<result><status>100</status><setting name="lang">ES</setting></result>')
    )
    settings_ = lleida.get_default_settings()
    assert settings_.extra["setting"] == {"@name": "lang", "#text": "ES"}


def test_a_deeply_nested_unknown_element_is_a_decode_error_not_a_recursion_error(
    server: Loopback, lleida: MailCertClient
) -> None:
    deep = "<x>" * 10_000 + "</x>" * 10_000
    server.reply(Reply(body=f"<result><status>100</status>{deep}</result>"))
    with pytest.raises(LleidaDecodeError, match="nested more than"):
        lleida.get_default_settings()


def test_json_that_loses_data_or_a_required_value_is_refused(
    server: Loopback, mailstore: MailStoreServerClient
) -> None:
    server.reply(Reply(body=ENVELOPE % '[{"id": 1.5, "name": "s"}]'))
    with pytest.raises(mailstore_server.DecodeError, match="fraction"):
        mailstore.get_stores(include_size=False)
    server.reply(Reply(body=ENVELOPE % '{"userName": null}'))
    with pytest.raises(mailstore_server.DecodeError, match="'userName' is null"):
        mailstore.get_user_info("admin")


def test_store_size_and_user_login_privileges_and_mfa_status_are_typed(
    server: Loopback, mailstore: MailStoreServerClient
) -> None:
    server.reply(Reply(body=ENVELOPE % '[{"id": 1, "name": "s", "size": 123456}]'))
    (store,) = mailstore.get_stores(include_size=True)
    assert store.size == 123456 and "size" not in store.extra
    user = '{"userName": "a", "loginPrivileges": ["imap", "web"], "mfaStatus": "active"}'
    server.reply(Reply(body=ENVELOPE % user))
    info = mailstore.get_user_info("a")
    assert info.login_privileges == ["imap", "web"] and info.mfa_status == "active"
    assert not info.extra


# -- streaming ---------------------------------------------------------------------------------


def _listing(rows: list[str], status_first: bool, status: str = "100") -> bytes:
    status_xml = f"<status>{status}</status>"
    items = f'<pdf_list rows_found="{len(rows)}">{"".join(rows)}</pdf_list>'
    inner = status_xml + items if status_first else items + status_xml
    return f'<?xml version="1.0"?><result>{inner}</result>'.encode()


_TRICKY = st.sampled_from(
    [
        "",
        "<![CDATA[ </pdf_row> ]]>",
        "<!-- </pdf_row> -->",
        "<?note </pdf_row> ?>",
        "<![CDATA[<pdf_row>]]>",
        "<!---->",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    extras=st.lists(_TRICKY, max_size=5),
    status_first=st.booleans(),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=12),
)
@example(
    extras=["<![CDATA[ </pdf_row> ]]>"], status_first=True, cuts=[len(_listing(["x"], True)) - 40]
)
@example(extras=["", ""], status_first=False, cuts=[])
def test_iter_list_pdf_yields_exactly_what_list_pdf_returns(
    extras: list[str], status_first: bool, cuts: list[int]
) -> None:
    """For any chunking (chunks may end inside a CDATA section or comment that spells the
    closing tag) and either order of the status and the list."""
    rows = [ROW.format(n=n, subject=f"s{n}", extra=extra) for n, extra in enumerate(extras)]
    body = _listing(rows, status_first)
    points = sorted({c % max(len(body), 1) for c in cuts} - {0})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    with Loopback() as server:
        client = MailCertClient("alice", "pw", base_url=server.url, retry_attempts=0)
        server.reply(Reply(body=body))
        whole = client.list_pdf().pdf_list
        server.reply(Reply(body=iter(pieces)))
        streamed = list(client.iter_list_pdf())
    assert whole is not None
    assert streamed == whole.pdf_row


def test_a_failed_listing_with_its_status_after_the_list_still_raises(
    server: Loopback, lleida: MailCertClient
) -> None:
    server.reply(Reply(body=_listing([], status_first=False, status="1001")))
    with pytest.raises(VendorError):
        list(lleida.iter_list_pdf())


def test_a_stream_cut_off_mid_body_is_a_transport_error_and_leaves_no_file(
    server: Loopback, lleida: MailCertClient, tmp_path: Path
) -> None:
    def cut() -> Iterator[bytes]:
        yield b"%PDF-1.4 " + b"x" * 100_000
        raise ConnectionResetError("gone")

    server.reply(Reply(body=cut(), headers={"Content-Type": "application/pdf"}))
    with pytest.raises(LleidaTransportError, match="cut off mid-body"):
        lleida.download_pdf(1, save_to=tmp_path / "cert.pdf")
    assert list(tmp_path.iterdir()) == []


# -- arguments ---------------------------------------------------------------------------------


def test_wrong_argument_types_are_refused_before_anything_is_sent(
    server: Loopback, mailstore: MailStoreServerClient
) -> None:
    with pytest.raises(
        ArgumentTypeError, match=r"get_user_info\(\): argument 'user_name' expects text"
    ):
        mailstore.get_user_info(42)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="'id' expects an integer .*got str 'one'"):
        mailstore.verify_store("one", include_indexes=True)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="'include_indexes' expects True or False"):
        mailstore.verify_store(1, include_indexes="yes")  # type: ignore[arg-type]
    assert server.requests == []


def test_an_enum_value_outside_the_declared_set_names_the_allowed_ones(
    server: Loopback, lleida: MailCertClient
) -> None:
    with pytest.raises(ArgumentValueError, match="'row_order' must be one of asc, desc; got 'up'"):
        lleida.list_pdf(row_order="up")
    assert server.requests == []


def test_only_last_file_id_cannot_be_combined_with_filters(
    server: Loopback, lleida: MailCertClient
) -> None:
    with pytest.raises(
        ArgumentValueError, match="'only_last_file_id' cannot be combined with 'subjrw'"
    ):
        lleida.list_pdf(only_last_file_id=True, subjrw="John")
    assert server.requests == []


def test_json_arguments_accept_dicts_and_send_json(server: Loopback) -> None:
    client = mailstore_spe.MailStoreSpeClient(base_url=server.url, retry_attempts=0)
    server.reply(Reply(body=ENVELOPE % "null"), Reply(body=ENVELOPE % "null"))
    client.set_index_configuration(config={"attachments": True, "types": ["pdf"]})
    (sent,) = server.requests[-1].form()["config"]
    assert json.loads(sent) == {"attachments": True, "types": ["pdf"]}
    client.set_index_configuration(config='{"attachments": false}')  # JSON text goes as it is
    assert server.requests[-1].form()["config"] == ['{"attachments": false}']
    with pytest.raises(ArgumentValueError, match="not JSON"):
        client.set_index_configuration(config="attachments=yes")


# -- transport, tasks, identity ----------------------------------------------------------------


def test_the_package_user_agent_is_sent(server: Loopback, mailstore: MailStoreServerClient) -> None:
    server.reply(Reply(body=ENVELOPE % "[]"))
    mailstore.get_users()
    assert server.requests[-1].headers["User-Agent"] == "specgen-mailstore_server"


def test_a_long_poll_may_take_the_server_hold_time_beyond_the_read_timeout(
    server: Loopback,
) -> None:
    client = MailStoreServerClient(
        base_url=server.url, retry_attempts=0, read_timeout=0.5, wait_time=800
    )
    running = '{"statusCode": "running", "statusVersion": 1, "token": "t1"}'
    server.reply(
        Reply(body=running),
        Reply(body=ENVELOPE % "null", delay=0.9),  # held 0.9 s: past 0.5 s, within 0.5 + 0.8
    )
    assert client.verify_store(1, include_indexes=False) is None


def test_task_timeouts_are_package_errors_with_the_token(server: Loopback) -> None:
    client = MailStoreServerClient(
        base_url=server.url, retry_attempts=0, auto_handle_token=False, wait_time=10
    )
    running = '{"statusCode": "running", "statusVersion": 1, "token": "t9"}'
    server.responder = lambda request: Reply(body=running)
    task = client.verify_store(1, include_indexes=False)
    started = time.monotonic()
    with pytest.raises(mailstore_server.TaskTimeout) as caught:
        task.wait(timeout=0.3)
    assert time.monotonic() - started < 5
    assert isinstance(caught.value, mailstore_server.Error) and caught.value.token == "t9"


def test_a_running_answer_without_a_token_is_a_decode_error(
    server: Loopback, mailstore: MailStoreServerClient
) -> None:
    server.reply(Reply(body='{"statusCode": "running", "statusVersion": 1}'))
    with pytest.raises(mailstore_server.DecodeError, match="without a task token"):
        mailstore.verify_store(1, include_indexes=False)


def test_dates_and_files_in_arguments_are_checked_too(
    server: Loopback, lleida: MailCertClient
) -> None:
    with pytest.raises(ArgumentTypeError, match="'date_min' expects a datetime.datetime"):
        lleida.list_pdf(date_min="2017-01-01")  # type: ignore[arg-type]
    server.reply(Reply(body=_listing([], True)))
    lleida.list_pdf(date_min=datetime.datetime(2017, 1, 1))  # the right type passes
    from generated.click2mail import Click2MailClient

    c2m = Click2MailClient("u", "p", base_url=server.url)
    with pytest.raises(
        ArgumentTypeError, match="'file' expects a path, bytes, a binary file object"
    ):
        c2m.upload_document(
            document_name="x",
            document_format="PDF",
            document_class="Letter 8.5 x 11",
            file=io.StringIO("text"),  # type: ignore[arg-type]
        )


def test_a_client_takes_its_settings_from_the_environment_like_the_command_line(
    server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLEIDA_MAILCERT_USERNAME", "env-user")
    monkeypatch.setenv("LLEIDA_MAILCERT_PASSWORD", "env-pw")
    monkeypatch.setenv("LLEIDA_MAILCERT_BASE_URL", server.url)
    client = MailCertClient.from_env(retry_attempts=0)
    server.reply(Reply(body="<result><status>100</status></result>"))
    client.get_default_settings()
    body = server.requests[-1].form(encoding="iso-8859-1")["xml"][0]
    assert "<user>env-user</user>" in body and "<password>env-pw</password>" in body
    monkeypatch.delenv("LLEIDA_MAILCERT_PASSWORD")
    with pytest.raises(ArgumentValueError, match=r"set \$LLEIDA_MAILCERT_PASSWORD or pass"):
        MailCertClient.from_env()
    monkeypatch.setenv("MAILSTORE_SERVER_PORT", "eighty")
    with pytest.raises(ArgumentValueError, match=r"\$MAILSTORE_SERVER_PORT"):
        MailStoreServerClient.from_env()
