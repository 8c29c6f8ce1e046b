"""Spec composition: a spec that ``extends`` another (MailStore SPE on MailStore Server)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from generator import compose, pipeline
from generator.errors import SpecErrors
from tests.conftest import ROOT

SPECS = ROOT / "specs"

BASE = """\
spec_version: 1
api: {name: base, title: Base API, client_class: BaseClient}
settings:
  host: {type: str, default: localhost}
server: {url: "https://{host}"}
protocol: {encoding: form, decoding: json}
models:
  Thing: {fields: {id: {type: int}}}
operations:
  Ping: {}
  GetThing:
    params:
      thingId: {type: int, required: true}
    returns: Thing
    examples:
    - name: ok
      params: {thingId: 7}
      request: {path: /GetThing, body: {thingId: '7'}}
      response: {body: '{"id": 7}'}
      result: {id: 7}
"""


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))


def errors_of(path: Path) -> list[str]:
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([path])
    return [str(e) for e in caught.value.errors]


def test_spe_is_the_server_functions_plus_instance_scope_and_its_own() -> None:
    server, spe = pipeline.load_apis(
        [SPECS / "mailstore_server.yaml", SPECS / "mailstore_spe.yaml"]
    )
    own = yaml.safe_load((SPECS / "mailstore_spe.yaml").read_text())
    excluded = set(own["extends"]["exclude"]["operations"])
    spe_ops = {op.wire_name: op for op in spe.operations}
    for op in server.operations:
        if op.wire_name in excluded:
            assert op.wire_name not in spe_ops
            continue
        params = spe_ops[op.wire_name].params
        if op.wire_name in ("get-status", "get-metadata", "cancel-async"):
            assert params == op.params
        else:
            assert params[0].wire == "instanceID" and params[0].client_default == "instance_id"
            assert params[1:] == op.params
    assert len(spe.operations) == 125 and len(server.operations) == 92


def test_no_mailstore_function_is_defined_twice() -> None:
    server = yaml.safe_load((SPECS / "mailstore_server.yaml").read_text())["operations"]
    spe = yaml.safe_load((SPECS / "mailstore_spe.yaml").read_text())["operations"]
    assert not set(server) & set(spe)


def test_inherited_examples_gain_the_shared_parameter_in_params_and_request() -> None:
    spec = compose.load_spec(SPECS / "mailstore_spe.yaml")
    example = spec.data["operations"]["GetUserInfo"]["examples"][0]
    assert list(example["params"].items())[:2] == [("instanceID", "test01"), ("userName", "admin")]
    assert list(example["request"]["body"].items()) == [
        ("instanceID", "test01"),
        ("userName", "admin"),
    ]


def test_sections_merge_by_name_and_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.yaml": BASE,
            "child.yaml": """\
            spec_version: 1
            extends:
              spec: base.yaml
              exclude: {operations: [Ping]}
              params:
                tenant: {type: str, doc: Tenant., example: acme}
            api: {name: child, title: Child API, client_class: ChildClient}
            settings:
              host: {type: str, default: example.org}
            protocol: {decoding: json}
            operations:
              Extra: {}
            """,
        },
    )
    (spec,) = pipeline.load_apis([tmp_path / "child.yaml"])
    assert [op.wire_name for op in spec.operations] == ["GetThing", "Extra"]
    get_thing = spec.operations[0]
    assert [p.wire for p in get_thing.params] == ["tenant", "thingId"]
    assert spec.examples_of(get_thing)[0].request["body"] == {"tenant": "acme", "thingId": "7"}
    assert spec.api.settings[0].default == "example.org"
    assert spec.api.protocol.encoding == "form"  # kept from the base, key by key
    assert spec.spec_file.endswith("child.yaml")


def test_every_section_can_be_left_out_of_what_is_inherited(tmp_path: Path) -> None:
    base = BASE.replace(
        "models:\n",
        "enums:\n  Colour: {values: [red]}\n"
        "errors:\n  Gone: {base: not_found, http_status: [410]}\n"
        "models:\n",
    )
    write(
        tmp_path,
        {
            "base.yaml": base,
            "child.yaml": """\
            spec_version: 1
            extends:
              spec: base.yaml
              exclude: {settings: [host], enums: [Colour], errors: [Gone], operations: [Ping]}
            api: {name: child, title: Child API, client_class: ChildClient}
            server: {url: "https://example.invalid"}
            """,
        },
    )
    (spec,) = pipeline.load_apis([tmp_path / "child.yaml"])
    assert (tuple(spec.api.settings), spec.enums, spec.errors) == ((), (), ())
    assert [op.wire_name for op in spec.operations] == ["GetThing"]


def test_an_error_in_an_inherited_node_points_at_the_file_it_is_written_in(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "base.yaml": BASE,
            "child.yaml": """\
            spec_version: 1
            extends: {spec: base.yaml, exclude: {models: [Thing]}}
            api: {name: child, title: Child API, client_class: ChildClient}
            operations:
              Extra: {returns: Nothing}
            """,
        },
    )
    assert errors_of(tmp_path / "child.yaml") == [
        "base.yaml:14:14: operations.GetThing.returns: unknown type 'Thing' (known types: binary, "
        "bool, date, datetime, float, int, json, status, str)",
        "child.yaml:5:20: operations.Extra.returns: unknown type 'Nothing' (known types: binary, "
        "bool, date, datetime, float, int, json, status, str)",
    ]


@pytest.mark.parametrize(
    ("extends", "expected"),
    [
        (
            "{spec: missing.yaml}",
            "child.yaml:2:17: extends.spec: no spec file 'missing.yaml' next to this one",
        ),
        (
            "{spec: child.yaml}",
            "child.yaml:2:17: extends.spec: 'child.yaml' extends this spec in turn (a cycle)",
        ),
        (
            "{spec: base.yaml, exclude: {operations: [Nope]}}",
            "child.yaml:2:51: extends.exclude.operations[0]: base.yaml has no operation 'Nope'",
        ),
        (
            "{spec: base.yaml, params_skip: [Nope]}",
            "child.yaml:2:42: extends.params_skip[0]: 'Nope' is not an operation inherited from base.yaml",
        ),
        (
            "{spec: base.yaml, params: {thingId: {type: int}}}",
            "child.yaml:2:46: extends.params.thingId: inherited operation 'GetThing' already has a "
            "parameter 'thingId'",
        ),
        (
            "{spec: base.yaml, unknown: 1}",
            "child.yaml:2:28: extends.unknown: unknown key 'unknown' "
            "(expected one of: exclude, params, params_skip, spec)",
        ),
    ],
)
def test_a_wrong_extends_section_is_located(tmp_path: Path, extends: str, expected: str) -> None:
    write(
        tmp_path,
        {
            "base.yaml": BASE,
            "child.yaml": f"spec_version: 1\nextends: {extends}\n"
            "api: {name: child, title: Child API, client_class: ChildClient}\n",
        },
    )
    assert errors_of(tmp_path / "child.yaml") == [expected]


def test_a_text_request_body_cannot_take_an_inherited_parameter(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.yaml": BASE.replace("body: {thingId: '7'}", "body: thingId=7"),
            "child.yaml": """\
            spec_version: 1
            extends: {spec: base.yaml, params: {tenant: {type: str, example: acme}}}
            api: {name: child, title: Child API, client_class: ChildClient}
            """,
        },
    )
    (message,) = errors_of(tmp_path / "child.yaml")
    assert message.startswith("base.yaml:18:40: operations.GetThing.examples[0].request.body: ")
    assert "mapping of fields" in message


def test_regenerating_a_base_spec_regenerates_what_extends_it() -> None:
    chosen = pipeline.with_dependents([SPECS / "mailstore_server.yaml"])
    assert [p.name for p in chosen] == ["mailstore_server.yaml", "mailstore_spe.yaml"]
