"""Every example in every spec, replayed from its cassette through the generated client: the
client must send exactly the recorded request and decode the answer into the example's result
(or raise the example's error class). Network access is blocked; nothing is recorded unless
``make record`` runs with live credentials."""

from __future__ import annotations

import datetime
import importlib
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from generated._runtime import codec
from generated._runtime.printing import plain
from generator import fixtures, pipeline
from generator.model import Example, Spec
from generator.runtime.builtin_types import class_name
from generator.runtime.descriptors import ApiDescription as Api
from generator.runtime.descriptors import Operation, Param
from tests import recording
from tests.flavours import SYNC, Flavour


def example_cases(specs: list[Spec]) -> list[tuple[Api, Operation[Any], Example]]:
    """One case per example of every operation of ``specs``."""
    return [
        (spec.api, op, example)
        for spec in specs
        for op in spec.operations
        for example in spec.examples_of(op)
    ]


SPECS = pipeline.load_apis(pipeline.discover_specs())
APIS = [spec.api for spec in SPECS]
CASES = example_cases(SPECS)
_SPEC_OF = {spec.name: spec for spec in SPECS}


def examples_of(api: Api, op: Operation[Any]) -> tuple[Example, ...]:
    """The examples the spec of ``api`` gives ``op``."""
    return _SPEC_OF[api.name].examples_of(op)


def _case_id(case: tuple[Api, Operation, Example]) -> str:
    api, op, example = case
    return f"{api.name}.{op.name}.{example.name}"


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    return recording.vcr_config()


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    api, _op, _example = request.node.callspec.params["case"]
    return str(fixtures.FIXTURES_DIR / api.name)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    _api, op, example = request.node.callspec.params["case"]
    return fixtures.cassette_name(op, example).removesuffix(".yaml")


def make_client(api: Api, flavour: Flavour = SYNC, **overrides: Any) -> Any:
    """The API's client with default settings (the async one, driven from sync code, for the
    ``async`` flavour); credentials are placeholders on replay and come from
    SPECGEN_<API>_<SETTING> variables when recording; ``overrides`` win over both."""
    module = importlib.import_module(f"generated.{api.name}")
    kwargs: dict[str, Any] = {"retry_attempts": 0}
    for setting in api.settings:
        env = os.environ.get(f"SPECGEN_{api.name.upper()}_{setting.name.upper()}")
        if recording.recording() and env is not None:
            kwargs[setting.name] = int(env) if setting.type == "int" else env
        elif setting.required or setting.secret:
            kwargs[setting.name] = recording.REDACTED
    base_url = os.environ.get(f"SPECGEN_{api.name.upper()}_BASE_URL")
    if recording.recording() and base_url:
        kwargs["base_url"] = base_url
    return flavour.make(getattr(module, api.client_class), **{**kwargs, **overrides})


def python_value(api: Api, param: Param, value: Any) -> Any:
    """An example value (as written in YAML) as the Python value the method takes."""
    kind = param.type
    if kind.kind == "model":
        models = importlib.import_module(f"generated.{api.name}.models")
        return codec.decode_json(codec.model(getattr(models, class_name(kind.target))), value)
    if kind.kind in ("datetime", "date") and isinstance(value, str):
        parsed = datetime.datetime.strptime(value, kind.format or "%Y-%m-%dT%H:%M:%S")
        return parsed if kind.kind == "datetime" else parsed.date()
    if kind.kind == "binary" and isinstance(value, str):
        return value.encode("utf-8")
    return value


def call_kwargs(api: Api, op: Operation, example: Example, **secrets: str) -> dict[str, Any]:
    """The method's keyword arguments for the example (long-running calls wait for the result);
    ``secrets`` replace the values of secret parameters."""
    kwargs = {
        p.name: secrets.get(p.name, python_value(api, p, example.params[p.wire]))
        for p in op.params
        if p.wire in example.params
    }
    if op.long_running and api.long_running:
        kwargs["auto_handle_token"] = True
    return kwargs


@pytest.mark.block_network
@pytest.mark.vcr
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_example(case: tuple[Api, Operation, Example], vcr: Any) -> None:
    api, op, example = case
    client = make_client(api)
    kwargs = call_kwargs(api, op, example)
    method = getattr(client, op.name)
    live = not fixtures.is_built(Path(vcr._path))
    if example.raises:
        package = importlib.import_module(f"generated.{api.name}")
        with pytest.raises(getattr(package, example.raises)):
            method(**kwargs)
    else:
        result = method(**kwargs)
        if not live:  # a live recording answers with real data, not the example's
            assert plain(result) == example.result
    assert vcr.all_played, "the client did not send every recorded request"


def _exception_texts(error: BaseException | None) -> list[str]:
    """Everything an exception shows: message, repr and arguments, along its whole chain."""
    texts: list[str] = []
    while error is not None:
        texts += [str(error), repr(error), *map(repr, error.args)]
        error = error.__cause__ or error.__context__
    return texts


@pytest.mark.block_network
@pytest.mark.vcr
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_example_at_debug_level_leaks_no_secret(
    case: tuple[Api, Operation, Example], vcr: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Every secret setting and secret parameter gets a distinctive value (the cassette matchers
    scrub the live request before comparing, as when recording); with every logger at DEBUG, none
    of them, nor the Authorization header, may appear in a log record or an exception."""
    api, op, example = case
    settings = {s.name: f"Sett1ng-{s.name}-{api.name}-XyZ" for s in api.settings if s.secret}
    params = {p.name: f"Param-{p.name}-{op.name}-XyZ" for p in op.params if p.secret}
    session = requests.Session()
    sent_headers: list[str] = []
    session.hooks["response"].append(
        lambda response, **_: sent_headers.extend(response.request.headers.values())
    )
    client = make_client(api, log_level="DEBUG", session=session, **settings)
    error: BaseException | None = None
    with caplog.at_level(logging.DEBUG):
        try:
            getattr(client, op.name)(**call_kwargs(api, op, example, **params))
        except Exception as raised:  # the example's own error class, or a failure to report
            error = raised
    if error is not None and not example.raises:
        raise error
    authorization = [h for h in sent_headers if h.startswith(("Basic ", "Bearer "))]
    secrets = [*settings.values(), *params.values(), *authorization]
    secrets += [h.split(" ", 1)[1] for h in authorization]
    shown = [caplog.text, *(repr(r.args) for r in caplog.records), *_exception_texts(error)]
    leaks = {secret for secret in secrets for text in shown if secret in text}
    assert not leaks, f"secrets shown in logs or errors: {sorted(leaks)}"
    assert caplog.records, "the client logged nothing at DEBUG level"
