"""Checks of each operation as a whole: its Python names, its answer (what its decoding can
produce), its vendor-status rule, its page walk and its task protocol. Parameters are checked
in ``generator.checks.params``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.checks.params import check_params
from generator.checks.types import type_problem
from generator.errors import SpecError
from generator.model import RESERVED_METHODS, Source, Spec
from generator.naming import python_name_problem
from generator.runtime.builtin_types import Type, class_name, type_expression
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import Operation
from generator.runtime.pagination import PAGINATION_STYLES


def check_operation_names(spec: Spec) -> Iterator[SpecError]:
    """Each operation's Python name: usable, and taken by nothing else of the client."""
    api = spec.api
    python_names: dict[str, str] = {s.name: "a client setting" for s in api.settings}
    python_names.update({name: "a built-in client member" for name in RESERVED_METHODS})
    for op in api.operations:
        if op.long_running:
            python_names.setdefault(
                "begin_" + op.name, f"the task-starting twin of {op.wire_name!r}"
            )
        if op.stream_items or op.pagination:
            python_names.setdefault("iter_" + op.name, f"the streaming twin of {op.wire_name!r}")
    for op in api.operations:
        source = spec.of_operation(op)
        declared = source.has("name")
        problem = python_name_problem(op.name)
        if problem:
            hint = "" if declared else " (derived from the wire name; set 'name')"
            if declared:
                yield source.error(problem + hint, "name")
            else:
                yield source.error(problem + hint, at_key=True)
        elif op.name in python_names:
            owner = python_names[op.name]
            owner = owner if " " in owner else f"operation {owner!r}"
            yield source.error(f"Python name {op.name!r} is already {owner}", at_key=True)
        elif op.name.startswith("_"):
            yield source.error(f"Python name {op.name!r} must not start with '_'", at_key=True)
        python_names[op.name] = op.wire_name


def check_operation(spec: Spec, op: Operation[Any]) -> Iterator[SpecError]:
    """One operation on its own (with the spec's models, protocol and servers): its answer,
    vendor-status rule, server, page walk, task protocol and parameters."""
    api = spec.api
    source = spec.of_operation(op)
    problem = type_problem(spec, op.result)
    if problem:
        yield source.error(problem, "returns")
    decoding = DECODINGS[op.decoding]
    json_status = decoding.json_status and api.json is not None and api.json.status_field
    if op.status_success is not None and not decoding.xml and not json_status:
        yield source.error(
            "'vendor_status' applies to XML answers, or JSON answers with "
            f"'protocol.json.status_field'; this operation decodes {op.decoding!r}",
            "vendor_status",
            at_key=True,
        )
    if op.server is not None and op.server not in api.server.named:
        listed = ", ".join(api.server.named) or "none; declare them in server.named"
        yield source.error(
            f"{op.server!r} is not a named server (server.named: {listed})", "server"
        )
    yield from _check_answer(source, op)
    yield from _check_pagination(spec, op)
    if op.long_running and api.long_running is None:
        yield source.error(
            "'long_running: true' needs 'protocol.long_running' (how to poll the task)",
            "long_running",
        )
    yield from check_params(spec, op)


def _check_answer(source: Source, op: Operation[Any]) -> Iterator[SpecError]:
    """The declared answer type must be one the operation's decoding can produce."""
    decoding = DECODINGS[op.decoding]
    at = "returns" if source.has("returns") else "decoding"
    if not decoding.reads:
        if source.has("returns"):
            yield source.error(
                f"decoding {op.decoding!r} reads no answer (the method returns None): 'returns' "
                "does not apply",
                "returns",
            )
        return
    problem = decoding.result_problem(op.result)
    if problem:
        yield source.error(problem, at)
    if op.long_running and not decoding.envelope:
        yield source.error(
            "a long-running operation answers with a status envelope: it needs decoding "
            f"'envelope', not {op.decoding!r}",
            "long_running",
        )


class _PageView:
    """The ``paginate`` section as a pagination style's checks see it."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[SpecError] = []

    def has(self, key: str) -> bool:
        return self.source.has(key)

    def problem(self, message: str, key: str | None = None, *, at_key: bool = False) -> None:
        keys = (key,) if key is not None else ()
        self.problems.append(self.source.error(message, *keys, at_key=at_key))


def _check_pagination(spec: Spec, op: Operation[Any]) -> Iterator[SpecError]:
    paging = op.pagination
    if paging is None:
        return
    source = spec.of_operation(op).at("paginate")
    if op.stream_items:
        yield source.error("an operation either streams its items or walks pages", at_key=True)
    if not DECODINGS[op.decoding].pages:
        pageable = [repr(d.name) for d in DECODINGS.values() if d.pages]
        listed = ", ".join(pageable[:-1]) + " or " + pageable[-1]
        yield source.error(
            f"pages are read from {listed} answers, not {op.decoding!r}", at_key=True
        )
    if op.long_running:
        yield source.error("a long-running operation cannot walk pages", at_key=True)
    view = _PageView(source)
    PAGINATION_STYLES[paging.style].check(paging, op, view)
    yield from view.problems
    yield from _check_page_paths(spec, op, source)


# The answer fields a walk reads, by key: the types each may have (None: any scalar).
_PAGE_PATHS: dict[str, tuple[str, ...]] = {
    "has_more": ("bool",),
    "total_pages": ("int",),
    "total_items": ("int",),
    "next_field": ("str",),
    "cursor_field": ("str", "int"),
}


def _check_page_paths(spec: Spec, op: Operation[Any], source: Source) -> Iterator[SpecError]:
    """Each path a walk reads names a field of the answer model, of a type that works: a walk
    reading nothing would stop after the first page without a word. (A ``json`` answer has no
    model to check against.)"""
    paging = op.pagination
    assert paging is not None
    for key, kinds in _PAGE_PATHS.items():
        steps = getattr(paging, key)
        if not steps or not source.has(key):
            continue
        found = _field_at(spec, op.result, steps)
        if isinstance(found, str):
            yield source.error(found, key)
        elif found is not None and found.kind not in kinds:
            wanted = " or ".join(kinds)
            yield source.error(
                f"{'/'.join(steps)!r} is a {type_expression(found)} field; {key} reads a {wanted}",
                key,
            )
    if paging.cursor_item_field and paging.item is not None and paging.item.kind == "model":
        found = _field_at(spec, paging.item, (paging.cursor_item_field,))
        if isinstance(found, str):
            yield source.error(found.replace("the answer", "an item"), "cursor_item_field")


def _field_at(spec: Spec, kind: Type[Any], steps: tuple[str, ...]) -> Type[Any] | str | None:
    """The type of the field at ``steps`` (wire names) below ``kind``; a problem's text when
    there is none (with the fix when the path was written with dots); None when the answer has
    no model to look in."""
    current = kind
    for i, wire in enumerate(steps):
        if current.kind == "json":
            return None
        model = spec.model(class_name(current.target)) if current.kind == "model" else None
        if model is None:
            where = "/".join(steps[:i]) or "the answer"
            return f"{'/'.join(steps)!r} leads nowhere: {where} is a {type_expression(current)}"
        field = next((f for f in model.fields if f.wire == wire), None)
        if field is None:
            path = "/".join(steps)
            hint = ""
            if "." in wire:
                dotted = "/".join((*steps[:i], *wire.split("."), *steps[i + 1 :]))
                if not isinstance(_field_at(spec, kind, tuple(dotted.split("/"))), str):
                    hint = f"; paths are written with '/': {dotted!r}"
            return f"{path!r}: model {model.name} has no field with wire name {wire!r}{hint}"
        current = field.type
    return current
