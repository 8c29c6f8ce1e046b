"""Null as a value: a nullable field may be null in answers even when required, and ``NULL``
sends an explicit null (``None`` still means "not given": nothing is sent)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: nullable_api, title: Nulls, client_class: NullClient}
server: {url: "http://127.0.0.1:1"}
protocol: {encoding: json, decoding: json}
models:
  Task:
    fields:
      id: {type: int, required: true}
      deadline: {type: str, required: true, nullable: true}
operations:
  update_task:
    method: PATCH
    path: "/tasks/{id}"
    returns: Task
    params:
      id: {type: int, in: path}
      deadline: {type: str, nullable: true}
      title: {type: str}
  replace_task:
    method: PUT
    path: /tasks
    returns: Task
    params:
      task: {type: Task, required: true}
  tag_task:
    method: POST
    path: /tags
    encoding: form
    decoding: none
    params:
      tag: {type: str, nullable: true}
"""


@pytest.fixture
def package(tmp_path: Path) -> ModuleType:
    return build_package(tmp_path, SPEC)


def test_null_is_sent_only_when_asked_for(package: ModuleType, server: Loopback) -> None:
    client = package.NullClient(base_url=server.url)
    server.reply(*[Reply(200, '{"id": 1, "deadline": null}')] * 3, Reply(204))
    assert client.update_task(1, deadline=package.NULL).deadline is None
    client.update_task(1, title="x")  # deadline not given: not sent
    client.replace_task(package.Task(id=1, deadline=package.NULL))
    client.tag_task(tag=package.NULL)
    bodies = [r.body for r in server.requests]
    assert json.loads(bodies[0]) == {"deadline": None}
    assert json.loads(bodies[1]) == {"title": "x"}
    assert json.loads(bodies[2]) == {"task": {"id": 1, "deadline": None}}
    assert bodies[3] == b"tag="  # outside JSON, an explicit null is the empty value


def test_null_where_it_is_not_a_value_is_refused_before_sending(
    package: ModuleType, server: Loopback
) -> None:
    client = package.NullClient(base_url=server.url)
    with pytest.raises(ValueError, match="'title' cannot be null"):
        client.update_task(1, title=package.NULL)
    with pytest.raises(ValueError, match="'id' cannot be null"):
        client.replace_task(package.Task(id=package.NULL, deadline=None))
    assert server.requests == []


def test_a_required_nullable_field_may_be_null_but_not_missing(
    package: ModuleType, server: Loopback
) -> None:
    client = package.NullClient(base_url=server.url)
    server.reply(Reply(200, '{"id": 2, "deadline": null}'), Reply(200, '{"id": 2}'))
    assert client.update_task(2).deadline is None
    with pytest.raises(package.DecodeError, match="'deadline' is missing"):
        client.update_task(2)
