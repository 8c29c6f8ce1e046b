"""Spec composition: a spec that ``extends`` another is the base's sections with its own on top.

- Sections that are one thing (``api``, ``server``, ``auth``, ``transport``, ``protocol``) merge
  key by key, deeply; a list is replaced whole.
- Named collections (``settings``, ``enums``, ``models``, ``errors``, ``operations``) merge name
  by name: an entry of the extending file replaces the base's entry of that name in place, new
  names come after the base's, and ``exclude`` drops base entries.
- ``params`` are added, first, to every inherited operation but those in ``params_skip`` (SPE's
  ``instanceID``); a parameter's ``example`` value goes into each inherited example, in its
  ``params`` and in the request it describes.

Every node keeps the position of the file it is written in, so errors point there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.errors import SpecError, SpecErrors
from generator.loader import (
    KeyPath,
    LoadedSpec,
    Position,
    operation_encoding,
    param_location,
    parse_file,
    schema_errors,
)


def load_spec(path: Path, _extended_by: tuple[Path, ...] = ()) -> LoadedSpec:
    """Parse, compose (``extends``) and schema-validate one spec; raise ``SpecErrors`` with every
    problem found."""
    spec = parse_file(path)
    if "extends" in spec.data:
        errors = schema_errors(spec, only="extends")
        if errors:
            raise SpecErrors(errors)
        base, problem = base_path(spec, _extended_by)
        if problem is not None:
            raise SpecErrors([problem])
        spec = extend(spec, load_spec(base, (*_extended_by, spec.path.resolve())))
    errors = schema_errors(spec)
    if errors:
        raise SpecErrors(errors)
    return spec


NAMED_SECTIONS = ("settings", "enums", "models", "errors", "operations")


def base_path(spec: LoadedSpec, extended_by: tuple[Path, ...]) -> tuple[Path, SpecError | None]:
    """The file ``spec`` extends, or the error that stops it from being read."""
    relative = spec.data["extends"]["spec"]
    path = (spec.path.parent / relative).resolve()
    where: KeyPath = ("extends", "spec")
    if path == spec.path.resolve() or path in extended_by:
        return path, spec.error(where, f"{relative!r} extends this spec in turn (a cycle)")
    if not path.is_file():
        return path, spec.error(where, f"no spec file {relative!r} next to this one")
    return path, None


def extend(spec: LoadedSpec, base: LoadedSpec) -> LoadedSpec:
    """``base`` with ``spec`` on top (see the module docstring); errors raise ``SpecErrors``."""

    composer = _Composer(spec, base)
    composer.run()
    if composer.errors:
        raise SpecErrors(composer.errors)
    return composer.out


class _Composer:
    def __init__(self, spec: LoadedSpec, base: LoadedSpec) -> None:
        self.spec = spec
        self.base = base
        self.errors: list[SpecError] = []
        self.out = LoadedSpec(
            path=spec.path,
            display_name=spec.display_name,
            data={},
            positions=dict(base.positions),
            key_positions=dict(base.key_positions),
            written={**base.written, **spec.written},
            files=(spec.path, *base.files),
        )
        self.extends: dict[str, Any] = spec.data["extends"]

    def run(self) -> None:
        data = copy.deepcopy(self.base.data)
        data.pop("extends", None)
        self._exclude(data)
        inherited = list(data.get("operations", {}))
        self._add_params(data, inherited)
        for key, value in self.spec.data.items():
            if key in NAMED_SECTIONS and isinstance(value, dict):
                self._merge_named(data, key, value)
            elif isinstance(value, dict) and isinstance(data.get(key), dict):
                self._merge_deep(data[key], value, (key,))
            else:
                self._forget((key,))
                data[key] = copy.deepcopy(value)
                self._take((key,))
        self.out.data = data

    # -- positions ---------------------------------------------------------------------------
    def _forget(self, prefix: KeyPath) -> None:
        """Drop the base's positions under ``prefix`` (its node is replaced)."""
        n = len(prefix)
        for table in (self.out.positions, self.out.key_positions):
            for path in [p for p in table if p[:n] == prefix]:
                del table[path]

    def _take(self, prefix: KeyPath, source: KeyPath | None = None) -> None:
        """Copy the extending file's positions under ``source`` to ``prefix`` in the result."""
        source = prefix if source is None else source
        n = len(source)
        for mine, theirs in (
            (self.spec.positions, self.out.positions),
            (self.spec.key_positions, self.out.key_positions),
        ):
            for path, position in mine.items():
                if path[:n] == source:
                    theirs[(*prefix, *path[n:])] = position

    def _at(self, path: KeyPath) -> Position:
        return self.spec.positions.get(path, (self.spec.display_name, 1, 1))

    # -- sections ----------------------------------------------------------------------------
    def _exclude(self, data: dict[str, Any]) -> None:
        for section, names in self.extends.get("exclude", {}).items():
            entries = data.get(section, {})
            for i, name in enumerate(names):
                if name not in entries:
                    known = f"{self.base.display_name} has no {section[:-1]} {name!r}"
                    self.errors.append(self.spec.error(("extends", "exclude", section, i), known))
                    continue
                del entries[name]
                self._forget((section, name))

    def _merge_named(self, data: dict[str, Any], section: str, mine: dict[str, Any]) -> None:
        entries = data.setdefault(section, {})
        if (section,) not in self.out.positions:
            self._take((section,))
        for name, value in mine.items():
            self._forget((section, name))
            entries[name] = copy.deepcopy(value)  # replaces in place, or appends
            self._take((section, name))

    def _merge_deep(self, target: dict[str, Any], mine: dict[str, Any], path: KeyPath) -> None:
        for key, value in mine.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                self._merge_deep(target[key], value, (*path, key))
                continue
            self._forget((*path, key))
            target[key] = copy.deepcopy(value)
            self._take((*path, key))

    def _add_params(self, data: dict[str, Any], inherited: list[str]) -> None:
        shared: dict[str, Any] = self.extends.get("params", {})
        skip: list[str] = self.extends.get("params_skip", [])
        operations = data.get("operations", {})
        for i, name in enumerate(skip):
            if name not in operations:
                problem = f"{name!r} is not an operation inherited from {self.base.display_name}"
                self.errors.append(self.spec.error(("extends", "params_skip", i), problem))
        if not shared:
            return
        # the protocol as composed (the extending file may change the default encoding)
        protocol = {**data.get("protocol", {}), **self.spec.data.get("protocol", {})}
        for op_name in inherited:
            if op_name in skip:
                continue
            op = operations[op_name]
            params = op.get("params", {})
            for wire in shared:
                if wire in params:
                    problem = f"inherited operation {op_name!r} already has a parameter {wire!r}"
                    self.errors.append(self.spec.error(("extends", "params", wire), problem))
            if any(wire in params for wire in shared):
                continue
            op["params"] = {**copy.deepcopy(shared), **params}
            for wire in shared:
                self._take(("operations", op_name, "params", wire), ("extends", "params", wire))
            if ("operations", op_name, "params") not in self.out.positions:
                self._take(("operations", op_name, "params"), ("extends", "params"))
            encoding = operation_encoding(op, protocol)
            for index, example in enumerate(op.get("examples", [])):
                self._add_example_values(op_name, index, example, shared, encoding)

    def _add_example_values(
        self,
        op_name: str,
        index: int,
        example: dict[str, Any],
        shared: Mapping[str, Any],
        encoding: str,
    ) -> None:
        where: KeyPath = ("operations", op_name, "examples", index)
        values = {wire: p["example"] for wire, p in shared.items() if "example" in p}
        if not values:
            return
        example["params"] = {**values, **example.get("params", {})}
        for wire in values:
            source = self._at(("extends", "params", wire, "example"))
            self.out.positions[(*where, "params", wire)] = source
        request = example.get("request")
        if not isinstance(request, dict):
            return
        for wire, value in values.items():
            location = param_location(shared[wire], encoding)
            key = {"body": "body", "query": "query", "header": "headers"}.get(location)
            if key is None:
                continue  # a path or file parameter: the example's path or body says it already
            fields = request.get(key)
            if fields is None and key != "body":
                fields = request[key] = {}
            if not isinstance(fields, dict):
                self.errors.append(
                    self.out.error(
                        (*where, "request", key),
                        f"write this {key} as a mapping of fields, so that the inherited "
                        f"parameter {wire!r} can be added to it",
                    )
                )
                continue
            request[key] = {wire: _wire_text(value), **fields}


def _wire_text(value: Any) -> Any:
    """An example value as it appears in a request (YAML ``true`` is sent as ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
