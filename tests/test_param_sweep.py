"""Every way a parameter can be declared, sent for real: what validate accepts travels as
declared, everything else is refused with a located error.

For each request shape (a GET, and a POST in every encoding) one spec declares an operation per
combination of location (``in``), style and type, plus the modifiers (``nullable``, ``secret``,
``const``, ``default``, ``format``). validate judges them all; the accepted ones are generated
into a client, called over loopback HTTP, and the request is held against what the declaration
means, written here from the spec language's definition, not from the runtime. The accepted
combinations are recorded in ``tests/golden/param_sweep.txt``: a change to what the language
accepts shows in review.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import inspect
import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.etree import ElementTree

import pytest

from generator.model import Spec
from tests import sweeps
from tests.loopback import Loopback, Reply, Request
from tests.spec_packages import import_unformatted

GOLDEN = Path(__file__).parent / "golden" / "param_sweep.txt"
PLACES = ("path", "query", "body", "header", "file")
STYLES = (None, "plain", "csv", "json", "flag", "repeat", "xml", "deep")
TYPES: tuple[str, ...] = (
    "str",
    "int",
    "bool",
    "datetime",
    "Colour",
    "list[str]",
    "Pair",
    "list[Pair]",
    "json",
)
TYPES += ("binary",)
MODIFIERS = ("nullable", "secret", "const", "default", "format")
SHAPES = {  # (method, encoding)
    "GET": ("GET", None),
    "POST form": ("POST", "form"),
    "POST query": ("POST", "query"),
    "POST json": ("POST", "json"),
    "POST multipart": ("POST", "multipart"),
    "POST xml_field": ("POST", "xml_field"),
    "POST xml_body": ("POST", "xml_body"),
}
SECRET = "hunter2-sweep"
# What each type's sample means as JSON (the JSON body's value and every 'json' style text).
NATIVE: dict[str, Any] = {
    "str": "a b&c",
    "int": 7,
    "bool": True,
    "datetime": "2026-01-02T03:04:05",
    "list[str]": ["x", "y"],
    "Colour": "red",
    "Pair": {"a": "1", "b": 2},
    "list[Pair]": [{"a": "1", "b": 2}],
    "json": {"k": [1, 2]},
}
PLAIN = {"str": "a b&c", "int": "7", "bool": "true", "datetime": "2026-01-02T03:04:05"}
PLAIN["Colour"] = "red"
PAIR_XML = "<pair><a>1</a><b>2</b></pair>"


class Variant:
    """One operation of a sweep spec: a parameter ``v`` declared one way."""

    def __init__(self, place: str, style: str | None, type_: str, modifier: str | None) -> None:
        self.place, self.style, self.type, self.modifier = place, style, type_, modifier

    def declaration(self) -> dict[str, Any]:
        param: dict[str, Any] = {"type": self.type, "in": self.place}
        if self.style:
            param["style"] = self.style
        if self.modifier == "const":
            param["const"] = 5 if self.type == "int" else "K-1"
        elif self.modifier == "default":
            param["default"] = 5
        else:
            param["required"] = self.modifier != "nullable"
        if self.modifier in ("nullable", "secret"):
            param[self.modifier] = True
        if self.modifier == "format":
            param["format"] = "%Y/%m/%d"
        return param

    def __str__(self) -> str:
        style = self.style or "(default style)"
        return f"{self.place:6} {style:16} {self.type:9} {self.modifier or ''}".rstrip()


def variants() -> list[Variant]:
    plain = [Variant(*combo, None) for combo in itertools.product(PLACES, STYLES, TYPES)]
    modified = [
        Variant(place, None, type_, modifier)
        for place, modifier in itertools.product(PLACES, MODIFIERS)
        for type_ in {
            "const": ("str", "int"),
            "default": ("int",),
            "format": ("datetime",),
            "secret": ("str",),
        }.get(modifier, TYPES)
    ]
    return plain + modified


def sweep_spec(method: str, encoding: str | None, chosen: dict[str, Variant]) -> dict[str, Any]:
    operations = {}
    for wire, variant in chosen.items():
        path = f"/{wire}" + ("/{v}" if variant.place == "path" else "")
        operation: dict[str, Any] = {"method": method, "path": path}
        if encoding:
            operation["encoding"] = encoding
        operation["params"] = {"v": variant.declaration()}
        if encoding == "xml_body" and variant.place != "body":
            # the XML body is a model of its own; ``v`` travels beside it
            operation["params"]["payload"] = {"type": "Pair", "in": "body", "required": True}
        operations[wire] = operation
    return {
        "spec_version": 1,
        "api": {"name": "sweep", "title": "Sweep", "client_class": "SweepClient"},
        "server": {"url": "http://127.0.0.1:1"},
        "protocol": {
            "encoding": "form",
            "decoding": "json",
            **({"xml_field": {"field": "xml"}} if encoding == "xml_field" else {}),
        },
        "enums": {"Colour": {"values": ["red", "blue"]}},
        "models": {
            "Pair": {"xml_element": "pair", "fields": {"a": {"type": "str"}, "b": {"type": "int"}}}
        },
        "operations": operations,
    }


def accepted_variants(folder: Path, shape: str) -> tuple[Spec, dict[str, Variant]]:
    """The API of the variants validate accepts for ``shape``, keyed by operation."""
    method, encoding = SHAPES[shape]
    every = {f"op{i}": variant for i, variant in enumerate(variants())}
    return sweeps.accepted(
        folder, "operations", every, lambda chosen: sweep_spec(method, encoding, chosen)
    )


# -- what a declaration means on the wire (the oracle) -------------------------------------------


def style_of(variant: Variant) -> str:
    if variant.style:
        return variant.style
    return {"list[str]": "csv", "json": "json"}.get(variant.type, "plain")


def text(variant: Variant) -> str:
    """The one text a value travels as (path, header, a single field)."""
    if variant.modifier == "const":
        return str(variant.declaration()["const"])
    if variant.modifier == "default":
        return "5"
    if variant.modifier == "format":
        return "2026/01/02"
    if variant.modifier == "secret":
        return SECRET
    style = style_of(variant)
    if style == "json":
        return json.dumps(NATIVE[variant.type], separators=(",", ":"))
    if style == "csv":
        return "x,y"
    if style == "xml":
        return PAIR_XML
    return PLAIN[variant.type]


def pairs(variant: Variant) -> list[tuple[str, str]]:
    """The (key, text) pairs of a query, form or multipart parameter."""
    style = style_of(variant)
    if variant.modifier == "nullable":
        return [("v", "")]
    if style == "repeat":
        return [("v", "x"), ("v", "y")]
    if style == "deep":
        return {
            "list[str]": [("v[0]", "x"), ("v[1]", "y")],
            "Pair": [("v[a]", "1"), ("v[b]", "2")],
            "list[Pair]": [("v[0][a]", "1"), ("v[0][b]", "2")],
            "json": [("v[k][0]", "1"), ("v[k][1]", "2")],
        }[variant.type]
    return [("v", text(variant))]


def native(variant: Variant) -> Any:
    if variant.modifier == "nullable":
        return None
    if variant.modifier in ("const", "default"):
        return variant.declaration()[variant.modifier]
    if variant.modifier in ("format", "secret"):
        return text(variant)
    return NATIVE[variant.type]


def xml_children(variant: Variant) -> list[str]:
    """The elements ``v`` of an XML document field, written back as text."""
    if variant.modifier == "nullable":
        return ["<v />"]
    if style_of(variant) == "flag":
        return ["<v />"]
    if variant.type == "list[str]":
        return ["<v>x</v>", "<v>y</v>"]
    if variant.type in ("Pair", "list[Pair]"):
        return ["<v><a>1</a><b>2</b></v>"]
    if variant.type == "json":
        return ["<v><k>1</k><k>2</k></v>"]
    return [f"<v>{text(variant).replace('&', '&amp;')}</v>"]


def multipart_fields(request: Request) -> list[tuple[str, str | bytes, str | None]]:
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    found: list[tuple[str, str | bytes, str | None]] = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        name = str(part.get_param("name", header="content-disposition"))
        filename = part.get_filename()
        found.append((name, payload if filename else payload.decode(), filename))
    return found


def sent(variant: Variant, encoding: str | None, request: Request) -> Iterator[str]:
    """What is wrong with ``request`` as the wire form of ``variant`` (nothing: honoured)."""
    query = parse_qsl(urlsplit(request.target).query, keep_blank_values=True)
    place = variant.place
    if place == "path":
        segment = unquote(urlsplit(request.target).path.split("/")[2])
        if segment != text(variant):
            yield f"path segment {segment!r}, expected {text(variant)!r}"
    elif place == "query" or (place == "body" and encoding in (None, "query")):
        if query != pairs(variant):
            yield f"query {query}, expected {pairs(variant)}"
    elif place == "header":
        expected = "" if variant.modifier == "nullable" else text(variant)
        if request.headers.get("v") != expected:
            yield f"header {request.headers.get('v')!r}, expected {expected!r}"
    elif place == "file":
        fields = multipart_fields(request)
        if fields != [("v", b"\x00bin", "v")]:
            yield f"multipart {fields}, expected the file as part 'v'"
    elif encoding == "form":
        got = parse_qsl(request.body.decode("ascii"), keep_blank_values=True)
        if got != pairs(variant):
            yield f"form {got}, expected {pairs(variant)}"
    elif encoding == "multipart":
        got_parts = [(name, value) for name, value, _file in multipart_fields(request)]
        if got_parts != pairs(variant):
            yield f"multipart {got_parts}, expected {pairs(variant)}"
    elif encoding == "json":
        body = json.loads(request.body)
        if body != {"v": native(variant)}:
            yield f"JSON body {body}, expected {{'v': {native(variant)!r}}}"
    elif encoding == "xml_body":
        if request.body.split(b"?>", 1)[1].decode() != PAIR_XML:
            yield f"XML body {request.body!r}, expected {PAIR_XML}"
    elif encoding == "xml_field":
        (document,) = [
            value for key, value in parse_qsl(request.body.decode("ascii")) if key == "xml"
        ]
        root = ElementTree.fromstring(document)
        children = [ElementTree.tostring(child, encoding="unicode") for child in root]
        if root.tag != request.target.strip("/") or children != xml_children(variant):
            yield f"XML document {document!r}, expected <op> with {xml_children(variant)}"
    if place != "query" and query and not (place == "body" and encoding in (None, "query")):
        yield f"unexpected query {query}"


def flag_left_out(request: Request) -> bool:
    """No trace of parameter ``v``: not in the query, the form, a multipart part or an XML
    document."""
    query = parse_qsl(urlsplit(request.target).query, keep_blank_values=True)
    body = request.body
    traces = (b"v=", b'name="v"', b"%3Cv")
    return all(key != "v" for key, _ in query) and not any(t in body for t in traces)


def argument(module: Any, variant: Variant) -> Any:
    if variant.modifier == "nullable":
        return module.NULL
    if variant.modifier == "secret":
        return SECRET
    if variant.type == "binary":
        return b"\x00bin"
    if variant.type == "Pair":
        return module.Pair(a="1", b=2)
    if variant.type == "list[Pair]":
        return [module.Pair(a="1", b=2)]
    if variant.type == "Colour":
        return module.Colour.RED
    if variant.type == "datetime":
        return dt.datetime(2026, 1, 2, 3, 4, 5)
    return NATIVE[variant.type]


# -- the sweep -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accepted(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Spec, dict[str, Variant]]]:
    folder = tmp_path_factory.mktemp("sweep")
    return {shape: accepted_variants(folder, shape) for shape in SHAPES}


def test_what_validate_accepts_is_recorded(
    accepted: dict[str, tuple[Spec, dict[str, Variant]]],
) -> None:
    lines = []
    for shape, (_api, kept) in accepted.items():
        lines.append(f"{shape}: {len(kept)} accepted")
        lines.extend(f"  {variant}" for variant in kept.values())
    sweeps.check_record(GOLDEN, lines)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_accepted_declaration_travels_as_declared(
    shape: str,
    accepted: dict[str, tuple[Spec, dict[str, Variant]]],
    tmp_path: Path,
    server: Loopback,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, kept = accepted[shape]
    module = import_unformatted(tmp_path, api)
    client = module.SweepClient(base_url=server.url, log_level="DEBUG")
    server.responder = lambda _request: Reply(200, "{}", {"Content-Type": "application/json"})
    wrong: list[str] = []
    for wire, variant in kept.items():
        calls = [argument(module, variant)]
        if style_of(variant) == "flag":
            calls.append(False)  # a false flag is left out
        for value in calls:
            caplog.clear()
            before = len(server.requests)
            with caplog.at_level(logging.DEBUG):
                method = getattr(client, wire)
                extra = (
                    {"payload": module.Pair(a="1", b=2)}
                    if "payload" in str(inspect.signature(method))
                    else {}
                )
                if variant.modifier in ("const", "default"):
                    method(**extra)
                else:
                    method(v=value, **extra)
            request = server.requests[before]
            if value is False:
                problems = [] if flag_left_out(request) else ["a false flag was sent"]
            else:
                problems = list(sent(variant, SHAPES[shape][1], request))
            if variant.modifier == "secret" and SECRET in caplog.text:
                problems.append("the secret value was logged")
            wrong.extend(f"{variant}: {problem}" for problem in problems)
    assert wrong == []
