"""`python -m generator export-openapi`: a valid OpenAPI 3.1 document for every real spec."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from generator import openapi, pipeline
from tests.conftest import ROOT

APIS = pipeline.load_apis(pipeline.discover_specs())


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_every_spec_exports_a_valid_document_with_all_operations(api: pipeline.Api) -> None:
    document = openapi.export(api)
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    operation_ids = [
        op["operationId"] for path in document["paths"].values() for op in path.values()
    ]
    assert sorted(operation_ids) == sorted(op.name for op in api.operations)
    assert set(document["components"]["schemas"]) >= {m.name for m in api.models}


def test_multiplexed_endpoints_get_one_entry_per_operation() -> None:
    (lleida,) = [a for a in APIS if a.name == "lleida_mailcert"]
    document = openapi.export(lleida)
    assert sorted(document["paths"]) == [
        f"/cgi-bin/mailcertapi.cgi#{name}"
        for name in ("download_pdf", "get_default_settings", "list_pdf")
    ]
    body = document["paths"]["/cgi-bin/mailcertapi.cgi#list_pdf"]["post"]["requestBody"]
    xml = body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]["xml"]
    assert xml["x-specgen-xml-document"]["root"] == "list_pdf"
    assert "subjrw" in xml["x-specgen-xml-document"]["properties"]
    rows = document["components"]["schemas"]["PdfList"]["properties"]
    assert rows["rows_found"]["xml"] == {"attribute": True}


def test_paths_security_errors_and_servers_are_carried_over() -> None:
    (c2m,) = [a for a in APIS if a.name == "click2mail"]
    document = openapi.export(c2m)
    assert document["security"] == [{"basicAuth": []}]
    assert [s["description"] for s in document["servers"]] == ["production", "staging"]
    submit = document["paths"]["/jobs/{id}/submit"]["post"]
    assert submit["parameters"][0] == {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "Job identifier.",
        "schema": {"type": "integer"},
    }
    upload = document["paths"]["/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "DuplicateDocumentError (vendor status 1)" in upload["responses"]["400"]["description"]
    (server,) = [a for a in APIS if a.name == "mailstore_server"]
    servers = openapi.export(server)["servers"]
    assert servers == [
        {
            "url": "https://{host}:{port}",
            "variables": {
                "host": {
                    "default": "127.0.0.1",
                    "description": "Host name or address of the server.",
                },
                "port": {"default": "8463", "description": "TCP port of the administration API."},
            },
        }
    ]


def test_unions_and_list_styles_are_described() -> None:
    (c2m,) = [a for a in APIS if a.name == "click2mail"]
    document = openapi.export(c2m)
    addresses = document["components"]["schemas"]["NewAddressList"]["properties"]["addresses"]
    assert addresses["items"]["oneOf"][:2] == [
        {"$ref": "#/components/schemas/Mapping1Address"},
        {"$ref": "#/components/schemas/Mapping2Address"},
    ]
    removed = document["paths"]["/addressLists"]["delete"]["parameters"]
    ids = next(p for p in removed if p["name"] == "id[]")
    assert (ids["style"], ids["explode"]) == ("form", True)  # id[]=1&id[]=2
    (c2m_ids,) = [p for op in c2m.operations for p in op.params if p.wire == "id[]"]
    csv = openapi._parameter(c2m_ids._replace(style="csv"), "query")
    assert (csv["style"], csv["explode"]) == ("form", False)  # comma-joined: id[]=1,2


def test_the_command_writes_json_or_yaml(tmp_path: Path) -> None:
    spec = str(ROOT / "specs" / "click2mail.yaml")
    out = subprocess.run(
        [sys.executable, "-m", "generator", "export-openapi", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["openapi"] == "3.1.0"
    target = tmp_path / "c2m.yaml"
    subprocess.run(
        [sys.executable, "-m", "generator", "export-openapi", spec, "-o", str(target)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    validate(yaml.safe_load(target.read_text()))


def test_a_status_result_of_an_xml_api_and_a_fixed_query_export_validly(tmp_path: Path) -> None:
    spec = tmp_path / "lastfm.yaml"
    spec.write_text(
        "spec_version: 1\n"
        "api: {name: fm, title: FM, client_class: FmClient}\n"
        "server: {url: 'https://ws.invalid'}\n"
        "protocol: {encoding: query, decoding: xml, default_method: GET}\n"
        "operations:\n"
        "  Poll: {path: '/2.0/?method=track.poll', decoding: envelope, returns: status}\n"
        "  Info: {path: '/2.0/?method=track.info'}\n"
    )
    (api,) = pipeline.load_apis([spec])
    document = openapi.export(api)
    validate(document)
    assert "StatusEnvelope" in document["components"]["schemas"]
    assert sorted(document["paths"]) == ["/2.0/#Info", "/2.0/#Poll"]
    assert document["paths"]["/2.0/#Poll"]["get"]["x-specgen-fixed-query"] == "method=track.poll"


def test_an_operation_served_elsewhere_says_so(tmp_path: Path) -> None:
    from tests.test_hostile_network import CDN_SPEC

    (tmp_path / "cdn.yaml").write_text(CDN_SPEC)
    (api,) = pipeline.load_apis([tmp_path / "cdn.yaml"])
    document = openapi.export(api)
    validate(document)
    fetch = document["paths"]["/files/{name}"]["get"]
    assert fetch["x-specgen-redirects"] == "any_origin"
