"""The model on its own: the runtime's descriptors, built once; every node located in the spec
through the loaded spec; defaults from one table (the JSON Schema)."""

from __future__ import annotations

from pathlib import Path

from generator import build, compose
from generator.loader import schema_defaults
from generator.runtime.builtin_types import Type, TypeName
from tests.conftest import ROOT

SPECS = ROOT / "specs"


def built(path: Path) -> build.Built:
    return build.build_api(compose.load_spec(path))


def test_every_node_knows_the_file_and_line_it_is_written_in() -> None:
    spec = built(SPECS / "mailstore_spe.yaml").spec
    own = spec.of_operation(spec.api.operation("GetInstances")).error("x")
    user_info = spec.api.operation("GetUserInfo")
    inherited = spec.of_param(user_info, user_info.params[1]).error("x", "type")
    shared = spec.of_param(user_info, user_info.params[0]).error("x")
    assert own.file == "specs/mailstore_spe.yaml" and own.key_path == "operations.GetInstances"
    assert inherited.file == "specs/mailstore_server.yaml"
    assert inherited.key_path == "operations.GetUserInfo.params.userName.type"
    assert shared.file == "specs/mailstore_spe.yaml"  # written once, under extends.params
    text = (SPECS / "mailstore_server.yaml").read_text().splitlines()
    assert text[inherited.line - 1][inherited.column - 1 :].startswith("str")


def test_derived_facts_are_derived_once_in_the_builder() -> None:
    spec = built(SPECS / "click2mail.yaml").spec
    for op in spec.operations:
        if op.method == "GET":
            assert op.encoding == "query" or spec.of_operation(op).has("encoding")
        for param in op.params:
            assert param.location in ("path", "query", "body", "header", "file")
    lleida = built(SPECS / "lleida_mailcert.yaml").spec
    (listing,) = [op for op in lleida.operations if op.stream_items]
    assert listing.stream_item == Type("model", TypeName("PdfRow"))


def test_defaults_come_from_the_schema() -> None:
    api = built(next((ROOT / "tests" / "golden" / "spec").glob("*.yaml"))).spec.api
    transport = schema_defaults("transport")
    assert api.transport.connect_timeout == transport["connect_timeout"]
    assert api.transport.retry_statuses == tuple(transport["retry_statuses"])
    envelope = schema_defaults("protocol", "envelope")
    task_fields = schema_defaults("protocol", "long_running")
    for key, value in envelope.items():
        if key != "echo_header":
            assert getattr(api.envelope, key) == (
                tuple(value) if isinstance(value, list) else value
            )
    assert api.envelope.version_field == task_fields["version_field"]


def test_the_builder_reports_what_it_cannot_derive(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "spec_version: 1\n"
        "api: {name: s, title: S, client_class: SClient}\n"
        "server: {url: 'https://x'}\n"
        "protocol: {encoding: form, decoding: xml}\n"
        "models: {Page: {fields: {rows: {type: int}}}}\n"
        "operations:\n"
        "  List: {returns: Page, stream_items: rows}\n"
        "  Get:\n"
        "    path: /things/{id}\n"
        "    params: {id: {type: int, in: path, required: false}}\n"
    )
    result = built(spec)
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "operations.List.stream_items: 'rows' is not a list field (type int)",
        "operations.Get.params.id.required: path parameters are always required",
    ]
    assert result.spec.operations[0].stream_item is None
