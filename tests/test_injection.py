"""Hostile text in a spec is rejected with a clear error or rendered inert: every generated module
parses, contains only the statement kinds the templates produce, and the hostile text appears
only inside string constants."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator import pipeline
from generator.errors import SpecErrors

PAYLOADS = [
    '"""; __import__("os").system("echo pwned"); """',
    "'; __import__('os').system('echo pwned'); '",
    '\\""" + __import__(\'os\').getcwd() + """\\',
    "line one\n__import__('os')\n# comment\r\nx = 1",
    "tricky \u2028 separator \u0000 nul \x1b escape",
    "confusable \u0430dmin (Cyrillic a) \uff1b fullwidth semicolon",
    "{{ api.name }} {% raw %} jinja",
    "${HOME} $(id) `id`",
]


def spec_text(payload: str) -> str:
    quoted = (
        payload.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\u2028", "\\u2028")
        .replace("\x00", "\\0")
        .replace("\x1b", "\\e")
    )
    q = f'"{quoted}"'
    return f"""\
spec_version: 1
api:
  name: hostile
  title: {q}
  client_class: HostileClient
  description: {q}
settings:
  token: {{type: str, default: {q}, doc: {q}}}
server:
  url: "https://example.invalid/{{token}}"
protocol:
  encoding: form
  decoding: xml
errors:
  OddError: {{base: vendor, vendor_status: [{q}], doc: {q}}}
enums:
  Mode: {{values: [{q}, plain], doc: {q}}}
models:
  Thing:
    doc: {q}
    xml_element: {q}
    fields:
      label: {{type: str, wire: {q}, doc: {q}}}
operations:
  {q}:
    name: do_it
    doc: {q}
    path: /things
    params:
      {q}: {{type: str, name: weird, default: {q}, doc: {q}}}
      mode: {{type: Mode, default: plain}}
    returns: Thing
"""


ALLOWED_STATEMENTS = (
    ast.ImportFrom,
    ast.Import,
    ast.ClassDef,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Assign,
    ast.AnnAssign,
    ast.Expr,
    ast.Return,
    ast.If,
    ast.Pass,
    ast.Raise,  # the package's ``__getattr__`` (the async client, imported when asked for)
)


def _check_module(name: str, source: str, payload: str) -> None:
    tree = ast.parse(source, filename=name)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            assert isinstance(node, ALLOWED_STATEMENTS), f"{name}: {type(node).__name__}"
        if isinstance(node, ast.Expr):  # docstrings, ``...`` and the templates' own calls
            value = node.value
            if not isinstance(value, ast.Constant):
                assert isinstance(value, ast.Call) and ast.unparse(value.func) in (
                    "_rt.bind_fields",
                    "run",
                    "main",
                ), f"{name}: {ast.unparse(node)[:80]}"
        if isinstance(node, ast.Name):
            assert node.id not in ("__import__", "eval", "exec", "os", "system"), name
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("system", "getcwd"), name
    # outside string constants, the payload's code never appears
    stripped = ast.unparse(_without_strings(tree))
    assert "__import__" not in stripped and "pwned" not in stripped


def _without_strings(tree: ast.Module) -> ast.Module:
    class Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.Constant:
            return ast.Constant("") if isinstance(node.value, str) else node

    return Blank().visit(tree)  # type: ignore[no-any-return]


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"payload{i}" for i in range(len(PAYLOADS))])
def test_hostile_text_is_inert_or_rejected(payload: str, tmp_path: Path) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(spec_text(payload), encoding="utf-8")
    try:
        output = pipeline.render_specs([spec])
    except SpecErrors as exc:  # rejected: with a location, never a traceback
        assert all(e.line >= 1 and e.message for e in exc.errors)
        return
    for name, content in output.files.items():
        if name.startswith("hostile/") and name.endswith(".py"):
            _check_module(name, content.decode("utf-8"), payload)


@pytest.mark.parametrize(
    "where", ["operation name", "parameter name", "model name", "enum member", "setting name"]
)
def test_hostile_names_are_rejected_with_a_clear_error(where: str, tmp_path: Path) -> None:
    text = spec_text("plain")
    bad = "x; __import__('os')"
    text = {
        "operation name": text.replace("    name: do_it", f'    name: "{bad}"'),
        "parameter name": text.replace("name: weird", f'name: "{bad}"'),
        "model name": text.replace("  Thing:", f'  "{bad}":'),
        "enum member": text.replace('values: ["plain", plain]', 'values: ["1", "1."]'),
        "setting name": text.replace("  token: {type: str", f'  "{bad}": {{type: str'),
    }[where]
    spec = tmp_path / "hostile.yaml"
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        pipeline.render_specs([spec])
    assert all(e.line >= 1 for e in caught.value.errors)
