"""Every key the spec schema accepts is accounted for: a test proves it is honoured where it
applies and refused where it cannot be (validate never accepts a key the generator drops).

``PROVEN_BY`` names, for each key of ``generator/schema/spec.schema.json`` (``*`` stands for a
name the spec chooses, ``[]`` for a list item), where that proof lives: test modules that write
the key in their own specs, or a real spec that uses it together with the module exercising its
client. A key added to the schema without an entry fails here; so does an entry whose proof no
longer mentions the key.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

from tests.conftest import ROOT

SCHEMA = ROOT / "generator" / "schema" / "spec.schema.json"

# key pattern -> where it is proven: "tests/<module>.py" or "specs/<spec>.yaml" (used by a real
# client whose tests replay every example), each of which must mention the key.
PROVEN_BY: dict[str, tuple[str, ...]] = {
    # the sweeps: every combination generated, validated, and sent or read over HTTP
    **{
        f"operations.*.params.*.{key}": ("tests/test_param_sweep.py",)
        for key in ("type", "required", "default", "in", "style", "format", "secret", "const")
    },
    "operations.*.params.*.nullable": ("tests/test_param_sweep.py", "tests/test_nullable.py"),
    **{
        f"models.*.fields.*.{key}": ("tests/test_field_sweep.py",)
        for key in ("type", "wire", "required", "attribute", "format", "item", "text", "nullable")
    },
    "models.*.xml_element": ("tests/test_field_sweep.py", "tests/test_xml_shapes.py"),
    "models.*.fields.*.mime_decoded": ("specs/lleida_mailcert.yaml", "tests/test_spec_errors.py"),
    "models*": ("tests/test_field_sweep.py", "tests/test_generator.py"),
    # parameters beyond where and how they travel
    "operations.*.params": ("tests/test_param_sweep.py",),
    "operations.*.params.*.name": ("tests/test_spec_errors.py",),
    "operations.*.params.*.doc": ("tests/test_generator.py",),
    "operations.*.params.*.client_default": (
        "specs/mailstore_spe.yaml",
        "tests/test_spec_errors.py",
    ),
    "operations.*.params.*.example": ("specs/mailstore_server.yaml", "tests/test_spec_errors.py"),
    "operations.*.params.*.conflicts_with": ("specs/click2mail.yaml", "tests/test_spec_errors.py"),
    "operations.*.params.*.extension_from": ("specs/click2mail.yaml", "tests/test_spec_errors.py"),
    # composing specs (inherited parameters are then checked like any other)
    "extends*": ("tests/test_compose.py", "tests/test_param_sweep.py", "tests/test_spec_errors.py"),
    # the API, settings, server, auth, transport
    "spec_version": ("tests/test_spec_errors.py",),
    "api*": ("tests/test_param_sweep.py", "tests/test_generator.py", "tests/test_distributions.py"),
    "api.version": ("tests/test_distributions.py", "specs/click2mail.yaml"),
    **{
        f"api.{key}": ("tests/test_distributions.py",)
        for key in ("distribution", "import_name", "command")
    },
    "settings*": (
        "tests/test_spec_errors.py",
        "tests/test_auth_schemes.py",
        "tests/test_generator.py",
    ),
    "server.named*": ("tests/test_named_servers.py",),
    "server*": ("tests/test_spec_errors.py", "specs/click2mail.yaml"),
    "auth.token_server": ("tests/test_named_servers.py", "examples/specs/spotify.yaml"),
    **{
        f"auth.{key}": ("tests/test_oauth2.py",)
        for key in ("token_url", "client_id", "client_secret", "scope", "token_fields")
    },
    "auth.client_auth": ("tests/test_oauth2.py",),
    "auth*": ("tests/test_auth_schemes.py", "specs/lleida_mailcert.yaml"),
    "transport.verify_tls": ("tests/test_tls.py",),  # specific keys before their prefix
    # the hostile network: deadlines and limits (client options of the same names)
    **{
        f"transport.{key}": ("tests/test_hostile_network.py",)
        for key in ("timeout", "max_answer_bytes", "max_item_bytes", "max_inflation")
    },
    "transport*": ("tests/test_faults.py", "tests/test_model.py", "tests/test_retry_after.py"),
    # protocol conventions
    "protocol": ("tests/test_spec_errors.py",),
    "protocol.encoding": ("tests/test_param_sweep.py",),
    "protocol.decoding": ("tests/test_field_sweep.py",),
    "protocol.default_method": ("tests/test_constants.py",),
    "protocol.path_template": ("specs/mailstore_server.yaml", "tests/test_client_mailstore.py"),
    "protocol.xml_field*": ("specs/lleida_mailcert.yaml", "tests/test_client_lleida_mailcert.py"),
    "protocol.xml*": ("tests/test_status_rules.py", "tests/test_runtime_hardening.py"),
    "protocol.json*": ("tests/test_status_rules.py",),
    "protocol.headers": ("tests/test_constants.py",),
    "protocol.idempotency_key*": ("tests/test_idempotency.py", "tests/test_example_apis.py"),
    # envelope and task fields: all renamed in test_task_protocol (MailStore uses the defaults)
    "protocol.envelope*": ("tests/test_task_protocol.py",),
    "protocol.long_running.poll_interval*": ("tests/test_hostile_network.py",),
    "protocol.long_running*": ("tests/test_task_protocol.py",),
    # errors and enums
    "errors*": ("tests/test_status_rules.py", "tests/test_spec_errors.py"),
    "enums*": ("tests/test_spec_errors.py", "specs/click2mail.yaml"),
    # operations
    "operations": ("tests/test_param_sweep.py",),
    "operations.*.name": ("tests/test_spec_errors.py",),
    "operations.*.method": ("tests/test_param_sweep.py",),
    "operations.*.path": ("tests/test_param_sweep.py",),
    "operations.*.doc": ("tests/test_generator.py",),
    "operations.*.returns": ("tests/test_field_sweep.py",),
    "operations.*.long_running": ("tests/test_task_protocol.py", "specs/mailstore_server.yaml"),
    "operations.*.safe": ("tests/test_faults.py",),
    "operations.*.auth": ("tests/test_auth_schemes.py",),
    "operations.*.encoding": ("tests/test_param_sweep.py",),
    "operations.*.decoding": ("tests/test_status_rules.py",),
    "operations.*.success_status": ("specs/click2mail.yaml", "tests/test_molpro_flow.py"),
    "operations.*.vendor_status*": ("tests/test_status_rules.py", "specs/click2mail.yaml"),
    "operations.*.examples*": (
        "tests/test_spec_errors.py",
        "tests/test_examples.py",
        "specs/click2mail.yaml",
    ),
    "operations.*.stream_items": ("specs/lleida_mailcert.yaml", "tests/test_status_rules.py"),
    "operations.*.paginate*": ("tests/test_pagination.py",),
    "operations.*.redirects": ("tests/test_hostile_network.py",),
    "operations.*.server": ("tests/test_named_servers.py",),
}


def schema_keys() -> Iterator[str]:
    """Every key path the schema declares (following ``$ref``s, each definition once per path)."""
    schema: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    definitions = schema.get("$defs", {})
    stack: list[tuple[dict[str, Any], tuple[str, ...]]] = [(schema, ())]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while stack:
        node, path = stack.pop()
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if (name, path) not in seen:
                seen.add((name, path))
                stack.append((definitions[name], path))
        for combinator in ("allOf", "anyOf", "oneOf"):
            stack.extend((sub, path) for sub in node.get(combinator, []))
        for key, sub in node.get("properties", {}).items():
            yield ".".join((*path, key))
            stack.append((sub, (*path, key)))
        for sub in node.get("patternProperties", {}).values():
            stack.append((sub, (*path, "*")))
        if isinstance(node.get("additionalProperties"), dict):
            stack.append((node["additionalProperties"], (*path, "*")))
        if isinstance(node.get("items"), dict):
            stack.append((node["items"], (*path, "[]")))


def proofs_of(key: str) -> tuple[str, ...]:
    return next(
        (where for pattern, where in PROVEN_BY.items() if fnmatch.fnmatchcase(key, pattern)), ()
    )


def test_every_schema_key_has_a_proof() -> None:
    keys = sorted(set(schema_keys()))
    assert len(keys) > 150  # the walk reaches the whole schema
    assert [key for key in keys if not proofs_of(key)] == []


def test_every_proof_mentions_its_key() -> None:
    """Each entry's files exist, and one of them writes the key."""
    wrong = []
    for key in sorted(set(schema_keys())):
        name = key.rsplit(".", 1)[-1]
        files = [(ROOT / where).read_text(encoding="utf-8") for where in proofs_of(key)]
        if not any(name in text for text in files):
            wrong.append(f"{key}: none of {proofs_of(key)} mentions {name!r}")
    assert wrong == [], "\n".join(wrong)


def test_every_entry_matches_a_schema_key() -> None:
    keys = set(schema_keys())
    stale = [p for p in PROVEN_BY if not any(fnmatch.fnmatchcase(k, p) for k in keys)]
    assert stale == []


# -- the schema's vocabularies are the strategy registries' names ------------------------------


def _property(*path: str) -> dict[str, Any]:
    node: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for key in path:
        node = node[key] if key in node else node["properties"][key]
    return node


def test_every_strategy_name_the_schema_accepts_has_its_class_and_no_other() -> None:
    from generator.runtime.auth import ALL_AUTH_KEYS, AUTH_SCHEMES
    from generator.runtime.decoding import DECODINGS
    from generator.runtime.encoding import ENCODINGS
    from generator.runtime.pagination import PAGINATION_STYLES

    operation = ("operations", "additionalProperties")
    assert set(_property("auth", "scheme")["enum"]) == set(AUTH_SCHEMES)
    for where in (("protocol",), operation):
        assert set(_property(*where, "encoding")["enum"]) == set(ENCODINGS)
        assert set(_property(*where, "decoding")["enum"]) == set(DECODINGS)
    assert set(_property(*operation, "paginate", "style")["enum"]) == set(PAGINATION_STYLES)
    # every key of the auth section belongs to a scheme, and every scheme's key is in the schema
    assert set(_property("auth")["properties"]) - {"scheme"} == set(ALL_AUTH_KEYS)
    paginate_keys = set(_property(*operation, "paginate")["properties"])
    for style in PAGINATION_STYLES.values():
        assert set(style.KEYS) <= paginate_keys, style.name
