"""Turn a validated spec into the intermediate model (``generator.model``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.loader import LoadedSpec
from generator.model import (
    BUILTIN_TYPES,
    Api,
    Auth,
    Enum,
    EnumMember,
    ErrorClass,
    Example,
    Field,
    LongRunning,
    Model,
    Operation,
    Param,
    Protocol,
    Server,
    Setting,
    Transport,
    TypeRef,
    split_type,
)
from generator.naming import constant_case, snake_case

_DEFAULT_ENVELOPE = {
    "status_field": "statusCode",
    "result_field": "result",
    "error_field": "error",
    "message_field": "message",
    "details_field": "details",
    "version_field": "statusVersion",
    "token_field": "token",
    "progress_field": "percentProgress",
    "text_field": "statusText",
    "log_field": "logOutput",
    "success": ["succeeded"],
    "running": ["running"],
    "cancelled": ["cancelled"],
}
_TASK_STATUS_FIELDS = ("version_field", "token_field", "progress_field", "text_field", "log_field")
# No success codes: the HTTP status alone decides, unless the spec lists them (Lleida: 100).
_DEFAULT_XML = {"status_element": "status", "message_element": "msg", "success": []}


def build_api(spec: LoadedSpec) -> Api:
    data = spec.data
    enums = {name: raw for name, raw in data.get("enums", {}).items()}
    models = {name: raw for name, raw in data.get("models", {}).items()}

    def type_ref(expr: str) -> TypeRef:
        is_list, name = split_type(expr)
        if is_list:
            return TypeRef("list", expr, type_ref(name))
        if name in BUILTIN_TYPES:
            return TypeRef("builtin", name)
        return TypeRef("enum" if name in enums else "model", name)

    protocol_raw: dict[str, Any] = data["protocol"]
    default_method = protocol_raw.get("default_method", "POST")
    path_template = protocol_raw.get("path_template", "/{operation}")

    operations = []
    for wire, raw in data["operations"].items():
        method = raw.get("method", default_method)
        # A GET has no body: unless the operation says otherwise, its parameters go in the query.
        encoding = raw.get("encoding", "query" if method == "GET" else protocol_raw["encoding"])
        default_location = "query" if encoding == "query" else "body"
        params = tuple(
            Param(
                name=p.get("name") or snake_case(p_wire),
                wire=p_wire,
                type=type_ref(p["type"]),
                required=bool(p.get("required", False)) or p.get("in") == "path",
                default=p.get("default"),
                location=p.get("in", default_location),
                style=p.get("style", _default_style(p["type"])),
                format=p.get("format"),
                secret=bool(p.get("secret", False)),
                client_default=p.get("client_default"),
                doc=p.get("doc", "").strip(),
                example=p.get("example"),
            )
            for p_wire, p in raw.get("params", {}).items()
        )
        operations.append(
            Operation(
                wire_name=wire,
                name=raw.get("name") or snake_case(wire),
                method=method,
                path=raw.get("path") or path_template.replace("{operation}", wire),
                doc=raw.get("doc", "").strip(),
                params=params,
                returns=type_ref(raw.get("returns", "json")),
                long_running=bool(raw.get("long_running", False)),
                safe=bool(raw.get("safe", raw.get("method", default_method) == "GET")),
                encoding=encoding,
                decoding=raw.get("decoding", protocol_raw["decoding"]),
                success_status=tuple(raw.get("success_status", [])),
                stream_items=tuple(raw["stream_items"].split("/")) if "stream_items" in raw else (),
                stream_item_type=(
                    stream_item_type(models, raw["returns"], raw["stream_items"], type_ref)
                    if "stream_items" in raw
                    else None
                ),
                examples=tuple(
                    Example(
                        name=ex["name"],
                        doc=ex.get("doc", ""),
                        params=dict(ex.get("params", {})),
                        request=dict(ex.get("request", {})),
                        response=dict(ex.get("response", {})),
                        result=ex.get("result"),
                        raises=ex.get("raises"),
                    )
                    for ex in raw.get("examples", [])
                ),
            )
        )

    lr_raw = protocol_raw.get("long_running")
    long_running = None
    if lr_raw:
        long_running = LongRunning(
            status_operation=lr_raw["status_operation"],
            cancel_operation=lr_raw["cancel_operation"],
            token_param=lr_raw.get("token_param", "token"),
            version_param=lr_raw.get("version_param", "lastKnownStatusVersion"),
            timeout_param=lr_raw.get("timeout_param", "millisecondsTimeout"),
            wait_time_ms=int(lr_raw.get("wait_time_ms", 1000)),
            auto_handle=bool(lr_raw.get("auto_handle", True)),
        )
    xml_field = protocol_raw.get("xml_field", {})
    protocol = Protocol(
        encoding=protocol_raw["encoding"],
        decoding=protocol_raw["decoding"],
        xml_field=xml_field.get("field"),
        xml_declaration_encoding=xml_field.get("declaration_encoding", "UTF-8"),
        envelope={
            **_DEFAULT_ENVELOPE,
            # the long-running section names the envelope fields a task status adds
            **{k: v for k, v in (lr_raw or {}).items() if k in _TASK_STATUS_FIELDS},
            **protocol_raw.get("envelope", {}),
        },
        xml={**_DEFAULT_XML, **protocol_raw.get("xml", {})},
        long_running=long_running,
    )

    settings = tuple(
        Setting(
            name=name,
            type=raw["type"],
            default=raw.get("default"),
            has_default="default" in raw,
            doc=raw.get("doc", "").strip(),
            secret=bool(raw.get("secret", False)),
        )
        for name, raw in data.get("settings", {}).items()
    )
    server_raw = data["server"]
    envs = tuple(server_raw.get("environments", {}).items())
    server = Server(
        url=server_raw.get("url"),
        environments=envs,
        default_environment=server_raw.get("default_environment", envs[0][0] if envs else None),
    )
    auth_raw = data.get("auth", {"scheme": "none"})
    transport_raw = data.get("transport", {})
    secret_wires = sorted(
        {p.wire for op in operations for p in op.params if p.secret}
        | ({auth_raw["password_field"]} if auth_raw.get("password_field") else set())
    )
    return Api(
        name=data["api"]["name"],
        title=data["api"]["title"],
        description=data["api"].get("description", "").strip(),
        client_class=data["api"]["client_class"],
        spec_file=spec.display_name,
        settings=settings,
        server=server,
        auth=Auth(
            scheme=auth_raw["scheme"],
            username=auth_raw.get("username"),
            password=auth_raw.get("password"),
            username_field=auth_raw.get("username_field"),
            password_field=auth_raw.get("password_field"),
        ),
        transport=Transport(
            connect_timeout=float(transport_raw.get("connect_timeout", 10)),
            read_timeout=float(transport_raw.get("read_timeout", 60)),
            verify_tls=bool(transport_raw.get("verify_tls", True)),
            retry_attempts=int(transport_raw.get("retry_attempts", 2)),
            retry_backoff=float(transport_raw.get("retry_backoff", 0.5)),
            retry_statuses=tuple(transport_raw.get("retry_statuses", [502, 503, 504, 524])),
        ),
        protocol=protocol,
        enums=tuple(
            Enum(
                name=name,
                doc=raw.get("doc", "").strip(),
                members=tuple(EnumMember(constant_case(v), v) for v in raw["values"]),
            )
            for name, raw in enums.items()
        ),
        models=tuple(
            Model(
                name=name,
                doc=raw.get("doc", "").strip(),
                xml_element=raw.get("xml_element"),
                fields=tuple(
                    Field(
                        name=f_name,
                        wire=f.get("wire", f_name),
                        type=type_ref(f["type"]),
                        required=bool(f.get("required", False)),
                        attribute=bool(f.get("attribute", False)),
                        format=f.get("format"),
                        item_wire=f.get("item"),
                        mime_decoded=f.get("mime_decoded"),
                        doc=f.get("doc", "").strip(),
                    )
                    for f_name, f in raw["fields"].items()
                ),
            )
            for name, raw in models.items()
        ),
        errors=tuple(
            ErrorClass(
                name=name,
                base=raw["base"],
                http_status=tuple(raw.get("http_status", [])),
                vendor_status=tuple(str(s) for s in raw.get("vendor_status", [])),
                operations=tuple(raw.get("operations", [])),
                doc=raw.get("doc", "").strip(),
            )
            for name, raw in data.get("errors", {}).items()
        ),
        operations=tuple(operations),
        secret_wire_names=tuple(secret_wires),
    )


def stream_item_type(
    models: dict[str, Any], returns: str, path: str, type_ref: Callable[[str], TypeRef]
) -> TypeRef:
    """The item type at ``path`` (wire names) below the ``returns`` model: what a streaming
    variant yields. The semantic checks guarantee the path resolves to a list field."""
    current = returns
    item = None
    for wire in path.split("/"):
        fields = models[split_type(current)[1]]["fields"]
        field = next(f for name, f in fields.items() if f.get("wire", name) == wire)
        current = field["type"]
        item = type_ref(split_type(current)[1])
    assert item is not None
    return item


def _default_style(type_expr: str) -> str:
    is_list, name = split_type(type_expr)
    if is_list:
        return "csv"
    if name == "json":
        return "json"
    return "plain"
