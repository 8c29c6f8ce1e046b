"""Checks the JSON Schema cannot express, run on the built descriptors (``generator.build``),
one module per node they check: the API as a whole (``api``), models (``models``), operations
(``operations``), their parameters (``params``), the examples (``examples``). Each problem is
located in the spec; nothing here derives again what the builder derived, and what a strategy
(an auth scheme, an encoding, a decoding, a pagination style) knows of itself it checks."""

from __future__ import annotations

from generator import cache
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
from generator.checks.operations import check_operation, check_operation_names
from generator.errors import SpecError
from generator.model import Spec


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
    clean = None if spec.loaded is None else cache.OperationMemory(spec.loaded, "checks")
    variant = "with examples" if examples else "without examples"
    for op in spec.api.operations:
        if clean is not None and clean.get(op, variant) == _CLEAN:
            continue
        found = list(check_operation(spec, op))
        if checker is not None:
            found += checker.examples(op)
        if found:
            problems.extend(found)
        elif clean is not None:
            clean.put(op, _CLEAN, variant)
    if examples:
        problems.extend(check_errors_shown(spec))
    return problems


_CLEAN = "clean"  # what the checks' memory holds of an operation they found nothing in


__all__ = ["check", "check_examples"]
