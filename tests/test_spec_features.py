"""Spec-language features grown for the MOLPro reference, each for every vendor: union types,
plain data written as XML, repeated query keys, models sent as an XML text field, per-operation
vendor-status rules (also on binary answers), file names from a format parameter, YAML merge
keys, and example provenance."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generated._runtime import ArgumentTypeError, codec
from generated._runtime.xml import append_json
from generated.click2mail import (
    Click2MailClient,
    JobError,
    Mapping1Address,
    Mapping2Address,
    NewAddressList,
    SinglePieceAddress,
)
from generator import fixtures, pipeline
from generator.loader import parse_file
from tests.loopback import Loopback, Reply

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@pytest.fixture
def client(server: Loopback) -> Click2MailClient:
    return Click2MailClient("user", "secret", base_url=server.url, retry_attempts=0)


def test_plain_data_is_written_as_xml_the_way_undeclared_xml_is_read() -> None:
    root = ET.Element("r")
    data = {"@id": "7", "name": "Ann & Bo", "tag": ["a", "b"], "box": {"#text": "x", "@k": "v"}}
    append_json(root, "item", data)
    assert ET.tostring(root, encoding="unicode") == (
        '<r><item id="7"><name>Ann &amp; Bo</name><tag>a</tag><tag>b</tag>'
        '<box k="v">x</box></item></r>'
    )
    assert codec.element_to_json(root[0]) == data  # the inverse of decoding


def test_deep_plain_data_costs_no_stack() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(20_000):
        node["c"] = {}
        node = node["c"]  # type: ignore[assignment]
    append_json(ET.Element("r"), "d", deep)  # no RecursionError


def test_a_union_sends_each_value_as_the_option_it_is(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(Reply(200, XML + "<addressList><id>1</id><status>0</status></addressList>"))
    client.create_address_list(
        NewAddressList(
            address_mapping_id=2,
            addresses=[
                Mapping1Address(postal_code="1"),
                Mapping2Address(zip="2"),
                {"postCode": "3", "@kind": "home"},
            ],
        )
    )
    sent = ET.fromstring(server.requests[0].body)
    assert [ET.tostring(a, encoding="unicode") for a in sent.iterfind("addresses/address")] == [
        "<address><Postalcode>1</Postalcode></address>",
        "<address><Zip>2</Zip></address>",
        '<address kind="home"><postCode>3</postCode></address>',
    ]


def test_a_value_of_no_option_of_a_union_is_refused_naming_the_options(
    server: Loopback, client: Click2MailClient
) -> None:
    bad = NewAddressList(address_mapping_id=2, addresses=[SinglePieceAddress(name="x")])  # type: ignore[list-item]
    with pytest.raises(ArgumentTypeError, match="a Mapping1Address or a Mapping2Address or plain"):
        client.create_address_list(bad)
    assert server.requests == []


def test_a_union_is_read_as_the_first_model_that_holds_every_key() -> None:
    kind = codec.list_of(
        codec.union_of(codec.model(Mapping1Address), codec.model(Mapping2Address), codec.JSON)
    )
    decoded = codec.decode_json(kind, [{"Zip": "1"}, {"Postalcode": "2"}, {"postCode": "3"}])
    assert decoded == [
        Mapping2Address(zip="1"),
        Mapping1Address(postal_code="2"),
        {"postCode": "3"},
    ]


def test_repeated_query_keys(server: Loopback, client: Click2MailClient) -> None:
    server.reply(Reply(200, XML + "<addressList><id>77</id><status>0</status></addressList>"))
    client.delete_addresses_from_list(base_address_list_id=77, address_ids=[501, 502])
    assert server.requests[0].query == {"baseAddressListId": ["77"], "id[]": ["501", "502"]}


def test_a_model_travels_as_an_xml_text_field_in_a_multipart_body(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(Reply(201, XML + "<job><id>9</id><status>0</status></job>"))
    client.submit_single_piece(
        "Monthly", SinglePieceAddress(name="Ann & Bo", postal_code="22124"), "User Credit", b"%PDF"
    )
    body = server.requests[0].body
    assert (
        b'name="address"\r\n\r\n<address><name>Ann &amp; Bo</name>'
        b"<postalCode>22124</postalCode></address>" in body
    )
    assert b'name="document"; filename="document"' in body  # no format to name it after


def test_an_operation_rule_turns_a_status_document_instead_of_a_file_into_its_error(
    server: Loopback, client: Click2MailClient, tmp_path: Path
) -> None:
    status = XML + "<job><status>9</status><description>Proof session expired</description></job>"
    server.reply(Reply(200, status, {"Content-Type": "application/xml"}))
    with pytest.raises(JobError, match="expired") as caught:
        client.get_proof(555, 42, "old", save_to=tmp_path / "proof.pdf")
    assert caught.value.vendor_status == "9"
    assert not (tmp_path / "proof.pdf").exists()
    server.reply(Reply(200, b"%PDF-1.4 proof", {"Content-Type": "application/pdf"}))
    saved = client.get_proof(555, 42, "abc", save_to=tmp_path / "proof.pdf")
    assert saved.has_file and (tmp_path / "proof.pdf").read_bytes() == b"%PDF-1.4 proof"


def test_a_state_the_operation_declares_as_data_is_returned_and_others_still_raise(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(
        Reply(
            201, XML + "<job><id>5</id><status>9</status><description>Editing</description></job>"
        ),
        Reply(200, XML + "<job><id>5</id><status>9</status><description>Bad</description></job>"),
    )
    assert client.get_job(5).description == "Editing"
    with pytest.raises(JobError, match="Bad"):
        client.get_job_cost(5)  # the protocol's rule: 9 is a failure


def test_yaml_merge_keys_share_entries_and_keep_their_positions(tmp_path: Path) -> None:
    spec = tmp_path / "merge.yaml"
    spec.write_text(
        "shared: &common\n  a: 1\n  b: 2\nuse:\n  first: 0\n  <<: *common\n  b: 3\n",
        encoding="utf-8",
    )
    loaded = parse_file(spec)
    assert loaded.data["use"] == {"first": 0, "a": 1, "b": 3}
    assert list(loaded.data["use"]) == ["first", "a", "b"]  # merged where the merge key is
    assert loaded.positions[("use", "a")][1:] == (2, 6)  # where the shared entry is written


def test_every_click2mail_example_says_whether_it_is_documented_or_synthetic() -> None:
    (spec,) = pipeline.load_apis([pipeline.SPEC_DIR / "click2mail.yaml"])
    unmarked = [
        f"{op.name}.{ex.name}"
        for op in spec.operations
        for ex in spec.examples_of(op)
        if not ex.provenance
    ]
    assert unmarked == []
    cassette = fixtures.FIXTURES_DIR / "click2mail" / "get_job--editing.yaml"
    assert "(documented)" in cassette.read_text(encoding="utf-8").splitlines()[0]
