"""Spec fuzzing: a thousand mutations of real specs per run (Lleida's and the golden spec, which
together use every part of the spec language). Every run ends either in generated code
that compiles or in spec errors with a location; never in another exception, and a failing spec
never changes the output tree."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import pipeline, render
from generator.errors import SpecErrors
from tests.conftest import ROOT, tree_digest

BASES = [
    yaml.safe_load((ROOT / path).read_text())
    for path in ("specs/lleida_mailcert.yaml", "tests/golden/spec/inventory.yaml")
]
SCRATCH = Path(tempfile.mkdtemp(prefix="specgen-fuzz-"))
OUTPUT = SCRATCH / "generated"
OUTPUT.mkdir()
(OUTPUT / "keep.txt").write_text("untouched")
BEFORE = tree_digest(OUTPUT)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "__import__('os')",
            '"""',
            "list[",
            "str",
            "int",
            "json",
            "class",
            "x" * 5000,
            "{host}",
            "/path/{id}",
            "",
            " ",
            "\n",
            "GET",
        ]
    ),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_spec(draw: st.DrawFn) -> Any:
    spec = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(spec)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["delete", "replace", "rename", "nest"]))
        if not path:
            spec = draw(values) if action == "replace" else spec
            continue
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(values)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=20))] = parent.pop(last)
        elif action == "nest":
            nested: Any = parent[last]
            for _ in range(draw(st.integers(min_value=1, max_value=60))):
                nested = {"deeper": nested}
            parent[last] = nested
    return spec


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_spec())
def test_mutated_specs_end_in_code_or_located_errors(spec: Any) -> None:
    path = SCRATCH / "fuzzed.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: the test's own cost
    text = yaml.dump(spec, Dumper=dumper, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    try:
        apis = pipeline.load_apis([path])
    except SpecErrors as exc:
        assert exc.errors and all(e.line >= 1 and e.column >= 1 and e.message for e in exc.errors)
        try:
            pipeline.generate([path], output_dir=OUTPUT, docs_dir=None)
        except SpecErrors:
            pass
        assert tree_digest(OUTPUT) == BEFORE
        return
    env = render.environment()
    for api in apis:
        for name, source in render.render_package(api, env).items():
            compile(source, f"{api.name}/{name}", "exec")  # rendered code is valid Python
        render.render_docs(api, env)
