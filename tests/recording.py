"""vcrpy set-up for the fixture tests: request matching, scrubbing at record time, provenance.

Replay (the default, and CI): record mode ``none`` with the network blocked; every request must
match its cassette exactly (method, URL, body fields, content type).
Recording (``make record``): real credentials come from the environment and are replaced by
``REDACTED`` before anything is written, in headers, form fields and XML elements alike.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from vcr.request import Request as VcrRequest

from generator.fixtures import LIVE_MARK

REDACTED = "REDACTED"


def _secrets_of_the_specs() -> tuple[frozenset[str], tuple[str, ...]]:
    """What the specs say is secret: every ``secret: true`` parameter and the credential fields
    of body auth (as form fields or query parameters), and the credential elements of an XML
    document carrying them (Lleida). Read from the specs, so a new secret is scrubbed at once."""
    from generator import pipeline

    fields: set[str] = set()
    elements: set[str] = set()
    for spec in pipeline.load_apis(pipeline.discover_specs(), check_examples=False):
        fields.update(spec.api.secret_wire_names)
        # the names of the credentials that travel inside the body (body auth)
        bound = spec.api.auth.bind(
            ("",) * len(spec.api.auth.settings_used()), spec.api.server.named
        )
        elements.update(name for name, *_ in (bound.body_fields() if bound else ()))
    return frozenset(fields), tuple(sorted(elements))


SECRET_FIELDS, SECRET_ELEMENTS = _secrets_of_the_specs()


def _content_type(request: VcrRequest) -> str:
    for key, value in request.headers.items():
        if key.lower() == "content-type":
            return str(value[0] if isinstance(value, list) else value)
    return ""


def _body(request: VcrRequest) -> bytes:
    body = request.body_bytes  # vcrpy materializes streamed (file-like) bodies here
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def _fields(request: VcrRequest) -> Any:
    """The body as comparable data: form pairs, multipart parts, or the raw bytes."""
    content_type = _content_type(request)
    body = _body(request)
    if not body:
        return None  # an empty form and no body at all are the same request
    if content_type.startswith("application/x-www-form-urlencoded"):
        return parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="latin-1")
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        return [
            (part.get_param("name", header="content-disposition"), part.get_payload(decode=True))
            for part in message.iter_parts()
        ]
    return body.strip()


def body_fields(r1: VcrRequest, r2: VcrRequest) -> None:
    assert _fields(r1) == _fields(r2), f"body differs:\n{_fields(r1)!r}\n{_fields(r2)!r}"


def content_type(r1: VcrRequest, r2: VcrRequest) -> None:
    left, right = _content_type(r1).split(";")[0], _content_type(r2).split(";")[0]
    assert not left or not right or left == right, f"content type {left} != {right}"


def scrub_request(request: VcrRequest) -> VcrRequest:
    """Replace every credential in the request before it is written to a cassette."""
    body = _body(request)
    if body and _content_type(request).startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="latin-1")
        cleaned = [(k, REDACTED if k in SECRET_FIELDS else _scrub_xml(v)) for k, v in pairs]
        from urllib.parse import urlencode

        request.body = urlencode(cleaned, encoding="latin-1").encode("ascii")
    return request


def scrub_response(
    response: dict[str, Any], secret_fields: frozenset[str] | None = None
) -> dict[str, Any]:
    """Replace every credential in an answer before it is written to a cassette: the secret
    fields of a JSON body (an OAuth2 token endpoint's ``access_token``)."""
    secrets = SECRET_FIELDS if secret_fields is None else secret_fields
    body = response.get("body", {}).get("string")
    if not body:
        return response
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return response
    if isinstance(data, dict) and secrets & data.keys():
        cleaned = {k: REDACTED if k in secrets else v for k, v in data.items()}
        text = json.dumps(cleaned)
        response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return response


def _scrub_xml(text: str) -> str:
    for tag in SECRET_ELEMENTS:
        text = re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{REDACTED}</{tag}>", text)
    return text


def vcr_config() -> dict[str, Any]:
    return {
        "record_mode": "none",
        "match_on": [
            "method",
            "scheme",
            "host",
            "port",
            "path",
            "query",
            "content_type",
            "body_fields",
        ],
        "filter_headers": [
            ("authorization", REDACTED),
            ("cookie", REDACTED),
            *((name, REDACTED) for name in sorted(SECRET_FIELDS)),  # e.g. an API key header
        ],
        "filter_query_parameters": [(name, REDACTED) for name in sorted(SECRET_FIELDS)],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }


class ProvenancePersister:
    """Writes cassettes like vcrpy's file persister, stamped as live recordings."""

    @staticmethod
    def load_cassette(cassette_path: str | Path, serializer: Any) -> Any:
        from vcr.persisters.filesystem import FilesystemPersister

        return FilesystemPersister.load_cassette(cassette_path, serializer)

    @staticmethod
    def save_cassette(cassette_path: str | Path, cassette_dict: Any, serializer: Any) -> None:
        path = Path(cassette_path)
        hosts = sorted({urlsplit(r.uri).hostname or "" for r in cassette_dict["requests"]})
        data = serializer.serialize(cassette_dict)
        stamp = datetime.date.today().isoformat()
        header = f"{LIVE_MARK} against {', '.join(hosts)} on {stamp}; credentials scrubbed.\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + data, encoding="utf-8")


def recording() -> bool:
    return os.environ.get("SPECGEN_RECORD") == "1"


def load_cassette_text(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
