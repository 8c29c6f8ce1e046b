"""Turn a schema-valid spec into the intermediate model (``generator.model``), once.

Everything derived from the spec is derived here and nowhere else: Python names, the effective
encoding and decoding of each operation, parameter locations and styles, the item type a
streaming twin yields, defaults (read from the JSON Schema's ``default`` keywords, their one
home). Every node keeps its ``Source``. The builder does not judge the spec: it builds what it
can and notes what it could not derive (``problems``); ``generator.semantic`` checks the rest
on the built nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.errors import SpecError
from generator.loader import KeyPath, LoadedSpec, schema_defaults
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
    Pagination,
    Param,
    Protocol,
    Server,
    Setting,
    Source,
    Transport,
    TypeRef,
    split_type,
)
from generator.naming import constant_case, snake_case

# Envelope fields a task status adds; the spec names them in ``protocol.long_running``.
_TASK_STATUS_FIELDS = ("version_field", "token_field", "progress_field", "text_field", "log_field")


@dataclass(frozen=True)
class Built:
    api: Api
    problems: list[SpecError]  # what the builder could not derive


def effective_encoding(raw_op: dict[str, Any], protocol_raw: dict[str, Any]) -> str:
    """How an operation's parameters travel. A GET has no body: unless the operation says
    otherwise, its parameters go in the query."""
    method = raw_op.get("method", protocol_raw.get("default_method", "POST"))
    return str(raw_op.get("encoding", "query" if method == "GET" else protocol_raw["encoding"]))


def param_location(raw_param: dict[str, Any], encoding: str) -> str:
    """Where a parameter travels when it does not say (``in``): the query or the body."""
    return str(raw_param.get("in", "query" if encoding == "query" else "body"))


def build_api(spec: LoadedSpec) -> Built:
    builder = _Builder(spec)
    return Built(builder.api(), builder.problems)


class _Builder:
    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        self.data = spec.data
        self.enums: dict[str, Any] = self.data.get("enums", {})
        self.models: dict[str, Any] = self.data.get("models", {})
        self.protocol_raw: dict[str, Any] = {
            **schema_defaults("protocol"),
            **self.data["protocol"],
        }
        self.problems: list[SpecError] = []

    def source(self, *path: str | int) -> Source:
        return Source(tuple(path), self.spec)

    def type_ref(self, expr: str) -> TypeRef:
        is_list, name = split_type(expr)
        if is_list:
            return TypeRef("list", expr, self.type_ref(name))
        if " | " in name:
            return TypeRef("union", name, options=tuple(map(self.type_ref, name.split(" | "))))
        if name in BUILTIN_TYPES:
            return TypeRef("builtin", name)
        return TypeRef("enum" if name in self.enums else "model", name)

    def api(self) -> Api:
        data = self.data
        operations = tuple(self.operation(wire, raw) for wire, raw in data["operations"].items())
        auth_raw = data.get("auth", {"scheme": "none"})
        secret_wires = sorted(
            {p.wire for op in operations for p in op.params if p.secret}
            | ({auth_raw["password_field"]} if auth_raw.get("password_field") else set())
            | (
                {auth_raw["name"]}
                if auth_raw.get("scheme") == "api_key" and "name" in auth_raw
                else set()
            )
        )
        transport = {**schema_defaults("transport"), **data.get("transport", {})}
        return Api(
            name=data["api"]["name"],
            title=data["api"]["title"],
            description=data["api"].get("description", "").strip(),
            client_class=data["api"]["client_class"],
            spec_file=self.spec.display_name,
            settings=tuple(
                self.setting(name, raw) for name, raw in data.get("settings", {}).items()
            ),
            server=self.server(),
            auth=Auth(
                scheme=auth_raw["scheme"],
                username=auth_raw.get("username"),
                password=auth_raw.get("password"),
                username_field=auth_raw.get("username_field"),
                password_field=auth_raw.get("password_field"),
                token=auth_raw.get("token"),
                location=auth_raw.get("in", schema_defaults("auth")["in"]),
                key_name=auth_raw.get("name"),
                source=self.source("auth"),
            ),
            transport=Transport(
                connect_timeout=float(transport["connect_timeout"]),
                read_timeout=float(transport["read_timeout"]),
                verify_tls=bool(transport["verify_tls"]),
                retry_attempts=int(transport["retry_attempts"]),
                retry_backoff=float(transport["retry_backoff"]),
                retry_statuses=tuple(transport["retry_statuses"]),
                retry_after_max=float(transport["retry_after_max"]),
                timeout=float(transport["timeout"]),
                max_answer_bytes=int(transport["max_answer_bytes"]),
                max_item_bytes=int(transport["max_item_bytes"]),
                max_inflation=float(transport["max_inflation"]),
            ),
            protocol=self.protocol(),
            enums=tuple(
                Enum(
                    name=name,
                    doc=raw.get("doc", "").strip(),
                    members=tuple(EnumMember(constant_case(v), v) for v in raw["values"]),
                    source=self.source("enums", name),
                )
                for name, raw in self.enums.items()
            ),
            models=tuple(self.model(name, raw) for name, raw in self.models.items()),
            errors=tuple(
                ErrorClass(
                    name=name,
                    base=raw["base"],
                    http_status=tuple(raw.get("http_status", [])),
                    vendor_status=tuple(str(s) for s in raw.get("vendor_status", [])),
                    operations=tuple(raw.get("operations", [])),
                    doc=raw.get("doc", "").strip(),
                    source=self.source("errors", name),
                )
                for name, raw in data.get("errors", {}).items()
            ),
            operations=operations,
            secret_wire_names=tuple(secret_wires),
            source=self.source(),
        )

    def setting(self, name: str, raw: dict[str, Any]) -> Setting:
        return Setting(
            name=name,
            type=raw["type"],
            default=raw.get("default"),
            has_default="default" in raw,
            doc=raw.get("doc", "").strip(),
            secret=bool(raw.get("secret", False)),
            source=self.source("settings", name),
        )

    def server(self) -> Server:
        raw = self.data["server"]
        envs = tuple(raw.get("environments", {}).items())
        return Server(
            url=raw.get("url"),
            environments=envs,
            default_environment=raw.get("default_environment", envs[0][0] if envs else None),
            source=self.source("server"),
        )

    def protocol(self) -> Protocol:
        raw = self.protocol_raw
        lr_raw = raw.get("long_running")
        long_running = None
        if lr_raw:
            lr = {**schema_defaults("protocol", "long_running"), **lr_raw}
            long_running = LongRunning(
                status_operation=lr["status_operation"],
                cancel_operation=lr["cancel_operation"],
                token_param=lr["token_param"],
                version_param=lr["version_param"],
                timeout_param=lr["timeout_param"],
                wait_time_ms=int(lr["wait_time_ms"]),
                auto_handle=bool(lr["auto_handle"]),
                poll_interval=float(lr["poll_interval"]),
                poll_interval_max=float(lr["poll_interval_max"]),
                source=self.source("protocol", "long_running"),
            )
        task_fields = {
            **{k: v for k, v in schema_defaults("protocol", "long_running").items()},
            **(lr_raw or {}),
        }
        xml_field = raw.get("xml_field", {})
        return Protocol(
            encoding=raw["encoding"],
            decoding=raw["decoding"],
            xml_field=xml_field.get("field"),
            xml_declaration_encoding=xml_field.get(
                "declaration_encoding",
                schema_defaults("protocol", "xml_field")["declaration_encoding"],
            ),
            envelope={
                **schema_defaults("protocol", "envelope"),
                **{k: task_fields[k] for k in _TASK_STATUS_FIELDS},
                **raw.get("envelope", {}),
            },
            xml={**schema_defaults("protocol", "xml"), **raw.get("xml", {})},
            json=(
                {**schema_defaults("protocol", "json"), **raw["json"]} if "json" in raw else None
            ),
            headers=tuple(raw.get("headers", {}).items()),
            long_running=long_running,
        )

    def model(self, name: str, raw: dict[str, Any]) -> Model:
        return Model(
            name=name,
            doc=raw.get("doc", "").strip(),
            xml_element=raw.get("xml_element"),
            fields=tuple(
                Field(
                    name=f_name,
                    wire=f.get("wire", f_name).removeprefix("@"),
                    type=self.type_ref(f["type"]),
                    required=bool(f.get("required", False)),
                    attribute=bool(f.get("attribute", False)) or f.get("wire", "").startswith("@"),
                    text=bool(f.get("text", False)),
                    nullable=bool(f.get("nullable", False)),
                    format=f.get("format"),
                    item_wire=f.get("item"),
                    mime_decoded=f.get("mime_decoded"),
                    doc=f.get("doc", "").strip(),
                    source=self.source("models", name, "fields", f_name),
                )
                for f_name, f in raw["fields"].items()
            ),
            source=self.source("models", name),
        )

    def operation(self, wire: str, raw: dict[str, Any]) -> Operation:
        protocol = self.protocol_raw
        method = raw.get("method", protocol["default_method"])
        encoding = effective_encoding(raw, protocol)
        path: KeyPath = ("operations", wire)
        stream_items = tuple(raw["stream_items"].split("/")) if "stream_items" in raw else ()
        decoding = raw.get("decoding", protocol["decoding"])
        returns = raw.get("returns", "json")
        status_rule = raw.get("vendor_status")
        return Operation(
            wire_name=wire,
            name=raw.get("name") or snake_case(wire),
            method=method,
            path=raw.get("path") or protocol["path_template"].replace("{operation}", wire),
            doc=raw.get("doc", "").strip(),
            params=tuple(
                self.param(path, encoding, p_wire, p) for p_wire, p in raw.get("params", {}).items()
            ),
            returns=self.type_ref(returns),
            long_running=bool(raw.get("long_running", False)),
            safe=bool(raw.get("safe", method == "GET")),
            encoding=encoding,
            decoding=decoding,
            success_status=tuple(raw.get("success_status", [])),
            status_success=None if status_rule is None else tuple(status_rule.get("success", [])),
            status_failure=None if status_rule is None else tuple(status_rule.get("failure", [])),
            sends_credentials=bool(raw.get("auth", True)),
            redirects=raw.get("redirects", schema_defaults("operations", "*")["redirects"]),
            idempotency_header=self.idempotency_header(method),
            pagination=self.pagination(path, returns, raw["paginate"])
            if "paginate" in raw
            else None,
            stream_items=stream_items,
            stream_item_type=(
                self.stream_item_type(path, decoding, returns, stream_items)
                if stream_items
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
                    provenance=ex.get("provenance"),
                    source=self.source(*path, "examples", i),
                )
                for i, ex in enumerate(raw.get("examples", []))
            ),
            source=self.source(*path),
        )

    def idempotency_header(self, method: str) -> str | None:
        """The header that carries a fresh idempotency key on requests of ``method``, if any."""
        rule = self.protocol_raw.get("idempotency_key")
        if rule is None:
            return None
        defaults = schema_defaults("protocol", "idempotency_key")
        return str(rule["header"]) if method in rule.get("methods", defaults["methods"]) else None

    def param(self, op_path: KeyPath, encoding: str, wire: str, raw: dict[str, Any]) -> Param:
        source = self.source(*op_path, "params", wire)
        location = param_location(raw, encoding)
        if location == "path" and raw.get("required") is False:
            self.problems.append(source.error("path parameters are always required", "required"))
        return Param(
            name=raw.get("name") or snake_case(wire),
            wire=wire,
            type=self.type_ref(raw["type"]),
            required=bool(raw.get("required", False)) or location == "path",
            default=raw.get("default"),
            location=location,
            style=raw.get("style", _default_style(raw["type"])),
            format=raw.get("format"),
            secret=bool(raw.get("secret", False)),
            client_default=raw.get("client_default"),
            doc=raw.get("doc", "").strip(),
            example=raw.get("example"),
            conflicts_with=tuple(raw.get("conflicts_with", [])),
            extension_from=raw.get("extension_from"),
            const=raw.get("const"),
            nullable=bool(raw.get("nullable", False)),
            source=source,
        )

    def pagination(self, op_path: KeyPath, returns: str, raw: dict[str, Any]) -> Pagination | None:
        items = tuple(raw["items"].split("/")) if "items" in raw else ()
        where = self.source(*op_path, "paginate")
        if items and returns == "json":
            item_type: TypeRef | None = TypeRef("builtin", "json")
        elif items:
            item_type = self.item_type_at(where, "items", returns, items)
        elif split_type(returns)[0]:
            item_type = self.type_ref(split_type(returns)[1])
        elif returns == "json":
            item_type = TypeRef("builtin", "json")
        else:
            self.problems.append(
                where.error(
                    f"the answer ({returns}) is not a list: say where the items are", at_key=True
                )
            )
            return None
        if item_type is None:
            return None
        return Pagination(
            style=raw["style"],
            items=items,
            item_type=item_type,
            param=raw.get("param"),
            first_page=int(
                raw.get("first_page", schema_defaults("operations", "*", "paginate")["first_page"])
            ),
            cursor_field=_wire_path(raw.get("cursor_field")),
            cursor_item_field=raw.get("cursor_item_field"),
            has_more=_wire_path(raw.get("has_more")),
            total_pages=_wire_path(raw.get("total_pages")),
            source=where,
        )

    def item_type_at(
        self, where: Source, key: str, returns: str, steps: tuple[str, ...]
    ) -> TypeRef | None:
        """The item type of the list at ``steps`` (wire names) below a ``returns`` model; None
        (and a problem noted) when the path leads nowhere."""
        current = returns
        for i, wire in enumerate(steps):
            is_list, name = split_type(current)
            model = self.models.get(name)
            if model is None or is_list:
                self.problems.append(
                    where.error(f"{wire!r} is not reachable: {current} is not a model", key)
                )
                return None
            match = [f for f_name, f in model["fields"].items() if f.get("wire", f_name) == wire]
            if not match:
                self.problems.append(
                    where.error(f"model {name} has no field with wire name {wire!r}", key)
                )
                return None
            current = match[0]["type"]
            if i == len(steps) - 1 and not split_type(current)[0]:
                self.problems.append(
                    where.error(f"{wire!r} is not a list field (type {current})", key)
                )
                return None
        return self.type_ref(split_type(current)[1])

    def stream_item_type(
        self, op_path: KeyPath, decoding: str, returns: str, steps: tuple[str, ...]
    ) -> TypeRef | None:
        """The item type at ``steps`` (wire names) below the ``returns`` model: what a streaming
        variant yields; None (and a problem noted) when the path does not lead to a list."""
        where = self.source(*op_path)
        if decoding != "xml":
            self.problems.append(
                where.error("streaming applies only to 'xml' decoding", "stream_items")
            )
            return None
        return self.item_type_at(where, "stream_items", returns, steps)


def _wire_path(text: str | None) -> tuple[str, ...]:
    """``a/@b`` -> ``("a", "b")``: wire names below an answer (an attribute's ``@`` dropped, as
    models store attribute names)."""
    return tuple(step.removeprefix("@") for step in text.split("/")) if text else ()


def _default_style(type_expr: str) -> str:
    is_list, name = split_type(type_expr)
    if is_list:
        return "csv"
    if name == "json":
        return "json"
    return "plain"
