"""Compare two versions of a spec and say which changes break code that uses the generated client.

Breaking: anything that makes existing calls, imports, keyword arguments, result handling or
``except`` clauses fail or change type. Not breaking: additions that are optional, and wire-level
changes the generated client absorbs (paths, wire names, HTTP methods).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from generator.model import Enum, ErrorClass, Model, Spec
from generator.runtime.auth import AuthScheme
from generator.runtime.builtin_types import Type, leaves, type_expression
from generator.runtime.descriptors import Operation, Param, Setting

Item = TypeVar("Item")


@dataclass(frozen=True)
class Change:
    subject: str  # e.g. "operation GetUserInfo", "parameter GetUserInfo.userName"
    what: str  # "added", "removed" or a description of the change
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'ok':8}  {self.subject}: {self.what}"


def _type(kind: Type[Any]) -> str:
    return type_expression(kind)


def _formats(kind: Type[Any]) -> tuple[str | None, ...]:
    return tuple(leaf.format for leaf in leaves(kind))


def diff(old: Spec, new: Spec) -> list[Change]:
    changes = list(_api(old, new))
    changes += _keyed("setting", old.api.settings, new.api.settings, lambda s: s.name, _setting)
    changes += _keyed(
        "operation",
        old.api.operations,
        new.api.operations,
        lambda o: o.wire_name,
        _operation,
        added_breaking=lambda o: False,
    )
    changes += _keyed("model", old.models, new.models, lambda m: m.name, _model)
    changes += _keyed("enum", old.enums, new.enums, lambda e: e.name, _enum)
    changes += _keyed("error", old.errors, new.errors, lambda e: e.name, _error)
    return changes


def _api(old_spec: Spec, new_spec: Spec) -> Iterator[Change]:
    old, new = old_spec.api, new_spec.api
    if old.name != new.name:
        yield Change("package", f"generated.{old.name} -> generated.{new.name}", True)
    if old.client_class != new.client_class:
        yield Change("client class", f"{old.client_class} -> {new.client_class}", True)
    if old.server._replace(named={}) != new.server._replace(named={}):
        yield Change("server", "address or environments changed", False)
    for name in sorted(set(old.server.named) | set(new.server.named)):
        before, after = old.server.named.get(name), new.server.named.get(name)
        if before != after:
            # a client's servers= naming a server that is gone is refused: that breaks
            what = "added" if before is None else "removed" if after is None else "moved"
            yield Change(f"server {name!r}", what, after is None)
    if old.auth != new.auth:
        yield _auth(old.auth, new.auth)
    limits = ("timeout", "max_answer_bytes", "max_item_bytes", "max_inflation")
    for name in limits:
        before, after = getattr(old.transport, name), getattr(new.transport, name)
        if before != after:
            # a tighter default may refuse what passed before; a caller's own option still wins
            tighter = after < before
            what = f"default {_number(before)} -> {_number(after)}"
            yield Change(f"client option {name}", what, tighter)


def _auth(old: AuthScheme, new: AuthScheme) -> Change:
    """Another scheme takes other credentials (breaking); the same one with other keys (a
    token URL, a scope) is absorbed by the client."""
    if old.scheme != new.scheme:
        return Change("auth", f"scheme {old.scheme} -> {new.scheme}", True)
    keys = [key for name, key in old.SPEC_KEYS.items() if getattr(old, name) != getattr(new, name)]
    return Change("auth", f"{', '.join(keys)} changed", False)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _keyed(
    kind: str,
    old_items: Sequence[Item],
    new_items: Sequence[Item],
    key: Callable[[Item], str],
    compare: Callable[[str, Item, Item], Iterable[Change]],
    added_breaking: Callable[[Item], bool] | None = None,
) -> list[Change]:
    old_map = {key(item): item for item in old_items}
    new_map = {key(item): item for item in new_items}
    out: list[Change] = []
    for name in old_map:
        if name not in new_map:
            out.append(Change(f"{kind} {name}", "removed", True))
    for name, item in new_map.items():
        if name not in old_map:
            breaking = added_breaking(item) if added_breaking else _added_breaks(kind, item)
            out.append(Change(f"{kind} {name}", "added", breaking))
        else:
            out.extend(compare(name, old_map[name], item))
    return out


def _added_breaks(kind: str, item: object) -> bool:
    if isinstance(item, Setting):
        return item.required  # every existing constructor call now misses it
    return False


def _setting(name: str, old: Setting, new: Setting) -> Iterator[Change]:
    subject = f"setting {name}"
    if old.type != new.type:
        yield Change(subject, f"type {old.type} -> {new.type}", True)
    if not old.required and new.required:
        yield Change(subject, "now required (no default)", True)
    elif old.default != new.default or old.required != new.required:
        yield Change(subject, f"default {old.default!r} -> {new.default!r}", False)


def _operation(wire: str, old: Operation[Any], new: Operation[Any]) -> Iterator[Change]:
    subject = f"operation {wire}"
    if old.name != new.name:
        yield Change(subject, f"Python name {old.name} -> {new.name}", True)
    if _type(old.result) != _type(new.result) or old.decoding != new.decoding:
        yield Change(
            subject,
            f"returns {_type(old.result)} ({old.decoding}) -> "
            f"{_type(new.result)} ({new.decoding})",
            True,
        )
    if old.long_running != new.long_running:
        yield Change(
            subject,
            "long-running "
            + ("removed" if old.long_running else "added")
            + " (method signature and result type change)",
            True,
        )
    if (old.pagination is None) != (new.pagination is None):
        gone = new.pagination is None
        yield Change(
            subject, f"page-walking twin iter_{new.name} {'removed' if gone else 'added'}", gone
        )
    elif old.pagination != new.pagination:
        yield Change(subject, "pagination changed", False)
    if old.server != new.server:
        yield Change(subject, f"sent to server {new.server or 'of the API'}", False)
    if old.sends_credentials != new.sends_credentials:
        yield Change(
            subject,
            "credentials " + ("no longer sent" if old.sends_credentials else "now sent"),
            False,
        )
    if old.redirects != new.redirects:
        # answers served from another origin are no longer followed: calls that relied on it fail
        yield Change(
            subject, f"redirects {old.redirects} -> {new.redirects}", new.redirects == "same_origin"
        )
    if old.idempotency_header != new.idempotency_header:
        yield Change(
            subject,
            f"idempotency key header {old.idempotency_header} -> {new.idempotency_header}",
            False,
        )
    if old.stream_items != new.stream_items:
        gone = bool(old.stream_items) and not new.stream_items
        yield Change(subject, f"streaming twin {'removed' if gone else 'changed or added'}", gone)
    for field, label in (("method", "HTTP method"), ("path", "path"), ("encoding", "encoding")):
        if getattr(old, field) != getattr(new, field):
            yield Change(subject, f"{label} {getattr(old, field)} -> {getattr(new, field)}", False)
    if (old.status_success, old.status_failure) != (new.status_success, new.status_failure):
        yield Change(
            subject,
            f"vendor statuses that raise: {_status_rule(old)} -> {_status_rule(new)}",
            True,
        )
    if old.success_status != new.success_status:
        yield Change(
            subject,
            f"accepted HTTP statuses {list(old.success_status) or '2xx'} -> "
            f"{list(new.success_status) or '2xx'}",
            False,
        )
    if old.safe != new.safe:
        yield Change(subject, f"{'no longer' if old.safe else 'now'} retried when it fails", False)
    old_params = {p.wire: p for p in old.params}
    new_params = {p.wire: p for p in new.params}
    for name in old_params:
        if name not in new_params:
            yield Change(f"parameter {wire}.{name}", "removed", True)
    for name, param in new_params.items():
        if name not in old_params:
            yield Change(
                f"parameter {wire}.{name}",
                "added, required" if not param.optional_in_python else "added, optional",
                not param.optional_in_python,
            )
        else:
            yield from _param(f"parameter {wire}.{name}", old_params[name], param)
    old_order = [p.name for p in old.params if not p.optional_in_python]
    new_order = [p.name for p in new.params if not p.optional_in_python]
    if old_order != new_order and set(old_order) == set(new_order):
        yield Change(subject, "order of positional parameters changed", True)


def _status_rule(op: Operation[Any]) -> str:
    if op.status_success is None:
        return "the protocol's"
    if op.status_success:
        return f"any but {', '.join(op.status_success)}"
    return ", ".join(op.status_failure or ()) or "none"


def _param(subject: str, old: Param, new: Param) -> Iterator[Change]:
    if old.name != new.name:
        yield Change(subject, f"Python name {old.name} -> {new.name}", True)
    if _type(old.type) != _type(new.type) or old.type.kind != new.type.kind:
        yield Change(subject, f"type {_type(old.type)} -> {_type(new.type)}", True)
    if old.optional_in_python and not new.optional_in_python:
        yield Change(subject, "now required", True)
    elif not old.optional_in_python and new.optional_in_python:
        # it leaves the positional parameters: calls that pass it by position break
        yield Change(subject, "now optional (keyword-only: positional calls break)", True)
    if old.default != new.default:
        yield Change(subject, f"default {old.default!r} -> {new.default!r}", False)
    if (old.style, old.location, _formats(old.type)) != (
        new.style,
        new.location,
        _formats(new.type),
    ):
        yield Change(subject, "serialization changed", False)


def _model(name: str, old: Model, new: Model) -> Iterator[Change]:
    if old.xml_element != new.xml_element:
        if new.xml_element is None:
            yield Change(f"model {name}", f"XML root <{old.xml_element}> no longer checked", False)
        else:
            # answers with another root (the old one included) are refused now
            old_root = f"<{old.xml_element}>" if old.xml_element else "not checked"
            yield Change(f"model {name}", f"XML root {old_root} -> <{new.xml_element}>", True)
    old_fields = {f.name: f for f in old.fields}
    new_fields = {f.name: f for f in new.fields}
    for field_name in old_fields:
        if field_name not in new_fields:
            yield Change(f"field {name}.{field_name}", "removed", True)
    for field_name, field in new_fields.items():
        before = old_fields.get(field_name)
        subject = f"field {name}.{field_name}"
        if before is None:
            # a new required field breaks code that builds the model (e.g. request bodies)
            yield Change(
                subject, "added" + (", required" if field.required else ""), field.required
            )
            continue
        if _type(before.type) != _type(field.type) or before.type.kind != field.type.kind:
            yield Change(subject, f"type {_type(before.type)} -> {_type(field.type)}", True)
        if not before.required and field.required:
            yield Change(subject, "now required", True)
        elif before.required and not field.required:
            yield Change(subject, "now optional (may be None)", True)
        if before.wire != field.wire:
            yield Change(subject, f"wire name {before.wire} -> {field.wire}", False)


def _enum(name: str, old: Enum, new: Enum) -> Iterator[Change]:
    old_values = {m.value for m in old.members}
    new_values = {m.value for m in new.members}
    for value in sorted(old_values - new_values):
        yield Change(f"enum {name}", f"value {value!r} removed", True)
    for value in sorted(new_values - old_values):
        yield Change(f"enum {name}", f"value {value!r} added", False)


def _error(name: str, old: ErrorClass, new: ErrorClass) -> Iterator[Change]:
    if old.base != new.base:
        yield Change(f"error {name}", f"base {old.base} -> {new.base}", True)
    if old.rule[1:] != new.rule[1:]:  # the conditions (the class itself is the name)
        yield Change(f"error {name}", "raised under different conditions", False)


def required_bump(changes: list[Change]) -> str:
    """The version part a change must raise (semantic versioning): ``major`` when anything
    breaks, ``minor`` when something is added, ``patch`` for any other change; ``none`` when
    nothing changed."""
    if not changes:
        return "none"
    if any(c.breaking for c in changes):
        return "major"
    if any("added" in c.what for c in changes):
        return "minor"
    return "patch"


def summary(changes: list[Change]) -> str:
    breaking = sum(c.breaking for c in changes)
    return f"{len(changes)} change(s), {breaking} breaking"


def report(changes: list[Change], *, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(
            {
                "breaking": sum(c.breaking for c in changes),
                "bump": required_bump(changes),
                "changes": [asdict(c) for c in changes],
            },
            indent=2,
        )
    if not changes:
        return "no changes\nversion bump required: none"
    lines = [str(c) for c in sorted(changes, key=lambda c: (not c.breaking, c.subject))]
    lines.append(summary(changes))
    lines.append(f"version bump required: {required_bump(changes)}")
    return "\n".join(lines)
