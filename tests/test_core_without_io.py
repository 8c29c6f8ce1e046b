"""The core does no I/O: building requests, the transport policy, decoding, pages and tasks are
flows that ask a transport for what needs the network. Proven three ways: the core's modules
import no network library; flows driven by hand, with answers made up on the spot, take the
policy's decisions; and every documented example of every vendor runs through a transport that
answers from memory (``MemoryTransport``), with sockets blocked."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from generated._runtime import NetworkFailure
from generated._runtime.answer import Answer, Headers, parse_links
from generated._runtime.exchange import Read, Release, Send, Wait
from generated._runtime.printing import plain
from generated._runtime.testing import MemoryTransport, Reply
from generated.lleida_mailcert import MailCertClient
from generated.mailstore_server import MailStoreServerClient
from generator import fixtures
from generator.runtime.encoding import example_pairs
from tests.conftest import ROOT
from tests.test_examples import CASES, SPECS, call_kwargs, make_client

RUNTIME = ROOT / "generated" / "_runtime"
# The edge: the requests transport and its adapter, the sync driver (which sleeps) and the
# command line (a program of its own).
EDGE = {
    "transport.py",
    "http_adapter.py",
    "client.py",
    "cli.py",
    "aio.py",
    "httpx_transport.py",
}
NETWORK_MODULES = {"requests", "urllib3", "socket", "ssl", "http", "httpx", "asyncio", "select"}


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "module", sorted(p.name for p in RUNTIME.glob("*.py") if p.name not in EDGE)
)
def test_the_core_imports_no_network_library_and_never_sleeps(module: str) -> None:
    path = RUNTIME / module
    assert _imported(path) & NETWORK_MODULES == set()
    assert "time.sleep" not in path.read_text(encoding="utf-8")


# -- flows driven by hand ---------------------------------------------------------------------


def _answer(status: int, headers: dict[str, str] | None = None, url: str = "") -> Answer:
    return Answer(status, Headers(headers or {}), url)


def _client(**options: Any) -> MailStoreServerClient:
    return MailStoreServerClient(
        username="admin", password="secret", base_url="https://mail.example.test:8463", **options
    )


def test_a_redirect_to_another_host_is_refused_by_the_flow_itself() -> None:
    client = _client()
    op = client._api.operation("GetServerInfo")
    flow = client._client.send_flow(op, {})
    send = next(flow)
    assert (
        type(send) is Send
        and send.hop.url == "https://mail.example.test:8463/api/invoke/GetServerInfo"
    )
    assert send.hop.headers["Authorization"].startswith("Basic ")
    with pytest.raises(client._api.errors.transport, match="other origin|another origin|leaves"):
        flow.send(_answer(302, {"Location": "https://elsewhere.test/steal"}))


def test_a_retry_waits_what_the_server_asks_then_sends_again() -> None:
    client = _client(retry_backoff=0.01)
    op = client._api.operation("GetServerInfo")._replace(safe=True)
    flow = client._client.send_flow(op, {})
    assert type(next(flow)) is Send
    busy = _answer(503, {"Retry-After": "2"})
    read = flow.send(busy)
    assert type(read) is Read and read.answer is busy  # the body is read before retrying
    assert flow.send(b"") == Release(busy)  # the body read, the connection is free again
    assert flow.send(None) == Wait(2.0)
    assert type(flow.send(None)) is Send  # the second try


def test_a_network_failure_thrown_into_the_flow_becomes_the_package_error() -> None:
    client = _client(retry_attempts=0)
    op = client._api.operation("GetServerInfo")
    flow = client._client.send_flow(op, {})
    next(flow)
    refused = NetworkFailure(NetworkFailure.CONNECTION, "ConnectionError: refused")
    with pytest.raises(
        client._api.errors.transport, match="GetServerInfo: ConnectionError: refused"
    ):
        flow.throw(refused)


def test_a_held_body_is_read_through_the_limits() -> None:
    client = _client(max_answer_bytes=10)
    op = client._api.operation("GetServerInfo")
    flow = client._client.send_flow(op, {})
    next(flow)
    read = flow.send(_answer(200, {"Content-Type": "application/json"}))
    assert type(read) is Read
    with pytest.raises(client._api.errors.limit, match="max_answer_bytes"):
        flow.send(b"x" * 11)


def test_link_headers_are_read_as_requests_reads_them() -> None:
    requests = pytest.importorskip("requests")
    values = [
        '<https://api.test/x?page=2>; rel="next", <https://api.test/x?page=9>; rel="last"',
        "<https://api.test/a>; rel=next",
        '<https://api.test/a> ; rel="prev" ; title="back"',
        "",
    ]
    for value in values:
        response = requests.Response()
        response.headers["Link"] = value
        assert parse_links(value) == response.links, value


# -- every documented example, answered from memory -------------------------------------------


def _ids(case: tuple[Any, ...]) -> str:
    api, op, example = case
    return f"{api.name}.{op.name}.{example.name}"


@pytest.mark.block_network
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_every_example_runs_through_a_memory_transport(case: tuple[Any, ...]) -> None:
    api, op, example = case
    spec = next(s for s in SPECS if s.name == api.name)
    response = example.response
    reply = Reply(
        int(str(response.get("status", 200))),
        str(response.get("body", "")),
        {str(k): str(v) for k, v in dict(response.get("headers") or {}).items()},
    )
    transport = MemoryTransport([reply])
    base = fixtures.default_base_url(spec).rstrip("/")
    client = make_client(api, transport=transport, base_url=base)
    method = getattr(client, op.name)
    kwargs = call_kwargs(api, op, example)
    if example.raises:
        package = __import__(f"generated.{api.name}", fromlist=["x"])
        with pytest.raises(getattr(package, example.raises)):
            method(**kwargs)
    else:
        assert plain(method(**kwargs)) == example.result
    (sent,) = transport.requests
    wanted = example.request
    documented = urlsplit(base + str(wanted.get("path", op.path)))
    assert (sent.method, sent.path) == (wanted.get("method", op.method), documented.path)
    assert sorted(sent.query) == sorted(example_pairs(dict(wanted.get("query") or {})))
    assert transport.released >= 1  # the client was done with every answer


# -- the public test transport ----------------------------------------------------------------


def _envelope(status: str, version: int, result: Any = None, token: str | None = "t1") -> Reply:
    body = {
        "statusCode": status,
        "statusVersion": version,
        "token": token,
        "percentProgress": None,
        "statusText": None,
        "logOutput": None,
        "error": None,
        "result": result,
    }
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


@pytest.mark.block_network
def test_a_long_running_call_polls_its_task_through_the_memory_transport() -> None:
    transport = MemoryTransport(
        [_envelope("running", 1), _envelope("running", 2), _envelope("succeeded", 3, "done")]
    )
    client = _client(transport=transport, poll_interval=0.0, wait_time=100)
    assert client.verify_store(id=1, include_indexes=True) == "done"
    paths = [request.path for request in transport.requests]
    assert paths == ["/api/invoke/VerifyStore", "/api/get-status", "/api/get-status"]
    polls = [dict(parse_qsl(r.body.decode())) for r in transport.requests[1:]]
    assert [p["lastKnownStatusVersion"] for p in polls] == ["1", "2"]
    assert {p["token"] for p in polls} == {"t1"} and polls[0]["millisecondsTimeout"] == "100"


@pytest.mark.block_network
def test_a_streamed_listing_arrives_piece_by_piece_from_memory() -> None:
    row = "<pdf_row><mail_id>{n}</mail_id><mail_date>20171108124802</mail_date></pdf_row>"
    document = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><result><status>100</status><pdf_list>'
        + "".join(row.format(n=n) for n in range(3))
        + "</pdf_list></result>"
    ).encode()
    pieces = [document[i : i + 7] for i in range(0, len(document), 7)]  # 7 bytes at a time
    transport = MemoryTransport([Reply(200, pieces, {"Content-Type": "text/xml"})])
    client = MailCertClient(
        username="u", password="p", base_url="https://mc.example.test", transport=transport
    )
    assert [row.mail_id for row in client.iter_list_pdf()] == [0, 1, 2]


def test_a_client_takes_a_session_or_a_transport_not_both() -> None:
    requests = pytest.importorskip("requests")
    with pytest.raises(ValueError, match="not both"):
        _client(session=requests.Session(), transport=MemoryTransport([]))
