"""Export a spec as an OpenAPI 3.1 document, so the vendor API can be browsed and tested with that
ecosystem's tools. Conventions OpenAPI cannot express directly are described in descriptions and
``x-specgen-*`` extensions; endpoints that multiplex several operations on one URL (Lleida's
single CGI) get one path entry per operation, distinguished by a ``#operation`` suffix."""

from __future__ import annotations

import re
from typing import Any

from generator.model import Api, ErrorClass, Model, Operation, Param, TypeRef
from generator.render import summary
from generator.runtime.builtin_types import BUILTIN_TYPES

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def export(api: Api) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": api.title,
            "version": "spec",
            "description": api.description,
            "x-specgen-spec": api.spec_file,
        },
        "servers": _servers(api),
        "paths": {},
        "components": {"schemas": _schemas(api)},
    }
    scheme = _security_scheme(api)
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
        entry = _operation(api, op)
        if path != op.path:  # a fixed query (``/2.0/?method=x``) is not part of an OpenAPI path
            entry["x-specgen-fixed-query"] = op.path.split("?", 1)[1]
        document["paths"].setdefault(key, {})[op.method.lower()] = entry
    return document


def _path_key(path: str) -> str:
    return path.split("?", 1)[0] or "/"


def _servers(api: Api) -> list[dict[str, Any]]:
    if api.server.environments:
        return [{"url": url, "description": name} for name, url in api.server.environments]
    assert api.server.url is not None
    settings = {s.name: s for s in api.settings}
    variables = {
        name: {"default": str(settings[name].default), "description": settings[name].doc or name}
        for name in _PLACEHOLDER.findall(api.server.url)
    }
    return [{"url": api.server.url, "variables": variables}]


def _security_scheme(api: Api) -> tuple[str, dict[str, Any]] | None:
    """The OpenAPI security scheme of the spec's auth (body credentials have none: they are
    described as request fields)."""
    auth = api.auth
    if auth.scheme == "basic":
        return "basicAuth", {"type": "http", "scheme": "basic"}
    if auth.scheme == "bearer":
        return "bearerAuth", {"type": "http", "scheme": "bearer"}
    if auth.scheme == "api_key":
        return "apiKeyAuth", {"type": "apiKey", "in": auth.location, "name": auth.key_name}
    return None


def schema_of(ref: TypeRef, fmt: str | None = None) -> dict[str, Any]:
    if ref.kind == "list":
        assert ref.item is not None
        return {"type": "array", "items": schema_of(ref.item, fmt)}
    if ref.kind == "union":
        return {"oneOf": [schema_of(option, fmt) for option in ref.options]}
    if ref.kind in ("model", "enum"):
        return {"$ref": f"#/components/schemas/{ref.name}"}
    row = BUILTIN_TYPES[ref.name]
    out = dict(row.openapi)
    if row.formatted and fmt:
        # a vendor format is not an OpenAPI one: say it in an extension and in prose
        del out["format"]
        out["x-specgen-format"] = fmt
        out["description"] = f"strftime format {fmt}"
    return out


def _schemas(api: Api) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for enum in api.enums:
        schemas[enum.name] = {
            "type": "string",
            "enum": [m.value for m in enum.members],
            "description": enum.doc,
        }
    for model in api.models:
        schemas[model.name] = _model(model)
    if (
        api.protocol.long_running
        or any(op.decoding == "envelope" for op in api.operations)
        or any(op.returns == TypeRef("builtin", "status") for op in api.operations)
    ):
        env = api.protocol.envelope
        schemas["StatusEnvelope"] = {
            "type": "object",
            "description": "The JSON status envelope every answer comes in.",
            "properties": {
                str(env["status_field"]): {
                    "type": "string",
                    "examples": [
                        str(code)
                        for key in ("success", "running", "cancelled")
                        for code in _as_list(env[key])
                    ],
                },
                str(env["version_field"]): {"type": ["integer", "null"]},
                str(env["token_field"]): {"type": ["string", "null"]},
                str(env["progress_field"]): {"type": ["integer", "null"]},
                str(env["text_field"]): {"type": ["string", "null"]},
                str(env["log_field"]): {"type": ["string", "null"]},
                str(env["error_field"]): {
                    "type": ["object", "null"],
                    "properties": {
                        str(env["message_field"]): {"type": "string"},
                        str(env["details_field"]): {"type": ["string", "null"]},
                    },
                },
                str(env["result_field"]): {},
            },
        }
    return schemas


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _model(model: Model) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in model.fields:
        schema = schema_of(field.type, field.format)
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


def _parameter(param: Param, location: str) -> dict[str, Any]:
    # a list travels comma-joined (csv) or as one key per item (repeat, OpenAPI's default)
    explode = {"style": "form", "explode": param.style == "repeat"} if param.type.is_list else {}
    return {
        "name": param.wire,
        "in": location,
        "required": param.required or location == "path",
        "description": param.doc,
        "schema": schema_of(param.type, param.format),
        **({"example": param.example} if param.example is not None else {}),
        **(explode if location == "query" else {}),
    }


def _operation(api: Api, op: Operation) -> dict[str, Any]:
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
            parameters.append(_parameter(param, param.location))
        elif op.encoding == "query":
            parameters.append(_parameter(param, "query"))
        else:
            body_params.append(param)
    if parameters:
        out["parameters"] = parameters
    body = _request_body(api, op, body_params)
    if body:
        out["requestBody"] = body
    out["responses"] = _responses(api, op)
    if not op.sends_credentials:
        out["security"] = []  # a public endpoint
    if op.idempotency_header:
        out["x-specgen-idempotency-key"] = op.idempotency_header  # sent fresh by the client
    if op.redirects != "same_origin":
        # followed to other origins for GET/HEAD only, with every credential dropped
        out["x-specgen-redirects"] = op.redirects
    if op.pagination is not None:
        paging = op.pagination
        out["x-specgen-pagination"] = {
            "style": paging.style,
            **({"items": "/".join(paging.items)} if paging.items else {}),
            **({"param": paging.param} if paging.param else {}),
            **({"firstPage": paging.first_page} if paging.style == "page" else {}),
            **({"totalPages": "/".join(paging.total_pages)} if paging.total_pages else {}),
            **({"cursorField": "/".join(paging.cursor_field)} if paging.cursor_field else {}),
            **({"cursorItemField": paging.cursor_item_field} if paging.cursor_item_field else {}),
            **({"hasMore": "/".join(paging.has_more)} if paging.has_more else {}),
        }
    if op.long_running:
        out["x-specgen-long-running"] = True
    if op.safe:
        out["x-specgen-safe-to-retry"] = True
    return out


def _properties(params: list[Param]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            p.wire: {
                **schema_of(p.type, p.format),
                **({"description": p.doc} if p.doc else {}),
                **({"examples": [p.example]} if p.example is not None else {}),
            }
            for p in params
        },
    }
    required = [p.wire for p in params if p.required]
    if required:
        schema["required"] = required
    return schema


def _request_body(api: Api, op: Operation, params: list[Param]) -> dict[str, Any] | None:
    if op.encoding == "xml_field":
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
                                    **_properties(params),
                                },
                            }
                        },
                    }
                }
            },
        }
    if not params:
        return None
    if op.encoding == "xml_body":
        model_params = [p for p in params if p.type.kind == "model"]
        return {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": schema_of(model_params[0].type) if model_params else {}
                }
            },
        }
    media = {
        "form": "application/x-www-form-urlencoded",
        "json": "application/json",
        "multipart": "multipart/form-data",
    }[op.encoding]
    return {
        "required": any(p.required for p in params),
        "content": {media: {"schema": _properties(params)}},
    }


def _success_content(api: Api, op: Operation) -> dict[str, Any] | None:
    result = schema_of(op.returns)
    if op.decoding == "envelope":
        env = api.protocol.envelope
        return {
            "application/json": {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/StatusEnvelope"},
                        {"type": "object", "properties": {str(env["result_field"]): result}},
                    ]
                }
            }
        }
    if op.decoding == "xml":
        return {"application/xml": {"schema": result}}
    if op.decoding == "json":
        return {"application/json": {"schema": result}}
    if op.decoding == "binary_or_xml":
        return {
            "application/octet-stream": {"schema": dict(BUILTIN_TYPES["binary"].openapi)},
            "application/xml": {
                "schema": {
                    "type": "object",
                    "description": "The vendor's status and message instead of the file.",
                }
            },
        }
    return None


def _responses(api: Api, op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    content = _success_content(api, op)
    for status in op.success_status or (200,):
        responses[str(status)] = {
            "description": "Success",
            **({"content": content} if content else {}),
        }
    applicable = [e for e in api.errors if not e.operations or op.wire_name in e.operations]
    by_status: dict[str, list[ErrorClass]] = {}
    for error in applicable:
        for status in error.http_status or ():
            by_status.setdefault(str(status), []).append(error)
    for code, errors in sorted(by_status.items()):
        responses[code] = {"description": "; ".join(_error_text(e) for e in errors)}
    vendor_only = [e for e in applicable if not e.http_status]
    if vendor_only:
        responses["default"] = {
            "description": "Vendor errors by status code: "
            + "; ".join(_error_text(e) for e in vendor_only)
        }
    return responses


def _error_text(error: ErrorClass) -> str:
    codes = f" (vendor status {', '.join(error.vendor_status)})" if error.vendor_status else ""
    return f"{error.name}{codes}: {error.doc or 'declared error'}"
