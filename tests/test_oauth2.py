"""Pluggable auth: OAuth 2.0 client credentials declared in a spec, against a loopback token
server on another origin (as Spotify's ``POST /api/token``: form fields, HTTP basic client
authentication, ``expires_in``, then bearer calls that answer 401 once the token is refused);
and a caller's own ``auth=``: a request signer, a rotating bearer token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generator import diff, openapi, pipeline
from generator.errors import SpecErrors
from tests import recording
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: NAME, title: Music, client_class: MusicClient}
settings:
  client_id: {type: str, doc: The application's client id.}
  client_secret: {type: str, secret: true, doc: The application's client secret.}
server: {url: "API_URL"}
auth:
  scheme: oauth2_client_credentials
  token_url: "TOKEN_URL/api/token"
  client_id: client_id
  client_secret: client_secret
  scope: "playlist-read user-read"
  token_fields: {audience: "https://music.example.test"}
protocol: {encoding: query, decoding: json, default_method: GET}
operations:
  artist:
    path: /v1/artists/{id}
    params: {id: {type: str, in: path, required: true}}
  playlists:
    path: /v1/playlists
    method: POST
    encoding: form
    params: {name: {type: str, required: true}}
"""
SECRET = "s3cr3t-Cl1ent-XyZ"


@pytest.fixture
def token_server() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


def _spec(api: Loopback, token: Loopback, name: str, **replace: str) -> str:
    text = SPEC.replace("API_URL", api.url).replace("TOKEN_URL", token.url)
    text = text.replace("NAME", f"music_{name[-20:].strip('_')}".lower())
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def package(
    tmp_path: Path, server: Loopback, token_server: Loopback, request: pytest.FixtureRequest
) -> ModuleType:
    return build_package(tmp_path, _spec(server, token_server, request.node.name))


def _token(value: str, expires_in: int | None = 3600) -> Reply:
    body: dict[str, Any] = {"access_token": value, "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


def _ok(body: Any = None) -> Reply:
    return Reply(200, json.dumps(body or {"name": "Cher"}), {"Content-Type": "application/json"})


def _client(package: ModuleType, **options: Any) -> Any:
    return package.MusicClient("the-client", SECRET, retry_attempts=0, **options)


def test_the_token_is_fetched_from_the_token_server_and_sent_as_a_bearer(
    package: ModuleType, server: Loopback, token_server: Loopback
) -> None:
    token_server.reply(_token("T1"))
    server.reply(_ok(), _ok())
    client = _client(package)
    assert client.artist("0OdUWJ0sBjDrqHygGUXeCF") == {"name": "Cher"}
    assert client.artist("1") == {"name": "Cher"}  # the same token, not fetched again
    (asked,) = token_server.requests
    assert (asked.method, asked.path) == ("POST", "/api/token")
    assert asked.form() == {
        "grant_type": ["client_credentials"],
        "scope": ["playlist-read user-read"],
        "audience": ["https://music.example.test"],
    }
    basic = base64.b64encode(f"the-client:{SECRET}".encode()).decode()
    assert asked.headers["Authorization"] == f"Basic {basic}"
    assert asked.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer T1", "Bearer T1"]


def test_client_auth_body_sends_the_client_id_and_secret_as_form_fields(
    tmp_path: Path, server: Loopback, token_server: Loopback, request: pytest.FixtureRequest
) -> None:
    text = _spec(server, token_server, request.node.name)
    text = text.replace("  scope:", "  client_auth: body\n  scope:")
    package = build_package(tmp_path, text)
    token_server.reply(_token("T1"))
    server.reply(_ok())
    _client(package).artist("1")
    (asked,) = token_server.requests
    assert "Authorization" not in asked.headers
    assert asked.form()["client_id"] == ["the-client"]
    assert asked.form()["client_secret"] == [SECRET]


def test_a_token_past_its_lifetime_is_fetched_again(
    package: ModuleType, server: Loopback, token_server: Loopback
) -> None:
    token_server.reply(_token("T1", expires_in=0), _token("T2"))
    server.reply(_ok(), _ok(), _ok())
    client = _client(package)
    client.artist("1")
    client.artist("2")
    client.artist("3")
    assert len(token_server.requests) == 2
    sent = [r.headers["Authorization"] for r in server.requests]
    assert sent == ["Bearer T1", "Bearer T2", "Bearer T2"]


def test_a_refused_token_is_fetched_again_once_and_the_call_sent_again(
    package: ModuleType, server: Loopback, token_server: Loopback
) -> None:
    token_server.reply(_token("T1"), _token("T2"))
    server.reply(Reply(401, '{"error": {"status": 401, "message": "The access token expired"}}'))
    server.reply(_ok({"id": "p1"}))
    client = _client(package)
    assert client.playlists(name="Road trip") == {"id": "p1"}
    assert len(token_server.requests) == 2
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer T1", "Bearer T2"]
    assert [r.form() for r in server.requests] == [{"name": ["Road trip"]}] * 2  # same body


def test_a_second_refusal_is_the_authentication_error_not_a_loop(
    package: ModuleType, server: Loopback, token_server: Loopback
) -> None:
    token_server.reply(_token("T1"), _token("T2"))
    refused = Reply(401, '{"error": {"status": 401, "message": "Invalid access token"}}')
    server.reply(refused, refused)
    with pytest.raises(package.AuthenticationError) as caught:
        _client(package).artist("1")
    assert caught.value.status == 401
    assert (len(token_server.requests), len(server.requests)) == (2, 2)


def test_a_wrong_secret_is_a_typed_token_error_with_what_the_server_said(
    package: ModuleType, server: Loopback, token_server: Loopback
) -> None:
    token_server.reply(
        Reply(
            400,
            '{"error": "invalid_client", "error_description": "Invalid client secret"}',
            {"Content-Type": "application/json"},
        )
    )
    with pytest.raises(package.TokenError) as caught:
        _client(package).artist("1")
    error = caught.value
    assert isinstance(error, package.AuthenticationError)
    assert (error.error, error.error_description, error.status) == (
        "invalid_client",
        "Invalid client secret",
        400,
    )
    assert str(error).startswith("artist: the token request to 127.0.0.1:")
    assert str(error).endswith("was refused (HTTP 400): invalid_client: Invalid client secret")
    assert SECRET not in str(error) + repr(error.__dict__)
    assert server.requests == []  # the API never saw the call


def test_sixteen_threads_share_one_token_request(
    package: ModuleType, server: Loopback, token_server: Loopback
) -> None:
    token_server.responder = lambda request: Reply(
        200, json.dumps({"access_token": "T1", "token_type": "bearer"}), delay=0.3
    )
    server.responder = lambda request: _ok()
    client = _client(package)
    start = threading.Barrier(16)
    failures: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            client.artist("1")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert failures == []
    assert len(token_server.requests) == 1
    assert [r.headers["Authorization"] for r in server.requests] == ["Bearer T1"] * 16


def test_the_secret_and_the_tokens_never_reach_a_log(
    package: ModuleType,
    server: Loopback,
    token_server: Loopback,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token_server.reply(_token("Tok3n-Value-AbC"), _token("Tok3n-Second-AbC"))
    server.reply(Reply(401, "{}"), _ok())
    with caplog.at_level(logging.DEBUG):
        _client(package, log_level="DEBUG").artist("1")
    basic = base64.b64encode(f"the-client:{SECRET}".encode()).decode()
    shown = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for secret in (SECRET, basic, "Tok3n-Value-AbC", "Tok3n-Second-AbC"):
        assert secret not in shown
    assert "POST /api/token -> HTTP 200" in caplog.text  # the token request is logged, masked


def test_a_token_url_in_clear_to_another_host_is_refused_by_validate(tmp_path: Path) -> None:
    text = SPEC.replace("API_URL", "https://api.music.test").replace(
        "TOKEN_URL", "http://accounts.music.test"
    )
    text = text.replace("NAME", "music").replace(
        "client_secret: {type: str, secret: true,", "client_secret: {type: str,"
    )
    (tmp_path / "spec.yaml").write_text(text.replace("  client_id: client_id\n", ""))
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([tmp_path / "spec.yaml"])
    messages = [f"{e.key_path}: {e.message}" for e in caught.value.errors]
    assert messages == [
        "auth: missing required key 'client_id' for scheme 'oauth2_client_credentials'",
        "auth.token_url: 'http://accounts.music.test/api/token' would send the client secret in "
        "clear: use https",
        "auth.client_secret: setting 'client_secret' holds a credential: mark it 'secret: true'",
    ]


def test_oauth2_is_documented_exported_and_compared(tmp_path: Path) -> None:
    text = SPEC.replace("API_URL", "https://api.music.test").replace(
        "TOKEN_URL", "https://accounts.music.test"
    )
    (tmp_path / "old.yaml").write_text(text.replace("NAME", "music"))
    (spec,) = pipeline.load_apis([tmp_path / "old.yaml"])
    scheme = openapi.export(spec)["components"]["securitySchemes"]["oauth2"]
    assert scheme == {
        "type": "oauth2",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "https://accounts.music.test/api/token",
                "scopes": {"playlist-read": "", "user-read": ""},
            }
        },
    }
    assert "OAuth 2.0 client credentials" in spec.api.auth.doc()
    moved = text.replace("accounts.music.test", "auth.music.test").replace("NAME", "music")
    (tmp_path / "moved.yaml").write_text(moved)
    (after,) = pipeline.load_apis([tmp_path / "moved.yaml"])
    (change,) = diff.diff(spec, after)
    assert (change.subject, change.breaking) == ("auth", False)
    assert "token_url" in change.what
    (tmp_path / "basic.yaml").write_text(
        moved.replace("scheme: oauth2_client_credentials", "scheme: basic")
        .replace('  token_url: "https://auth.music.test/api/token"\n', "")
        .replace("  client_id: client_id\n  client_secret: client_secret\n", "")
        .replace('  scope: "playlist-read user-read"\n', "")
        .replace('  token_fields: {audience: "https://music.example.test"}\n', "")
        .replace("auth:\n", "auth:\n  username: client_id\n  password: client_secret\n")
    )
    (basic,) = pipeline.load_apis([tmp_path / "basic.yaml"])
    changes = {c.subject: c for c in diff.diff(after, basic)}
    assert changes["auth"].breaking and "oauth2_client_credentials -> basic" in changes["auth"].what


def test_a_recorded_token_answer_is_scrubbed_of_the_token(tmp_path: Path) -> None:
    text = SPEC.replace("API_URL", "https://api.music.test").replace(
        "TOKEN_URL", "https://accounts.music.test"
    )
    (tmp_path / "spec.yaml").write_text(text.replace("NAME", "music"))
    (spec,) = pipeline.load_apis([tmp_path / "spec.yaml"])
    answer = {"access_token": "BQDv-live-token", "token_type": "Bearer", "expires_in": 3600}
    response = {"status": {"code": 200}, "body": {"string": json.dumps(answer).encode()}}
    scrubbed = recording.scrub_response(response, frozenset(spec.api.secret_wire_names))
    assert json.loads(scrubbed["body"]["string"]) == {
        "access_token": "REDACTED",
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    assert "client_secret" in spec.api.secret_wire_names  # a secret sent as a form field too


# -- a caller's own auth ------------------------------------------------------------------------

BASIC_SPEC = """\
spec_version: 1
api: {name: NAME, title: Signed, client_class: SignedClient}
settings:
  user: {type: str}
  password: {type: str, secret: true}
server: {url: "API_URL"}
auth: {scheme: basic, username: user, password: password}
protocol: {encoding: form, decoding: json}
operations:
  Orders: {params: {since: {type: str}}}
"""
BEARER_SPEC = """\
spec_version: 1
api: {name: NAME, title: Rotating, client_class: RotatingClient}
settings:
  token: {type: str, secret: true}
server: {url: "API_URL"}
auth: {scheme: bearer, token: token}
protocol: {encoding: query, decoding: json, default_method: GET}
operations:
  Me: {path: /me}
"""


def test_a_signer_passed_as_auth_replaces_the_spec_scheme(
    tmp_path: Path, server: Loopback, request: pytest.FixtureRequest
) -> None:
    name = f"signed_{request.node.name[-10:]}"
    package = build_package(
        tmp_path, BASIC_SPEC.replace("API_URL", server.url).replace("NAME", name)
    )
    runtime = __import__(package.__name__.rsplit(".", 1)[0] + "._runtime", fromlist=["Auth"])
    key = b"hmac-key"

    class Signer(runtime.Auth):  # type: ignore[name-defined,misc]
        def prepare(self, request: Any) -> None:
            body = request.body or b""
            text = f"{request.method}\n{request.full_url()}\n".encode() + body
            request.headers["X-Signature"] = hmac.new(key, text, hashlib.sha256).hexdigest()

    server.reply(_ok({"orders": []}))
    client = package.SignedClient("ann", "unused", auth=Signer())
    assert client.orders(since="2026-01-01") == {"orders": []}
    (sent,) = server.requests
    assert "Authorization" not in sent.headers  # the spec's basic auth is replaced
    expected = hmac.new(
        key, f"POST\n{server.url}/Orders\n".encode() + sent.body, hashlib.sha256
    ).hexdigest()
    assert sent.headers["X-Signature"] == expected


def test_a_bearer_token_may_be_a_function_asked_for_each_request(
    tmp_path: Path, server: Loopback, request: pytest.FixtureRequest
) -> None:
    name = f"rotating_{request.node.name[-10:]}"
    package = build_package(
        tmp_path, BEARER_SPEC.replace("API_URL", server.url).replace("NAME", name)
    )
    tokens = iter(["first", "second"])
    server.reply(_ok(), _ok())
    client = package.RotatingClient(lambda: next(tokens))
    client.me()
    client.me()
    assert [r.headers["Authorization"] for r in server.requests] == [
        "Bearer first",
        "Bearer second",
    ]
