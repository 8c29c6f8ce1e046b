"""The Click2Mail spec against the project's vendor reference (docs/vendors/click2mail_molpro.md):
every endpoint of the reference is an operation with the same path, method, Python name and
answer, and an operation built on an SDK-only or inferred fact says so in its docs."""

from __future__ import annotations

import json
import re

import pytest

from generator import pipeline
from generator.runtime.builtin_types import type_expression
from tests.conftest import ROOT

REFERENCE = ROOT / "docs" / "vendors" / "click2mail_molpro.md"
ROW = re.compile(
    r"^\| `(GET|POST|PUT|DELETE) (/[^`]*)` \| `(\w+)` \| (documented|SDK|inferred) \| `([^`]+)` \|$"
)
# what an operation's doc must say for each mark
SAYS = {"documented": "documented", "SDK": "sdk", "inferred": "inferred"}


def reference_rows() -> list[tuple[str, str, str, str, str]]:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    return [m.groups() for m in map(ROW.match, lines) if m]  # type: ignore[misc]


def test_every_endpoint_of_the_reference_is_an_operation_as_documented() -> None:
    (spec,) = pipeline.load_apis([pipeline.SPEC_DIR / "click2mail.yaml"])
    operations = {(op.method, op.path): op for op in spec.operations}
    rows = reference_rows()
    assert len(rows) == len(spec.operations) == 68
    for method, path, name, mark, answer in rows:
        op = operations.get((method, path))
        assert op is not None, f"{method} {path} is not in the spec"
        assert (op.name, type_expression(op.result)) == (name, answer)
        doc = op.doc.lower()
        said = SAYS[mark] in doc or (mark == "SDK" and ("sample" in doc or "collection" in doc))
        assert said, f"{name}: its doc does not say the fact is {mark}"


def test_the_reference_lists_every_endpoint_of_the_shared_fact_sheet() -> None:
    facts = ROOT.parent / "shared" / "vendors" / "click2mail_molpro_endpoints.json"
    if not facts.exists():
        pytest.skip("the shared vendor fact sheets are not next to this checkout")
    marks = {"documented": "documented", "SDK": "SDK", "inferred": "inferred"}
    expected = {
        (e["method"], e["path"], marks[e["confidence"]]) for e in json.loads(facts.read_text())
    }
    assert {(m, p, mark) for m, p, _n, mark, _a in reference_rows()} == expected
