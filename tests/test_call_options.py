"""Per-call options every generated method takes: a read timeout, and headers and query
parameters added to that one request (the client's own settings are untouched); and the raw
responses of the calls made in a block."""

from __future__ import annotations

import inspect
import threading

import pytest

from generated.click2mail import CallTimeout, Click2MailClient, HttpError, TransportError
from generator.model import CALL_OPTION_NAMES
from tests.loopback import Loopback, Reply

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
CREDIT = XML + "<credit><balance>1.00</balance><allowNegative>false</allowNegative></credit>"


@pytest.fixture
def client(server: Loopback) -> Click2MailClient:
    return Click2MailClient("u", "p", base_url=server.url, retry_attempts=0, read_timeout=5)


def test_extra_headers_and_query_go_with_that_call_only(
    client: Click2MailClient, server: Loopback
) -> None:
    server.reply(Reply(200, CREDIT), Reply(200, CREDIT))
    client.get_credit(extra_headers={"X-Request-Id": "r-1"}, extra_query={"trace": "on"})
    client.get_credit()
    first, second = server.requests
    assert first.headers["X-Request-Id"] == "r-1" and first.query == {"trace": ["on"]}
    assert "X-Request-Id" not in second.headers and second.query == {}


def test_a_call_can_take_less_time_than_the_client_allows(
    client: Click2MailClient, server: Loopback
) -> None:
    server.reply(Reply(200, CREDIT, delay=1.0), Reply(200, CREDIT, delay=0.2))
    with pytest.raises(CallTimeout, match="this call's timeout=0.3") as caught:
        client.get_credit(timeout=0.3)
    assert isinstance(caught.value, TransportError) and isinstance(caught.value, TimeoutError)
    assert caught.value.seconds == 0.3
    assert client.get_credit().balance == 1.0  # the client's deadline again


def test_every_operation_method_of_every_package_takes_the_options() -> None:
    from generated.lleida_mailcert import MailCertClient
    from generated.mailstore_spe import MailStoreSpeClient

    for cls in (Click2MailClient, MailCertClient, MailStoreSpeClient):
        for op in cls._api.operations:
            parameters = inspect.signature(getattr(cls, op.name)).parameters
            kinds = {parameters[name].kind for name in CALL_OPTION_NAMES}
            assert kinds == {inspect.Parameter.KEYWORD_ONLY}, op.name


def test_the_raw_responses_of_the_calls_in_a_block(
    client: Click2MailClient, server: Loopback
) -> None:
    """Typed results as usual, and the raw responses of exactly the calls inside the block: a
    call before it, or made by another thread during it, is not among them."""
    server.reply(
        Reply(200, CREDIT, {"X-Seen": "before"}),
        Reply(200, CREDIT, {"X-Seen": "first"}),
        Reply(200, CREDIT, {"X-Seen": "other thread"}),
        Reply(402, XML + "<credit><status>2</status></credit>", {"X-Seen": "refused"}),
    )
    client.get_credit()
    with client.raw_responses() as seen:
        assert client.get_credit().balance == 1.0
        worker = threading.Thread(target=client.get_credit)
        worker.start()
        worker.join()
        with client.raw_responses() as inner, pytest.raises(HttpError):
            client.get_credit()
    assert [r.headers["X-Seen"] for r in inner] == ["refused"]
    assert [r.headers["X-Seen"] for r in seen] == ["first", "refused"]  # the inner's too
    assert seen[0].status_code == 200 and b"<balance>1.00</balance>" in seen[0].content
    server.reply(Reply(200, CREDIT))
    client.get_credit()  # the block is over: nothing more is added
    assert len(seen) == 2
