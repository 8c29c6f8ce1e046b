"""Every way a model field can be declared, read and sent for real: what validate accepts is
decoded from (and encoded to) the wire as declared, everything else is refused.

For XML and JSON answers one spec declares a model per combination of field type and field key
(``wire``, ``@`` and namespaced wire names, ``attribute``, ``text``, ``item``, ``required``,
``nullable``, ``format``). Each accepted model is read from the answer a vendor following the
declaration would send (written here from the spec language's definition), read from an
answer that lacks the field, and sent as a request body whose text is held against the same
answer. The accepted combinations are recorded in ``tests/golden/field_sweep.txt``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from generator.model import Spec
from tests import sweeps
from tests.loopback import Loopback, Reply, Request
from tests.spec_packages import import_unformatted

GOLDEN = Path(__file__).parent / "golden" / "field_sweep.txt"
TYPES = ("str", "int", "bool", "datetime", "list[str]", "Inner", "json")
KEYS: dict[str, dict[str, Any]] = {
    "plain": {},
    "renamed": {"wire": "g"},
    "namespaced": {"wire": "{urn:x}g"},
    "@renamed": {"wire": "@g"},
    "attribute": {"attribute": True},
    "text": {"text": True},
    "item": {"item": "i"},
    "required": {"required": True},
    "nullable": {"required": True, "nullable": True},
    "format": {"format": "%Y/%m/%d"},
}
DECODINGS = ("xml", "json")
# The sample value as a vendor writes it: XML text and JSON value, and as the client gives it.
XML_TEXT = {"str": "a b", "int": "7", "bool": "true", "datetime": "2026-01-02T03:04:05"}
JSON_VALUE: dict[str, Any] = {
    "str": "a b",
    "int": 7,
    "bool": True,
    "datetime": "2026-01-02T03:04:05",
    "list[str]": ["x", "y"],
    "Inner": {"a": "1"},
    "json": {"k": [1, 2]},
}


class Variant:
    def __init__(self, key: str, type_: str) -> None:
        self.key, self.type = key, type_

    @property
    def wire(self) -> str:
        return str(KEYS[self.key].get("wire", "f")).removeprefix("@")

    @property
    def in_attribute(self) -> bool:
        return self.key in ("@renamed", "attribute")

    def __str__(self) -> str:
        return f"{self.key:10} {self.type}"


def sweep_spec(decoding: str, chosen: dict[str, Variant]) -> dict[str, Any]:
    models: dict[str, Any] = {"Inner": {"fields": {"a": {"type": "str"}}}}
    operations: dict[str, Any] = {}
    for name, variant in chosen.items():
        models[name] = {"fields": {"f": {"type": variant.type, **KEYS[variant.key]}}}
        if decoding == "xml":
            models[name]["xml_element"] = "thing"
        operations[f"get_{name}"] = {"method": "GET", "returns": name}
        operations[f"send_{name}"] = {
            "method": "POST",
            "encoding": "xml_body" if decoding == "xml" else "json",
            "params": {"thing": {"type": name, "required": True}},
            "returns": name,
        }
    return {
        "spec_version": 1,
        "api": {"name": "fields", "title": "Fields", "client_class": "FieldsClient"},
        "server": {"url": "http://127.0.0.1:1"},
        "protocol": {"encoding": "form", "decoding": decoding},
        "models": models,
        "operations": operations,
    }


def accepted_variants(folder: Path, decoding: str) -> tuple[Spec, dict[str, Variant]]:
    every = {
        f"M{i}": Variant(key, type_)
        for i, (key, type_) in enumerate(itertools.product(KEYS, TYPES))
    }
    return sweeps.accepted(folder, "models", every, lambda chosen: sweep_spec(decoding, chosen))


# -- what a declaration means on the wire (the oracle) -------------------------------------------


def xml_answer(variant: Variant, present: bool = True) -> str:
    """The document a vendor sends for the declaration (without the field: ``present`` False)."""
    if not present:
        return "<thing/>"
    value = "2026/01/02" if variant.key == "format" else XML_TEXT.get(variant.type, "")
    if variant.in_attribute:
        return f'<thing {variant.wire}="{value}"/>'
    if variant.key == "text":
        return f"<thing>{value}</thing>"
    tag = variant.wire
    namespace = ""
    if tag.startswith("{"):
        uri, tag = tag[1:].split("}")
        namespace, tag = f' xmlns:n="{uri}"', f"n:{tag}"
    inner = {
        "list[str]": None,
        "Inner": "<a>1</a>",
        "json": "<k>1</k>",
    }.get(variant.type, value)
    if variant.type == "list[str]":
        if variant.key == "item":
            return f"<thing{namespace}><{tag}><i>x</i><i>y</i></{tag}></thing>"
        return f"<thing{namespace}><{tag}>x</{tag}><{tag}>y</{tag}></thing>"
    return f"<thing{namespace}><{tag}>{inner}</{tag}></thing>"


def json_answer(variant: Variant, present: bool = True) -> str:
    if not present:
        return "{}"
    value = "2026/01/02" if variant.key == "format" else JSON_VALUE[variant.type]
    return json.dumps({variant.wire: value})


def expected(module: Any, variant: Variant, decoding: str) -> Any:
    """The field's value once read."""
    if variant.key == "format":
        return dt.datetime(2026, 1, 2)
    if variant.type == "datetime":
        return dt.datetime(2026, 1, 2, 3, 4, 5)
    if variant.type == "Inner":
        return module.Inner(a="1")
    if variant.type == "json" and decoding == "xml":
        return {"k": "1"}  # undeclared XML is read as text
    return JSON_VALUE[variant.type]


def same_xml(left: bytes | str, right: str) -> bool:
    """The same elements, attributes and texts (namespace prefixes may differ)."""

    def tree(element: ElementTree.Element) -> Any:
        text = (element.text or "").strip()
        return (element.tag, sorted(element.attrib.items()), text, [tree(c) for c in element])

    return bool(tree(ElementTree.fromstring(left)) == tree(ElementTree.fromstring(right)))


def null_answer(variant: Variant, decoding: str) -> str:
    """The field present and null: JSON null, or an empty XML element."""
    if decoding == "json":
        return json.dumps({variant.wire: None})
    return f"<thing><{variant.wire}/></thing>"


# -- the sweep -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accepted(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Spec, dict[str, Variant]]]:
    folder = tmp_path_factory.mktemp("fields")
    return {decoding: accepted_variants(folder, decoding) for decoding in DECODINGS}


def test_what_validate_accepts_is_recorded(
    accepted: dict[str, tuple[Spec, dict[str, Variant]]],
) -> None:
    lines = []
    for decoding, (_api, kept) in accepted.items():
        lines.append(f"{decoding}: {len(kept)} accepted")
        lines.extend(f"  {variant}" for variant in kept.values())
    sweeps.check_record(GOLDEN, lines)


@pytest.mark.parametrize("decoding", DECODINGS)
def test_every_accepted_field_is_read_and_sent_as_declared(
    decoding: str,
    accepted: dict[str, tuple[Spec, dict[str, Variant]]],
    tmp_path: Path,
    server: Loopback,
) -> None:
    api, kept = accepted[decoding]
    module = import_unformatted(tmp_path, api)
    client = module.FieldsClient(base_url=server.url)
    answer = xml_answer if decoding == "xml" else json_answer
    content_type = "application/xml" if decoding == "xml" else "application/json"
    wrong = []
    for name, variant in kept.items():

        def reply(body: str) -> None:
            server.reply(Reply(200, body, {"Content-Type": content_type}))

        reply(answer(variant))
        got = getattr(client, f"get_{name.lower()}")().f
        if got != expected(module, variant, decoding):
            wrong.append(f"{variant}: read {got!r} from {answer(variant)}")
        reply(answer(variant, present=False))
        try:
            missing = getattr(client, f"get_{name.lower()}")().f
        except module.DecodeError:
            missing = "DecodeError"
        must_be: Any = None
        if variant.key in ("required", "nullable"):
            must_be = "DecodeError"  # required: null is a value, absence is not
        elif variant.type == "list[str]":
            must_be = []  # no items
        if missing != must_be:
            wrong.append(f"{variant}: without the field, got {missing!r}, expected {must_be}")
        if variant.key == "nullable":
            reply(null_answer(variant, decoding))
            if getattr(client, f"get_{name.lower()}")().f is not None:
                wrong.append(f"{variant}: {null_answer(variant, decoding)} was not read as None")
        reply(answer(variant))
        value = getattr(client, f"get_{name.lower()}")()
        reply(answer(variant))
        getattr(client, f"send_{name.lower()}")(value)
        request: Request = server.requests[-1]
        if decoding == "xml":
            sent_right = same_xml(request.body.split(b"?>", 1)[1], answer(variant))
        else:
            sent_right = json.loads(request.body) == {"thing": json.loads(answer(variant))}
        if variant.type == "json" and decoding == "xml":
            sent_right = True  # read as text, so not the same data as sent (checked above)
        if not sent_right:
            wrong.append(f"{variant}: sent {request.body!r}, expected {answer(variant)}")
    assert wrong == [], "\n".join(wrong)
