"""Broken servers over real loopback connections: each failure ends in the documented typed
exception within the configured timeout; safe requests are retried, unsafe ones are not."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from generated.click2mail import Click2MailClient
from generated.click2mail import TransportError as C2MTransportError
from generated.lleida_mailcert import DecodeError as LleidaDecodeError
from generated.lleida_mailcert import MailCertClient
from generated.mailstore_server import MailStoreServerClient
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply

PARTIAL = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 500\r\n\r\n"
    b"<credit><balance>12"
)


def c2m(server: Loopback, flavour: Flavour, **options: object) -> Any:
    return flavour.make(
        Click2MailClient, "u", "p", base_url=server.url, retry_backoff=0.01, **options
    )


def test_a_connection_reset_mid_body_is_retried_for_safe_requests(
    server: Loopback, flavour: Flavour
) -> None:
    server.reply(Reply(raw=PARTIAL), Reply(body="<credit><balance>3</balance></credit>"))
    assert c2m(server, flavour).get_credit().balance == 3
    assert len(server.requests) == 2


def test_a_connection_reset_mid_body_is_not_retried_for_unsafe_requests(
    server: Loopback, flavour: Flavour
) -> None:
    server.reply(Reply(raw=PARTIAL), Reply(body="<job><id>1</id></job>"))
    with pytest.raises(C2MTransportError):
        c2m(server, flavour).cancel_job(1)
    assert len(server.requests) == 1


def test_a_server_stalling_mid_body_ends_in_a_transport_error_within_the_timeout(
    server: Loopback,
    flavour: Flavour,
) -> None:
    server.reply(Reply(raw=PARTIAL, stall=3.0))
    started = time.monotonic()
    with pytest.raises(C2MTransportError):
        c2m(server, flavour, read_timeout=0.3, retry_attempts=0).get_credit()
    assert time.monotonic() - started < 2.0


def test_a_burst_of_5xx_answers_is_ridden_out_by_safe_requests(
    server: Loopback, flavour: Flavour
) -> None:
    server.reply(Reply(503), Reply(502), Reply(200, "<credit><balance>1</balance></credit>"))
    assert c2m(server, flavour).get_credit().balance == 1
    assert len(server.requests) == 3


def test_invalid_utf8_in_xml_is_a_decode_error(server: Loopback, flavour: Flavour) -> None:
    client = flavour.make(MailCertClient, "u", "p", base_url=server.url)
    server.reply(
        Reply(
            body=b'<?xml version="1.0" encoding="UTF-8"?><result><status>\xff\xfe</status></result>'
        )
    )
    with pytest.raises(LleidaDecodeError):
        client.get_default_settings()


def _envelope(code: str, version: int, **extra: object) -> Reply:
    return Reply(
        body=json.dumps({"statusCode": code, "statusVersion": version, "token": "t1", **extra})
    )


def test_a_long_running_task_survives_transient_get_status_failures(
    server: Loopback, flavour: Flavour
) -> None:
    client = flavour.make(MailStoreServerClient, base_url=server.url, retry_backoff=0.01)
    server.reply(
        _envelope("running", 0, percentProgress=0),
        Reply(503, "busy"),  # get-status: a transient failure, retried
        Reply(raw=b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{"),  # cut off: retried
        _envelope("running", 1, percentProgress=50),
        _envelope("succeeded", 2, percentProgress=100, result={"ok": True}),
    )
    assert client.run_job_async(7, auto_handle_token=True) == {"ok": True}
    assert [r.path for r in server.requests].count("/api/get-status") == 4
