"""The runtime a package ships imports what a package needs while it is imported, and the rest
(the client, its flows, the descriptors, the XML engine) when first used: importing a package
stays fast however many operations it has."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import generator.runtime as runtime

ROOT = Path(__file__).resolve().parent.parent


def _names_type_checkers_see() -> dict[str, tuple[str, ...]]:
    """The ``if TYPE_CHECKING:`` imports of the runtime's ``__init__``, by module."""
    tree = ast.parse(Path(runtime.__file__).read_text(encoding="utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imported in node.body:
                assert isinstance(imported, ast.ImportFrom) and imported.module is not None
                found[imported.module] = tuple(alias.name for alias in imported.names)
    return found


def test_the_names_imported_when_first_used_are_those_type_checkers_see() -> None:
    assert _names_type_checkers_see() == runtime._LAZY_MODULES


def test_every_exported_name_resolves_to_the_object_its_module_defines() -> None:
    for name in runtime.__all__:
        value = getattr(runtime, name)
        module = runtime._LAZY.get(name)
        if module is not None:
            assert value is getattr(importlib.import_module(f"generator.runtime.{module}"), name)


def test_importing_a_package_builds_no_operation_until_a_client_calls_one() -> None:
    probe = (
        "import sys\n"
        "import generated.click2mail as package\n"
        "heavy = ('generated._runtime.client', 'generated._runtime.calls',\n"
        "         'generated._runtime.descriptors', 'lxml')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
        "client = package.Click2MailClient('u', 'p', base_url='http://127.0.0.1:9')\n"
        "table = type(client)._api.operations\n"
        "print(len(table), len(table._built))\n"
        "print(type(client)._op_list_documents.operation.wire_name, len(table._built))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert shown[0] == "[]"
    count, built = map(int, shown[1].split())
    assert count > 50 and built == 0
    wire_name, built = shown[2].split()
    assert wire_name and built == "1"
