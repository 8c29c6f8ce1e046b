"""Where vendors put their status and error: an XML status in an attribute with the error code
beside it (Last.fm), JSON error fields at any depth (GitHub, Stripe), a failure inside an HTTP
200 JSON answer; each raising the declared class with the vendor's code, message and details."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generator import pipeline
from generator.errors import SpecErrors
from tests.loopback import Loopback, Reply
from tests.spec_packages import build_package

XML_SPEC = """\
spec_version: 1
api: {name: lfm_api, title: Attribute status, client_class: LfmClient}
server: {url: "http://127.0.0.1:1"}
protocol:
  encoding: query
  decoding: xml
  default_method: GET
  xml: {status_element: "@status", code_element: "error/@code", message_element: error,
        success: [ok], root_element: lfm}
errors:
  InvalidParametersError: {base: vendor, vendor_status: ["6"]}
models:
  Artist:
    fields:
      name: {type: str}
  ArtistInfo:
    xml_element: lfm
    fields:
      artist: {type: Artist}
operations:
  artist_info:
    path: /2.0/
    returns: ArtistInfo
    params:
      artist: {type: str, required: true}
"""

JSON_SPEC = """\
spec_version: 1
api: {name: NAME, title: JSON errors, client_class: JsonClient}
server: {url: "http://127.0.0.1:1"}
protocol:
  encoding: json
  decoding: json
  json: RULE
errors:
  CardError: {base: vendor, vendor_status: [card_declined]}
  ValidationError: {base: http, http_status: [422]}
  InvalidParametersError: {base: vendor, vendor_status: ["6"]}
operations:
  charge:
    path: /charge
    params:
      amount: {type: int, required: true}
"""


@pytest.fixture
def lfm_package(tmp_path: Path) -> ModuleType:
    return build_package(tmp_path, XML_SPEC)


@pytest.fixture
def lfm(lfm_package: ModuleType, server: Loopback) -> Any:
    return lfm_package.LfmClient(base_url=server.url)


def test_an_attribute_status_and_the_error_code_beside_it(
    lfm_package: ModuleType, lfm: Any, server: Loopback
) -> None:
    server.reply(
        Reply(200, '<lfm status="failed"><error code="6">Artist not found</error></lfm>'),
        Reply(400, '<lfm status="failed"><error code="6">Artist not found</error></lfm>'),
    )
    for http in (200, 400):
        with pytest.raises(lfm_package.InvalidParametersError) as caught:
            lfm.artist_info("Nobody")
        assert (caught.value.vendor_status, caught.value.vendor_message) == (
            "6",
            "Artist not found",
        )
        assert caught.value.http_status == http


def test_an_ok_attribute_status_decodes_the_answer(lfm: Any, server: Loopback) -> None:
    server.reply(Reply(200, '<lfm status="ok"><artist><name>Cher</name></artist></lfm>'))
    info = lfm.artist_info("Cher")
    assert info.artist.name == "Cher"


def json_client(tmp_path: Path, server: Loopback, name: str, rule: str) -> tuple[ModuleType, Any]:
    module = build_package(tmp_path, JSON_SPEC.replace("NAME", name).replace("RULE", rule))
    return module, module.JsonClient(base_url=server.url, retry_attempts=0)


def test_json_error_fields_fill_the_error(tmp_path: Path, server: Loopback) -> None:
    package, client = json_client(
        tmp_path, server, "gh_api", "{message_field: message, details_field: errors}"
    )
    server.reply(
        Reply(
            422,
            '{"message": "Validation Failed", "errors": [{"field": "title", "code": "missing"}]}',
        )
    )
    with pytest.raises(package.ValidationError) as caught:
        client.charge(1)
    assert caught.value.vendor_message == "Validation Failed"
    assert caught.value.details == '[{"field":"title","code":"missing"}]'
    assert "Validation Failed" in str(caught.value)


def test_nested_json_error_fields_and_codes_pick_the_class(
    tmp_path: Path, server: Loopback
) -> None:
    package, client = json_client(
        tmp_path, server, "stripe_api", "{message_field: error/message, code_field: error/code}"
    )
    server.reply(
        Reply(402, '{"error": {"type": "card_error", "code": "card_declined", "message": "No."}}')
    )
    with pytest.raises(package.CardError) as caught:
        client.charge(1)
    assert (caught.value.vendor_status, caught.value.vendor_message) == ("card_declined", "No.")
    assert caught.value.http_status == 402


def test_a_failure_inside_an_http_200_json_answer_raises(tmp_path: Path, server: Loopback) -> None:
    package, client = json_client(
        tmp_path,
        server,
        "lfm_json_api",
        "{status_field: error, message_field: message, failure: ['*']}",
    )
    server.reply(
        Reply(200, '{"error": 6, "message": "Invalid parameters"}'),
        Reply(200, '{"charged": true}'),
    )
    with pytest.raises(package.InvalidParametersError) as caught:
        client.charge(1)
    assert (caught.value.vendor_status, caught.value.vendor_message) == ("6", "Invalid parameters")
    assert client.charge(2) == {"charged": True}


def test_a_streamed_answer_cannot_keep_its_status_in_an_attribute(tmp_path: Path) -> None:
    spec = tmp_path / "stream.yaml"
    spec.write_text(
        XML_SPEC.replace("name: lfm_api", "name: lfm_stream") + "    stream_items: artist\n",
        encoding="utf-8",
    )
    spec.write_text(
        spec.read_text().replace(
            "      artist: {type: Artist}", '      artist: {type: "list[Artist]"}'
        ),
        encoding="utf-8",
    )
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([spec])
    assert [e.message for e in caught.value.errors] == [
        "'@status': a streamed answer's status must be a child of the root (paths and "
        "attributes are read from whole documents only)",
        "'error/@code': a streamed answer's status must be a child of the root (paths and "
        "attributes are read from whole documents only)",
    ]
