"""Scalar formats both ways: a boolean's wire spellings (``1|0``, ``Y|N``), an integer's
zero-padded width (``%02d``), a float's decimals (``%.2f``) — in a query, a form, a JSON body,
read back from XML and JSON answers and from the command line; and what validate refuses."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from generated._runtime import codec
from generated._runtime.builtin_types import (
    BUILTIN_TYPES,
    bool_format_problem,
    float_format_problem,
    int_format_problem,
)
from generator import pipeline
from generator.errors import SpecErrors
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

SPEC = """\
spec_version: 1
api: {name: formats, title: Formats, client_class: FormatsClient}
server: {url: "http://127.0.0.1:1"}
protocol: {encoding: form, decoding: xml}
models:
  Card:
    xml_element: card
    fields:
      month: {type: int, format: "%02d"}
      active: {type: bool, format: "Y|N"}
      amount: {type: float, format: "%.2f"}
  Order:
    fields:
      month: {type: int, format: "%02d"}
      gift: {type: bool, format: "1|0"}
      total: {type: float, format: "%.2f"}
operations:
  pay:
    path: /pay
    returns: Card
    params:
      month: {type: int, format: "%02d", required: true}
      active: {type: bool, format: "Y|N"}
      amount: {type: float, format: "%.2f"}
      plain: {type: bool}
  search:
    path: /search
    method: GET
    encoding: query
    returns: Card
    params:
      gift: {type: bool, format: "1|0"}
      months: {type: "list[int]", format: "%02d"}
  order:
    path: /order
    encoding: json
    decoding: json
    returns: Order
    params:
      order: {type: Order, required: true}
"""

CARD = "<card><month>08</month><active>N</active><amount>12.50</amount></card>"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_package(tmp_path_factory.mktemp("formats"), SPEC)


def test_a_form_sends_each_value_as_its_format_writes_it(
    package: Any, server: Loopback, flavour: Flavour
) -> None:
    client = flavour.make(package.FormatsClient, base_url=server.url)
    server.reply(Reply(200, CARD, {"Content-Type": "application/xml"}))
    card = client.pay(1, active=True, amount=2.5, plain=False)
    assert server.requests[0].body == b"month=01&active=Y&amount=2.50&plain=false"
    assert (card.month, card.active, card.amount) == (8, False, 12.5)  # read back the same way


def test_a_query_formats_booleans_and_every_item_of_a_list(
    package: Any, server: Loopback, flavour: Flavour
) -> None:
    client = flavour.make(package.FormatsClient, base_url=server.url)
    server.reply(Reply(200, CARD, {"Content-Type": "application/xml"}))
    client.search(gift=False, months=[1, 12])
    assert server.requests[0].query == {"gift": ["0"], "months": ["01,12"]}


def test_a_json_body_carries_formatted_values_as_text_and_reads_them_back(
    package: Any, server: Loopback, flavour: Flavour
) -> None:
    client = flavour.make(package.FormatsClient, base_url=server.url)
    server.reply(Reply(200, '{"month": "03", "gift": "1", "total": "7.10"}'))
    answer = client.order(package.Order(month=3, gift=True, total=7.1))
    assert json.loads(server.requests[0].body) == {
        "order": {"month": "03", "gift": "1", "total": "7.10"}
    }
    assert (answer.month, answer.gift, answer.total) == (3, True, 7.1)


def test_the_command_line_takes_values_and_sends_them_formatted(
    package: Any, server: Loopback
) -> None:
    from importlib import import_module

    cli = import_module(package.__name__.rsplit(".", 1)[0] + "._runtime.cli")
    server.reply(Reply(200, CARD, {"Content-Type": "application/xml"}))
    out, err = io.StringIO(), io.StringIO()
    argv = ["--base-url", server.url, "pay", "--month", "7", "--active"]
    assert cli.main(package.FormatsClient, argv, out, err) == 0, err.getvalue()
    assert server.requests[0].body == b"month=07&active=Y"


@pytest.mark.parametrize(
    ("kind", "fmt", "text", "value"),
    [
        ("bool", "1|0", "1", True),
        ("bool", "1|0", "0", False),
        ("bool", "Y|N", "Y", True),
        ("bool", "Y|N", "false", False),  # the usual spellings are read too
        ("int", "%02d", "07", 7),
        ("int", "%04d", "0042", 42),
        ("float", "%.2f", "3.10", 3.1),
        ("float", "%08.3f", "0003.142", 3.142),
    ],
)
def test_each_format_reads_what_it_writes(kind: str, fmt: str, text: str, value: Any) -> None:
    descriptor = codec.formatted(codec.Type(kind), fmt)
    assert BUILTIN_TYPES[kind].from_text(text, fmt) == value
    assert codec.decode_json(descriptor, text) == value
    if text not in ("false",):
        assert codec.encode_scalar(descriptor, value) == text


@pytest.mark.parametrize(
    ("check", "fmt"),
    [
        (bool_format_problem, "yes"),
        (bool_format_problem, "Y|Y"),
        (bool_format_problem, "|N"),
        (bool_format_problem, "a|b|c"),
        (int_format_problem, "%2f"),
        (int_format_problem, "%Y"),
        (int_format_problem, "02"),
        (float_format_problem, "%d"),
        (float_format_problem, "%.f"),
        (float_format_problem, "%.2e"),
    ],
)
def test_a_format_a_type_cannot_write_is_named(check: Any, fmt: str) -> None:
    problem = check(fmt)
    assert problem is not None and repr(fmt) in problem


def test_validate_refuses_a_format_its_type_cannot_take_at_its_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    bad = SPEC.replace('format: "%02d", required: true', 'format: "%2s", required: true')
    bad = bad.replace(
        'gift: {type: bool, format: "1|0"}\n      months',
        'gift: {type: bool, format: "yes"}\n      months',
    )
    spec.write_text(bad, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([spec])
    messages = [str(e) for e in caught.value.errors]
    assert len(messages) == 2, messages
    assert (
        "bad.yaml:22:34: operations.pay.params.month.format" in messages[0]
        and "an int format is a width" in messages[0]
    )
    assert (
        "bad.yaml:32:34: operations.search.params.gift.format" in messages[1]
        and "'1|0', 'Y|N'" in messages[1]
    )


def test_the_openapi_export_says_how_formatted_scalars_are_written(tmp_path: Path) -> None:
    from generator import openapi

    spec = tmp_path / "formats.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    (api,) = pipeline.load_apis([spec])
    schemas = openapi.export(api)["components"]["schemas"]
    order = schemas["Order"]["properties"]
    assert order["month"] == {
        "type": "string",
        "x-specgen-format": "%02d",
        "description": "an int written as %02d",
    }
    assert order["gift"]["enum"] == ["1", "0"]
