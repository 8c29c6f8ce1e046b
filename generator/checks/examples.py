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

from generator.errors import SpecError
from generator.model import BASE_ERROR_NAMES, Example, Model, Source, Spec
from generator.runtime.builtin_types import BUILTIN_TYPES, Type, class_name, type_expression
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import Operation

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_examples(spec: Spec) -> Iterator[SpecError]:
    checker = _ExampleChecker(spec)
    for op in spec.api.operations:
        for i, example in enumerate(spec.examples_of(op)):
            yield from checker.example(op, example, spec.of_example(op, i))
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


class _ExampleChecker:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.models = {m.name: m for m in spec.models}
        self.enums = {e.name: [m.value for m in e.members] for e in spec.enums}
        self.error_names = {e.name for e in spec.errors} | set(BASE_ERROR_NAMES) - {"ERROR_TABLE"}

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
            problem = self.value_problem(param.type, given)
            if problem:
                yield where.error(f"{param.wire!r}: {problem}", "params", param.wire)
        request = example.request
        method = request.get("method")
        if method is not None and str(method).upper() != op.method:
            yield where.error(
                f"the operation sends {op.method}, the example's request says {method}",
                "request",
                "method",
            )
        path = request.get("path")
        if path is not None and not _path_matches(op.path, str(path)):
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


def _path_matches(template: str, path: str) -> bool:
    """Whether an example's request path is the operation's, placeholders filled in."""
    pieces = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    pattern = "".join(re.escape(p) if i % 2 == 0 else "[^/]+" for i, p in enumerate(pieces))
    return re.fullmatch(pattern, path.split("?", 1)[0]) is not None


def _show(value: Any) -> str:
    text = repr(value)
    kind = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
    return f"{kind} {text[:40] + '...' if len(text) > 40 else text}"
