"""Per-call options every generated method takes: a read timeout, and headers and query
parameters added to that one request (the client's own settings are untouched)."""

from __future__ import annotations

import inspect

import pytest

from generated.click2mail import Click2MailClient, TransportError
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


def test_a_call_can_wait_less_than_the_client(client: Click2MailClient, server: Loopback) -> None:
    server.reply(Reply(200, CREDIT, delay=1.0), Reply(200, CREDIT, delay=0.2))
    with pytest.raises(TransportError, match="ReadTimeout"):
        client.get_credit(timeout=0.3)
    assert client.get_credit().balance == 1.0  # the client's 5 s again


def test_every_operation_method_of_every_package_takes_the_options() -> None:
    from generated.lleida_mailcert import MailCertClient
    from generated.mailstore_spe import MailStoreSpeClient

    for cls in (Click2MailClient, MailCertClient, MailStoreSpeClient):
        for op in cls._api.operations:
            parameters = inspect.signature(getattr(cls, op.name)).parameters
            kinds = {parameters[name].kind for name in CALL_OPTION_NAMES}
            assert kinds == {inspect.Parameter.KEYWORD_ONLY}, op.name
