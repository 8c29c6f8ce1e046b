"""Checks of an operation's parameters: names, types and defaults, and whether each can travel
where it is declared in its style (every combination the runtime cannot send faithfully is
refused here, never sent mangled)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.checks.types import default_problem, format_problems, shape, type_problem
from generator.errors import SpecError
from generator.model import CALL_OPTION_NAMES, FILE_KWARGS, LONG_RUNNING_KWARGS, Spec
from generator.naming import python_name_problem
from generator.runtime.builtin_types import type_expression
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import Operation, Param
from generator.runtime.encoding import ENCODINGS

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Styles each place can carry ("field": query, form and multipart fields).
_STYLES_BY_PLACE = {
    "path": frozenset({"plain", "csv"}),
    "header": frozenset({"plain", "csv", "json"}),
    "field": frozenset({"plain", "csv", "json", "flag", "repeat", "xml", "deep"}),
}


def check_params(spec: Spec, op: Operation[Any]) -> Iterator[SpecError]:
    settings = {s.name for s in spec.api.settings}
    names: dict[str, str] = {}
    params = {p.wire: p for p in op.params}
    encoding = ENCODINGS[op.encoding]
    for param in op.params:
        source = spec.of_param(op, param)
        problem = python_name_problem(param.name)
        if problem:
            hint = "" if source.has("name") else " (derived from the wire name; set 'name')"
            yield source.error(problem + hint, at_key=True)
        elif param.name in names:
            yield source.error(
                f"Python name {param.name!r} is also used by parameter {names[param.name]!r}",
                at_key=True,
            )
        elif (
            param.name == "self"
            or param.name in CALL_OPTION_NAMES
            or (op.long_running and param.name in LONG_RUNNING_KWARGS)
            or (DECODINGS[op.decoding].file and param.name in FILE_KWARGS)
        ):
            yield source.error(f"parameter name {param.name!r} is reserved", at_key=True)
        names[param.name] = param.wire
        problem = type_problem(spec, param.type)
        if problem:
            yield source.error(problem, "type")
        else:
            problem = default_problem(spec, param.type, param.default)
            if problem:
                yield source.error(problem, "default")
        if param.is_const:
            problem = default_problem(spec, param.type, param.const)
            if problem:
                yield source.error(problem.replace("default", "const", 1), "const")
            for key in ("default", "client_default", "required"):
                if source.has(key):
                    yield source.error(f"a constant parameter takes no {key!r}", key)
        if param.required and param.client_default is None and source.has("default"):
            yield source.error("a required parameter cannot have a default", "default")
        if param.location == "file" and (param.type.kind != "binary" or not encoding.files):
            yield source.error(
                "'in: file' needs type 'binary' and encoding 'multipart'"
                + (" (a GET sends no body)" if op.method == "GET" else ""),
                "in",
            )
        yield from format_problems(source, param.type)
        for i, other in enumerate(param.conflicts_with):
            if other not in params or other == param.wire:
                yield source.error(
                    f"{other!r} names no other parameter of {op.wire_name}", "conflicts_with", i
                )
        if param.extension_from is not None:
            if param.location != "file":
                yield source.error(
                    "'extension_from' applies to 'in: file' parameters", "extension_from"
                )
            elif param.extension_from not in params or param.extension_from == param.wire:
                yield source.error(
                    f"{param.extension_from!r} names no other parameter of {op.wire_name}",
                    "extension_from",
                )
        if param.nullable and param.location == "path":
            yield source.error("a path parameter cannot be null", "nullable")
        elif param.nullable and param.location == "file":
            yield source.error("a file is sent or left out: it cannot be null", "nullable")
        elif param.nullable and param.location == "body" and encoding.one_model:
            yield source.error("the XML body is this model: it cannot be null", "nullable")
        if type_problem(spec, param.type) is None:
            yield from _check_travel(spec, op, param)
        if param.client_default is not None and param.client_default not in settings:
            yield source.error(f"{param.client_default!r} names no setting", "client_default")
    yield from _check_body(spec, op)
    op_source = spec.of_operation(op)
    if encoding.one_model:
        body = [p for p in op.params if p.location == "body"]
        if len(body) != 1 or body[0].type.kind != "model":
            yield op_source.error(
                f"encoding {op.encoding!r} sends one model as the body: expected exactly one "
                f"body parameter of a model type, got {len(body)} body parameter(s)"
                + (" (other parameters need 'in: query', 'in: path' or 'in: header')"),
                "params",
            )
    in_path = _PLACEHOLDER.findall(op.path) if op_source.has("path") else []
    for placeholder in in_path:
        declared = params.get(placeholder)
        if declared is None:
            yield op_source.error(
                f"path parameter {{{placeholder}}} is not declared in 'params'", "path"
            )
        elif declared.location != "path":
            yield spec.of_param(op, declared).error(
                f"{placeholder!r} appears in the path, expected 'in: path'", "in"
            )
    for param in op.params:
        if param.location == "path" and param.wire not in in_path:
            shown = op.path if op_source.has("path") else "(default)"
            yield spec.of_param(op, param).error(
                f"'in: path' but the path {shown!r} has no {{{param.wire}}}", "in"
            )
    for i, example in enumerate(spec.examples_of(op)):
        for key in example.params:
            where = spec.of_example(op, i)
            if key not in params:
                yield where.error(
                    f"{key!r} is not a parameter of {op.wire_name}", "params", key, at_key=True
                )
            elif params[key].is_const:
                yield where.error(
                    f"{key!r} is a constant: it is always sent, not given",
                    "params",
                    key,
                    at_key=True,
                )


def _check_body(spec: Spec, op: Operation[Any]) -> Iterator[SpecError]:
    """Body parameters need a request that has a body."""
    in_body = [p for p in op.params if p.location in ("body", "file")]
    if not in_body:
        return
    source = spec.of_operation(op)
    if not ENCODINGS[op.encoding].has_body:
        for param in in_body:
            if param.location == "body":
                yield spec.of_param(op, param).error(
                    (
                        "a GET sends no body"
                        if op.method == "GET"
                        else f"encoding {op.encoding!r} sends every parameter in the query"
                    )
                    + ": 'in: body' does not apply (declare 'in: query')",
                    "in",
                )
    elif op.method == "GET":
        yield source.error(
            f"a GET sends no body: encoding {op.encoding!r} does not apply (leave it out: "
            "a GET's parameters travel in the query)",
            "encoding" if source.has("encoding") else "method",
        )


def _check_travel(spec: Spec, op: Operation[Any], param: Param) -> Iterator[SpecError]:
    """Whether the parameter's value can travel where it is declared, in its style."""
    source, style, kind = spec.of_param(op, param), param.style, shape(param.type)
    explicit = source.has("style")
    place = param.location
    encoding = ENCODINGS[op.encoding]
    if kind == "binary" and place != "file":
        yield source.error(
            "type 'binary' is a file upload: it needs 'in: file' (and encoding 'multipart')",
            "type",
        )
        return
    if place == "file" or (place == "body" and encoding.native):
        where = "a file" if place == "file" else f"{encoding.native} body"
        if explicit and not (encoding.uses_xml_field and style == "flag"):
            yield source.error(
                f"{where} carries values as they are: style {style!r} does not apply", "style"
            )
        elif style == "flag" and param.type.kind != "bool":
            yield source.error("style 'flag' applies only to bool parameters", "style")
        return
    if place == "body" and not encoding.text_fields:
        return  # refused by _check_body
    allowed = _STYLES_BY_PLACE.get(place, _STYLES_BY_PLACE["field"])
    if style not in allowed:
        described = {"path": "a path segment", "header": "a header"}.get(place)
        if style in ("deep", "repeat"):
            problem = f"style {style!r} applies to query, form and multipart parameters"
        else:
            problem = f"style {style!r} does not apply to {described}"
        yield source.error(f"{problem} (allowed there: {', '.join(sorted(allowed))})", "style")
        return
    if style == "plain" and kind != "scalar":
        described = "a list" if kind == "list" else f"a {type_expression(param.type)} value"
        ways = "'csv', 'json' or 'repeat'" if "repeat" in allowed else "'csv' or 'json'"
        if kind != "list":
            ways = "'json'" + (", 'deep' or 'xml'" if "deep" in allowed else "")
        yield source.error(
            f"{described} is not one plain value: declare style {ways}",
            "style" if explicit else "type",
        )
    elif style in ("csv", "repeat") and kind != "list":
        yield source.error(
            f"style {style!r} applies only to list parameters"
            + (" of single values: declare 'json' or 'deep'" if param.type.kind == "list" else ""),
            "style",
        )
    elif style == "deep" and kind == "scalar":
        yield source.error(
            "style 'deep' (bracketed keys) applies to lists, models and json values", "style"
        )
    elif style == "flag":
        if param.type.kind != "bool":
            yield source.error("style 'flag' applies only to bool parameters", "style")
        elif param.nullable:
            yield source.error("a flag is sent or left out: it cannot be null", "nullable")
    elif style == "xml" and param.type.kind != "model":
        yield source.error("style 'xml' applies only to model parameters", "style")
