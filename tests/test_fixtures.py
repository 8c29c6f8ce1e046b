"""The recorded fixtures: complete, in sync with the specs, labelled, and free of secrets."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from vcr.request import Request as VcrRequest

from generator import fixtures, pipeline
from generator.model import Spec
from tests import recording

APIS = pipeline.load_apis(pipeline.discover_specs())
CASSETTES = sorted(fixtures.FIXTURES_DIR.glob("*/*.yaml"))


@pytest.mark.parametrize("spec", APIS, ids=[a.name for a in APIS])
def test_every_operation_has_a_fixture(spec: Spec) -> None:
    missing = [op.wire_name for op in spec.operations if not spec.examples_of(op)]
    assert missing == []
    for op in spec.operations:
        for example in spec.examples_of(op):
            cassette = fixtures.FIXTURES_DIR / spec.name / fixtures.cassette_name(op, example)
            assert cassette.exists()


def test_built_cassettes_match_the_spec_examples() -> None:
    assert fixtures.sync(APIS, check=True) == []


@pytest.mark.parametrize("path", CASSETTES, ids=[f"{p.parent.name}/{p.name}" for p in CASSETTES])
def test_each_cassette_states_its_provenance(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith((fixtures.BUILT_MARK, fixtures.LIVE_MARK))


def _secret_values_in_environment() -> list[str]:
    names = [
        k
        for k in os.environ
        if k.startswith("SPECGEN_") and re.search(r"PASSWORD|USERNAME|SECRET|KEY", k)
    ]
    return [os.environ[k] for k in names if len(os.environ[k]) >= 4]


def test_no_cassette_contains_credentials() -> None:
    leaked = _secret_values_in_environment()
    for path in CASSETTES:
        text = path.read_text(encoding="utf-8")
        data = recording.load_cassette_text(path)
        for interaction in data["interactions"]:
            request = interaction["request"]
            for name, values in request.get("headers", {}).items():
                if name.lower() in ("authorization", "cookie"):
                    assert values == [recording.REDACTED], f"{path}: {name} header"
            body = request.get("body") or ""
            if isinstance(body, bytes):
                body = body.decode("latin-1")
            if "=" in body and "<" not in body.split("=", 1)[0]:
                for key, value in parse_qsl(body, keep_blank_values=True, encoding="latin-1"):
                    if key in recording.SECRET_FIELDS:
                        assert value == recording.REDACTED, f"{path}: form field {key}"
                    for tag in recording.SECRET_ELEMENTS:
                        for found in re.findall(rf"<{tag}>([^<]*)</{tag}>", value):
                            assert found == recording.REDACTED, f"{path}: <{tag}> element"
        for secret in leaked:
            assert secret not in text, f"{path} contains a credential from the environment"


def test_recording_scrubs_credentials_before_writing() -> None:
    lleida = VcrRequest(
        "POST",
        "https://tsa.lleida.net/cgi-bin/mailcertapi.cgi",
        b"xml=%3Clist_pdf%3E%3Cuser%3Ealice%3C%2Fuser%3E%3Cpassword%3Ehunter2%3C%2Fpassword%3E"
        b"%3C%2Flist_pdf%3E",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    mailstore = VcrRequest(
        "POST",
        "https://127.0.0.1:8463/api/invoke/SetUserPassword",
        b"userName=john&password=N3w-Passw0rd",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert recording.scrub_request(lleida).body == (
        b"xml=%3Clist_pdf%3E%3Cuser%3EREDACTED%3C%2Fuser%3E%3Cpassword%3EREDACTED%3C%2Fpassword"
        b"%3E%3C%2Flist_pdf%3E"
    )
    assert recording.scrub_request(mailstore).body == b"userName=john&password=REDACTED"
    config = recording.vcr_config()
    assert ("authorization", recording.REDACTED) in config["filter_headers"]


@pytest.mark.block_network
def test_the_network_is_blocked_in_fixture_tests() -> None:
    with pytest.raises(RuntimeError, match="Network is disabled"), socket.socket() as probe:
        probe.connect(("127.0.0.1", 9))


JSON_SPEC = """\
spec_version: 1
api: {name: jsonapi, title: JSON API, client_class: JsonClient}
server: {url: "http://127.0.0.1:9"}
protocol: {encoding: json, decoding: json}
operations:
  CreateThing:
    path: /things
    params:
      name: {type: str, required: true}
      count: {type: int}
    examples:
      - name: basic
        params: {name: box, count: 2}
        request: {body: {name: box, count: 2}}
        response: {body: '{}'}
        result: {}
  Ping:
    path: /ping
    examples:
      - name: basic
        response: {body: '{}'}
        result: {}
"""


def test_json_examples_become_json_cassettes_and_a_call_without_fields_sends_no_body(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "jsonapi.yaml"
    spec.write_text(JSON_SPEC)
    (api,) = pipeline.load_apis([spec])
    built = fixtures.build_cassettes(api)
    create = built["jsonapi/create_thing--basic.yaml"].decode()
    assert 'body: \'{"name":"box","count":2}\'' in create
    assert "application/json" in create
    from generated._runtime import JSON
    from generated._runtime.descriptors import Operation
    from generated._runtime.encoding import build_request

    ping: Operation[object] = Operation(
        name="ping",
        wire_name="Ping",
        method="POST",
        path="/ping",
        params=(),
        result=JSON,
        encoding="json",
        decoding="json",
    )
    from generated.mailstore_server.client import _API as any_api

    request = build_request(any_api.description, ping, {}, None)
    assert request.body is None and "Content-Type" not in request.headers


def test_the_cassette_scrubber_takes_its_secrets_from_the_specs() -> None:
    declared = {p.wire for s in APIS for op in s.operations for p in op.params if p.secret}
    declared |= {name for s in APIS for name in s.api.auth.secret_wire_names()}
    assert declared <= recording.SECRET_FIELDS
    assert set(recording.SECRET_FIELDS) <= declared  # nothing hard-coded beside the specs
    filtered = {name for name, _ in recording.vcr_config()["filter_query_parameters"]}
    assert filtered == set(recording.SECRET_FIELDS)  # a secret in a query string is scrubbed too
    request = VcrRequest(
        "POST",
        "https://x.invalid/molpro/credit/purchase",
        "billingNumber=4111111111111111&billingName=Ann",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    scrubbed = recording.scrub_request(request).body
    assert scrubbed == b"billingNumber=REDACTED&billingName=Ann"
