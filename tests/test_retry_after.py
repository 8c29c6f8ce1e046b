"""Retry-After: a safe call waits as long as the server asks (seconds or an HTTP date), within
the spec's bound; a longer wait is not held: the error carries ``retry_after`` instead."""

from __future__ import annotations

import email.utils
import importlib
import time
from pathlib import Path
from types import ModuleType

import pytest

from generated._runtime.exchange import retry_after
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: NAME, title: Rate limited, client_class: LimitedClient}
server: {url: "http://127.0.0.1:1"}
transport: {retry_attempts: 2, retry_backoff: 0.01, retry_statuses: [429, 503], retry_after_max: 2}
protocol: {encoding: query, decoding: json, default_method: GET}
errors:
  RateLimitedError: {base: http, http_status: [429]}
operations:
  items:
    path: /items
  create:
    path: /items
    method: POST
"""


@pytest.fixture
def package(tmp_path: Path, request: pytest.FixtureRequest) -> ModuleType:
    return build_package(tmp_path, SPEC.replace("NAME", f"limited_{request.node.name[-12:]}"))


@pytest.fixture
def waits(package: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds the client sleeps between tries (recorded, not slept)."""
    client = importlib.import_module(package.__name__.rsplit(".", 1)[0] + "._runtime.client")
    slept: list[float] = []
    monkeypatch.setattr(client.time, "sleep", slept.append)
    return slept


def test_a_safe_call_waits_the_seconds_the_server_asks(
    package: ModuleType, server: Loopback, waits: list[float]
) -> None:
    client = package.LimitedClient(base_url=server.url)
    server.reply(Reply(429, "{}", {"Retry-After": "1"}), Reply(503), Reply(200, "[1]"))
    assert client.items() == [1]
    assert waits[0] == 1.0  # what the server asked, not the 10 ms backoff
    assert waits[1] < 0.1  # no Retry-After: the backoff
    assert len(server.requests) == 3


def test_an_http_date_is_honoured(
    package: ModuleType, server: Loopback, waits: list[float]
) -> None:
    client = package.LimitedClient(base_url=server.url)
    soon = email.utils.formatdate(time.time() + 2, usegmt=True)
    server.reply(Reply(503, "busy", {"Retry-After": soon}), Reply(200, "[2]"))
    assert client.items() == [2]
    assert 0.5 < waits[0] <= 2.0


def test_a_wait_beyond_the_bound_is_not_held_and_the_error_says_how_long(
    package: ModuleType, server: Loopback, waits: list[float]
) -> None:
    client = package.LimitedClient(base_url=server.url)
    server.reply(Reply(429, '{"message": "slow down"}', {"Retry-After": "3600"}))
    with pytest.raises(package.RateLimitedError) as caught:
        client.items()
    assert waits == []
    assert caught.value.retry_after == 3600 and len(server.requests) == 1


def test_unsafe_calls_are_not_retried_even_when_asked(
    package: ModuleType, server: Loopback
) -> None:
    client = package.LimitedClient(base_url=server.url)
    server.reply(Reply(429, "{}", {"Retry-After": "1"}))
    with pytest.raises(package.RateLimitedError) as caught:
        client.create()
    assert caught.value.retry_after == 1 and len(server.requests) == 1


@pytest.mark.parametrize("value", [None, "", "soon", "-5"])
def test_unreadable_retry_after_values_fall_back_to_the_backoff(value: str | None) -> None:
    assert retry_after(value) is None
