"""Declared pagination: an ``iter_<name>`` twin walks pages lazily (Link header, page number,
offset, cursor from the answer or from the last item), stops at ``max_items`` without fetching
more, refuses a next link that leaves the API's host and a cursor sent twice; ``--all`` on the
command line."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generator import openapi, pipeline
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply, Request
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: NAME, title: Paged API, client_class: PagedClient}
server: {url: "http://127.0.0.1:1"}
protocol: {encoding: query, decoding: json, default_method: GET}
models:
  Repo:
    fields:
      id: {type: int, required: true}
      name: {type: str}
  CustomerList:
    fields:
      data: {type: "list[Repo]"}
      has_more: {type: bool}
      next_cursor: {type: str}
operations:
  repos:
    path: /repos
    returns: "list[Repo]"
    paginate: {style: link}
    params:
      per_page: {type: int}
  customers:
    path: /customers
    returns: CustomerList
    paginate: {style: cursor, items: data, param: starting_after, cursor_item_field: id,
               has_more: has_more}
    params:
      starting_after: {type: str}
      limit: {type: int}
  events:
    path: /events
    returns: CustomerList
    paginate: {style: cursor, items: data, param: cursor, cursor_field: next_cursor}
    params:
      cursor: {type: str}
  numbered:
    path: /numbered
    returns: json
    paginate: {style: page, items: results, param: page, first_page: 1}
    params:
      page: {type: int}
  counted:
    path: /counted
    returns: json
    paginate: {style: page, items: results, param: page, total_pages: meta/pages}
    params:
      page: {type: int}
  skipped:
    path: /skipped
    returns: json
    paginate: {style: offset, items: results, param: offset}
    params:
      offset: {type: int}
  totalled:
    path: /totalled
    returns: json
    paginate: {style: offset, items: items, param: offset, total_items: total}
    params:
      offset: {type: int}
      limit: {type: int}
  linked:
    path: /linked
    returns: json
    paginate: {style: next_link, items: messages, next_field: meta/next_page_url}
    params:
      PageSize: {type: int}
      To: {type: str}
"""


@pytest.fixture
def package(tmp_path: Path, request: pytest.FixtureRequest) -> ModuleType:
    return build_package(tmp_path, SPEC.replace("NAME", f"paged_{abs(hash(request.node.name))}"))


@pytest.fixture
def client(package: ModuleType, server: Loopback, flavour: Flavour) -> Any:
    """The paged client, sync and async (every test taking it runs on both)."""
    return flavour.make(package.PagedClient, base_url=server.url, retry_attempts=0)


def repos(start: int, count: int) -> str:
    return json.dumps([{"id": n, "name": f"r{n}"} for n in range(start, start + count)])


def test_link_headers_are_followed_page_by_page(client: Any, server: Loopback) -> None:
    def answer(request: Request) -> Reply:
        page = int(request.query.get("page", ["1"])[0])
        link = f'<{server.url}/repos?per_page=2&page={page + 1}>; rel="next"' if page < 3 else ""
        return Reply(200, repos(2 * page - 1, 2), {"Link": link} if link else {})

    server.responder = answer
    assert [r.id for r in client.iter_repos(per_page=2)] == [1, 2, 3, 4, 5, 6]
    assert [r.query for r in server.requests] == [
        {"per_page": ["2"]},
        {"per_page": ["2"], "page": ["2"]},
        {"per_page": ["2"], "page": ["3"]},
    ]


def test_pages_are_fetched_only_when_needed(client: Any, server: Loopback) -> None:
    link = {"Link": f'<{server.url}/repos?page=2>; rel="next"'}
    server.reply(
        Reply(200, repos(1, 2), link), Reply(200, repos(1, 2), link), Reply(200, repos(3, 2), link)
    )
    walk = client.iter_repos()
    assert server.requests == []  # lazy: nothing sent before the first item is asked for
    assert next(walk).id == 1
    assert len(server.requests) == 1
    assert [r.id for r in client.iter_repos(max_items=3)] == [1, 2, 3]
    assert len(server.requests) == 3  # two pages for three items: the third page is not fetched


def test_a_next_link_to_another_host_is_not_followed(
    package: ModuleType, client: Any, server: Loopback
) -> None:
    server.reply(
        Reply(200, repos(1, 1), {"Link": '<https://evil.example/repos?page=2>; rel="next"'})
    )
    with pytest.raises(package.DecodeError, match="leaves"):
        list(client.iter_repos())


def test_a_cursor_from_the_last_item_until_has_more_is_false(client: Any, server: Loopback) -> None:
    server.reply(
        Reply(200, json.dumps({"data": [{"id": 1}, {"id": 2}], "has_more": True})),
        Reply(200, json.dumps({"data": [{"id": 3}], "has_more": False})),
    )
    assert [c.id for c in client.iter_customers(limit=2)] == [1, 2, 3]
    assert server.requests[1].query == {"limit": ["2"], "starting_after": ["2"]}
    assert len(server.requests) == 2


def test_a_cursor_from_the_answer_and_one_sent_twice_is_refused(
    package: ModuleType, client: Any, server: Loopback
) -> None:
    server.reply(
        Reply(200, json.dumps({"data": [{"id": 1}], "next_cursor": "c2"})),
        Reply(200, json.dumps({"data": [{"id": 2}], "next_cursor": ""})),
    )
    assert [e.id for e in client.iter_events()] == [1, 2]
    assert server.requests[1].query == {"cursor": ["c2"]}
    server.reply(
        Reply(200, json.dumps({"data": [{"id": 1}], "next_cursor": "same"})),
        Reply(200, json.dumps({"data": [{"id": 2}], "next_cursor": "same"})),
    )
    with pytest.raises(package.DecodeError, match="twice"):
        list(client.iter_events())


def test_page_numbers_and_offsets_until_an_empty_page(client: Any, server: Loopback) -> None:
    server.reply(
        Reply(200, '{"results": [1, 2]}'),
        Reply(200, '{"results": [3]}'),
        Reply(200, '{"results": []}'),
    )
    assert list(client.iter_numbered()) == [1, 2, 3]
    # the first page goes as the caller asked: no page number the caller did not give
    assert [r.query for r in server.requests] == [{}, {"page": ["2"]}, {"page": ["3"]}]
    server.reply(Reply(200, '{"results": ["a", "b"]}'), Reply(200, '{"results": []}'))
    assert list(client.iter_skipped(offset=10)) == ["a", "b"]
    assert [r.query for r in server.requests[3:]] == [{"offset": ["10"]}, {"offset": ["12"]}]


def test_page_numbers_stop_at_the_total_the_answer_gives(client: Any, server: Loopback) -> None:
    server.reply(
        Reply(200, '{"results": [1, 2], "meta": {"pages": 2}}'),
        Reply(200, '{"results": [3], "meta": {"pages": 2}}'),
    )
    assert list(client.iter_counted()) == [1, 2, 3]  # no third request for an empty page
    assert [r.query for r in server.requests] == [{}, {"page": ["2"]}]


def test_offsets_stop_at_the_total_the_answer_gives(client: Any, server: Loopback) -> None:
    server.reply(
        Reply(200, '{"items": [1, 2], "total": 3}'), Reply(200, '{"items": [3], "total": 3}')
    )
    assert list(client.iter_totalled(limit=2)) == [1, 2, 3]
    assert [r.query for r in server.requests] == [
        {"limit": ["2"]},
        {"limit": ["2"], "offset": ["2"]},
    ]


def page_linking(next_link: str | None, *items: int) -> Reply:
    return Reply(200, json.dumps({"messages": list(items), "meta": {"next_page_url": next_link}}))


@pytest.mark.parametrize("how", ["a path", "an absolute URL"])
def test_next_links_in_the_answer_are_followed_as_given_until_null(
    client: Any, server: Loopback, how: str
) -> None:
    base = "" if how == "a path" else server.url
    server.reply(
        page_linking(f"{base}/linked?PageSize=2&Page=1&PageToken=PA1&To=%2B1555", 1, 2),
        page_linking(f"{base}/linked?PageSize=2&Page=2&PageToken=PA2&To=%2B1555", 3, 4),
        page_linking(None, 5),
    )
    assert list(client.iter_linked(page_size=2, to="+1555")) == [1, 2, 3, 4, 5]
    assert [r.query for r in server.requests] == [
        {"PageSize": ["2"], "To": ["+1555"]},  # the first page: no Page=0, no token
        {"PageSize": ["2"], "Page": ["1"], "PageToken": ["PA1"], "To": ["+1555"]},
        {"PageSize": ["2"], "Page": ["2"], "PageToken": ["PA2"], "To": ["+1555"]},
    ]


@pytest.mark.parametrize("last", [None, "", "absent"])
def test_a_next_link_that_is_null_empty_or_absent_ends_the_walk(
    client: Any, server: Loopback, last: str | None
) -> None:
    body = (
        {"messages": [1]}
        if last == "absent"
        else {"messages": [1], "meta": {"next_page_url": last}}
    )
    server.reply(Reply(200, json.dumps(body)))
    assert list(client.iter_linked()) == [1]
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "link, error",
    [
        ("https://evil.example/linked?PageToken=x", "leaves"),
        ("//evil.example/linked", "leaves"),
        (7, "int, not a URL"),
        ("SELF", "same page twice"),
    ],
)
def test_a_next_link_elsewhere_malformed_or_circular_is_refused(
    package: ModuleType, client: Any, server: Loopback, link: Any, error: str
) -> None:
    link = "/linked?PageToken=again" if link == "SELF" else link
    server.reply(page_linking(link, 1), page_linking(link, 2), page_linking(link, 3))
    with pytest.raises(package.DecodeError, match=error):
        list(client.iter_linked())
    assert len(server.requests) <= 2  # nothing sent to the other host, no third page


def test_the_command_line_follows_every_page_with_all(
    package: ModuleType, server: Loopback
) -> None:
    server.reply(
        Reply(200, json.dumps({"data": [{"id": 1}], "has_more": True})),
        Reply(200, json.dumps({"data": [{"id": 2}], "has_more": False})),
    )
    cli = importlib.import_module(package.__name__.rsplit(".", 1)[0] + "._runtime.cli")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(package.PagedClient, ["--base-url", server.url, "customers", "--all"], out, err)
    assert code == 0, err.getvalue()
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == [1, 2]


def test_the_openapi_export_says_how_each_operation_walks_its_pages(tmp_path: Path) -> None:
    spec = tmp_path / "paged.yaml"
    spec.write_text(SPEC.replace("NAME", "paged"), encoding="utf-8")
    (api,) = pipeline.load_apis([spec])
    document = openapi.export(api)
    walks = {
        op["operationId"]: op["x-specgen-pagination"]
        for path in document["paths"].values()
        for op in path.values()
        if "x-specgen-pagination" in op
    }
    assert walks["counted"] == {
        "style": "page",
        "items": "results",
        "param": "page",
        "firstPage": 1,
        "totalPages": "meta/pages",
    }
    assert walks["skipped"] == {"style": "offset", "items": "results", "param": "offset"}
