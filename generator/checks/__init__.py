"""Checks the JSON Schema cannot express, run on the built descriptors (``generator.build``),
one module per node they check: the API as a whole (``api``), models (``models``), operations
(``operations``), their parameters (``params``), the examples (``examples``). Each problem is
located in the spec; nothing here derives again what the builder derived, and what a strategy
(an auth scheme, an encoding, a decoding, a pagination style) knows of itself it checks."""

from __future__ import annotations

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
from generator.checks.examples import check_examples
from generator.checks.models import check_models
from generator.checks.operations import check_operations
from generator.errors import SpecError
from generator.model import Spec


def check(spec: Spec, *, examples: bool = True) -> list[SpecError]:
    """Every problem of the built spec; with ``examples``, of its examples too."""
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
        check_operations,
    ):
        problems.extend(section(spec))
    if examples:
        problems.extend(check_examples(spec))
    return problems


__all__ = ["check", "check_examples"]
