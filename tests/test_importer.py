"""`python -m generator import-mailstore`: specs created and updated from get-metadata answers,
hand-written parts kept, disappearances reported."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import importer, pipeline
from generator.runtime.builtin_types import type_expression
from tests.conftest import ROOT
from tests.loopback import Loopback, Reply

METADATA = ROOT / "tests" / "fixtures" / "vendor_metadata"
SHARED = ROOT.parent / "shared" / "vendors"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "import-mailstore", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("name", "functions"), [("server", 92), ("spe", 125)])
def test_a_new_spec_is_created_from_the_vendor_metadata(
    tmp_path: Path, name: str, functions: int
) -> None:
    spec = tmp_path / f"mailstore_{name}_imported.yaml"
    result = run(str(METADATA / f"mailstore_{name}_metadata.json"), "--spec", str(spec))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "created the spec"
    (api,) = pipeline.load_apis([spec])
    assert len(api.operations) == functions
    ops = {op.wire_name: op for op in api.operations}
    verify = {p.wire: (type_expression(p.type), p.required) for p in ops["VerifyStore"].params}
    assert verify["id"] == ("int", True) and verify["includeIndexes"] == ("bool", True)
    assert (
        ops["get-status"].path == "/api/get-status"
        and type_expression(ops["get-status"].result) == "status"
    )
    assert [p.secret for p in ops["SetUserPassword"].params if p.wire == "password"] == [True]
    if name == "spe":
        (instance,) = [p for p in ops["GetUsers"].params if p.wire == "instanceID"]
        assert instance.client_default == "instance_id"
    output = pipeline.render_apis([api])  # the imported spec generates a client
    compile(output.files[f"{api.name}/client.py"], "client.py", "exec")


def _modified_metadata(tmp_path: Path) -> Path:
    functions: list[dict[str, Any]] = json.loads(
        (METADATA / "mailstore_server_metadata.json").read_text()
    )
    functions = [f for f in functions if f["name"] != "DeleteMessage"]
    for function in functions:
        if function["name"] == "GetChildFolders":
            for arg in function["args"]:
                if arg["name"] == "maxLevels":
                    arg["nullable"] = False
        if function["name"] == "GetStores":
            function["args"].append({"name": "verbose", "type": "bool", "nullable": True})
    functions.append(
        {
            "name": "GetWidgets",
            "args": [
                {"name": "widgetName", "type": "string", "nullable": False},
                {"name": "apiKey", "type": "string", "nullable": True},
            ],
        }
    )
    target = tmp_path / "metadata.json"
    target.write_text(json.dumps(functions))
    return target


def test_updating_keeps_hand_written_parts_and_reports_changes(tmp_path: Path) -> None:
    spec = tmp_path / "mailstore_server.yaml"
    original = (ROOT / "specs" / "mailstore_server.yaml").read_text()
    spec.write_text("# a comment the importer must keep\n" + original)
    result = run(str(_modified_metadata(tmp_path)), "--spec", str(spec))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:6] == [
        "added function GetWidgets",
        "added argument GetStores.verbose",
        "changed GetChildFolders.maxLevels: now required",
        "disappeared function DeleteMessage (still in the spec)",
        "example to update: operations.GetChildFolders.examples[0].params: the required "
        "parameter 'maxLevels' has no value",
        f"wrote {spec}; run `make generate` to update the client",
    ]
    text = spec.read_text()
    assert text.startswith("# a comment the importer must keep\n")
    (api,) = pipeline.load_apis([spec], check_examples=False)  # its examples are stale now
    ops = {op.wire_name: op for op in api.operations}
    assert type_expression(ops["GetUserInfo"].result) == "UserInfo"  # hand-written result type kept
    assert ops["GetUserInfo"].doc.startswith("Everything about one user")
    privileges = [p for p in ops["CreateUser"].params if p.wire == "privileges"]
    assert (
        type_expression(privileges[0].type) == "list[str]"
    )  # hand refinement of a string argument kept
    assert [m.name for m in api.models] == [
        m.name for m in pipeline.load_apis([ROOT / "specs" / "mailstore_server.yaml"])[0].models
    ]
    widgets = {p.wire: p for p in ops["GetWidgets"].params}
    assert widgets["widgetName"].required and widgets["apiKey"].secret
    assert "DeleteMessage" in ops


def test_prune_removes_what_the_server_no_longer_has(tmp_path: Path) -> None:
    spec = tmp_path / "mailstore_server.yaml"
    shutil.copy(ROOT / "specs" / "mailstore_server.yaml", spec)
    assert run(str(_modified_metadata(tmp_path)), "--spec", str(spec), "--prune").returncode == 0
    (api,) = pipeline.load_apis([spec], check_examples=False)
    assert "DeleteMessage" not in {op.wire_name for op in api.operations}


@pytest.mark.parametrize("name", ["server", "spe"])
def test_reimporting_unchanged_metadata_changes_nothing(tmp_path: Path, name: str) -> None:
    for each in ("server", "spe"):  # SPE extends the Server spec
        shutil.copy(ROOT / "specs" / f"mailstore_{each}.yaml", tmp_path)
    spec = tmp_path / f"mailstore_{name}.yaml"
    result = run(str(METADATA / f"mailstore_{name}_metadata.json"), "--spec", str(spec))
    assert result.stdout.splitlines()[0] == "no changes"
    assert spec.read_bytes() == (ROOT / "specs" / f"mailstore_{name}.yaml").read_bytes()


def test_an_extending_spec_is_updated_without_repeating_what_it_inherits(tmp_path: Path) -> None:
    for each in ("server", "spe"):
        shutil.copy(ROOT / "specs" / f"mailstore_{each}.yaml", tmp_path)
    spec = tmp_path / "mailstore_spe.yaml"
    base_before = (tmp_path / "mailstore_server.yaml").read_bytes()
    functions: list[dict[str, Any]] = json.loads(
        (METADATA / "mailstore_spe_metadata.json").read_text()
    )
    by_name = {f["name"]: f for f in functions}
    by_name["GetUserInfo"]["args"].append({"name": "verbose", "type": "bool", "nullable": True})
    del by_name["GetUsers"]  # inherited, gone from the server
    functions = [f for f in functions if f["name"] != "GetUsers"]
    functions.append({"name": "GetWidgets", "args": []})
    functions.append({"name": "CompactMasterDatabase", "args": []})  # excluded, now offered
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(functions))
    result = run(str(metadata), "--spec", str(spec), "--prune")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("example to update: errors.") for line in lines)
    assert [line for line in lines if not line.startswith("example to update")][:5] == [
        "added function GetWidgets",
        "changed GetUserInfo: arguments instanceID, userName, verbose on the server, "
        "instanceID, userName in the spec it extends (change it there, or override it here)",
        "changed CompactMasterDatabase: inherited again (no longer excluded)",
        "disappeared function GetUsers (still in the spec)",
        f"wrote {spec}; run `make generate` to update the client",
    ]
    assert (tmp_path / "mailstore_server.yaml").read_bytes() == base_before
    (api,) = pipeline.load_apis([spec], check_examples=False)
    names = {op.wire_name for op in api.operations}
    assert {"GetWidgets", "CompactMasterDatabase"} <= names and "GetUsers" not in names
    text = spec.read_text()
    assert "GetUserInfo:" not in text  # still inherited, not copied


def test_metadata_can_come_from_a_live_server(
    server: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply(Reply(body="\ufeff" + json.dumps([{"name": "GetServerInfo", "args": []}])))
    monkeypatch.setenv("MAILSTORE_PASSWORD", "s3cret")
    functions = importer.load_metadata(server.url, username="admin", password="s3cret")
    assert functions == [{"name": "GetServerInfo", "args": []}]
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/api/get-metadata")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"admin:s3cret").decode()


def test_unreadable_metadata_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    spec = tmp_path / "spec.yaml"
    result = run(str(bad), "--spec", str(spec))
    assert result.returncode == 1 and "expected a list of {name, args} functions" in result.stderr
    assert "Traceback" not in result.stderr and not spec.exists()


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/vendors is not beside this checkout")
@pytest.mark.parametrize("name", ["server", "spe"])
def test_the_metadata_fixtures_are_the_vendor_files(name: str) -> None:
    filename = f"mailstore_{name}_metadata.json"
    assert (METADATA / filename).read_bytes() == (SHARED / filename).read_bytes()
