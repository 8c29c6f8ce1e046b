"""Checks the JSON Schema cannot express, run on the built descriptors (``generator.build``),
one module per node they check: the API as a whole (``api``), models (``models``), operations
(``operations``), their parameters (``params``), the examples (``examples``). Each problem is
located in the spec; nothing here derives again what the builder derived, and what a strategy
(an auth scheme, an encoding, a decoding, a pagination style) knows of itself it checks."""

from __future__ import annotations

from typing import Any

from generator.checks.api import (
    check_auth,
    check_enums,
    check_errors,
    check_names,
    check_packaging,
    check_protocol,
    check_server,
    check_settings,
)
from generator.checks.examples import ExampleChecker, check_errors_shown, check_examples
from generator.checks.models import check_models
from generator.checks.operations import check_operation, check_operation_names, check_operations
from generator.errors import SpecError
from generator.model import Spec
from generator.runtime.descriptors import Operation


def check(spec: Spec, *, examples: bool = True) -> list[SpecError]:
    """Every problem of the built spec; with ``examples``, of its examples too. An operation
    whose checks (and examples) found nothing is remembered by everything they read (its data
    and written texts, the rest of the spec, the generator's code): checked again only when
    one of them changed."""
    problems: list[SpecError] = []
    for section in (
        check_names,
        check_packaging,
        check_settings,
        check_server,
        check_auth,
        check_protocol,
        check_enums,
        check_models,
        check_errors,
        check_operation_names,
    ):
        problems.extend(section(spec))
    checker = ExampleChecker(spec) if examples else None
    remembered = OperationChecks(spec, examples)
    for op in spec.api.operations:
        if remembered.clean(op):
            continue
        found = list(check_operation(spec, op))
        if checker is not None:
            found += checker.examples(op)
        if found:
            problems.extend(found)
        else:
            remembered.keep(op)
    if examples:
        problems.extend(check_errors_shown(spec))
    return problems


class OperationChecks:
    """Which operations were checked clean before (``cache``), by a key of everything their
    checks read: the operation (``LoadedSpec.operation_digest``), the rest of the spec (its
    data and written texts), the generator's code."""

    def __init__(self, spec: Spec, examples: bool) -> None:
        from generator import cache

        self.loaded = loaded = spec.loaded
        self.store = None if loaded is None else cache.store(loaded.path, "checks")
        self.frame = "" if loaded is None else cache.digest(str(examples), loaded.frame_digest())

    def _key(self, op: Operation[Any]) -> str | None:
        if self.loaded is None:
            return None
        from generator import cache

        return cache.digest(self.frame, self.loaded.operation_digest(op.wire_name))

    def clean(self, op: Operation[Any]) -> bool:
        key = self._key(op)
        return key is not None and self.store is not None and bool(self.store.get(key))

    def keep(self, op: Operation[Any]) -> None:
        key = self._key(op)
        if key is not None and self.store is not None:
            self.store.put(key, True)


__all__ = ["check", "check_examples", "check_operations"]
