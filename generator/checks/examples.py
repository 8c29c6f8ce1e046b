"""Examples are checked against their operation when a spec is validated, each problem located in
the spec: parameter names, types and requiredness, the request's method and path, the result's
keys and types, ``raises`` naming a declared class, ``result`` and ``raises`` not both, and every
declared error class shown failing by at least one example.

Otherwise a wrong example surfaces later as a failing cassette test without a spec location."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from generator.errors import SpecError
from generator.model import BASE_ERROR_NAMES, Example, Model, Source, Spec
from generator.runtime.builtin_types import BUILTIN_TYPES, Type, class_name, type_expression
from generator.runtime.codec import encode_scalar
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import Operation

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_examples(spec: Spec) -> Iterator[SpecError]:
    """Every example against its operation, then the examples together."""
    checker = ExampleChecker(spec)
    for op in spec.api.operations:
        yield from checker.examples(op)
    yield from check_errors_shown(spec)


def check_errors_shown(spec: Spec) -> Iterator[SpecError]:
    """Once a spec has examples, each declared error class is shown raised by one."""
    if not any(spec.examples.values()):
        return  # a draft (e.g. just imported) proves nothing yet; once it has examples, it must
    shown = {ex.raises for examples in spec.examples.values() for ex in examples if ex.raises}
    for error in spec.errors:
        if error.name not in shown:
            yield spec.source("errors", error.name).error(
                f"no example shows {error.name} being raised; add one (an example with "
                f"'raises: {error.name}') so its rule is tested",
                at_key=True,
            )


class ExampleChecker:
    """Holds an operation's examples against it (with the spec's models, enums and errors)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.models = {m.name: m for m in spec.models}
        self.enums = {e.name: [m.value for m in e.members] for e in spec.enums}
        self.error_names = {e.name for e in spec.errors} | set(BASE_ERROR_NAMES) - {"ERROR_TABLE"}

    def examples(self, op: Operation[Any]) -> Iterator[SpecError]:
        for i, example in enumerate(self.spec.examples_of(op)):
            yield from self.example(op, example, self.spec.of_example(op, i))

    def example(self, op: Operation[Any], example: Example, where: Source) -> Iterator[SpecError]:
        if example.raises is not None and where.has("result"):
            yield where.error("an example has a 'result' or 'raises', not both", "raises")
        if example.raises is not None and example.raises not in self.error_names:
            yield where.error(
                f"{example.raises!r} is not an error class of this spec "
                f"(declared: {', '.join(sorted(self.error_names))})",
                "raises",
            )
        for param in op.params:
            given = example.params.get(param.wire)
            if given is None:
                if param.required and param.client_default is None and param.default is None:
                    yield where.error(
                        f"the required parameter {param.wire!r} has no value", "params"
                    )
                continue
            problem = self.value_problem(param.type, given) or _yaml_type_problem(
                param.type, given, where.written("params", param.wire)
            )
            if problem:
                yield where.error(f"{param.wire!r}: {problem}", "params", param.wire)
        request = example.request
        yield from _request_disagreements(op, example, where)
        body_params = [
            p for p in op.params if p.location in ("body", "file") and p.wire in example.params
        ]
        if op.encoding == "multipart" and body_params and not where.has("request", "body"):
            yield where.error(
                "a multipart example needs its request body: the parts it sends, as "
                f"'body: {{{body_params[0].wire}: ...}}' (a file part as its file's text)",
                "request" if where.has("request") else "params",
                at_key=True,
            )
        method = request.get("method")
        if method is not None and str(method).upper() != op.method:
            yield where.error(
                f"the operation sends {op.method}, the example's request says {method}",
                "request",
                "method",
            )
        path = request.get("path")
        if path is not None and _path_segments(op.path, str(path)) is None:
            yield where.error(
                f"the operation's path is {op.path!r}, the example's request says {path!r}",
                "request",
                "path",
            )
        if example.raises is None and DECODINGS[op.decoding].reads and where.has("result"):
            answer = str(example.response.get("body", ""))
            problem = self.value_problem(op.result, example.result, answer=answer)
            if problem:
                yield where.error(problem, "result")

    def value_problem(
        self, kind: Type[Any], value: Any, *, answer: str | None = None
    ) -> str | None:
        """Why ``value`` (as written in YAML) is not a value of ``kind``, or None. ``answer``:
        the value is a result, decoded from this answer text (else it is a parameter's)."""
        if value is None:
            return None
        if kind.kind == "list":
            assert kind.item is not None
            if not isinstance(value, list):
                return f"expected a list, got {_show(value)}"
            for i, item in enumerate(value):
                problem = self.value_problem(kind.item, item, answer=answer)
                if problem:
                    return f"item {i}: {problem}"
            return None
        if kind.kind == "union":
            problems = [self.value_problem(o, value, answer=answer) for o in kind.target]
            if any(problem is None for problem in problems):
                return None
            listed = "; ".join(map(str, problems))
            return f"not a value of any of {type_expression(kind)}: {listed}"
        if kind.kind == "enum":
            name = class_name(kind.target)
            values = self.enums.get(name, [])
            if str(value) not in values and answer is None:  # results keep unknown values
                return f"{value!r} is not a value of {name} ({', '.join(values)})"
            return None
        if kind.kind == "model":
            name = class_name(kind.target)
            model = self.models.get(name)
            if model is None:
                return None  # an unknown type is reported where it is declared
            if not isinstance(value, dict):
                return f"expected a mapping of {name}'s fields, got {_show(value)}"
            return self._model_problem(model, value, answer)
        if kind.kind == "none":
            return None
        return _builtin_problem(kind.kind, value, kind.format, result=answer is not None)

    def _model_problem(self, model: Model, value: dict[str, Any], answer: str | None) -> str | None:
        fields = {f.name: f for f in model.fields}
        wires = {f.wire: f for f in model.fields}
        for key, item in value.items():
            field = fields.get(key) if answer is not None else (fields.get(key) or wires.get(key))
            if field is None:
                if answer is not None and re.search(rf"[<\"]{re.escape(key)}[>\"\s/]", answer):
                    continue  # an undeclared field of the answer, kept in ``extra`` as it came
                return f"{key!r} is not a field of {model.name}"
            if item is None and answer is not None and not field.nullable:
                # an optional scalar left out is None, as written; these are not
                if field.type.kind == "list":
                    return (
                        f"{model.name}.{key}: null, but the client gives [] for a list field "
                        "without a value: write [] (or declare the field 'nullable: true')"
                    )
                if field.required:
                    return (
                        f"{model.name}.{key}: null, but the field is required and not "
                        "nullable: the client refuses such an answer (declare it 'nullable: "
                        "true' if the vendor sends null, or use 'raises')"
                    )
            problem = self.value_problem(field.type, item, answer=answer)
            if problem:
                return f"{model.name}.{key}: {problem}"
        return None


def _builtin_problem(name: str, value: Any, fmt: str | None, *, result: bool) -> str | None:
    if name in ("json", "status", "binary"):
        return None
    if name in ("datetime", "date"):
        if result and isinstance(value, datetime.date):
            return None
        if not isinstance(value, str):
            return f"expected {name} text, got {_show(value)}"
        parse = BUILTIN_TYPES[name].from_text
        try:
            parse(value, None if result else fmt)
        except ValueError:
            return f"{value!r} is not a {name}" + (f" in format {fmt!r}" if fmt else "")
        return None
    expected = BUILTIN_TYPES[name].accepts
    if isinstance(value, bool) and bool not in expected:
        return f"expected {name}, got the boolean {value!r}"
    if name == "str" and isinstance(value, int | float):
        return None  # YAML reads 100 as a number; the vendor's text "100" is meant
    if not isinstance(value, expected):
        return f"expected {name}, got {_show(value)}"
    return None


_TEXT_KINDS = ("str", "int", "float", "bool", "enum")


def _yaml_type_problem(kind: Type[Any], value: Any, written: str | None) -> str | None:
    """A text parameter given a value YAML did not read as text: ``id: 0000123`` is the int
    83 (octal), ``code: 08.10`` the float 8.1, ``answer: yes`` True."""
    if kind.kind not in ("str", "enum") or isinstance(value, str) or value is None:
        return None
    if isinstance(value, list | dict):
        return None  # reported by the type check
    shown = written if written is not None else str(value)
    what = "boolean" if isinstance(value, bool) else type(value).__name__
    return f"YAML reads {shown} as the {what} {value!r}, not as text: quote it ('{shown}')"


def _request_disagreements(
    op: Operation[Any], example: Example, where: Source
) -> Iterator[SpecError]:
    """The example's request (path segments, query and form values) says what its params
    send: else the cassette would expect a request the client never makes."""
    request = example.request
    segments = _path_segments(op.path, str(request.get("path", ""))) or {}
    query, body = request.get("query"), request.get("body")
    sent: dict[str, tuple[dict[str, Any], str]] = {
        "path": (segments, "path"),
        "query": (query if isinstance(query, dict) else {}, "query"),
        "body": (body if isinstance(body, dict) and op.encoding != "json" else {}, "body"),
    }
    for param in op.params:
        given = example.params.get(param.wire)
        if given is None or param.type.kind not in _TEXT_KINDS or param.secret:
            continue
        if isinstance(given, list | dict) or param.location not in sent:
            continue
        values, key = sent[param.location]
        if param.wire not in values or isinstance(values[param.wire], list | dict):
            continue
        expected = encode_scalar(param.type, given)  # as the client writes it
        if str(values[param.wire]) != expected:
            where_sent = "path segment" if key == "path" else f"{key} value"
            yield where.error(
                f"the params give {param.wire!r} as {given!r}, so the client sends "
                f"{expected!r}; the example's request has the {where_sent} "
                f"{str(values[param.wire])!r}",
                "request",
                "path" if key == "path" else key,
                *(() if key == "path" else (param.wire,)),
            )


def _path_segments(template: str, path: str) -> dict[str, str] | None:
    """The placeholders' values in an example's request path (None: it is not the
    operation's path, placeholders filled in)."""
    pieces = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    pattern = "".join(
        re.escape(p) if i % 2 == 0 else f"(?P<p{i}>[^/]+)" for i, p in enumerate(pieces)
    )
    match = re.fullmatch(pattern, path.split("?", 1)[0])
    if match is None:
        return None
    return {pieces[i]: unquote(match[f"p{i}"]) for i in range(1, len(pieces), 2)}


def _show(value: Any) -> str:
    text = repr(value)
    kind = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
    return f"{kind} {text[:40] + '...' if len(text) > 40 else text}"
