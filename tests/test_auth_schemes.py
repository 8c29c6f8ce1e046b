"""Bearer tokens and API keys (in a header or the query string), and public operations that send
no credentials: over real HTTP, with the secret never in a log record or an error message."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from types import ModuleType

import pytest

from generator import openapi, pipeline
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: AUTHNAME, title: Auth test, client_class: AuthClient}
settings:
  token: {type: str, secret: true, doc: The credential.}
server: {url: "http://127.0.0.1:1"}
auth: AUTH
protocol: {encoding: query, decoding: json, default_method: GET}
operations:
  whoami:
    path: /user
    params:
      filter: {type: str}
  status:
    path: /status
    auth: false
"""
SECRET = "s3cr3t/tok+en"


def package(tmp_path: Path, name: str, auth: str) -> ModuleType:
    return build_package(tmp_path, SPEC.replace("AUTHNAME", name).replace("AUTH", auth))


def test_a_bearer_token_travels_in_the_authorization_header(
    tmp_path: Path,
    server: Loopback,
    flavour: Flavour,
) -> None:
    module = package(tmp_path, "bearer_api", "{scheme: bearer, token: token}")
    client = flavour.make(module.AuthClient, SECRET, base_url=server.url)
    server.reply(Reply(200, '{"login": "ann"}'), Reply(200, '{"ok": true}'))
    assert client.whoami(filter="x") == {"login": "ann"}
    assert server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert server.requests[0].query == {"filter": ["x"]}
    client.status()  # auth: false
    assert "Authorization" not in server.requests[1].headers


def test_an_api_key_in_a_header(tmp_path: Path, server: Loopback, flavour: Flavour) -> None:
    module = package(tmp_path, "header_key_api", "{scheme: api_key, token: token, name: X-Api-Key}")
    client = flavour.make(module.AuthClient, SECRET, base_url=server.url)
    server.reply(Reply(200, "{}"), Reply(200, "{}"))
    client.whoami()
    client.status()
    assert server.requests[0].headers["X-Api-Key"] == SECRET
    assert "X-Api-Key" not in server.requests[1].headers


def test_an_api_key_in_the_query_never_reaches_a_log_or_an_error(
    tmp_path: Path,
    server: Loopback,
    caplog: pytest.LogCaptureFixture,
    flavour: Flavour,
) -> None:
    module = package(
        tmp_path, "query_key_api", "{scheme: api_key, token: token, in: query, name: api_key}"
    )
    client = flavour.make(module.AuthClient, SECRET, base_url=server.url, log_level=logging.DEBUG)
    server.reply(Reply(200, "{}"), Reply(200, "{}"))
    with caplog.at_level(logging.DEBUG):
        client.whoami(filter="x")
        client.status()
    assert server.requests[0].query == {"api_key": [SECRET], "filter": ["x"]}
    assert "api_key" not in server.requests[1].query
    with socket.socket() as probe:  # a closed port: the error message would carry the URL
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = flavour.make(
        module.AuthClient, SECRET, base_url=f"http://127.0.0.1:{port}", retry_attempts=0
    )
    with pytest.raises(module.TransportError) as caught:
        closed.whoami()
    shown = str(caught.value) + repr(caught.value) + caplog.text
    assert "/user" in str(caught.value)
    for form in (SECRET, "s3cr3t%2Ftok%2Ben"):
        assert form not in shown


def test_basic_credentials_are_not_sent_to_a_public_operation(
    tmp_path: Path,
    server: Loopback,
    flavour: Flavour,
) -> None:
    spec = (
        SPEC.replace("AUTHNAME", "basic_api")
        .replace("AUTH", "{scheme: basic, username: user, password: token}")
        .replace("settings:\n", "settings:\n  user: {type: str}\n")
    )
    module = build_package(tmp_path, spec)
    client = flavour.make(module.AuthClient, "ann", SECRET, base_url=server.url)
    server.reply(Reply(200, "{}"), Reply(200, "{}"))
    client.whoami()
    client.status()
    assert server.requests[0].headers["Authorization"].startswith("Basic ")
    assert "Authorization" not in server.requests[1].headers


def test_token_schemes_export_their_openapi_security(tmp_path: Path) -> None:
    for name, auth, scheme in (
        ("b_api", "{scheme: bearer, token: token}", {"type": "http", "scheme": "bearer"}),
        (
            "k_api",
            "{scheme: api_key, token: token, in: query, name: api_key}",
            {"type": "apiKey", "in": "query", "name": "api_key"},
        ),
    ):
        spec = tmp_path / f"{name}.yaml"
        spec.write_text(SPEC.replace("AUTHNAME", name).replace("AUTH", auth), encoding="utf-8")
        (api,) = pipeline.load_apis([spec])
        document = openapi.export(api)
        assert list(document["components"]["securitySchemes"].values()) == [scheme]
        assert document["paths"]["/status"]["get"]["security"] == []
        assert "security" not in document["paths"]["/user"]["get"]


def test_a_secret_in_the_path_is_masked_in_error_messages(tmp_path: Path, flavour: Flavour) -> None:
    spec = (
        SPEC.replace("AUTHNAME", "path_secret_api")
        .replace("AUTH", "{scheme: none}")
        .replace(
            "    path: /status\n    auth: false\n",
            '    path: "/hooks/{hook}"\n    params:\n'
            "      hook: {type: str, in: path, secret: true}\n",
        )
    )
    module = build_package(tmp_path, spec)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = flavour.make(
        module.AuthClient, "unused", base_url=f"http://127.0.0.1:{port}", retry_attempts=0
    )
    with pytest.raises(module.TransportError) as caught:
        client.status(SECRET)
    assert "/hooks/" in str(caught.value)
    assert SECRET not in str(caught.value) and "s3cr3t%2Ftok%2Ben" not in str(caught.value)
