"""Idempotency keys (``protocol.idempotency_key``): requests of the declared methods carry a
fresh key, the same on every retry of one call, and are retried like safe operations; other
methods carry none and are not retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: keyed, title: Keyed, client_class: KeyedClient}
server: {url: "http://127.0.0.1:1"}
protocol:
  encoding: json
  decoding: json
  idempotency_key: {header: X-Request-Id, methods: [PUT, DELETE]}
operations:
  put_thing: {method: PUT, path: /things, params: {name: {type: str}}}
  delete_thing: {method: DELETE, path: /things}
  post_thing: {method: POST, path: /things}
"""


def test_declared_methods_carry_one_key_per_call_and_are_retried(
    tmp_path: Path, server: Loopback
) -> None:
    client = build_package(tmp_path, SPEC).KeyedClient(base_url=server.url, retry_backoff=0.0)
    server.reply(Reply(503), Reply(200, "{}"), Reply(200, "{}"), Reply(200, "{}"))
    client.put_thing(name="a")
    client.put_thing(name="a")
    client.delete_thing()
    first, retry, second, deleted = (r.headers.get("X-Request-Id") for r in server.requests)
    assert first and first == retry  # the retry repeats the call's key
    assert second and second != first  # the next call has its own
    assert deleted and deleted not in (first, second)


def test_other_methods_carry_no_key_and_are_not_retried(tmp_path: Path, server: Loopback) -> None:
    package = build_package(tmp_path, SPEC)
    client = package.KeyedClient(base_url=server.url, retry_backoff=0.0)
    server.reply(Reply(503), Reply(200, "{}"))
    with pytest.raises(package.HttpError) as raised:
        client.post_thing()
    assert raised.value.status == 503
    assert len(server.requests) == 1 and "X-Request-Id" not in server.requests[0].headers
