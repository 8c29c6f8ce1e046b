"""`python -m generator diff`: each kind of spec change, classified for users of the client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator import diff, pipeline
from tests.conftest import ROOT

BASE = (ROOT / "tests" / "golden" / "spec" / "inventory.yaml").read_text()


def changes_of(tmp_path: Path, old_text: str, new_text: str) -> list[diff.Change]:
    (tmp_path / "old.yaml").write_text(old_text)
    (tmp_path / "new.yaml").write_text(new_text)
    (old,) = pipeline.load_apis([tmp_path / "old.yaml"], check_examples=False)
    (new,) = pipeline.load_apis([tmp_path / "new.yaml"], check_examples=False)
    return diff.diff(old, new)


def changes(tmp_path: Path, old_text: str, new_text: str) -> list[tuple[str, str, bool]]:
    return [(c.subject, c.what, c.breaking) for c in changes_of(tmp_path, old_text, new_text)]


CASES = [
    ("nothing", BASE, []),
    (
        "operation removed",
        BASE.replace(
            "  Ping:\n    decoding: none\n    method: GET\n    params:\n"
            "      X-Trace: {type: str, in: header, name: trace}\n",
            "",
        ),
        [("operation Ping", "removed", True)],
    ),
    ("operation added", BASE + "  Pong: {decoding: none}\n", [("operation Pong", "added", False)]),
    (
        "optional parameter added",
        BASE.replace(
            "      deep: {type: bool, required: true}",
            "      deep: {type: bool, required: true}\n      fast: {type: bool}",
        ),
        [("parameter Recount.fast", "added, optional", False)],
    ),
    (
        "required parameter added",
        BASE.replace(
            "      deep: {type: bool, required: true}",
            "      deep: {type: bool, required: true}\n      why: {type: str, required: true}",
        ),
        [("parameter Recount.why", "added, required", True)],
    ),
    (
        "parameter type changed",
        BASE.replace("      limit: {type: int, default: 50}", "      limit: {type: str}"),
        [
            ("parameter ListItems.limit", "type int -> str", True),
            ("parameter ListItems.limit", "default 50 -> None", False),
        ],
    ),
    (
        "parameter became required",
        BASE.replace(
            "      note: {type: str, secret: true}",
            "      note: {type: str, secret: true, required: true}",
        ),
        [("parameter UploadSheet.note", "now required", True)],
    ),
    (
        "Python name changed",
        BASE.replace(
            "      filter: {type: json, name: filter_spec}",
            "      filter: {type: json, name: query}",
        ),
        [("parameter ListItems.filter", "Python name filter_spec -> query", True)],
    ),
    (
        "path changed",
        BASE.replace("    path: /items/{sku}", "    path: /v3/items/{sku}"),
        [("operation GetItem", "path /items/{sku} -> /v3/items/{sku}", False)],
    ),
    (
        "return type changed",
        BASE.replace("    returns: list[Item]", "    returns: json"),
        [("operation ListItems", "returns list[Item] (envelope) -> json (envelope)", True)],
    ),
    (
        "model field removed",
        BASE.replace("      price: {type: float}\n", ""),
        [("field Item.price", "removed", True)],
    ),
    (
        "optional model field added",
        BASE.replace(
            "      price: {type: float}\n", "      price: {type: float}\n      vat: {type: float}\n"
        ),
        [("field Item.vat", "added", False)],
    ),
    (
        "enum value removed",
        BASE.replace('values: [red, dark-green, "8-bit"]', "values: [red]"),
        [
            ("enum Colour", "value '8-bit' removed", True),
            ("enum Colour", "value 'dark-green' removed", True),
        ],
    ),
    (
        "error removed",
        BASE.replace("  BadKeyError:\n    base: auth\n    http_status: [401]\n", ""),
        [("error BadKeyError", "removed", True)],
    ),
    (
        "setting without default added",
        BASE.replace("  user:\n", "  tenant:\n    type: str\n  user:\n"),
        [("setting tenant", "added", True)],
    ),
    (
        "setting with default added",
        BASE.replace("  user:\n", "  tenant:\n    type: str\n    default: main\n  user:\n"),
        [("setting tenant", "added", False)],
    ),
    (
        "required parameter made optional",
        BASE.replace("      deep: {type: bool, required: true}", "      deep: {type: bool}"),
        [
            (
                "parameter Recount.deep",
                "now optional (keyword-only: positional calls break)",
                True,
            )
        ],
    ),
    (
        "vendor statuses of one operation declared",
        BASE.replace(
            "    success_status: [201]\n",
            "    success_status: [201]\n    vendor_status: {failure: []}\n",
        ),
        [("operation UploadSheet", "vendor statuses that raise: the protocol's -> none", True)],
    ),
    (
        "pagination added",
        BASE.replace(
            "  ListItems:\n    returns: list[Item]\n",
            "  ListItems:\n    returns: list[Item]\n    paginate: {style: link}\n",
        ),
        [("operation ListItems", "page-walking twin iter_list_items added", False)],
    ),
    (
        "operation made public",
        BASE.replace(
            "  ListItems:\n    returns: list[Item]\n",
            "  ListItems:\n    returns: list[Item]\n    auth: false\n",
        ),
        [("operation ListItems", "credentials no longer sent", False)],
    ),
    (
        "XML root changed",
        BASE.replace("    xml_element: item\n", "    xml_element: stockItem\n"),
        [("model Item", "XML root <item> -> <stockItem>", True)],
    ),
    (
        "XML root no longer checked",
        BASE.replace("    xml_element: item\n", ""),
        [("model Item", "XML root <item> no longer checked", False)],
    ),
    (
        "tighter and looser default limits",
        BASE.replace(
            "  retry_attempts: 3\n",
            "  retry_attempts: 3\n  max_answer_bytes: 1000000\n  timeout: 600\n",
        ),
        [
            ("client option timeout", "default 300 -> 600", False),
            ("client option max_answer_bytes", "default 67108864 -> 1000000", True),
        ],
    ),
    (
        "an operation may be served elsewhere",
        BASE.replace(
            "  Ping:\n    decoding: none\n",
            "  Ping:\n    redirects: any_origin\n    decoding: none\n",
        ),
        [("operation Ping", "redirects same_origin -> any_origin", False)],
    ),
    (
        "an operation sent to a named server",
        BASE.replace(
            "  default_environment: sandbox\n",
            "  default_environment: sandbox\n  named: {files: https://files.example.invalid}\n",
        ).replace(
            "  Ping:\n    decoding: none\n", "  Ping:\n    server: files\n    decoding: none\n"
        ),
        [
            ("server 'files'", "added", False),
            ("operation Ping", "sent to server files", False),
        ],
    ),
]


@pytest.mark.parametrize(("title", "new_text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_change_is_found_and_classified(
    tmp_path: Path, title: str, new_text: str, expected: list[tuple[str, str, bool]]
) -> None:
    assert changes(tmp_path, BASE, new_text) == expected


def test_an_operation_no_longer_followed_elsewhere_breaks_its_callers(tmp_path: Path) -> None:
    served_elsewhere = BASE.replace(
        "  Ping:\n    decoding: none\n", "  Ping:\n    redirects: any_origin\n    decoding: none\n"
    )
    assert changes(tmp_path, served_elsewhere, BASE) == [
        ("operation Ping", "redirects any_origin -> same_origin", True)
    ]


def test_the_command_exits_1_on_breaking_changes_and_speaks_json(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(BASE)
    (tmp_path / "new.yaml").write_text(BASE.replace("      price: {type: float}\n", ""))
    (tmp_path / "same.yaml").write_text(BASE)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "generator", "diff", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    breaking = run(str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--json")
    assert breaking.returncode == 1
    assert json.loads(breaking.stdout) == {
        "breaking": 1,
        "bump": "major",
        "changes": [{"subject": "field Item.price", "what": "removed", "breaking": True}],
    }
    same = run(str(tmp_path / "old.yaml"), str(tmp_path / "same.yaml"))
    assert (same.returncode, same.stdout.strip()) == (0, "no changes\nversion bump required: none")


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("      price: {type: float}\n", "", "major"),  # a field removed: breaks
        (
            "      price: {type: float}\n",
            "      price: {type: float}\n      note: {type: str}\n",
            "minor",
        ),
        ("      price: {type: float}\n", "      price: {type: float, wire: cost}\n", "patch"),
    ],
    ids=["removed", "added", "wire-only"],
)
def test_the_report_says_which_version_part_the_change_must_raise(
    tmp_path: Path, old: str, new: str, bump: str
) -> None:
    changed = changes_of(tmp_path, BASE, BASE.replace(old, new))
    assert diff.required_bump(changed) == bump
    assert diff.report(changed).splitlines()[-1] == f"version bump required: {bump}"
