"""The typed model on its own: nodes built once, each with its source; defaults from one table."""

from __future__ import annotations

from pathlib import Path

from generator import build, loader
from generator.model import TypeRef
from tests.conftest import ROOT

SPECS = ROOT / "specs"


def built(path: Path) -> build.Built:
    return build.build_api(loader.load_spec(path))


def test_every_node_knows_the_file_and_line_it_is_written_in() -> None:
    api = built(SPECS / "mailstore_spe.yaml").api
    ops = {op.wire_name: op for op in api.operations}
    own = ops["GetInstances"].source.error("x")
    inherited = ops["GetUserInfo"].params[1].source.error("x", "type")
    shared = ops["GetUserInfo"].params[0].source.error("x")
    assert own.file == "specs/mailstore_spe.yaml" and own.key_path == "operations.GetInstances"
    assert inherited.file == "specs/mailstore_server.yaml"
    assert inherited.key_path == "operations.GetUserInfo.params.userName.type"
    assert shared.file == "specs/mailstore_spe.yaml"  # written once, under extends.params
    text = (SPECS / "mailstore_server.yaml").read_text().splitlines()
    assert text[inherited.line - 1][inherited.column - 1 :].startswith("str")


def test_derived_facts_are_derived_once_in_the_builder() -> None:
    api = built(SPECS / "click2mail.yaml").api
    for op in api.operations:
        if op.method == "GET":
            assert op.encoding == "query" or op.source.has("encoding")
        for param in op.params:
            assert param.location in ("path", "query", "body", "header", "file")
    lleida = built(SPECS / "lleida_mailcert.yaml").api
    (listing,) = [op for op in lleida.operations if op.stream_items]
    assert listing.stream_item_type == TypeRef("model", "PdfRow")


def test_defaults_come_from_the_schema() -> None:
    api = built(next((ROOT / "tests" / "golden" / "spec").glob("*.yaml"))).api
    transport = loader.schema_defaults("transport")
    assert api.transport.connect_timeout == transport["connect_timeout"]
    assert api.transport.retry_statuses == tuple(transport["retry_statuses"])
    envelope = loader.schema_defaults("protocol", "envelope")
    task_fields = loader.schema_defaults("protocol", "long_running")
    for key, value in envelope.items():
        assert api.protocol.envelope[key] == value
    assert api.protocol.envelope["version_field"] == task_fields["version_field"]


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
    assert result.api.operations[0].stream_item_type is None
