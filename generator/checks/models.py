"""Checks of the models: their fields' names, types and XML keys, and what XML or JSON can carry
of them given how the API reads and sends them."""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from typing import Any

from generator.checks.types import format_problems, is_scalar, type_problem
from generator.errors import SpecError
from generator.model import Model, Spec
from generator.naming import python_name_problem
from generator.runtime.builtin_types import Type, class_name, type_expression
from generator.runtime.decoding import DECODINGS
from generator.runtime.encoding import ENCODINGS


def notations(spec: Spec) -> dict[str, set[str]]:
    """For each model, whether it is read or sent as ``xml``, ``json`` or both: from the answers
    and parameters that hold it, directly or nested in other models."""
    found: dict[str, set[str]] = {m.name: set() for m in spec.models}
    stack: list[tuple[Type[Any], str]] = []
    for op in spec.api.operations:
        decoding = DECODINGS[op.decoding]
        if decoding.reads:
            stack.append((op.result, "xml" if decoding.xml else "json"))
        xml_body = ENCODINGS[op.encoding].xml
        for param in op.params:
            as_xml = param.style == "xml" or (param.location == "body" and xml_body)
            # otherwise json and deep styles, JSON bodies: wire names as JSON keys
            stack.append((param.type, "xml" if as_xml else "json"))
    while stack:
        kind, notation = stack.pop()
        if kind.kind == "list" and kind.item is not None:
            stack.append((kind.item, notation))
        elif kind.kind == "union":
            stack.extend((option, notation) for option in kind.target)
        elif kind.kind == "model":
            name = class_name(kind.target)
            model = spec.model(name)
            if model is not None and notation not in found[name]:
                found[name].add(notation)
                stack.extend((f.type, notation) for f in model.fields)
    return found


def _check_notation(spec: Spec, model: Model, used: set[str]) -> Iterator[SpecError]:
    """XML keys in a model only ever read or sent as JSON, and nulls XML cannot carry."""
    source = spec.source("models", model.name)
    if used == {"json"}:
        where = f"model {model.name} is only read or sent as JSON"
        if model.xml_element is not None:
            yield source.error(f"'xml_element' applies to XML: {where}", "xml_element")
        for f in model.fields:
            at_field = spec.of_field(model, f)
            for key, given in (
                ("attribute", f.attribute),
                ("text", f.text),
                ("item", f.item_wire is not None),
                ("wire", f.wire.startswith("{")),
            ):
                if given:
                    what = "a namespaced wire name" if key == "wire" else f"{key!r}"
                    at = "wire" if at_field.has("wire") and key != "text" else key
                    yield at_field.error(f"{what} applies to XML: {where}", at)
                    break
    elif used == {"xml"}:
        for f in model.fields:
            if f.nullable and not is_scalar(f.type):
                yield spec.of_field(model, f).error(
                    "in XML a null is an empty element: 'nullable' applies to single values",
                    "nullable",
                )


def check_models(spec: Spec) -> Iterator[SpecError]:
    used_as = notations(spec)
    for model in spec.models:
        yield from _check_notation(spec, model, used_as[model.name])
        wires: dict[str, str] = {}
        texts = [f for f in model.fields if f.text]
        for extra_text in texts[1:]:
            yield spec.of_field(model, extra_text).error(
                f"the element's text is already field {texts[0].name!r}", "text"
            )
        for field in model.fields:
            source = spec.of_field(model, field)
            problem = python_name_problem(field.name)
            if problem:
                if keyword.iskeyword(field.name) or keyword.issoftkeyword(field.name):
                    problem += (
                        f"; name the field {field.name + '_'!r} and keep the wire name with "
                        f"'wire: {field.wire}'"
                    )
                yield source.error(problem, at_key=True)
            elif field.name == "extra":
                yield source.error(
                    "'extra' holds unknown wire fields; choose another name", at_key=True
                )
            problem = type_problem(spec, field.type)
            if problem:
                yield source.error(problem, "type")
            yield from format_problems(source, field.type)
            scalar = is_scalar(field.type)
            if field.item_wire is not None and field.type.kind != "list":
                yield source.error("'item' names the items of a list field", "item")
            if field.mime_decoded is not None and field.type.kind != "str":
                yield source.error("'mime_decoded' applies to str fields", "mime_decoded")
            if field.attribute and not scalar:
                yield source.error(
                    f"an XML attribute holds text: a scalar, not {type_expression(field.type)}",
                    "wire" if source.has("wire") else "attribute",
                )
            if field.text and (field.attribute or not scalar):
                yield source.error(
                    "a text field holds the element's own text: a scalar, not an attribute",
                    "text",
                )
            local_name = field.wire.rpartition("}")[2] if field.wire.startswith("{") else field.wire
            if "/" in local_name:
                yield source.error(
                    f"wire name {field.wire!r}: a field is one element, attribute or key of its "
                    "model; paths are not followed (declare the nested model)",
                    "wire",
                )
            if field.wire in wires:
                yield source.error(
                    f"wire name {field.wire!r} is also used by field {wires[field.wire]!r}",
                    at_key=True,
                )
            wires[field.wire] = field.name
