"""Turn a schema-valid spec into its descriptors (``generator.runtime.descriptors``), once.

Everything derived from the spec is derived here and nowhere else: Python names, the effective
encoding and decoding of each operation, parameter locations and styles, the item type a
streaming or page-walking twin yields, defaults (read from the JSON Schema's ``default``
keywords, their one home). The builder does not judge the spec: it builds what it can and notes
what it could not derive (``problems``); ``generator.checks`` checks the rest on the built
descriptors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from generator.errors import SpecError
from generator.loader import (
    KeyPath,
    LoadedSpec,
    operation_encoding,
    param_location,
    schema_defaults,
)
from generator.model import (
    BUILTIN_TYPES,
    Enum,
    EnumMember,
    ErrorClass,
    Example,
    Model,
    Packaging,
    Source,
    Spec,
    split_type,
)
from generator.naming import constant_case, snake_case
from generator.runtime import descriptors as rt
from generator.runtime.auth import AuthScheme
from generator.runtime.builtin_types import Type, TypeName
from generator.runtime.codec import Field
from generator.runtime.decoding import DECODINGS
from generator.runtime.errors import ErrorRule, ErrorTable

# Envelope fields a task status adds; the spec names them in ``protocol.long_running``.
_TASK_STATUS_FIELDS = ("version_field", "token_field", "progress_field", "text_field", "log_field")
# The package's own error classes, named in the descriptor until errors.py defines them.
_TABLE_CLASSES = {
    "transport": "TransportError",
    "http": "HttpError",
    "auth": "AuthenticationError",
    "not_found": "NotFoundError",
    "vendor": "VendorError",
    "decode": "DecodeError",
    "task_timeout": "TaskTimeout",
    "call_timeout": "CallTimeout",
    "limit": "LimitExceeded",
    "local_file": "LocalFileError",
    "token": "TokenError",
}


@dataclass(frozen=True)
class Built:
    spec: Spec
    problems: list[SpecError]  # what the builder could not derive


def build_api(loaded: LoadedSpec) -> Built:
    builder = _Builder(loaded)
    return Built(builder.spec(), builder.problems)


class _Builder:
    def __init__(self, loaded: LoadedSpec) -> None:
        self.loaded = loaded
        self.data = loaded.data
        self.enums: dict[str, Any] = self.data.get("enums", {})
        self.models: dict[str, Any] = self.data.get("models", {})
        self.protocol_raw: dict[str, Any] = {
            **schema_defaults("protocol"),
            **self.data["protocol"],
        }
        self.problems: list[SpecError] = []
        self.examples: dict[str, tuple[Example, ...]] = {}
        self.param_examples: dict[tuple[str, str], Any] = {}

    def source(self, *path: str | int) -> Source:
        return Source(tuple(path), self.loaded)

    # -- types ---------------------------------------------------------------------------------
    def type(self, expr: str, fmt: str | None = None) -> Type[Any]:
        """The descriptor of a type expression; ``fmt`` (dates) goes to its single types."""
        is_list, name = split_type(expr)
        if is_list:
            return Type("list", item=self.type(name, fmt))
        if " | " in name:
            return Type("union", target=tuple(self.type(o, fmt) for o in name.split(" | ")))
        if name in BUILTIN_TYPES:
            return Type(name, format=fmt)
        kind = "enum" if name in self.enums else "model"
        return Type(kind, target=TypeName(name), format=fmt)

    # -- the API -------------------------------------------------------------------------------
    def spec(self) -> Spec:
        data = self.data
        operations = tuple(self.operation(wire, raw) for wire, raw in data["operations"].items())
        auth = AuthScheme.from_spec({**schema_defaults("auth"), **data.get("auth", {})})
        secret_wires = frozenset(
            {p.wire for op in operations for p in op.params if p.secret} | auth.secret_wire_names()
        )
        errors = tuple(self.error_class(name, raw) for name, raw in data.get("errors", {}).items())
        table = ErrorTable(
            **{key: cast(Any, TypeName(name)) for key, name in _TABLE_CLASSES.items()},
            rules=tuple(e.rule for e in errors),
        )
        api = rt.ApiDescription(
            name=data["api"]["name"],
            title=data["api"]["title"],
            errors=table,
            envelope=self.envelope(),
            xml=self.xml_status(),
            auth=auth,
            server=self.server(),
            protocol=self.protocol(),
            transport=self.transport(),
            operations=operations,
            settings=tuple(
                self.setting(name, raw) for name, raw in data.get("settings", {}).items()
            ),
            long_running=self.long_running(),
            json=self.json_status(),
            secret_wire_names=secret_wires,
            client_class=data["api"]["client_class"],
            description=data["api"].get("description", "").strip(),
        )
        given = {**schema_defaults("api"), **data["api"]}
        default = Packaging.defaults(api.name, given["version"])
        return Spec(
            api=api,
            spec_file=self.loaded.display_name,
            packaging=Packaging(
                distribution=given.get("distribution", default.distribution),
                import_name=given.get("import_name", default.import_name),
                command=given.get("command", default.command),
                version=given["version"],
            ),
            models=tuple(self.model(name, raw) for name, raw in self.models.items()),
            enums=tuple(
                Enum(
                    name=name,
                    doc=raw.get("doc", "").strip(),
                    members=tuple(EnumMember(constant_case(v), v) for v in raw["values"]),
                )
                for name, raw in self.enums.items()
            ),
            errors=errors,
            examples=self.examples,
            param_examples=self.param_examples,
            loaded=self.loaded,
        )

    def error_class(self, name: str, raw: dict[str, Any]) -> ErrorClass:
        rule = ErrorRule(
            cast(Any, TypeName(name)),
            http_status=tuple(raw.get("http_status", [])),
            vendor_status=tuple(str(s) for s in raw.get("vendor_status", [])),
            operations=tuple(raw.get("operations", [])),
        )
        return ErrorClass(name=name, base=raw["base"], doc=raw.get("doc", "").strip(), rule=rule)

    def setting(self, name: str, raw: dict[str, Any]) -> rt.Setting:
        return rt.Setting(
            name=name,
            type=raw["type"],
            default=raw.get("default"),
            required="default" not in raw,
            secret=bool(raw.get("secret", False)),
            doc=raw.get("doc", "").strip(),
        )

    def server(self) -> rt.Server:
        raw = self.data["server"]
        envs = dict(raw.get("environments", {}))
        return rt.Server(
            url=raw.get("url"),
            environments=envs,
            default_environment=raw.get("default_environment", next(iter(envs), None)),
            named=dict(raw.get("named", {})),
        )

    def transport(self) -> rt.TransportDefaults:
        transport = {**schema_defaults("transport"), **self.data.get("transport", {})}
        return rt.TransportDefaults(
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
        )

    def protocol(self) -> rt.Protocol:
        raw = self.protocol_raw
        xml_field = raw.get("xml_field", {})
        return rt.Protocol(
            encoding=raw["encoding"],
            decoding=raw["decoding"],
            default_method=raw["default_method"],
            path_template=raw["path_template"],
            xml_declaration_encoding=xml_field.get(
                "declaration_encoding",
                schema_defaults("protocol", "xml_field")["declaration_encoding"],
            ),
            xml_field=xml_field.get("field"),
            headers=dict(raw.get("headers", {})),
        )

    def envelope(self) -> rt.Envelope:
        raw = self.protocol_raw
        task_fields = {**schema_defaults("protocol", "long_running"), **raw.get("long_running", {})}
        fields = {
            **schema_defaults("protocol", "envelope"),
            **{k: task_fields[k] for k in _TASK_STATUS_FIELDS},
            **raw.get("envelope", {}),
        }
        echo = fields.pop("echo_header", None)
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()
        }
        return rt.Envelope(
            **values,
            echo_field=echo["field"] if echo else None,
            echo_header=echo["header"] if echo else None,
        )

    def xml_status(self) -> rt.XmlStatus:
        raw = {**schema_defaults("protocol", "xml"), **self.protocol_raw.get("xml", {})}
        return rt.XmlStatus(
            status_element=raw["status_element"],
            message_element=raw["message_element"],
            success=tuple(raw.get("success", ())),
            failure=tuple(raw.get("failure", ())),
            root_element=raw.get("root_element"),
            code_element=raw.get("code_element"),
        )

    def json_status(self) -> rt.JsonStatus | None:
        if "json" not in self.protocol_raw:
            return None
        raw = {**schema_defaults("protocol", "json"), **self.protocol_raw["json"]}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        return rt.JsonStatus(**values)

    def long_running(self) -> rt.LongRunning | None:
        raw = self.protocol_raw.get("long_running")
        if not raw:
            return None
        lr = {**schema_defaults("protocol", "long_running"), **raw}
        return rt.LongRunning(
            status_operation=lr["status_operation"],
            cancel_operation=lr["cancel_operation"],
            token_param=lr["token_param"],
            version_param=lr["version_param"],
            timeout_param=lr["timeout_param"],
            wait_time_ms=int(lr["wait_time_ms"]),
            auto_handle=bool(lr["auto_handle"]),
            poll_interval=float(lr["poll_interval"]),
            poll_interval_max=float(lr["poll_interval_max"]),
            protocol="status_envelope",
        )

    # -- models --------------------------------------------------------------------------------
    def model(self, name: str, raw: dict[str, Any]) -> Model:
        return Model(
            name=name,
            doc=raw.get("doc", "").strip(),
            xml_element=raw.get("xml_element"),
            fields=tuple(
                Field(
                    name=f_name,
                    wire=f.get("wire", f_name).removeprefix("@"),
                    type=self.type(f["type"], f.get("format")),
                    required=bool(f.get("required", False)),
                    attribute=bool(f.get("attribute", False)) or f.get("wire", "").startswith("@"),
                    item_wire=f.get("item"),
                    text=bool(f.get("text", False)),
                    nullable=bool(f.get("nullable", False)),
                    doc=f.get("doc", "").strip(),
                    mime_decoded=f.get("mime_decoded"),
                )
                for f_name, f in raw["fields"].items()
            ),
        )

    # -- operations ----------------------------------------------------------------------------
    def operation(self, wire: str, raw: dict[str, Any]) -> rt.Operation[Any]:
        protocol = self.protocol_raw
        method = raw.get("method", protocol["default_method"])
        encoding = operation_encoding(raw, protocol)
        path: KeyPath = ("operations", wire)
        stream_items = tuple(raw["stream_items"].split("/")) if "stream_items" in raw else ()
        decoding = raw.get("decoding", protocol["decoding"])
        returns = raw.get("returns", "json")
        reads = DECODINGS[decoding].reads if decoding in DECODINGS else True
        status_rule = raw.get("vendor_status")
        self.examples[wire] = tuple(
            Example(
                name=ex["name"],
                doc=ex.get("doc", ""),
                params=dict(ex.get("params", {})),
                request=dict(ex.get("request", {})),
                response=dict(ex.get("response", {})),
                result=ex.get("result"),
                raises=ex.get("raises"),
                provenance=ex.get("provenance"),
            )
            for ex in raw.get("examples", [])
        )
        return rt.Operation(
            name=raw.get("name") or snake_case(wire),
            wire_name=wire,
            method=method,
            path=raw.get("path") or protocol["path_template"].replace("{operation}", wire),
            params=tuple(
                self.param(path, encoding, p_wire, p) for p_wire, p in raw.get("params", {}).items()
            ),
            result=self.type(returns) if reads else Type("none"),
            encoding=encoding,
            decoding=decoding,
            safe=bool(raw.get("safe", method == "GET")),
            long_running=bool(raw.get("long_running", False)),
            success_status=tuple(raw.get("success_status", [])),
            status_success=None if status_rule is None else tuple(status_rule.get("success", [])),
            status_failure=None if status_rule is None else tuple(status_rule.get("failure", [])),
            sends_credentials=bool(raw.get("auth", True)),
            server=raw.get("server"),
            pagination=(
                self.pagination(path, returns, raw["paginate"]) if "paginate" in raw else None
            ),
            idempotency_header=self.idempotency_header(method),
            stream_items=stream_items,
            stream_item=(
                self.stream_item_type(path, decoding, returns, stream_items)
                if stream_items
                else None
            ),
            doc=raw.get("doc", "").strip(),
            redirects=raw.get("redirects", schema_defaults("operations", "*")["redirects"]),
        )

    def idempotency_header(self, method: str) -> str | None:
        """The header that carries a fresh idempotency key on requests of ``method``, if any."""
        rule = self.protocol_raw.get("idempotency_key")
        if rule is None:
            return None
        defaults = schema_defaults("protocol", "idempotency_key")
        return str(rule["header"]) if method in rule.get("methods", defaults["methods"]) else None

    def param(self, op_path: KeyPath, encoding: str, wire: str, raw: dict[str, Any]) -> rt.Param:
        source = self.source(*op_path, "params", wire)
        location = param_location(raw, encoding)
        if location == "path" and raw.get("required") is False:
            self.problems.append(source.error("path parameters are always required", "required"))
        if "example" in raw:
            self.param_examples[(str(op_path[1]), wire)] = raw["example"]
        client_default = raw.get("client_default")
        return rt.Param(
            name=raw.get("name") or snake_case(wire),
            wire=wire,
            type=self.type(raw["type"], raw.get("format")),
            location=location,
            style=raw.get("style", _default_style(raw["type"])),
            secret=bool(raw.get("secret", False)),
            # a value must be sent: the spec requires it, it is in the path, or a client
            # setting fills it in
            required=bool(raw.get("required", False))
            or location == "path"
            or client_default is not None,
            client_default=client_default,
            doc=raw.get("doc", "").strip(),
            conflicts_with=tuple(raw.get("conflicts_with", [])),
            extension_from=raw.get("extension_from"),
            const=raw.get("const"),
            nullable=bool(raw.get("nullable", False)),
            default=raw.get("default"),
        )

    def pagination(
        self, op_path: KeyPath, returns: str, raw: dict[str, Any]
    ) -> rt.Pagination | None:
        items = tuple(raw["items"].split("/")) if "items" in raw else ()
        where = self.source(*op_path, "paginate")
        if items and returns == "json":
            item_type: Type[Any] | None = Type("json")
        elif items:
            item_type = self.item_type_at(where, "items", returns, items)
        elif split_type(returns)[0]:
            item_type = self.type(split_type(returns)[1])
        elif returns == "json":
            item_type = Type("json")
        else:
            self.problems.append(
                where.error(
                    f"the answer ({returns}) is not a list: say where the items are", at_key=True
                )
            )
            return None
        if item_type is None:
            return None
        return rt.Pagination(
            style=raw["style"],
            items=items,
            param=raw.get("param"),
            first_page=int(
                raw.get("first_page", schema_defaults("operations", "*", "paginate")["first_page"])
            ),
            cursor_field=_wire_path(raw.get("cursor_field")),
            cursor_item_field=raw.get("cursor_item_field"),
            has_more=_wire_path(raw.get("has_more")),
            total_pages=_wire_path(raw.get("total_pages")),
            next_field=_wire_path(raw.get("next_field")),
            total_items=_wire_path(raw.get("total_items")),
            item=item_type,
        )

    def item_type_at(
        self, where: Source, key: str, returns: str, steps: tuple[str, ...]
    ) -> Type[Any] | None:
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
                hint = (
                    f"; paths are written with '/': {wire.replace('.', '/')!r}"
                    if "." in wire
                    else ""
                )
                self.problems.append(
                    where.error(f"model {name} has no field with wire name {wire!r}{hint}", key)
                )
                return None
            current = match[0]["type"]
            if i == len(steps) - 1 and not split_type(current)[0]:
                self.problems.append(
                    where.error(f"{wire!r} is not a list field (type {current})", key)
                )
                return None
        return self.type(split_type(current)[1])

    def stream_item_type(
        self, op_path: KeyPath, decoding: str, returns: str, steps: tuple[str, ...]
    ) -> Type[Any] | None:
        """The item type at ``steps`` (wire names) below the ``returns`` model: what a streaming
        variant yields; None (and a problem noted) when the path does not lead to a list."""
        where = self.source(*op_path)
        if not DECODINGS[decoding].streams:
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
