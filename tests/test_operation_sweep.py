"""Every answer an operation can declare, read for real: each decoding with each kind of
``returns`` (none, json, scalars, an enum, a model, a union, lists, binary, status). What
validate accepts is read from the answer a vendor following the declaration sends, over
loopback HTTP, into the value the declaration promises; the rest is refused. The accepted
combinations are recorded in ``tests/golden/operation_sweep.txt``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from generator.model import Spec
from tests import sweeps
from tests.loopback import Loopback, Reply
from tests.spec_packages import import_unformatted

GOLDEN = Path(__file__).parent / "golden" / "operation_sweep.txt"
DECODINGS = ("json", "xml", "envelope", "binary_or_xml", "none")
RETURNS: tuple[str | None, ...] = (
    None,
    "json",
    "str",
    "int",
    "bool",
    "datetime",
    "Colour",
    "Thing",
    "Thing | Other",
)
RETURNS += ("list[Thing]", "list[int]", "binary", "status")
# The answer's value as JSON, and as an XML document.
AS_JSON: dict[str | None, str] = {
    None: '{"k": 1}',
    "json": '{"k": 1}',
    "str": '"a"',
    "int": "7",
    "bool": "true",
    "datetime": '"2026-01-02T03:04:05"',
    "Colour": '"red"',
    "Thing": '{"id": 7}',
    "Thing | Other": '{"name": "n"}',
    "list[Thing]": '[{"id": 7}]',
    "list[int]": "[1, 2]",
}
AS_XML: dict[str | None, str] = {
    None: "<r><k>1</k></r>",
    "json": "<r><k>1</k></r>",
    "str": "<r>a</r>",
    "int": "<r>7</r>",
    "bool": "<r>true</r>",
    "datetime": "<r>2026-01-02T03:04:05</r>",
    "Colour": "<r>red</r>",
    "Thing": "<thing><id>7</id></thing>",
    "Thing | Other": "<other><name>n</name></other>",
}


def sweep_spec(chosen: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for wire, (decoding, returns) in chosen.items():
        operations[wire] = {"method": "GET", "decoding": decoding}
        if returns:
            operations[wire]["returns"] = returns
    return {
        "spec_version": 1,
        "api": {"name": "answers", "title": "Answers", "client_class": "AnswersClient"},
        "server": {"url": "http://127.0.0.1:1"},
        "protocol": {"encoding": "form", "decoding": "json"},
        "enums": {"Colour": {"values": ["red", "blue"]}},
        "models": {
            "Thing": {"xml_element": "thing", "fields": {"id": {"type": "int"}}},
            "Other": {"xml_element": "other", "fields": {"name": {"type": "str"}}},
        },
        "operations": operations,
    }


def answer(decoding: str, returns: str | None) -> Reply:
    """What a vendor following the declaration sends."""
    if decoding == "envelope":
        result = AS_JSON.get(returns, "null")
        body = f'{{"statusCode": "succeeded", "result": {result}}}'
        return Reply(200, body, {"Content-Type": "application/json"})
    if decoding == "binary_or_xml":
        return Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"})
    if decoding == "none":
        return Reply(204)
    if decoding == "xml":
        return Reply(200, AS_XML[returns], {"Content-Type": "application/xml"})
    return Reply(200, AS_JSON[returns], {"Content-Type": "application/json"})


def expected(module: Any, decoding: str, returns: str | None) -> Any:
    if decoding == "none":
        return None
    if decoding == "binary_or_xml":
        return ("file", b"%PDF-1.4", "application/pdf")
    if returns == "status":
        return "succeeded"
    values: dict[str | None, Any] = {
        "str": "a",
        "int": 7,
        "bool": True,
        "datetime": dt.datetime(2026, 1, 2, 3, 4, 5),
        "Colour": module.Colour.RED,
        "Thing": module.Thing(id=7),
        "Thing | Other": module.Other(name="n"),
        "list[Thing]": [module.Thing(id=7)],
        "list[int]": [1, 2],
    }
    if returns in values:
        return values[returns]
    return {"k": "1"} if decoding == "xml" else json.loads(AS_JSON[returns])


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Spec, dict[str, Any]]:
    every = {f"op{i}": combo for i, combo in enumerate(itertools.product(DECODINGS, RETURNS))}
    return sweeps.accepted(tmp_path_factory.mktemp("answers"), "operations", every, sweep_spec)


def test_what_validate_accepts_is_recorded(accepted: tuple[Spec, dict[str, Any]]) -> None:
    _api, kept = accepted
    lines = [f"{len(kept)} accepted"]
    lines += [f"  {decoding:13} {returns or '(default)'}" for decoding, returns in kept.values()]
    sweeps.check_record(GOLDEN, lines)


def test_every_accepted_answer_is_read_as_declared(
    accepted: tuple[Spec, dict[str, Any]], tmp_path: Path, server: Loopback
) -> None:
    api, kept = accepted
    module = import_unformatted(tmp_path, api)
    client = module.AnswersClient(base_url=server.url)
    wrong = []
    for wire, (decoding, returns) in kept.items():
        server.reply(answer(decoding, returns))
        got = getattr(client, wire)()
        if returns == "status":
            got = got.code
        elif decoding == "binary_or_xml":
            got = ("file" if got.has_file else "status", got.content, got.content_type)
        if got != expected(module, decoding, returns):
            wrong.append(f"{decoding} {returns}: got {got!r}")
    assert wrong == [], "\n".join(wrong)
