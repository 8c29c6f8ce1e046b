"""Checks of the API as a whole: the names it defines, its settings, server and auth, the
protocol sections and the long-running protocol, its enums and error classes."""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Iterator, Mapping

from generator.checks.types import default_problem
from generator.errors import SpecError
from generator.model import (
    BASE_ERROR_NAMES,
    BUILTIN_TYPES,
    RESERVED_METHODS,
    RUNTIME_SETTINGS,
    Source,
    Spec,
)
from generator.naming import python_name_problem
from generator.runtime.builtin_types import Type
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import Setting
from generator.runtime.encoding import ENCODINGS
from generator.runtime.policy import base_url_problem

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_names(spec: Spec) -> Iterator[SpecError]:
    """The classes a package defines have names of their own."""
    owners: dict[str, str] = {name: "a built-in error class" for name in BASE_ERROR_NAMES}
    owners[spec.api.client_class] = "the client class"
    owners[spec.api.async_client_class] = "the async client class"
    owners["NULL"] = "the package's explicit null"
    for section, names in (
        ("enums", [e.name for e in spec.enums]),
        ("models", [m.name for m in spec.models]),
        ("errors", [e.name for e in spec.errors]),
    ):
        for name in names:
            source = spec.source(section, name)
            problem = python_name_problem(name)
            if problem:
                yield source.error(problem, at_key=True)
            elif name in BUILTIN_TYPES:
                yield source.error(f"{name!r} is a built-in type name", at_key=True)
            elif name in owners:
                yield source.error(f"name {name!r} is already {owners[name]}", at_key=True)
            else:
                owners[name] = f"used in {section}"


def check_packaging(spec: Spec) -> Iterator[SpecError]:
    """A distribution's import name is one Python can import and no other module owns."""
    name = spec.package.import_name
    where = ("api", "import_name") if "import_name" in _api_keys(spec) else ("api", "name")
    if keyword.iskeyword(name):
        yield spec.source(*where).error(f"{name!r} is a Python keyword; choose another import name")
    elif name in sys.stdlib_module_names or name in ("generated", "generator"):
        yield spec.source(*where).error(
            f"import name {name!r} is taken by "
            + ("the standard library" if name in sys.stdlib_module_names else "specgen")
            + "; set api.import_name to another"
        )


def _api_keys(spec: Spec) -> set[str]:
    return set(spec.loaded.data.get("api", {})) if spec.loaded is not None else set()


def check_settings(spec: Spec) -> Iterator[SpecError]:
    for setting in spec.api.settings:
        name = setting.name
        source = spec.source("settings", name)
        problem = python_name_problem(name)
        if problem:
            yield source.error(problem, at_key=True)
        elif name in RUNTIME_SETTINGS:
            yield source.error(
                f"setting {name!r} is provided by the runtime; choose another name", at_key=True
            )
        elif name in RESERVED_METHODS:
            yield source.error(
                f"setting {name!r} would hide the client's own {name!r}; choose another name",
                at_key=True,
            )
        if not setting.required:
            problem = default_problem(spec, Type(setting.type), setting.default)
            if problem:
                yield source.error(problem, "default")


def check_server(spec: Spec) -> Iterator[SpecError]:
    server = spec.api.server
    source = spec.source("server")
    settings = {s.name for s in spec.api.settings}
    if (server.url is None) == (not server.environments):
        yield source.error("expected exactly one of 'url' or 'environments'")
    for placeholder in _PLACEHOLDER.findall(server.url or ""):
        if placeholder not in settings:
            yield source.error(
                f"placeholder {{{placeholder}}} names no setting"
                f" (settings: {', '.join(settings) or 'none'})",
                "url",
            )
    envs = server.environments
    if server.default_environment is not None and server.default_environment not in envs:
        yield source.error(
            f"{server.default_environment!r} is not one of the environments ({', '.join(envs)})",
            "default_environment",
        )
    for env_name in envs:
        problem = python_name_problem(env_name)
        if problem:
            yield source.error(problem, "environments", env_name, at_key=True)
    for name, url in server.named.items():
        problem = python_name_problem(name) or base_url_problem(url)
        if problem:
            yield source.error(problem, "named", name)
    used = {op.server for op in spec.api.operations} | set(spec.api.auth.servers_used())
    for name in server.named:
        if name not in used and used <= {None, *server.named}:  # (a misspelt name: said there)
            yield source.error(
                f"no operation and no token endpoint uses server {name!r}: remove it, or name it "
                "in an operation's 'server'",
                "named",
                name,
                at_key=True,
            )


class _AuthView:
    """The spec as an auth scheme's checks see it (``runtime.auth.SpecView``)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.source = spec.source("auth")
        self.settings = {s.name: s for s in spec.api.settings}
        self.problems: list[SpecError] = []

    def has(self, key: str) -> bool:
        return self.source.has(key)

    def setting(self, name: str) -> Setting | None:
        return self.settings.get(name)

    @property
    def named_servers(self) -> Mapping[str, str]:
        return self.spec.api.server.named

    def problem(self, message: str, key: str | None = None, *, at_key: bool = False) -> None:
        keys = (key,) if key is not None else ()
        self.problems.append(self.source.error(message, *keys, at_key=at_key))


def check_auth(spec: Spec) -> Iterator[SpecError]:
    """The scheme checks itself (its keys, its settings)."""
    view = _AuthView(spec)
    spec.api.auth.check(view)
    yield from view.problems


def check_protocol(spec: Spec) -> Iterator[SpecError]:
    """Sections the operations need are there; sections none uses are refused."""
    api = spec.api
    root = spec.source()
    encodings = {api.protocol.encoding} | {op.encoding for op in api.operations}
    in_a_field = any(ENCODINGS[e].uses_xml_field for e in encodings)
    if in_a_field and api.protocol.xml_field is None:
        yield root.error(
            "missing required key 'xml_field' (encoding 'xml_field' needs it to name the "
            "form field)",
            "protocol",
            at_key=True,
        )
    decodings = [DECODINGS[op.decoding] for op in api.operations]
    used_by = {
        "envelope": (any(d.envelope for d in decodings), "decode 'envelope'"),
        "xml": (any(d.xml for d in decodings), "decode XML"),
        "json": (any(d.json_status for d in decodings), "decode 'json'"),
        "xml_field": (in_a_field, "use encoding 'xml_field'"),
    }  # (protocol.long_running applies without such operations too: client.resume(token))
    for key, (used, what) in used_by.items():
        if not used and root.has("protocol", key):
            yield root.error(
                f"'protocol.{key}' applies to operations that {what}; none does",
                "protocol",
                key,
                at_key=True,
            )
    if any(op.stream_items for op in api.operations):
        for key in ("status_element", "message_element", "code_element"):
            where = str(getattr(api.xml, key) or "")
            if "/" in where or "@" in where:
                yield root.error(
                    f"{where!r}: a streamed answer's status must be a child of the root "
                    "(paths and attributes are read from whole documents only)",
                    "protocol",
                    "xml",
                    key,
                )
    if api.json is not None:
        for key in ("status_field", "code_field", "message_field", "details_field"):
            path = getattr(api.json, key) or ""
            if "." in path and "/" not in path:
                yield root.error(
                    f"{path!r}: paths are written with '/' in every part of a spec (as paginate "
                    f"and stream_items take them): write {path.replace('.', '/')!r}",
                    "protocol",
                    "json",
                    key,
                )
    yield from check_long_running(spec)


def check_long_running(spec: Spec) -> Iterator[SpecError]:
    long_running = spec.api.long_running
    if long_running is None:
        return
    source = spec.source("protocol", "long_running")
    operations = {op.wire_name: op for op in spec.api.operations}
    for key in ("status_operation", "cancel_operation"):
        wire = getattr(long_running, key)
        if wire not in operations:
            yield source.error(f"{wire!r} names no operation", key)
        elif not DECODINGS[operations[wire].decoding].envelope:
            yield source.error(
                f"{wire!r} decodes {operations[wire].decoding!r}: polling and cancelling read "
                "the status envelope (decoding 'envelope')",
                key,
            )


def check_enums(spec: Spec) -> Iterator[SpecError]:
    for enum in spec.enums:
        seen: dict[str, str] = {}
        for i, member in enumerate(enum.members):
            if member.name in seen:
                yield spec.source("enums", enum.name).error(
                    f"value {member.value!r} gives member name {member.name}, the same as "
                    f"{seen[member.name]!r}",
                    "values",
                    i,
                )
            seen[member.name] = member.value


def check_errors(spec: Spec) -> Iterator[SpecError]:
    operations = {op.wire_name for op in spec.api.operations}
    for error in spec.errors:
        source: Source = spec.source("errors", error.name)
        if not error.rule.http_status and not error.rule.vendor_status:
            yield source.error(
                "expected 'http_status' or 'vendor_status' to say when this error is raised"
            )
        for i, op in enumerate(error.rule.operations):
            if op not in operations:
                yield source.error(f"{op!r} names no operation", "operations", i)
