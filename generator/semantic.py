"""Checks the JSON Schema cannot express: references, names, defaults, paths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.errors import SpecError
from generator.loader import KeyPath, LoadedSpec
from generator.model import (
    BASE_ERROR_NAMES,
    BUILTIN_TYPES,
    LONG_RUNNING_KWARGS,
    RESERVED_METHODS,
    RUNTIME_SETTINGS,
    split_type,
)
from generator.naming import constant_case, python_name_problem, snake_case
from generator.runtime.builtin_types import BUILTIN_TYPES as BUILTIN_ROWS

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    name: row.default_types for name, row in BUILTIN_ROWS.items() if row.default_types
}
_FORMATTED = tuple(name for name, row in BUILTIN_ROWS.items() if row.formatted)


def check(spec: LoadedSpec) -> list[SpecError]:
    return list(_Checker(spec).run())


class _Checker:
    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        data = spec.data
        self.settings: dict[str, Any] = data.get("settings", {})
        self.enums: dict[str, Any] = data.get("enums", {})
        self.models: dict[str, Any] = data.get("models", {})
        self.errors: dict[str, Any] = data.get("errors", {})
        self.operations: dict[str, Any] = data.get("operations", {})
        self.protocol: dict[str, Any] = data.get("protocol", {})

    def err(self, path: KeyPath, message: str, *, at_key: bool = False) -> SpecError:
        return self.spec.error(path, message, at_key=at_key)

    def run(self) -> Iterator[SpecError]:
        yield from self._check_names()
        yield from self._check_settings()
        yield from self._check_server_and_auth()
        yield from self._check_protocol()
        yield from self._check_enums()
        yield from self._check_models()
        yield from self._check_errors()
        yield from self._check_operations()

    # -- helpers -------------------------------------------------------------------------------
    def _type_problem(self, expr: str) -> str | None:
        _, name = split_type(expr)
        if name in BUILTIN_TYPES or name in self.enums or name in self.models:
            return None
        known = sorted([*BUILTIN_TYPES, *self.enums, *self.models])
        return f"unknown type {name!r} (known types: {', '.join(known)})"

    def _default_problem(self, type_expr: str, default: Any) -> str | None:
        if default is None:
            return None
        is_list, name = split_type(type_expr)
        if is_list:
            return f"a list parameter cannot have a default, got {default!r}"
        if name in self.enums:
            values = self.enums[name].get("values", [])
            if default not in values:
                return f"default {default!r} is not a value of enum {name} ({', '.join(values)})"
            return None
        expected = _DEFAULT_TYPES.get(name)
        if expected is None:
            return f"type {name} cannot have a default"
        if isinstance(default, bool) and bool not in expected:
            return f"default {default!r} is a boolean, expected {name}"
        if not isinstance(default, expected):
            return f"default {default!r} is a {type(default).__name__}, expected {name}"
        return None

    # -- sections ------------------------------------------------------------------------------
    def _check_names(self) -> Iterator[SpecError]:
        owners: dict[str, str] = {name: "a built-in error class" for name in BASE_ERROR_NAMES}
        client_class = self.spec.data["api"]["client_class"]
        owners[client_class] = "the client class"
        for section in ("enums", "models", "errors"):
            for name in self.spec.data.get(section, {}):
                problem = python_name_problem(name)
                if problem:
                    yield self.err((section, name), problem, at_key=True)
                elif name in BUILTIN_TYPES:
                    yield self.err(
                        (section, name), f"{name!r} is a built-in type name", at_key=True
                    )
                elif name in owners:
                    yield self.err(
                        (section, name), f"name {name!r} is already {owners[name]}", at_key=True
                    )
                else:
                    owners[name] = f"used in {section}"

    def _check_settings(self) -> Iterator[SpecError]:
        for name, setting in self.settings.items():
            path: KeyPath = ("settings", name)
            problem = python_name_problem(name)
            if problem:
                yield self.err(path, problem, at_key=True)
            elif name in RUNTIME_SETTINGS:
                yield self.err(
                    path,
                    f"setting {name!r} is provided by the runtime; choose another name",
                    at_key=True,
                )
            elif name in RESERVED_METHODS:
                yield self.err(
                    path,
                    f"setting {name!r} would hide the client's own {name!r}; choose another name",
                    at_key=True,
                )
            if "default" in setting:
                problem = self._default_problem(setting["type"], setting["default"])
                if problem:
                    yield self.err((*path, "default"), problem)

    def _check_server_and_auth(self) -> Iterator[SpecError]:
        server = self.spec.data.get("server", {})
        if ("url" in server) == ("environments" in server):
            yield self.err(("server",), "expected exactly one of 'url' or 'environments'")
        for placeholder in _PLACEHOLDER.findall(server.get("url", "")):
            if placeholder not in self.settings:
                yield self.err(
                    ("server", "url"),
                    f"placeholder {{{placeholder}}} names no setting"
                    f" (settings: {', '.join(self.settings) or 'none'})",
                )
        envs = server.get("environments", {})
        default_env = server.get("default_environment")
        if default_env is not None and default_env not in envs:
            yield self.err(
                ("server", "default_environment"),
                f"{default_env!r} is not one of the environments ({', '.join(envs)})",
            )
        for env_name in envs:
            problem = python_name_problem(env_name)
            if problem:
                yield self.err(("server", "environments", env_name), problem, at_key=True)
        auth = self.spec.data.get("auth", {"scheme": "none"})
        if auth["scheme"] != "none":
            for role in ("username", "password"):
                setting = auth.get(role)
                if setting is None:
                    yield self.err(
                        ("auth",),
                        f"missing required key {role!r} for scheme {auth['scheme']!r}",
                        at_key=True,
                    )
                elif setting not in self.settings:
                    yield self.err(("auth", role), f"{setting!r} names no setting")
        if auth["scheme"] == "body":
            for role in ("username_field", "password_field"):
                if role not in auth:
                    yield self.err(
                        ("auth",), f"missing required key {role!r} for scheme 'body'", at_key=True
                    )

    def _check_protocol(self) -> Iterator[SpecError]:
        encodings = {self.protocol["encoding"]}
        encodings.update(op.get("encoding", "") for op in self.operations.values())
        if "xml_field" in encodings and "xml_field" not in self.protocol:
            yield self.err(
                ("protocol",),
                "missing required key 'xml_field' (encoding 'xml_field' needs it to name the "
                "form field)",
                at_key=True,
            )
        long_running = self.protocol.get("long_running")
        if long_running:
            for key in ("status_operation", "cancel_operation"):
                if long_running[key] not in self.operations:
                    yield self.err(
                        ("protocol", "long_running", key),
                        f"{long_running[key]!r} names no operation",
                    )

    def _check_enums(self) -> Iterator[SpecError]:
        for name, enum in self.enums.items():
            seen: dict[str, str] = {}
            for i, value in enumerate(enum["values"]):
                member = constant_case(value)
                if member in seen:
                    yield self.err(
                        ("enums", name, "values", i),
                        f"value {value!r} gives member name {member}, the same as {seen[member]!r}",
                    )
                seen[member] = value

    def _check_models(self) -> Iterator[SpecError]:
        for name, model in self.models.items():
            wires: dict[str, str] = {}
            for field_name, field in model["fields"].items():
                path: KeyPath = ("models", name, "fields", field_name)
                problem = python_name_problem(field_name)
                if problem:
                    yield self.err(path, problem, at_key=True)
                elif field_name == "extra":
                    yield self.err(
                        path, "'extra' holds unknown wire fields; choose another name", at_key=True
                    )
                problem = self._type_problem(field["type"])
                if problem:
                    yield self.err((*path, "type"), problem)
                yield from self._format_problem(path, field)
                wire = field.get("wire", field_name)
                if wire in wires:
                    yield self.err(
                        path,
                        f"wire name {wire!r} is also used by field {wires[wire]!r}",
                        at_key=True,
                    )
                wires[wire] = field_name

    def _check_errors(self) -> Iterator[SpecError]:
        for name, error in self.errors.items():
            if "http_status" not in error and "vendor_status" not in error:
                yield self.err(
                    ("errors", name),
                    "expected 'http_status' or 'vendor_status' to say when this error is raised",
                )
            for i, op in enumerate(error.get("operations", [])):
                if op not in self.operations:
                    yield self.err(("errors", name, "operations", i), f"{op!r} names no operation")

    def _format_problem(self, path: KeyPath, item: dict[str, Any]) -> Iterator[SpecError]:
        if "format" in item and split_type(item["type"])[1] not in _FORMATTED:
            yield self.err(
                (*path, "format"), f"'format' applies only to {' and '.join(_FORMATTED)} types"
            )

    def _check_operations(self) -> Iterator[SpecError]:
        python_names: dict[str, str] = {name: "a client setting" for name in self.settings}
        python_names.update({name: "a built-in client member" for name in RESERVED_METHODS})
        for wire, op in self.operations.items():
            base = op.get("name") or snake_case(wire)
            if op.get("long_running"):
                python_names.setdefault("begin_" + base, f"the task-starting twin of {wire!r}")
            if op.get("stream_items"):
                python_names.setdefault("iter_" + base, f"the streaming twin of {wire!r}")
        for wire, op in self.operations.items():
            path: KeyPath = ("operations", wire)
            name = op.get("name") or snake_case(wire)
            problem = python_name_problem(name)
            if problem:
                where = (*path, "name") if "name" in op else path
                hint = "" if "name" in op else " (derived from the wire name; set 'name')"
                yield self.err(where, problem + hint, at_key="name" not in op)
            elif name in python_names:
                owner = python_names[name]
                owner = owner if " " in owner else f"operation {owner!r}"
                yield self.err(path, f"Python name {name!r} is already {owner}", at_key=True)
            elif name.startswith("_"):
                yield self.err(path, f"Python name {name!r} must not start with '_'", at_key=True)
            python_names[name] = wire
            if "returns" in op:
                problem = self._type_problem(op["returns"])
                if problem:
                    yield self.err((*path, "returns"), problem)
            if "stream_items" in op:
                problem = self._stream_problem(op)
                if problem:
                    yield self.err((*path, "stream_items"), problem)
            yield from self._check_params(wire, op)

    def _stream_problem(self, op: dict[str, Any]) -> str | None:
        """``stream_items`` must follow model fields (by wire name) down to a list field."""
        if op.get("decoding", self.protocol["decoding"]) != "xml":
            return "streaming applies only to 'xml' decoding"
        current = op.get("returns", "json")
        steps = op["stream_items"].split("/")
        for i, wire in enumerate(steps):
            is_list, name = split_type(current)
            model = self.models.get(name)
            if model is None or is_list:
                return f"{wire!r} is not reachable: {current} is not a model"
            fields = model["fields"]
            match = [f for f_name, f in fields.items() if f.get("wire", f_name) == wire]
            if not match:
                return f"model {name} has no field with wire name {wire!r}"
            current = match[0]["type"]
            if i == len(steps) - 1 and not split_type(current)[0]:
                return f"{wire!r} is not a list field (type {current})"
        return None

    def _check_params(self, wire: str, op: dict[str, Any]) -> Iterator[SpecError]:
        params: dict[str, Any] = op.get("params", {})
        op_path: KeyPath = ("operations", wire)
        encoding = op.get("encoding", self.protocol["encoding"])
        long_running = bool(op.get("long_running"))
        names: dict[str, str] = {}
        for param_wire, param in params.items():
            path: KeyPath = (*op_path, "params", param_wire)
            name = param.get("name") or snake_case(param_wire)
            problem = python_name_problem(name)
            if problem:
                hint = "" if "name" in param else " (derived from the wire name; set 'name')"
                yield self.err(path, problem + hint, at_key=True)
            elif name in names:
                yield self.err(
                    path,
                    f"Python name {name!r} is also used by parameter {names[name]!r}",
                    at_key=True,
                )
            elif name == "self" or (long_running and name in LONG_RUNNING_KWARGS):
                yield self.err(path, f"parameter name {name!r} is reserved", at_key=True)
            names[name] = param_wire
            problem = self._type_problem(param["type"])
            if problem:
                yield self.err((*path, "type"), problem)
            elif "default" in param:
                problem = self._default_problem(param["type"], param["default"])
                if problem:
                    yield self.err((*path, "default"), problem)
            if param.get("required") and "default" in param:
                yield self.err((*path, "default"), "a required parameter cannot have a default")
            if param.get("style") == "flag" and param["type"] != "bool":
                yield self.err((*path, "style"), "style 'flag' applies only to bool parameters")
            if param.get("in") == "file" and (param["type"] != "binary" or encoding != "multipart"):
                yield self.err(
                    (*path, "in"), "'in: file' needs type 'binary' and encoding 'multipart'"
                )
            yield from self._format_problem(path, param)
            default_setting = param.get("client_default")
            if default_setting is not None and default_setting not in self.settings:
                yield self.err((*path, "client_default"), f"{default_setting!r} names no setting")
        path_text = op.get("path", "")
        in_path = _PLACEHOLDER.findall(path_text)
        for placeholder in in_path:
            declared = params.get(placeholder)
            if declared is None:
                yield self.err(
                    (*op_path, "path"),
                    f"path parameter {{{placeholder}}} is not declared in 'params'",
                )
            elif declared.get("in") != "path":
                yield self.err(
                    (*op_path, "params", placeholder, "in"),
                    f"{placeholder!r} appears in the path, expected 'in: path'",
                )
        for param_wire, param in params.items():
            if param.get("in") == "path":
                if param_wire not in in_path:
                    yield self.err(
                        (*op_path, "params", param_wire, "in"),
                        f"'in: path' but the path {path_text or '(default)'!r} has no "
                        f"{{{param_wire}}}",
                    )
                elif param.get("required") is False:
                    yield self.err(
                        (*op_path, "params", param_wire, "required"),
                        "path parameters are always required",
                    )
        for i, example in enumerate(op.get("examples", [])):
            for key in example.get("params", {}):
                if key not in params:
                    yield self.err(
                        (*op_path, "examples", i, "params", key),
                        f"{key!r} is not a parameter of {wire}",
                        at_key=True,
                    )
