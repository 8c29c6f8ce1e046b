"""Export a spec as an OpenAPI 3.1 document, so the vendor API can be browsed and tested with that
ecosystem's tools. Conventions OpenAPI cannot express directly are described in descriptions and
``x-specgen-*`` extensions; endpoints that multiplex several operations on one URL (Lleida's
single CGI) get one path entry per operation, distinguished by a ``#operation`` suffix."""

from __future__ import annotations

import re
from typing import Any

from generator.model import ErrorClass, Model, Spec
from generator.render import summary
from generator.runtime.builtin_types import BUILTIN_TYPES, Type, class_name
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import Operation, Param
from generator.runtime.encoding import ENCODINGS
from generator.runtime.pagination import PAGINATION_STYLES

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def export(spec: Spec) -> dict[str, Any]:
    api = spec.api
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": api.title,
            "version": "spec",
            "description": api.description,
            "x-specgen-spec": spec.spec_file,
        },
        "servers": _servers(spec),
        "paths": {},
        "components": {"schemas": _schemas(spec)},
    }
    scheme = api.auth.openapi(api.server.named)
    if scheme is not None:
        name, definition = scheme
        document["components"]["securitySchemes"] = {name: definition}
        document["security"] = [{name: []}]
    taken: dict[tuple[str, str], int] = {}
    for op in api.operations:
        path = _path_key(op.path)
        taken[(path, op.method)] = taken.get((path, op.method), 0) + 1
    for op in api.operations:
        path = _path_key(op.path)
        key = path if taken[(path, op.method)] == 1 else f"{path}#{op.wire_name}"
        entry = _operation(spec, op)
        if path != op.path:  # a fixed query (``/2.0/?method=x``) is not part of an OpenAPI path
            entry["x-specgen-fixed-query"] = op.path.split("?", 1)[1]
        document["paths"].setdefault(key, {})[op.method.lower()] = entry
    return document


def _path_key(path: str) -> str:
    return path.split("?", 1)[0] or "/"


def _servers(spec: Spec) -> list[dict[str, Any]]:
    api = spec.api
    if api.server.environments:
        return [{"url": url, "description": name} for name, url in api.server.environments.items()]
    assert api.server.url is not None
    settings = {s.name: s for s in api.settings}
    variables = {
        name: {"default": str(settings[name].default), "description": settings[name].doc or name}
        for name in _PLACEHOLDER.findall(api.server.url)
    }
    return [{"url": api.server.url, "variables": variables}]


def schema_of(kind: Type[Any]) -> dict[str, Any]:
    if kind.kind == "list":
        assert kind.item is not None
        return {"type": "array", "items": schema_of(kind.item)}
    if kind.kind == "union":
        return {"oneOf": [schema_of(option) for option in kind.target]}
    if kind.kind in ("model", "enum"):
        return {"$ref": f"#/components/schemas/{class_name(kind.target)}"}
    if kind.kind == "none":
        return {}
    row = BUILTIN_TYPES[kind.kind]
    out = dict(row.openapi)
    fmt = kind.format
    if row.formatted and fmt:
        # a vendor format is not an OpenAPI one: say it in an extension and in prose
        out.pop("format", None)
        out["x-specgen-format"] = fmt
        if kind.kind == "bool":
            true, _bar, false = fmt.partition("|")
            out = {**out, "type": "string", "enum": [true, false]}
            out["description"] = f"a boolean: true as {true!r}, false as {false!r}"
        elif kind.kind in ("int", "float"):
            out = {
                **out,
                "type": "string",
                "description": f"{'an int' if kind.kind == 'int' else 'a float'} written as {fmt}",
            }
        else:
            out["description"] = f"strftime format {fmt}"
    return out


def _schemas(spec: Spec) -> dict[str, Any]:
    api = spec.api
    schemas: dict[str, Any] = {}
    for enum in spec.enums:
        schemas[enum.name] = {
            "type": "string",
            "enum": [m.value for m in enum.members],
            "description": enum.doc,
        }
    for model in spec.models:
        schemas[model.name] = _model(model)
    if (
        api.long_running
        or any(DECODINGS[op.decoding].envelope for op in api.operations)
        or any(op.result.kind == "status" for op in api.operations)
    ):
        env = api.envelope
        schemas["StatusEnvelope"] = {
            "type": "object",
            "description": "The JSON status envelope every answer comes in.",
            "properties": {
                env.status_field: {
                    "type": "string",
                    "examples": [*env.success, *env.running, *env.cancelled],
                },
                env.version_field: {"type": ["integer", "null"]},
                env.token_field: {"type": ["string", "null"]},
                env.progress_field: {"type": ["integer", "null"]},
                env.text_field: {"type": ["string", "null"]},
                env.log_field: {"type": ["string", "null"]},
                env.error_field: {
                    "type": ["object", "null"],
                    "properties": {
                        env.message_field: {"type": "string"},
                        env.details_field: {"type": ["string", "null"]},
                    },
                },
                env.result_field: {},
            },
        }
    return schemas


def _model(model: Model) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in model.fields:
        schema = schema_of(field.type)
        if field.doc:
            schema = (
                {**schema, "description": field.doc}
                if "$ref" not in schema
                else {"allOf": [schema], "description": field.doc}
            )
        if field.attribute:
            schema["xml"] = {"attribute": True}
        elif field.item_wire:
            schema["xml"] = {"wrapped": True}
            schema["items"] = {**schema["items"], "xml": {"name": field.item_wire}}
        properties[field.wire] = schema
    out: dict[str, Any] = {
        "type": "object",
        "description": model.doc,
        "properties": properties,
        "additionalProperties": True,
    }
    required = [f.wire for f in model.fields if f.required]
    if required:
        out["required"] = required
    if model.xml_element:
        out["xml"] = {"name": model.xml_element}
    return out


def _parameter(param: Param, location: str, example: Any = None) -> dict[str, Any]:
    # a list travels comma-joined (csv) or as one key per item (repeat, OpenAPI's default)
    is_list = param.type.kind == "list"
    explode = {"style": "form", "explode": param.style == "repeat"} if is_list else {}
    return {
        "name": param.wire,
        "in": location,
        "required": param.required or location == "path",
        "description": param.doc,
        "schema": schema_of(param.type),
        **({"example": example} if example is not None else {}),
        **(explode if location == "query" else {}),
    }


def _operation(spec: Spec, op: Operation[Any]) -> dict[str, Any]:
    example = {p.wire: spec.param_examples.get((op.wire_name, p.wire)) for p in op.params}
    out: dict[str, Any] = {
        "operationId": op.name,
        "summary": summary(op.doc) if op.doc else op.wire_name,
        "description": op.doc,
        "x-specgen-wire-name": op.wire_name,
    }
    parameters = []
    body_params = []
    for param in op.params:
        if param.location in ("path", "header", "query"):
            parameters.append(_parameter(param, param.location, example[param.wire]))
        elif not ENCODINGS[op.encoding].has_body:
            parameters.append(_parameter(param, "query", example[param.wire]))
        else:
            body_params.append(param)
    if parameters:
        out["parameters"] = parameters
    body = _request_body(spec, op, body_params)
    if body:
        out["requestBody"] = body
    out["responses"] = _responses(spec, op)
    if not op.sends_credentials:
        out["security"] = []  # a public endpoint
    if op.idempotency_header:
        out["x-specgen-idempotency-key"] = op.idempotency_header  # sent fresh by the client
    if op.redirects != "same_origin":
        # followed to other origins for GET/HEAD only, with every credential dropped
        out["x-specgen-redirects"] = op.redirects
    if op.pagination is not None:
        paging = op.pagination
        out["x-specgen-pagination"] = PAGINATION_STYLES[paging.style].openapi(paging)
    if op.long_running:
        out["x-specgen-long-running"] = True
    if op.safe:
        out["x-specgen-safe-to-retry"] = True
    return out


def _properties(spec: Spec, op: Operation[Any], params: list[Param]) -> dict[str, Any]:
    examples = {p.wire: spec.param_examples.get((op.wire_name, p.wire)) for p in params}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            p.wire: {
                **schema_of(p.type),
                **({"description": p.doc} if p.doc else {}),
                **({"examples": [examples[p.wire]]} if examples[p.wire] is not None else {}),
            }
            for p in params
        },
    }
    required = [p.wire for p in params if p.required]
    if required:
        schema["required"] = required
    return schema


def _request_body(spec: Spec, op: Operation[Any], params: list[Param]) -> dict[str, Any] | None:
    api = spec.api
    encoding = ENCODINGS[op.encoding]
    if encoding.uses_xml_field:
        field = api.protocol.xml_field or "xml"
        described = ", ".join(p.wire for p in params) or "no parameters"
        return {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": [field],
                        "properties": {
                            field: {
                                "type": "string",
                                "description": f"An XML document <{op.wire_name}> "
                                f"({api.protocol.xml_declaration_encoding}) holding the "
                                f"credentials and: {described}.",
                                "x-specgen-xml-document": {
                                    "root": op.wire_name,
                                    **_properties(spec, op, params),
                                },
                            }
                        },
                    }
                }
            },
        }
    if not params or encoding.media_type is None:
        return None
    if encoding.one_model:
        model_params = [p for p in params if p.type.kind == "model"]
        return {
            "required": True,
            "content": {
                encoding.media_type: {
                    "schema": schema_of(model_params[0].type) if model_params else {}
                }
            },
        }
    return {
        "required": any(p.required for p in params),
        "content": {encoding.media_type: {"schema": _properties(spec, op, params)}},
    }


def _success_content(spec: Spec, op: Operation[Any]) -> dict[str, Any] | None:
    decoding = DECODINGS[op.decoding]
    if not decoding.reads or decoding.media_type is None:
        return None
    result = schema_of(op.result)
    if decoding.envelope:
        result = {
            "allOf": [
                {"$ref": "#/components/schemas/StatusEnvelope"},
                {"type": "object", "properties": {spec.api.envelope.result_field: result}},
            ]
        }
    if decoding.file:
        return {
            decoding.media_type: {"schema": dict(BUILTIN_TYPES["binary"].openapi)},
            "application/xml": {
                "schema": {
                    "type": "object",
                    "description": "The vendor's status and message instead of the file.",
                }
            },
        }
    return {decoding.media_type: {"schema": result}}


def _responses(spec: Spec, op: Operation[Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    content = _success_content(spec, op)
    for status in op.success_status or (200,):
        responses[str(status)] = {
            "description": "Success",
            **({"content": content} if content else {}),
        }
    applicable = [
        e for e in spec.errors if not e.rule.operations or op.wire_name in e.rule.operations
    ]
    by_status: dict[str, list[ErrorClass]] = {}
    for error in applicable:
        for status in error.rule.http_status or ():
            by_status.setdefault(str(status), []).append(error)
    for code, errors in sorted(by_status.items()):
        responses[code] = {"description": "; ".join(_error_text(e) for e in errors)}
    vendor_only = [e for e in applicable if not e.rule.http_status]
    if vendor_only:
        responses["default"] = {
            "description": "Vendor errors by status code: "
            + "; ".join(_error_text(e) for e in vendor_only)
        }
    return responses


def _error_text(error: ErrorClass) -> str:
    vendor = error.rule.vendor_status
    codes = f" (vendor status {', '.join(vendor)})" if vendor else ""
    return f"{error.name}{codes}: {error.doc or 'declared error'}"
