"""Checks the JSON Schema cannot express, run on the built model (``generator.build``): references,
names, defaults, paths, and what the generator could not honour. Each error is located through
the node's ``Source``; nothing here derives again what the builder derived."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.errors import SpecError
from generator.example_checks import check_examples
from generator.model import (
    BASE_ERROR_NAMES,
    BUILTIN_TYPES,
    CALL_OPTION_NAMES,
    LONG_RUNNING_KWARGS,
    RESERVED_METHODS,
    RUNTIME_SETTINGS,
    Api,
    Field,
    Model,
    Operation,
    Param,
    Scalar,
    TypeRef,
)
from generator.naming import python_name_problem
from generator.runtime.builtin_types import BUILTIN_TYPES as BUILTIN_ROWS
from generator.runtime.builtin_types import EPOCH_FORMATS

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    name: row.default_types for name, row in BUILTIN_ROWS.items() if row.default_types
}
_FORMATTED = tuple(name for name, row in BUILTIN_ROWS.items() if row.formatted)
# Bodies that carry values in their own notation (no parameter styles), and what it is.
_NATIVE_BODIES = {"json": "a JSON", "xml_body": "an XML", "xml_field": "an XML"}
# Bodies of text fields, where parameter styles apply as in the query.
_FIELD_BODIES = ("form", "multipart")
# Styles each place can carry ("field": query, form and multipart fields).
_STYLES_BY_PLACE = {
    "path": frozenset({"plain", "csv"}),
    "header": frozenset({"plain", "csv", "json"}),
    "field": frozenset({"plain", "csv", "json", "flag", "repeat", "xml", "deep"}),
}


def _shape(ref: TypeRef) -> str:
    """How a value of ``ref`` can travel as text: ``scalar`` (one value), ``list`` (of single
    values), ``data`` (models, json, lists of those), ``binary`` (a file)."""
    if ref.kind == "list":
        assert ref.item is not None
        return "list" if _shape(ref.item) == "scalar" else "data"
    if ref.kind == "union":
        shapes = {_shape(option) for option in ref.options}
        return "scalar" if shapes == {"scalar"} else "data"
    if ref.kind == "model" or ref.name == "json":
        return "data"
    return "binary" if ref.name == "binary" else "scalar"


def check(api: Api, *, examples: bool = True) -> list[SpecError]:
    """Every problem of the built spec; with ``examples``, of its examples too."""
    problems = list(_Checker(api).run())
    if examples:
        problems.extend(check_examples(api))
    return problems


class _Checker:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.settings = {s.name: s for s in api.settings}
        self.enums = {e.name: e for e in api.enums}
        self.models = {m.name: m for m in api.models}
        self.operations = {op.wire_name: op for op in api.operations}
        self.notations = self._model_notations()

    def _model_notations(self) -> dict[str, set[str]]:
        """For each model, whether it is read or sent as ``xml``, ``json`` or both: from the
        answers and parameters that hold it, directly or nested in other models."""
        found: dict[str, set[str]] = {name: set() for name in self.models}
        stack: list[tuple[TypeRef, str]] = []
        for op in self.api.operations:
            answer = "xml" if op.decoding in ("xml", "binary_or_xml") else "json"
            if op.decoding != "none":
                stack.append((op.returns, answer))
            xml_body = op.encoding in ("xml_body", "xml_field")
            for param in op.params:
                as_xml = param.style == "xml" or (param.location == "body" and xml_body)
                # otherwise json and deep styles, JSON bodies: wire names as JSON keys
                stack.append((param.type, "xml" if as_xml else "json"))
        while stack:
            ref, notation = stack.pop()
            if ref.kind == "list" and ref.item is not None:
                stack.append((ref.item, notation))
            elif ref.kind == "union":
                stack.extend((option, notation) for option in ref.options)
            elif ref.kind == "model" and notation not in found.get(ref.name, {notation}):
                found[ref.name].add(notation)
                stack.extend((f.type, notation) for f in self.models[ref.name].fields)
        return found

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
    def _type_problem(self, ref: TypeRef) -> str | None:
        if ref.kind == "list":
            assert ref.item is not None
            return self._type_problem(ref.item)
        if ref.kind == "union":
            if len(set(ref.options)) != len(ref.options):
                return f"{ref.name!r} names a type twice"
            if any(o.kind == "builtin" and o.name == "binary" for o in ref.options):
                return "'binary' cannot be one option of a union"
            return next(filter(None, map(self._type_problem, ref.options)), None)
        if ref.kind != "model" or ref.name in self.models:
            return None
        known = sorted([*BUILTIN_TYPES, *self.enums, *self.models])
        return f"unknown type {ref.name!r} (known types: {', '.join(known)})"

    def _default_problem(self, ref: TypeRef, default: Scalar) -> str | None:
        if default is None:
            return None
        if ref.kind in ("list", "union"):
            return f"a {ref.kind} parameter cannot have a default, got {default!r}"
        if ref.kind == "enum":
            values = [m.value for m in self.enums[ref.name].members]
            if default not in values:
                return (
                    f"default {default!r} is not a value of enum {ref.name} ({', '.join(values)})"
                )
            return None
        expected = _DEFAULT_TYPES.get(ref.name)
        if expected is None:
            return f"type {ref.name} cannot have a default"
        if isinstance(default, bool) and bool not in expected:
            return f"default {default!r} is a boolean, expected {ref.name}"
        if not isinstance(default, expected):
            return f"default {default!r} is a {type(default).__name__}, expected {ref.name}"
        return None

    def _format_problem(self, node: Param | Field) -> Iterator[SpecError]:
        ref = node.type.item if node.type.kind == "list" and node.type.item else node.type
        if node.format is not None and ref.name not in _FORMATTED:
            yield node.source.error(
                f"'format' applies only to {' and '.join(_FORMATTED)} types", "format"
            )
        elif node.format in EPOCH_FORMATS and ref.name != "datetime":
            yield node.source.error(f"{node.format!r} applies to datetime values", "format")

    # -- sections ------------------------------------------------------------------------------
    def _check_names(self) -> Iterator[SpecError]:
        owners: dict[str, str] = {name: "a built-in error class" for name in BASE_ERROR_NAMES}
        owners[self.api.client_class] = "the client class"
        owners["NULL"] = "the package's explicit null"
        for section, nodes in (
            ("enums", self.api.enums),
            ("models", self.api.models),
            ("errors", self.api.errors),
        ):
            for node in nodes:
                problem = python_name_problem(node.name)
                if problem:
                    yield node.source.error(problem, at_key=True)
                elif node.name in BUILTIN_TYPES:
                    yield node.source.error(f"{node.name!r} is a built-in type name", at_key=True)
                elif node.name in owners:
                    yield node.source.error(
                        f"name {node.name!r} is already {owners[node.name]}", at_key=True
                    )
                else:
                    owners[node.name] = f"used in {section}"

    def _check_settings(self) -> Iterator[SpecError]:
        for setting in self.api.settings:
            name = setting.name
            problem = python_name_problem(name)
            if problem:
                yield setting.source.error(problem, at_key=True)
            elif name in RUNTIME_SETTINGS:
                yield setting.source.error(
                    f"setting {name!r} is provided by the runtime; choose another name",
                    at_key=True,
                )
            elif name in RESERVED_METHODS:
                yield setting.source.error(
                    f"setting {name!r} would hide the client's own {name!r}; choose another name",
                    at_key=True,
                )
            if setting.has_default:
                problem = self._default_problem(TypeRef("builtin", setting.type), setting.default)
                if problem:
                    yield setting.source.error(problem, "default")

    def _check_server_and_auth(self) -> Iterator[SpecError]:
        server = self.api.server
        if (server.url is None) == (not server.environments):
            yield server.source.error("expected exactly one of 'url' or 'environments'")
        for placeholder in _PLACEHOLDER.findall(server.url or ""):
            if placeholder not in self.settings:
                yield server.source.error(
                    f"placeholder {{{placeholder}}} names no setting"
                    f" (settings: {', '.join(self.settings) or 'none'})",
                    "url",
                )
        envs = dict(server.environments)
        if server.default_environment is not None and server.default_environment not in envs:
            yield server.source.error(
                f"{server.default_environment!r} is not one of the environments "
                f"({', '.join(envs)})",
                "default_environment",
            )
        for env_name in envs:
            problem = python_name_problem(env_name)
            if problem:
                yield server.source.error(problem, "environments", env_name, at_key=True)
        auth = self.api.auth
        yield from self._check_token_auth()
        if auth.scheme in ("basic", "body"):
            for role, setting in (("username", auth.username), ("password", auth.password)):
                if setting is None:
                    yield auth.source.error(
                        f"missing required key {role!r} for scheme {auth.scheme!r}", at_key=True
                    )
                elif setting not in self.settings:
                    yield auth.source.error(f"{setting!r} names no setting", role)
        if auth.scheme == "body":
            for role, field in (
                ("username_field", auth.username_field),
                ("password_field", auth.password_field),
            ):
                if field is None:
                    yield auth.source.error(
                        f"missing required key {role!r} for scheme 'body'", at_key=True
                    )

    def _check_token_auth(self) -> Iterator[SpecError]:
        """bearer and api_key send one secret setting; keys of other schemes are refused, not
        ignored."""
        auth = self.api.auth
        uses = {
            "basic": {"username", "password"},
            "body": {"username", "password", "username_field", "password_field"},
            "bearer": {"token"},
            "api_key": {"token", "in", "name"},
            "none": set(),
        }[auth.scheme]
        for key in (
            "username",
            "password",
            "username_field",
            "password_field",
            "token",
            "in",
            "name",
        ):
            if auth.source.has(key) and key not in uses:
                yield auth.source.error(
                    f"{key!r} does not apply to scheme {auth.scheme!r}", key, at_key=True
                )
        if auth.scheme not in ("bearer", "api_key"):
            return
        if auth.token is None:
            yield auth.source.error(
                f"missing required key 'token' for scheme {auth.scheme!r}", at_key=True
            )
        elif auth.token not in self.settings:
            yield auth.source.error(f"{auth.token!r} names no setting", "token")
        elif not self.settings[auth.token].secret:
            yield auth.source.error(
                f"setting {auth.token!r} holds a credential: mark it 'secret: true'", "token"
            )
        if auth.scheme == "api_key" and auth.key_name is None:
            yield auth.source.error(
                "missing required key 'name' (the header or query parameter of the key)",
                at_key=True,
            )

    def _check_protocol(self) -> Iterator[SpecError]:
        protocol = self.api.protocol
        encodings = {protocol.encoding} | {op.encoding for op in self.api.operations}
        if "xml_field" in encodings and protocol.xml_field is None:
            yield self.api.source.error(
                "missing required key 'xml_field' (encoding 'xml_field' needs it to name the "
                "form field)",
                "protocol",
                at_key=True,
            )
        decodings = {op.decoding for op in self.api.operations}
        used_by = {
            "envelope": ("envelope" in decodings, "decode 'envelope'"),
            "xml": (bool(decodings & {"xml", "binary_or_xml"}), "decode XML"),
            "json": ("json" in decodings, "decode 'json'"),
            "xml_field": ("xml_field" in encodings, "use encoding 'xml_field'"),
        }  # (protocol.long_running applies without such operations too: client.resume(token))
        for key, (used, what) in used_by.items():
            if not used and self.api.source.has("protocol", key):
                yield self.api.source.error(
                    f"'protocol.{key}' applies to operations that {what}; none does",
                    "protocol",
                    key,
                    at_key=True,
                )
        if any(op.stream_items for op in self.api.operations):
            for key in ("status_element", "message_element", "code_element"):
                where = str(protocol.xml.get(key) or "")
                if "/" in where or "@" in where:
                    yield self.api.source.error(
                        f"{where!r}: a streamed answer's status must be a child of the root "
                        "(paths and attributes are read from whole documents only)",
                        "protocol",
                        "xml",
                        key,
                    )
        long_running = protocol.long_running
        if long_running is not None:
            for key, wire in (
                ("status_operation", long_running.status_operation),
                ("cancel_operation", long_running.cancel_operation),
            ):
                if wire not in self.operations:
                    yield long_running.source.error(f"{wire!r} names no operation", key)
                elif self.operations[wire].decoding != "envelope":
                    yield long_running.source.error(
                        f"{wire!r} decodes {self.operations[wire].decoding!r}: polling and "
                        "cancelling read the status envelope (decoding 'envelope')",
                        key,
                    )

    def _check_enums(self) -> Iterator[SpecError]:
        for enum in self.api.enums:
            seen: dict[str, str] = {}
            for i, member in enumerate(enum.members):
                if member.name in seen:
                    yield enum.source.error(
                        f"value {member.value!r} gives member name {member.name}, the same as "
                        f"{seen[member.name]!r}",
                        "values",
                        i,
                    )
                seen[member.name] = member.value

    def _check_notation(self, model: Model) -> Iterator[SpecError]:
        """XML keys in a model only ever read or sent as JSON, and nulls XML cannot carry."""
        notations = self.notations[model.name]
        if notations == {"json"}:
            where = f"model {model.name} is only read or sent as JSON"
            if model.xml_element is not None:
                yield model.source.error(f"'xml_element' applies to XML: {where}", "xml_element")
            for f in model.fields:
                for key, used in (
                    ("attribute", f.attribute),
                    ("text", f.text),
                    ("item", f.item_wire is not None),
                    ("wire", f.wire.startswith("{")),
                ):
                    if used:
                        what = "a namespaced wire name" if key == "wire" else f"{key!r}"
                        at = "wire" if f.source.has("wire") and key != "text" else key
                        yield f.source.error(f"{what} applies to XML: {where}", at)
                        break
        elif notations == {"xml"}:
            for f in model.fields:
                if f.nullable and (f.type.kind not in ("builtin", "enum") or f.type.name == "json"):
                    yield f.source.error(
                        "in XML a null is an empty element: 'nullable' applies to single values",
                        "nullable",
                    )

    def _check_models(self) -> Iterator[SpecError]:
        for model in self.api.models:
            yield from self._check_notation(model)
            wires: dict[str, str] = {}
            texts = [f for f in model.fields if f.text]
            for extra_text in texts[1:]:
                yield extra_text.source.error(
                    f"the element's text is already field {texts[0].name!r}", "text"
                )
            for field in model.fields:
                problem = python_name_problem(field.name)
                if problem:
                    yield field.source.error(problem, at_key=True)
                elif field.name == "extra":
                    yield field.source.error(
                        "'extra' holds unknown wire fields; choose another name", at_key=True
                    )
                problem = self._type_problem(field.type)
                if problem:
                    yield field.source.error(problem, "type")
                yield from self._format_problem(field)
                scalar = field.type.kind in ("builtin", "enum") and field.type.name != "json"
                if field.item_wire is not None and not field.type.is_list:
                    yield field.source.error("'item' names the items of a list field", "item")
                if field.mime_decoded is not None and field.type != TypeRef("builtin", "str"):
                    yield field.source.error("'mime_decoded' applies to str fields", "mime_decoded")
                if field.attribute and not scalar:
                    yield field.source.error(
                        f"an XML attribute holds text: a scalar, not {field.type.name}",
                        "wire" if field.source.has("wire") else "attribute",
                    )
                if field.text and (field.attribute or not scalar):
                    yield field.source.error(
                        "a text field holds the element's own text: a scalar, not an attribute",
                        "text",
                    )
                local_name = (
                    field.wire.rpartition("}")[2] if field.wire.startswith("{") else field.wire
                )
                if "/" in local_name:
                    yield field.source.error(
                        f"wire name {field.wire!r}: a field is one element, attribute or key of "
                        "its model; paths are not followed (declare the nested model)",
                        "wire",
                    )
                if field.wire in wires:
                    yield field.source.error(
                        f"wire name {field.wire!r} is also used by field {wires[field.wire]!r}",
                        at_key=True,
                    )
                wires[field.wire] = field.name

    def _check_errors(self) -> Iterator[SpecError]:
        for error in self.api.errors:
            if not error.http_status and not error.vendor_status:
                yield error.source.error(
                    "expected 'http_status' or 'vendor_status' to say when this error is raised"
                )
            for i, op in enumerate(error.operations):
                if op not in self.operations:
                    yield error.source.error(f"{op!r} names no operation", "operations", i)

    def _check_operations(self) -> Iterator[SpecError]:
        python_names: dict[str, str] = {name: "a client setting" for name in self.settings}
        python_names.update({name: "a built-in client member" for name in RESERVED_METHODS})
        for op in self.api.operations:
            if op.long_running:
                python_names.setdefault(
                    "begin_" + op.name, f"the task-starting twin of {op.wire_name!r}"
                )
            if op.stream_items or op.pagination:
                python_names.setdefault(
                    "iter_" + op.name, f"the streaming twin of {op.wire_name!r}"
                )
        for op in self.api.operations:
            declared = op.source.has("name")
            problem = python_name_problem(op.name)
            if problem:
                hint = "" if declared else " (derived from the wire name; set 'name')"
                if declared:
                    yield op.source.error(problem + hint, "name")
                else:
                    yield op.source.error(problem + hint, at_key=True)
            elif op.name in python_names:
                owner = python_names[op.name]
                owner = owner if " " in owner else f"operation {owner!r}"
                yield op.source.error(f"Python name {op.name!r} is already {owner}", at_key=True)
            elif op.name.startswith("_"):
                yield op.source.error(
                    f"Python name {op.name!r} must not start with '_'", at_key=True
                )
            python_names[op.name] = op.wire_name
            problem = self._type_problem(op.returns)
            if problem:
                yield op.source.error(problem, "returns")
            json_status = op.decoding == "json" and (self.api.protocol.json or {}).get(
                "status_field"
            )
            if (
                op.status_success is not None
                and op.decoding not in ("xml", "binary_or_xml")
                and not json_status
            ):
                yield op.source.error(
                    "'vendor_status' applies to XML answers, or JSON answers with "
                    f"'protocol.json.status_field'; this operation decodes {op.decoding!r}",
                    "vendor_status",
                    at_key=True,
                )
            yield from self._check_answer(op)
            yield from self._check_pagination(op)
            if op.long_running and self.api.protocol.long_running is None:
                yield op.source.error(
                    "'long_running: true' needs 'protocol.long_running' (how to poll the task)",
                    "long_running",
                )
            yield from self._check_params(op)

    def _check_answer(self, op: Operation) -> Iterator[SpecError]:
        """The declared answer type must be one the operation's decoding can produce."""
        returns, decoding = op.returns, op.decoding
        at = "returns" if op.source.has("returns") else "decoding"
        if decoding == "none":
            if op.source.has("returns"):
                yield op.source.error(
                    "decoding 'none' reads no answer (the method returns None): 'returns' does "
                    "not apply",
                    "returns",
                )
            return
        if decoding == "binary_or_xml" and returns != TypeRef("builtin", "binary"):
            yield op.source.error(
                "decoding 'binary_or_xml' returns the file or the vendor's status: declare "
                f"'returns: binary' (got {returns.name})",
                at,
            )
        elif decoding != "binary_or_xml" and returns == TypeRef("builtin", "binary"):
            yield op.source.error(
                "a binary answer needs decoding 'binary_or_xml' (the file, or the vendor's XML "
                f"status); this operation decodes {decoding!r}",
                at,
            )
        elif returns == TypeRef("builtin", "status") and decoding != "envelope":
            yield op.source.error(
                f"'returns: status' is the status envelope itself: it needs decoding 'envelope', "
                f"not {decoding!r}",
                at,
            )
        elif decoding == "xml" and returns.is_list:
            yield op.source.error(
                "an XML answer is one document: declare a model whose list field holds the items "
                f"(not {returns.name})",
                at,
            )
        if op.long_running and decoding != "envelope":
            yield op.source.error(
                "a long-running operation answers with a status envelope: it needs decoding "
                f"'envelope', not {decoding!r}",
                "long_running",
            )

    def _check_pagination(self, op: Operation) -> Iterator[SpecError]:
        paging = op.pagination
        if paging is None:
            return
        source = paging.source
        if op.stream_items:
            yield source.error("an operation either streams its items or walks pages", at_key=True)
        if op.decoding not in ("json", "xml", "envelope"):
            yield source.error(
                f"pages are read from 'json', 'xml' or 'envelope' answers, not {op.decoding!r}",
                at_key=True,
            )
        if op.long_running:
            yield source.error("a long-running operation cannot walk pages", at_key=True)
        wires = {p.wire for p in op.params}
        if paging.style == "link":
            if source.has("param"):
                yield source.error(
                    "style 'link' follows the Link header: it takes no 'param'", "param"
                )
        elif paging.param is None:
            yield source.error(
                f"missing required key 'param' for style {paging.style!r}", at_key=True
            )
        elif paging.param not in wires:
            yield source.error(f"{paging.param!r} names no parameter of {op.wire_name}", "param")
        for key in ("first_page", "total_pages"):
            if paging.style != "page" and source.has(key):
                yield source.error(f"{key!r} applies to style 'page'", key)
        cursor_keys = [k for k in ("cursor_field", "cursor_item_field") if source.has(k)]
        if paging.style == "cursor" and len(cursor_keys) != 1:
            yield source.error(
                "style 'cursor' needs exactly one of 'cursor_field' (in the answer) or "
                "'cursor_item_field' (of the last item)",
                at_key=True,
            )
        elif paging.style != "cursor":
            for key in cursor_keys:
                yield source.error(f"{key!r} applies to style 'cursor'", key)

    def _check_body(self, op: Operation) -> Iterator[SpecError]:
        """Body parameters need a request that has a body."""
        in_body = [p for p in op.params if p.location in ("body", "file")]
        if not in_body:
            return
        if op.method == "GET" and op.encoding != "query":
            yield op.source.error(
                f"a GET sends no body: encoding {op.encoding!r} does not apply (leave it out: "
                "a GET's parameters travel in the query)",
                "encoding" if op.source.has("encoding") else "method",
            )
        elif op.encoding == "query":
            for param in in_body:
                if param.location == "body":
                    yield param.source.error(
                        (
                            "a GET sends no body"
                            if op.method == "GET"
                            else "encoding 'query' sends every parameter in the query"
                        )
                        + ": 'in: body' does not apply (declare 'in: query')",
                        "in",
                    )

    def _check_travel(self, op: Operation, param: Param) -> Iterator[SpecError]:
        """Whether the parameter's value can travel where it is declared, in its style: every
        combination the runtime cannot send faithfully is refused here, never sent mangled."""
        source, style, shape = param.source, param.style, _shape(param.type)
        explicit = source.has("style")
        place = param.location
        if shape == "binary" and place != "file":
            yield source.error(
                "type 'binary' is a file upload: it needs 'in: file' (and encoding 'multipart')",
                "type",
            )
            return
        if place == "file" or place == "body" and op.encoding in _NATIVE_BODIES:
            where = "a file" if place == "file" else f"{_NATIVE_BODIES[op.encoding]} body"
            if explicit and not (op.encoding == "xml_field" and style == "flag"):
                yield source.error(
                    f"{where} carries values as they are: style {style!r} does not apply",
                    "style",
                )
            elif style == "flag" and param.type != TypeRef("builtin", "bool"):
                yield source.error("style 'flag' applies only to bool parameters", "style")
            return
        if place == "body" and op.encoding not in _FIELD_BODIES:
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
        if style == "plain" and shape != "scalar":
            kind = "a list" if shape == "list" else f"a {param.type.name} value"
            ways = "'csv', 'json' or 'repeat'" if "repeat" in allowed else "'csv' or 'json'"
            if shape != "list":
                ways = "'json'" + (", 'deep' or 'xml'" if "deep" in allowed else "")
            yield source.error(
                f"{kind} is not one plain value: declare style {ways}",
                "style" if explicit else "type",
            )
        elif style in ("csv", "repeat") and shape != "list":
            yield source.error(
                f"style {style!r} applies only to list parameters"
                + (" of single values: declare 'json' or 'deep'" if param.type.is_list else ""),
                "style",
            )
        elif style == "deep" and shape == "scalar":
            yield source.error(
                "style 'deep' (bracketed keys) applies to lists, models and json values", "style"
            )
        elif style == "flag":
            if param.type != TypeRef("builtin", "bool"):
                yield source.error("style 'flag' applies only to bool parameters", "style")
            elif param.nullable:
                yield source.error("a flag is sent or left out: it cannot be null", "nullable")
        elif style == "xml" and param.type.kind != "model":
            yield source.error("style 'xml' applies only to model parameters", "style")

    def _check_params(self, op: Operation) -> Iterator[SpecError]:
        names: dict[str, str] = {}
        params = {p.wire: p for p in op.params}
        for param in op.params:
            source = param.source
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
            ):
                yield source.error(f"parameter name {param.name!r} is reserved", at_key=True)
            names[param.name] = param.wire
            problem = self._type_problem(param.type)
            if problem:
                yield source.error(problem, "type")
            else:
                problem = self._default_problem(param.type, param.default)
                if problem:
                    yield source.error(problem, "default")
            if param.is_const:
                problem = self._default_problem(param.type, param.const)
                if problem:
                    yield source.error(problem.replace("default", "const", 1), "const")
                for key in ("default", "client_default", "required"):
                    if source.has(key):
                        yield source.error(f"a constant parameter takes no {key!r}", key)
            if param.required and source.has("default"):
                yield source.error("a required parameter cannot have a default", "default")
            if param.location == "file" and (
                param.type != TypeRef("builtin", "binary") or op.encoding != "multipart"
            ):
                yield source.error(
                    "'in: file' needs type 'binary' and encoding 'multipart'"
                    + (" (a GET sends no body)" if op.method == "GET" else ""),
                    "in",
                )
            yield from self._format_problem(param)
            for i, other in enumerate(param.conflicts_with):
                if other not in params or other == param.wire:
                    yield source.error(
                        f"{other!r} names no other parameter of {op.wire_name}",
                        "conflicts_with",
                        i,
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
            elif param.nullable and param.location == "body" and op.encoding == "xml_body":
                yield source.error("the XML body is this model: it cannot be null", "nullable")
            if self._type_problem(param.type) is None:
                yield from self._check_travel(op, param)
            if param.client_default is not None and param.client_default not in self.settings:
                yield source.error(f"{param.client_default!r} names no setting", "client_default")
        yield from self._check_body(op)
        if op.encoding == "xml_body":
            body = [p for p in op.params if p.location == "body"]
            if len(body) != 1 or body[0].type.kind != "model":
                yield op.source.error(
                    "encoding 'xml_body' sends one model as the body: expected exactly one body "
                    f"parameter of a model type, got {len(body)} body parameter(s)"
                    + (" (other parameters need 'in: query', 'in: path' or 'in: header')"),
                    "params",
                )
        in_path = _PLACEHOLDER.findall(op.path) if op.source.has("path") else []
        for placeholder in in_path:
            declared = params.get(placeholder)
            if declared is None:
                yield op.source.error(
                    f"path parameter {{{placeholder}}} is not declared in 'params'", "path"
                )
            elif declared.location != "path":
                yield declared.source.error(
                    f"{placeholder!r} appears in the path, expected 'in: path'", "in"
                )
        for param in op.params:
            if param.location == "path" and param.wire not in in_path:
                shown = op.path if op.source.has("path") else "(default)"
                yield param.source.error(
                    f"'in: path' but the path {shown!r} has no {{{param.wire}}}", "in"
                )
        for example in op.examples:
            for key in example.params:
                if key not in params:
                    yield example.source.error(
                        f"{key!r} is not a parameter of {op.wire_name}", "params", key, at_key=True
                    )
                elif params[key].is_const:
                    yield example.source.error(
                        f"{key!r} is a constant: it is always sent, not given",
                        "params",
                        key,
                        at_key=True,
                    )
