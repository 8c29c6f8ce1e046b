"""Create or update a MailStore spec from a ``get-metadata`` answer (a live server or a file).

Updating is conservative: the spec is edited in place with ruamel.yaml, so comments, docs,
models, Python names, result types and hand-refined parameter types (``list[str]`` for a string
argument, an enum...) are kept. New functions and arguments are added with types from the
metadata; changed requiredness and base types are corrected; functions and arguments that
disappeared are reported (and removed only with ``prune``).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from generator import compose
from generator.model import split_type

BUILTIN_PATHS = {"get-status", "get-metadata", "cancel-async"}
_TYPES = {"string": "str", "number": "int", "bool": "bool", "json": "json"}
_SECRET = re.compile(r"password|passphrase|secret|key$", re.IGNORECASE)


@dataclass
class ImportReport:
    added_functions: list[str] = field(default_factory=list)
    added_arguments: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    disappeared_functions: list[str] = field(default_factory=list)
    disappeared_arguments: list[str] = field(default_factory=list)
    created: bool = False

    def lines(self) -> list[str]:
        out = [f"created {n}" for n in (["the spec"] if self.created else [])]
        out += [f"added function {n}" for n in self.added_functions]
        out += [f"added argument {n}" for n in self.added_arguments]
        out += [f"changed {n}" for n in self.changed]
        out += [f"disappeared function {n} (still in the spec)" for n in self.disappeared_functions]
        out += [f"disappeared argument {n} (still in the spec)" for n in self.disappeared_arguments]
        return out


class MetadataError(Exception):
    """The metadata could not be read or is not a get-metadata answer."""


def load_metadata(
    source: str, *, username: str = "admin", password: str = "", verify_tls: bool = True
) -> list[dict[str, Any]]:
    """The function list from a file, or from ``POST <url>/api/get-metadata`` on a live server."""
    if re.match(r"https?://", source):
        import requests

        url = source.rstrip("/") + "/api/get-metadata"
        try:
            response = requests.post(
                url, auth=(username, password), verify=verify_tls, timeout=(10, 60)
            )
        except requests.RequestException as exc:
            raise MetadataError(f"{url}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise MetadataError(f"{url}: HTTP {response.status_code}")
        text = response.content.decode("utf-8-sig")
    else:
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise MetadataError(f"cannot read {source}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MetadataError(f"{source}: not JSON: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("args"), list)
        for f in data
    ):
        raise MetadataError(f"{source}: expected a list of {{name, args}} functions")
    return data


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long scalars: keeps re-imports byte-stable
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def _new_param(arg: dict[str, Any], instance_setting: str | None) -> CommentedMap:
    param = CommentedMap()
    if arg["name"] == "instanceID" and instance_setting:
        param["type"] = "str"
        param["client_default"] = instance_setting
        return param
    param["type"] = _TYPES.get(arg.get("type", "string"), "str")
    if not arg.get("nullable", True):
        param["required"] = True
    if _SECRET.search(arg["name"]):
        param["secret"] = True
    return param


def _new_operation(function: dict[str, Any], instance_setting: str | None) -> CommentedMap:
    op = CommentedMap()
    name = function["name"]
    if name in BUILTIN_PATHS or function.get("path"):
        op["path"] = "/" + (function.get("path") or "api/") + name
    if name == "get-status":
        op["returns"] = "status"
    elif name == "cancel-async":
        op["returns"] = "status"
    elif name == "get-metadata":
        op["decoding"] = "json"
    if function["args"]:
        op["params"] = CommentedMap(
            (arg["name"], _new_param(arg, instance_setting)) for arg in function["args"]
        )
    if name.startswith("Get") or name in ("get-status", "get-metadata"):
        op["safe"] = True
    return op


_INSTANCE_SETTING = (
    "  instance_id: {type: str, default: null, doc: Default instance of instance-scoped "
    "functions.}\n"
)


def _skeleton(name: str, title: str, client_class: str, port: int, spe: bool) -> CommentedMap:
    text = f"""\
spec_version: 1
api:
  name: {name}
  title: {json.dumps(title)}
  client_class: {client_class}
  description: Imported from the server's get-metadata answer; describe it here.
settings:
  username: {{type: str, default: admin, doc: Administrator user name.}}
  password: {{type: str, default: admin, secret: true, doc: Administrator password.}}
  host: {{type: str, default: localhost, doc: Host name or address of the server.}}
  port: {{type: int, default: {port}, doc: TCP port of the administration API.}}
{_INSTANCE_SETTING if spe else ""}server:
  url: "https://{{host}}:{{port}}"
auth: {{scheme: basic, username: username, password: password}}
protocol:
  encoding: form
  decoding: envelope
  path_template: /api/invoke/{{operation}}
  long_running: {{status_operation: get-status, cancel_operation: cancel-async}}
errors:
  InvalidCredentialsError: {{base: auth, http_status: [401]}}
  UnknownTokenError: {{base: not_found, http_status: [404], operations: [get-status]}}
  TaskFailedError: {{base: vendor, vendor_status: [failed]}}
  TaskCancelledError: {{base: vendor, vendor_status: [cancelled]}}
operations: {{}}
"""
    data: CommentedMap = _yaml().load(text)
    return data


def merge(
    spec: CommentedMap,
    functions: list[dict[str, Any]],
    *,
    prune: bool = False,
    inherited: dict[str, list[str]] | None = None,
) -> ImportReport:
    """Bring ``spec['operations']`` in line with ``functions``; return what changed.

    ``inherited`` maps the functions a spec takes from the spec it extends to their argument
    names there: they are not written again here. A difference in their arguments is reported
    (the base spec, or an override in this one, is where to change it); with ``prune`` a
    function the server no longer has is excluded from the inheritance.
    """
    report = ImportReport()
    inherited = inherited or {}
    settings = spec.get("settings") or {}
    instance_setting = "instance_id" if "instance_id" in settings or inherited else None
    operations = spec.setdefault("operations", CommentedMap())
    seen = set()
    for function in functions:
        name = function["name"]
        seen.add(name)
        if name in inherited and name not in operations:
            arg_names = [arg["name"] for arg in function["args"]]
            if sorted(arg_names) != sorted(inherited[name]):
                report.changed.append(
                    f"{name}: arguments {', '.join(arg_names) or 'none'} on the server, "
                    f"{', '.join(inherited[name]) or 'none'} in the spec it extends "
                    "(change it there, or override it here)"
                )
            continue
        if name not in operations and _unexclude(spec, name):
            report.changed.append(f"{name}: inherited again (no longer excluded)")
            continue
        if name not in operations:
            operations[name] = _new_operation(function, instance_setting)
            report.added_functions.append(name)
            continue
        op = operations[name]
        if op is None:
            op = operations[name] = CommentedMap()
        params = op.get("params")
        wire_args = {arg["name"]: arg for arg in function["args"]}
        for arg_name, arg in wire_args.items():
            if params is None:
                params = op["params"] = CommentedMap()
            if arg_name not in params:
                params[arg_name] = _new_param(arg, instance_setting)
                report.added_arguments.append(f"{name}.{arg_name}")
                continue
            _update_param(f"{name}.{arg_name}", params[arg_name], arg, report)
        for arg_name in list(params or {}):
            param = params[arg_name]
            if arg_name in wire_args or (param or {}).get("in") == "path":
                continue
            report.disappeared_arguments.append(f"{name}.{arg_name}")
            if prune:
                del params[arg_name]
    for name in list(operations):
        if name not in seen:
            report.disappeared_functions.append(name)
            if prune:
                del operations[name]
    for name in inherited:
        if name not in seen and name not in operations:
            report.disappeared_functions.append(name)
            if prune:
                _exclude(spec, name)
    return report


def _unexclude(spec: CommentedMap, name: str) -> bool:
    """Inherit ``name`` again if the spec excluded it from what it extends."""
    names = ((spec.get("extends") or {}).get("exclude") or {}).get("operations") or []
    if name not in names:
        return False
    names.remove(name)
    return True


def _exclude(spec: CommentedMap, name: str) -> None:
    exclude = spec["extends"].setdefault("exclude", CommentedMap())
    exclude.setdefault("operations", []).append(name)


def _update_param(
    label: str, param: CommentedMap, arg: dict[str, Any], report: ImportReport
) -> None:
    if param.get("client_default"):
        return
    required = not arg.get("nullable", True)
    if bool(param.get("required", False)) != required:
        if required:
            param["required"] = True
        else:
            param.pop("required", None)
        report.changed.append(f"{label}: {'now required' if required else 'now optional'}")
    wire_type = _TYPES.get(arg.get("type", "string"), "str")
    is_list, current = split_type(str(param.get("type", "str")))
    # hand-refined: list[...], an enum, a model, or JSON carried in a string argument
    refined = is_list or current not in _TYPES.values() or (current, wire_type) == ("json", "str")
    if not refined and current != wire_type:
        report.changed.append(f"{label}: type {current} -> {wire_type}")
        param["type"] = wire_type


def _inherited_operations(spec_path: Path, spec: CommentedMap) -> dict[str, list[str]]:
    """The operations the spec takes from the one it extends, with their argument wire names
    as composed (shared parameters included)."""
    composed = compose.load_spec(spec_path).data["operations"]
    own = spec.get("operations") or {}
    return {name: list(op.get("params", {})) for name, op in composed.items() if name not in own}


def import_metadata(
    functions: list[dict[str, Any]],
    spec_path: Path,
    *,
    prune: bool = False,
    title: str | None = None,
    client_class: str | None = None,
    port: int | None = None,
) -> tuple[str, ImportReport]:
    """The updated (or new) spec text and the report; nothing is written here."""
    yaml = _yaml()
    if spec_path.exists():
        spec = yaml.load(spec_path.read_text(encoding="utf-8"))
        created = False
    else:
        stem = spec_path.stem
        spe = any(arg["name"] == "instanceID" for f in functions for arg in f["args"])
        camel = "".join(part.capitalize() for part in stem.split("_"))
        spec = _skeleton(
            stem,
            title or stem.replace("_", " ").title(),
            client_class or f"{camel}Client",
            port or (8474 if spe else 8463),
            spe,
        )
        created = True
    inherited: dict[str, list[str]] = {}
    if not created and spec.get("extends"):
        inherited = _inherited_operations(spec_path, spec)
    report = merge(spec, functions, prune=prune, inherited=inherited)
    report.created = created
    buffer = io.StringIO()
    yaml.dump(spec, buffer)
    return buffer.getvalue(), report
