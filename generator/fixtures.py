"""Build HTTP cassettes (vcrpy format) from the examples in the specs.

Each example becomes ``tests/fixtures/<api>/<operation>--<example>.yaml`` holding the exact wire
request the client must send and the vendor's answer. A header line states the provenance; files
re-recorded live (``make record``) say so in their header and are never overwritten here.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from generator.model import Example, Spec
from generator.runtime.descriptors import Operation
from generator.runtime.encoding import ENCODINGS, example_pairs

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
BUILT_MARK = "# Provenance: built by `python -m generator fixtures`"
LIVE_MARK = "# Provenance: live recording"


def default_base_url(spec: Spec) -> str:
    """The client's base URL with every setting at its default (what the example tests use)."""
    api = spec.api
    if api.server.environments:
        return api.server.environments[api.server.default_environment or ""]
    assert api.server.url is not None
    defaults = {s.name: s.default for s in api.settings}
    return api.server.url.format_map(defaults)


def cassette_name(op: Operation[Any], example: Example) -> str:
    return f"{op.name}--{example.name}.yaml"


def build_cassettes(spec: Spec) -> dict[str, bytes]:
    """``{relative path: cassette text}`` for every example of the API."""
    base = default_base_url(spec).rstrip("/")
    out: dict[str, bytes] = {}
    for op in spec.api.operations:
        for example in spec.examples_of(op):
            interaction = {
                "request": _request(spec, op, example, base),
                "response": _response(example),
            }
            provenance = f" ({example.provenance})" if example.provenance else ""
            header = (
                f"{BUILT_MARK} from example {example.name!r}{provenance} of operation "
                f"{op.wire_name!r} in {spec.spec_file}; not a live recording.\n"
                + "".join(f"# {line}\n" for line in (example.doc or "").splitlines())
            )
            text = yaml.safe_dump(
                {"interactions": [interaction], "version": 1},
                sort_keys=False,
                allow_unicode=True,
                width=100,
            )
            out[f"{spec.name}/{cassette_name(op, example)}"] = (header + text).encode("utf-8")
    return out


def _request(spec: Spec, op: Operation[Any], example: Example, base: str) -> dict[str, Any]:
    wire = example.request
    path = str(wire.get("path", op.path))
    query = _mapping(wire.get("query"))
    uri = base + path + (("?" + urlencode(example_pairs(query))) if query else "")
    headers: dict[str, list[str]] = {}
    body = wire.get("body")
    encoded: str | None
    if isinstance(body, Mapping):
        encoded, content_type = ENCODINGS[op.encoding].example_body(spec.api, body)
        headers["Content-Type"] = [content_type]
    else:
        encoded = None if body is None else str(body)
    for key, value in _mapping(wire.get("headers")).items():
        headers[str(key)] = [str(value)]
    return {
        "method": str(wire.get("method", op.method)),
        "uri": uri,
        "body": encoded,
        "headers": headers,
    }


def _response(example: Example) -> dict[str, Any]:
    status = int(str(example.response.get("status", 200)))
    headers = {str(k): [str(v)] for k, v in _mapping(example.response.get("headers")).items()}
    try:
        message = http.HTTPStatus(status).phrase
    except ValueError:
        message = "Unknown"
    return {
        "status": {"code": status, "message": message},
        "headers": headers,
        "body": {"string": str(example.response.get("body", ""))},
    }


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def is_built(path: Path) -> bool:
    return path.read_text(encoding="utf-8", errors="replace").startswith(BUILT_MARK)


def sync(apis: list[Spec], root: Path = FIXTURES_DIR, *, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) the built cassettes. Live recordings are kept as they
    are; built cassettes no example produces any more are removed. Returns what differs."""
    wanted: dict[str, bytes] = {}
    for api in apis:
        wanted.update(build_cassettes(api))
    problems: list[str] = []
    for relative, content in sorted(wanted.items()):
        path = root / relative
        if path.exists() and not is_built(path):
            continue  # a live recording replaces the built cassette
        if not path.exists() or path.read_bytes() != content:
            problems.append(f"{relative}: out of date")
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
    owned = {api.name for api in apis}
    for path in sorted(root.glob("*/*.yaml")):
        relative = path.relative_to(root).as_posix()
        if path.parent.name in owned and relative not in wanted and is_built(path):
            problems.append(f"{relative}: no example produces it")
            if not check:
                path.unlink()
    return problems
