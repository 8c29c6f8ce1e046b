"""A status-envelope vendor whose field names are all its own (none of the schema's defaults,
which MailStore relies on): every envelope and task key is read and sent under the spec's
name, a task is polled to its end, a failure carries the vendor's message and details, and a
value the envelope asks to echo comes back in the declared header."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import Loopback, Reply, Request
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: tasks, title: Tasks, client_class: TasksClient}
server: {url: "http://127.0.0.1:1"}
protocol:
  encoding: form
  decoding: envelope
  default_method: POST
  envelope:
    status_field: state
    result_field: data
    error_field: problem
    message_field: text
    details_field: info
    success: [done]
    running: [busy]
    cancelled: [stopped]
    echo_header: {field: session, header: X-Session}
  long_running:
    status_operation: poll
    cancel_operation: stop
    token_field: ticket
    version_field: rev
    progress_field: pct
    text_field: note
    log_field: lines
    token_param: ticket
    version_param: since
    timeout_param: hold_ms
    wait_time_ms: 50
    auto_handle: true
errors:
  JobFailedError: {base: vendor, vendor_status: [failed]}
operations:
  rebuild: {path: /rebuild, long_running: true, returns: Outcome}
  poll:
    path: /poll
    returns: status
    params:
      ticket: {type: str, required: true}
      since: {type: int}
      hold_ms: {type: int}
  stop:
    path: /stop
    returns: status
    params: {ticket: {type: str, required: true}}
models:
  Outcome: {fields: {count: {type: int}}}
"""


def envelope(**fields: Any) -> Reply:
    return Reply(200, json.dumps(fields), {"Content-Type": "application/json"})


def test_a_task_is_polled_to_its_end_under_the_vendors_own_names(
    tmp_path: Path, server: Loopback
) -> None:
    client = build_package(tmp_path, SPEC).TasksClient(base_url=server.url)
    server.reply(
        envelope(state="busy", ticket="T-1", rev=1, pct=10, note="reading", session="S-9"),
        envelope(state="busy", ticket="T-1", rev=2, pct=60, note="writing", lines="a\nb"),
        envelope(state="done", ticket="T-1", rev=3, pct=100, data={"count": 5}),
    )
    updates: list[tuple[Any, ...]] = []
    outcome = client.rebuild(
        status_callback=lambda s: updates.append((s.progress, s.text, s.log_output))
    )
    assert outcome.count == 5
    assert updates[-2:] == [(60, "writing", "a\nb"), (100, None, None)]
    first_poll: Request = server.requests[1]
    assert first_poll.path == "/poll"
    assert first_poll.form() == {"ticket": ["T-1"], "since": ["1"], "hold_ms": ["50"]}
    assert first_poll.headers["X-Session"] == "S-9"  # echoed as the envelope asked


def test_a_failed_task_raises_with_the_vendors_message_and_details(
    tmp_path: Path, server: Loopback
) -> None:
    package = build_package(tmp_path, SPEC)
    client = package.TasksClient(base_url=server.url)
    server.reply(
        envelope(state="busy", ticket="T-2", rev=1),
        envelope(state="failed", ticket="T-2", rev=2, problem={"text": "disk full", "info": "sda"}),
    )
    with pytest.raises(package.JobFailedError) as raised:
        client.rebuild()
    assert raised.value.vendor_message == "disk full"
    assert raised.value.details == "sda"


def test_a_started_task_is_cancelled_with_the_vendors_operation(
    tmp_path: Path, server: Loopback
) -> None:
    client = build_package(tmp_path, SPEC).TasksClient(base_url=server.url)
    server.reply(envelope(state="busy", ticket="T-3", rev=1), envelope(state="stopped"))
    task = client.begin_rebuild()
    task.cancel()
    stop = server.requests[-1]
    assert (stop.path, stop.form()) == ("/stop", {"ticket": ["T-3"]})
