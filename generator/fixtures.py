"""Build HTTP cassettes (vcrpy format) from the examples in the specs.

Each example becomes ``tests/fixtures/<api>/<operation>--<example>.yaml`` holding the exact wire
request the client must send and the vendor's answer. A header line states the provenance; files
re-recorded live (``make record``) say so in their header and are never overwritten here.
"""

from __future__ import annotations

import http
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from requests_toolbelt.multipart.encoder import MultipartEncoder  # type: ignore[import-untyped]

from generator.model import Api, Example, Operation

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
BUILT_MARK = "# Provenance: built by `python -m generator fixtures`"
LIVE_MARK = "# Provenance: live recording"
MULTIPART_BOUNDARY = "specgen-fixture-boundary"


def default_base_url(api: Api) -> str:
    """The client's base URL with every setting at its default (what the example tests use)."""
    if api.server.environments:
        return dict(api.server.environments)[api.server.default_environment or ""]
    assert api.server.url is not None
    defaults = {s.name: s.default for s in api.settings}
    return api.server.url.format_map(defaults)


def cassette_name(op: Operation, example: Example) -> str:
    return f"{op.name}--{example.name}.yaml"


def build_cassettes(api: Api) -> dict[str, bytes]:
    """``{relative path: cassette text}`` for every example of the API."""
    base = default_base_url(api).rstrip("/")
    out: dict[str, bytes] = {}
    for op in api.operations:
        for example in op.examples:
            interaction = {
                "request": _request(api, op, example, base),
                "response": _response(example),
            }
            provenance = f" ({example.provenance})" if example.provenance else ""
            header = (
                f"{BUILT_MARK} from example {example.name!r}{provenance} of operation "
                f"{op.wire_name!r} in {api.spec_file}; not a live recording.\n"
                + "".join(f"# {line}\n" for line in (example.doc or "").splitlines())
            )
            text = yaml.safe_dump(
                {"interactions": [interaction], "version": 1},
                sort_keys=False,
                allow_unicode=True,
                width=100,
            )
            out[f"{api.name}/{cassette_name(op, example)}"] = (header + text).encode("utf-8")
    return out


def _request(api: Api, op: Operation, example: Example, base: str) -> dict[str, Any]:
    wire = example.request
    path = str(wire.get("path", op.path))
    query = _mapping(wire.get("query"))
    uri = base + path + (("?" + urlencode(_pairs(query))) if query else "")
    headers: dict[str, list[str]] = {}
    body = wire.get("body")
    encoded: str | None
    if isinstance(body, Mapping):
        encoded, content_type = _encode_fields(api, op, body)
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


def _encode_fields(api: Api, op: Operation, fields: Mapping[str, Any]) -> tuple[str, str]:
    if op.encoding == "json":  # as the runtime sends it: compact JSON of the fields
        return json.dumps(dict(fields), separators=(",", ":")), "application/json"
    pairs = _pairs(fields)
    if op.encoding == "multipart":
        encoder = MultipartEncoder(fields=pairs, boundary=MULTIPART_BOUNDARY)
        return encoder.to_string().decode("utf-8"), encoder.content_type
    charset = api.protocol.xml_declaration_encoding if op.encoding == "xml_field" else "utf-8"
    return (
        urlencode(pairs, encoding=charset, errors="xmlcharrefreplace"),
        "application/x-www-form-urlencoded",
    )


def _pairs(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Key/value pairs of an example's query or form; a list value repeats its key."""
    return [
        (str(key), str(item))
        for key, value in fields.items()
        for item in (value if isinstance(value, list) else [value])
    ]


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


def sync(apis: list[Api], root: Path = FIXTURES_DIR, *, check: bool = False) -> list[str]:
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
