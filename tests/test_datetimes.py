"""Dates and times both ways: epoch seconds and milliseconds, a literal-Z format meaning UTC
(aware when read, converted when written), and model fields keeping their format and wire name
inside a JSON body."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from generated._runtime import codec
from generated._runtime.builtin_types import format_datetime, parse_datetime
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

PARIS = dt.timezone(dt.timedelta(hours=2))
Z_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def test_a_literal_z_is_utc_when_read_and_written() -> None:
    moment = parse_datetime("2026-11-29T10:00:00Z", Z_FORMAT)
    assert moment == dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC)
    fast = codec.decode_json(codec.datetime_type(Z_FORMAT), "2026-11-29T10:00:00Z")
    assert fast == moment and fast.tzinfo is dt.UTC
    in_paris = dt.datetime(2026, 11, 29, 12, tzinfo=PARIS)
    assert format_datetime(in_paris, Z_FORMAT) == "2026-11-29T10:00:00Z"  # the same instant


def test_epoch_seconds_and_milliseconds() -> None:
    moment = dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC)
    assert codec.decode_json(codec.datetime_type("epoch"), 1795946400) == moment
    assert parse_datetime("1795946400000", "epoch_ms") == moment
    assert format_datetime(moment, "epoch") == 1795946400
    assert format_datetime(moment.astimezone(PARIS), "epoch_ms") == 1795946400000
    naive = dt.datetime(2026, 11, 29, 10)  # taken as UTC, never as the machine's zone
    assert format_datetime(naive, "epoch") == 1795946400
    assert codec.encode_scalar(codec.datetime_type("epoch"), moment) == "1795946400"


SPEC = """\
spec_version: 1
api: {name: json_dates, title: JSON dates, client_class: DatesClient}
server: {url: "http://127.0.0.1:1"}
protocol: {encoding: json, decoding: json}
models:
  Event:
    fields:
      starts_at: {type: datetime, wire: startsAt, format: epoch}
      day: {type: date, format: "%d/%m/%Y"}
      note: {type: str}
operations:
  create:
    path: /events
    returns: Event
    params:
      event: {type: Event, required: true}
      when: {type: datetime, format: "%Y-%m-%dT%H:%M:%SZ"}
"""


def test_model_fields_keep_their_wire_names_and_formats_in_a_json_body(
    tmp_path: Path, server: Loopback
) -> None:
    module = build_package(tmp_path, SPEC)
    client = module.DatesClient(base_url=server.url)
    server.reply(Reply(200, '{"startsAt": 1795946400, "day": "29/11/2026"}'))
    event = module.Event(
        starts_at=dt.datetime(2026, 11, 29, 12, tzinfo=PARIS), day=dt.date(2026, 11, 29)
    )
    answer = client.create(event, when=dt.datetime(2026, 11, 29, 12, tzinfo=PARIS))
    assert json.loads(server.requests[0].body) == {
        "event": {"startsAt": 1795946400, "day": "29/11/2026"},
        "when": "2026-11-29T10:00:00Z",
    }
    assert answer.starts_at == dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC)
    assert answer.day == dt.date(2026, 11, 29)
