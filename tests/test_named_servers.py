"""Several servers in one spec: ``server.named`` lists the vendor's other hosts, an operation's
``server`` sends it to one, the OAuth2 scheme's ``token_server`` asks for tokens there; the
client's ``servers=`` moves them; redirects stay within the origin a request was sent to; what
validate refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import openapi, pipeline
from generator.errors import SpecErrors
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: hosts, title: Two hosts, client_class: HostsClient}
settings:
  client_id: {type: str}
  client_secret: {type: str, secret: true}
server:
  url: https://api.example.test
  named:
    accounts: https://accounts.example.test
    uploads: https://uploads.example.test/v2
auth:
  scheme: oauth2_client_credentials
  token_server: accounts
  token_url: /oauth/token
  client_id: client_id
  client_secret: client_secret
protocol: {encoding: query, decoding: json, default_method: GET}
operations:
  me:
    path: /me
    returns: json
  upload:
    path: /files
    method: POST
    server: uploads
    returns: json
    params:
      name: {type: str, required: true}
"""

TOKEN = '{"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600}'


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_package(tmp_path_factory.mktemp("hosts"), SPEC)


@pytest.fixture
def hosts(server: Loopback) -> Any:
    """The API (``server``) and two more loopback hosts: the token endpoint and the uploads."""
    with Loopback() as accounts, Loopback() as uploads:
        accounts.responder = lambda request: Reply(200, TOKEN)
        uploads.responder = lambda request: Reply(200, '{"stored": true}')
        server.responder = lambda request: Reply(200, '{"id": 7}')
        yield server, accounts, uploads


def client_of(package: Any, hosts: Any, flavour: Flavour, **options: Any) -> Any:
    """The client with its API and its two named servers on the loopback hosts."""
    api, accounts, uploads = hosts
    servers = {"accounts": accounts.url, "uploads": uploads.url + "/v2"}
    return flavour.make(
        package.HostsClient, "app", "s3cret", base_url=api.url, servers=servers, **options
    )


def test_each_operation_goes_to_its_server_and_the_token_to_the_token_server(
    package: Any, hosts: Any, flavour: Flavour
) -> None:
    api, accounts, uploads = hosts
    client = client_of(package, hosts, flavour)
    assert client.me() == {"id": 7}
    assert client.upload("a.pdf") == {"stored": True}
    (token,) = accounts.requests  # one token for both calls
    assert (token.method, token.path) == ("POST", "/oauth/token")
    assert token.form() == {"grant_type": ["client_credentials"]}
    assert [r.path for r in api.requests] == ["/me"]
    (sent,) = uploads.requests
    assert (sent.method, sent.path, sent.query) == ("POST", "/v2/files", {"name": ["a.pdf"]})
    assert sent.headers["Authorization"] == api.requests[0].headers["Authorization"]
    assert sent.headers["Authorization"] == "Bearer tok-1"


def test_a_redirect_stays_within_the_origin_the_request_was_sent_to(
    package: Any, hosts: Any, flavour: Flavour
) -> None:
    api, accounts, uploads = hosts
    uploads.reply(
        Reply(307, "", {"Location": f"{uploads.url}/v2/files/again"}),
        Reply(200, '{"stored": true}'),
    )
    client = client_of(package, hosts, flavour, retry_attempts=0)
    assert client.upload("a.pdf") == {"stored": True}
    assert [r.path for r in uploads.requests] == ["/v2/files", "/v2/files/again"]
    assert uploads.requests[1].headers["Authorization"] == "Bearer tok-1"
    # to the API's own origin it would be another origin: not followed with the token
    uploads.reply(Reply(307, "", {"Location": f"{api.url}/elsewhere"}))
    with pytest.raises(package.errors.TransportError, match="another origin"):
        client.upload("b.pdf")
    assert [r.path for r in api.requests] == []


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ({"downloads": "https://d.example.test"}, "'downloads' is not a named server"),
        ({"uploads": "ftp://uploads.example.test"}, "server 'uploads': 'ftp://"),
    ],
)
def test_servers_the_spec_does_not_name_or_that_are_not_urls_are_refused(
    package: Any, servers: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):  # the runtime's ArgumentValueError
        package.HostsClient("app", "s3cret", servers=servers)


def test_docs_and_the_openapi_export_name_the_token_endpoint_in_full(tmp_path: Path) -> None:
    spec = tmp_path / "hosts.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    (api,) = pipeline.load_apis([spec])
    schemes = openapi.export(api)["components"]["securitySchemes"]
    flow = schemes["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "https://accounts.example.test/oauth/token"
    assert "`/oauth/token` on server `accounts`" in api.api.auth.doc()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    server: uploads\n", "    server: download\n"),
            "operations.upload.server: 'download' is not a named server (server.named: "
            "accounts, uploads)",
        ),
        (
            ("  token_server: accounts\n", "  token_server: login\n"),
            "auth.token_server: 'login' is not a named server (server.named: accounts, uploads)",
        ),
        (
            ("  token_server: accounts\n", ""),
            "server.named.accounts: no operation and no token endpoint uses server 'accounts': "
            "remove it, or name it in an operation's 'server'\n"
            "auth.token_url: token_url '/oauth/token' is a path: say on which server with "
            "'token_server' (a name in server.named), or give the whole URL",
        ),
        (
            ("  token_url: /oauth/token\n", "  token_url: https://a.example.test/t\n"),
            "auth.token_url: with token_server, token_url is the path on that server (e.g. "
            "/api/token), not 'https://a.example.test/t'",
        ),
        (
            ("    server: uploads\n", ""),
            "server.named.uploads: no operation and no token endpoint uses server 'uploads': "
            "remove it, or name it in an operation's 'server'",
        ),
        (
            ("accounts: https://accounts.example.test", "accounts: http://accounts.example.test"),
            "auth.token_server: 'http://accounts.example.test/oauth/token' would send the client "
            "secret in clear: use https",
        ),
    ],
)
def test_validate_refuses_servers_that_do_not_work_at_their_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    spec = tmp_path / "hosts.yaml"
    assert change[0] in SPEC
    spec.write_text(SPEC.replace(*change), encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([spec])
    reported = [e.message for e in caught.value.errors]
    said = [f"{e.key_path}: {e.message}" for e in caught.value.errors]
    assert said == expected.split("\n"), reported


def test_the_command_line_moves_a_named_server(package: Any, hosts: Any) -> None:
    import io
    from importlib import import_module

    api, accounts, uploads = hosts
    cli = import_module(package.__name__.rsplit(".", 1)[0] + "._runtime.cli")
    out, err = io.StringIO(), io.StringIO()
    argv = ["--client-id", "app", "--client-secret", "s3cret", "--base-url", api.url]
    argv += ["--server", f"accounts={accounts.url}", "--server", f"uploads={uploads.url}/v2"]
    assert (
        cli.main(package.HostsClient, [*argv, "upload", "--name", "a.pdf"], out, err) == 0
    ), err.getvalue()
    assert [r.path for r in uploads.requests] == ["/v2/files"]
    with pytest.raises(SystemExit) as usage:  # argparse's usage error
        cli.main(package.HostsClient, [*argv[:4], "--server", "uploads", "me"], out, err)
    assert usage.value.code == 2
