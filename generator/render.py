"""Render the intermediate model through Jinja2 templates into Python source text.

Every spec-provided string reaches the output through a filter of ``generator.filters`` (the
security boundary); this module maps types to annotations, builds template contexts and
composes documentation text.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from generator import cache
from generator.filters import (
    FilterError,
    comment,
    docstring,
    identifier,
    md_cell,
    md_code,
    md_code_value,
    md_text,
    py_literal,
    py_text,
)
from generator.formatting import CHUNK_MARK
from generator.literals import api_document, descriptor
from generator.model import BASE_ERROR_NAMES, Spec
from generator.naming import snake_case
from generator.runtime.builtin_types import (
    BUILTIN_TYPES,
    RUNTIME_ANNOTATIONS,
    Type,
    class_name,
    leaves,
    type_expression,
)
from generator.runtime.data import DATA_FILE
from generator.runtime.decoding import DECODINGS
from generator.runtime.descriptors import ApiDescription, Operation, Param, Setting, first_sentence
from generator.runtime.encoding import ENCODINGS
from generator.runtime.options import CALL_OPTIONS, CLIENT_OPTIONS, CallOptions
from generator.runtime.pagination import PAGINATION_STYLES

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
PACKAGE_TEMPLATES = (
    "__init__.py",
    "__main__.py",
    "client.py",
    "async_client.py",
    "errors.py",
    "models.py",
)


class RenderError(Exception):
    """A template failed (a bug in a custom template, or an undefined variable)."""


def annotation(kind: Type[Any], position: str = "field") -> str:
    """The Python annotation of a type at a position: ``field``, ``param`` or ``return``."""
    if kind.kind == "list":
        assert kind.item is not None
        return f"list[{annotation(kind.item, position)}]"
    if kind.kind == "union":
        return " | ".join(dict.fromkeys(annotation(o, position) for o in kind.target))
    prefix = "models." if position != "field" else ""
    if kind.kind == "enum":
        return f"{prefix}{class_name(kind.target)} | str"
    if kind.kind == "model":
        return f"{prefix}{class_name(kind.target)}"
    if kind.kind == "none":
        return "None"
    return BUILTIN_TYPES[kind.kind].annotation(position)


def _type_names(kind: Type[Any]) -> set[str]:
    """The built-in kinds and class names a type is made of."""
    return {
        class_name(leaf.target) if leaf.kind in ("model", "enum") else leaf.kind
        for leaf in leaves(kind)
    }


def return_annotation(op: Operation[Any]) -> str:
    return annotation(op.result, "return")


def param_annotation(param: Param) -> str:
    text = annotation(param.type, "param") + (" | _rt.Null" if param.nullable else "")
    return f"{text} | None" if param.nullable_in_python else text


# the call options every method takes, as ``CallOptions`` declares them (its one home)
CALL_OPTION_ANNOTATIONS = tuple(
    (name, re.sub(r"\bHooks\b", "_rt.Hooks", str(getattr(kind, "__forward_arg__", kind))))
    for name, kind in CallOptions.__annotations__.items()
)


def signature_lines(op: Operation[Any]) -> list[str]:
    """The parameters of an operation's method after ``self``, one per line (without the comma):
    required ones positionally, then ``*``, the optional ones and the call options (the caller
    may add keyword-only ones after them)."""
    own = [p for p in op.params if not p.is_const]  # constants are sent, not asked for
    lines = [
        f"{identifier(p.name)}: {param_annotation(p)}" for p in own if not p.optional_in_python
    ]
    lines.append("*")
    optional = [p for p in own if p.optional_in_python]
    for p in optional:
        default = None if p.client_default is not None else p.default
        lines.append(f"{identifier(p.name)}: {param_annotation(p)} = {py_literal(default)}")
    lines += [f"{name}: {annotation} = None" for name, annotation in CALL_OPTION_ANNOTATIONS]
    return lines


def client_context(spec: Spec) -> dict[str, Any]:
    """Facts the client template needs that are tedious to compute in Jinja."""
    api = spec.api
    names: set[str] = set()
    annotations: set[str] = set()
    for op in api.operations:
        annotations.add(return_annotation(op))
        names |= _type_names(op.result)
        for param in op.params:
            annotations.add(annotation(param.type, "param"))
            names |= _type_names(param.type)
    if api.long_running is not None:
        annotations.add("JsonValue")  # resume_task's result
    runtime_names = [
        name
        for name in RUNTIME_ANNOTATIONS
        if any(re.search(rf"\b{name}\b", text) for text in annotations)
    ]
    refs = {id(op): f"_OP_{op.name.upper()}" for op in api.operations}
    refs[id(api.errors)] = "ERROR_TABLE"
    return {
        "runtime_names": sorted(runtime_names),
        "options": client_options(api),
        "uses_models": any(n not in BUILTIN_TYPES and n != "none" for n in names),
        "streams": any(op.stream_items or op.pagination for op in api.operations),
        "uses_datetime": bool(names & {"datetime", "date"}),
        "url_placeholders": sorted(set(re.findall(r"\{([^{}]*)\}", api.server.url or ""))),
        "secret_settings": [s.name for s in api.settings if s.secret],
        "refs": refs,
    }


def models_context(spec: Spec) -> dict[str, Any]:
    names = {n for m in spec.models for f in m.fields for n in _type_names(f.type)}
    return {
        "uses_datetime": bool(names & {"datetime", "date"}),
        "uses_json": "json" in names,
    }


class RenderedOption(NamedTuple):
    name: str
    annotation: str
    default: str  # a Python expression
    to_client: bool
    async_annotation: str  # in the async client's constructor


def client_options(api: ApiDescription) -> list[RenderedOption]:
    """The runtime options this API's client constructor takes, with the spec's defaults."""
    present = {
        "always": True,
        "environments": bool(api.server.environments),
        "named_servers": bool(api.server.named),
        "long_running": api.long_running is not None,
    }
    out = []
    for option in CLIENT_OPTIONS:
        if not present[option.when]:
            continue
        default: Any = None
        if option.default is not None:
            default = api
            for part in option.default.split("."):
                default = getattr(default, part)
        text = option.annotation
        if option.name == "environment":
            text = "Literal[" + ", ".join(py_literal(n) for n in api.server.environments) + "]"
        out.append(
            RenderedOption(
                option.name,
                text,
                py_literal(default),
                option.to_client,
                option.async_annotation or text,
            )
        )
    return out


def client_class_name(api: ApiDescription, aio: bool = False) -> str:
    """The client class of an API, or of its async twin (``Async`` before the name)."""
    return api.async_client_class if aio else api.client_class


def summary(text: str) -> str:
    """The first sentence of a description (the command line's rule: one home)."""
    return first_sentence(text)


def render_docs(spec: Spec, env: jinja2.Environment, layout: Layout | None = None) -> str:
    layout = layout or Layout.in_generated(spec)
    try:
        return env.get_template("docs/api.md.j2").render(
            spec=spec,
            api=spec.api,
            remembered=RenderedOperations(spec, layout),
            import_path=layout.import_path,
            runtime_path=layout.runtime_path,
            **_strategies(),
        )
    except (jinja2.TemplateError, FilterError) as exc:
        raise RenderError(f"template docs/api.md.j2: {exc}") from None


@functools.cache
def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """Custom templates, when given, override the built-in ones file by file. One environment
    per folder and process: it compiles each template once (and reloads it if edited)."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATE_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=_compiled_templates(cache.cache_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        descriptor=descriptor,
        type_text=type_expression,
        py=py_literal,
        py_text=py_text,
        docstring=docstring,
        ident=identifier,
        comment=comment,
        annotation=annotation,
        param_annotation=param_annotation,
        return_annotation=return_annotation,
        setting_annotation=setting_annotation,
        md_text=md_text,
        md_cell=md_cell,
        md_code=md_code,
        md_code_value=md_code_value,
        summary=summary,
    )
    env.globals.update(
        chunk_mark=CHUNK_MARK,
        base_error_names=[name for name in BASE_ERROR_NAMES if name != "ERROR_TABLE"],
        signature_lines=signature_lines,
        operation_doc=operation_doc,
        model_doc=model_doc,
        client_doc=client_doc,
        client_class_name=client_class_name,
        call_option_names=CALL_OPTIONS["always"],
    )
    return env


def _compiled_templates(folder: Path | None) -> jinja2.BytecodeCache | None:
    """Where compiled templates are kept between runs (checked against their source by
    Jinja), when the cache folder can be made."""
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def _strategies() -> dict[str, Any]:
    """The registries, for templates to ask a strategy about itself (never its name)."""
    return {"decodings": DECODINGS, "encodings": ENCODINGS, "paging_styles": PAGINATION_STYLES}


class Layout(NamedTuple):
    """Where a package and its runtime are: ``generated.<api>`` beside ``generated._runtime``
    (this repository), or a distribution's package holding its own ``_runtime``."""

    import_path: str  # what users import
    runtime_parent: str  # the relative import of the runtime's parent: ".." or "."

    @property
    def runtime_path(self) -> str:
        parent = self.import_path if self.runtime_parent == "." else "generated"
        return f"{parent}._runtime"

    @staticmethod
    def in_generated(spec: Spec) -> Layout:
        return Layout(f"generated.{spec.api.name}", "..")

    @staticmethod
    def in_distribution(spec: Spec) -> Layout:
        return Layout(spec.package.import_name, ".")


def render_package(
    spec: Spec, env: jinja2.Environment, layout: Layout | None = None
) -> dict[str, str]:
    """``{file name: source}`` for one API package, before formatting: its modules, and the
    ``api.json`` they build their descriptors from (data, not formatted)."""
    layout = layout or Layout.in_generated(spec)
    data = None if spec.loaded is None else cache.OperationMemory(spec.loaded, "data")
    document = api_document(spec.api, data)
    context = {
        "spec": spec,
        "api": spec.api,
        "client": client_context(spec),
        "models_info": models_context(spec),
        "import_path": layout.import_path,
        "runtime_parent": layout.runtime_parent,
        "runtime_path": layout.runtime_path,
        "remembered": RenderedOperations(spec, layout),
        **_strategies(),
    }
    out: dict[str, str] = {DATA_FILE: document.text()}  # the descriptors, as data
    for name in PACKAGE_TEMPLATES:
        try:
            out[name] = env.get_template(f"package/{name}.j2").render(context)
        except jinja2.TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            raise RenderError(f"template package/{name}.j2{where}: {exc}") from None
        except (RenderError, FilterError) as exc:
            raise RenderError(f"template package/{name}.j2: {exc}") from None
    return out


class RenderedOperations:
    """The templates' ``remembered(macro, op, variant)``: an operation's part of a file
    (its sync methods, its async ones, its docs section), rendered by ``macro`` once per
    content and kept in a ``cache.OperationMemory``. Without a loaded spec (a spec built in code),
    parts are rendered every time."""

    def __init__(self, spec: Spec, layout: Layout) -> None:
        self.memory = None
        if spec.loaded is not None:
            context = (layout.import_path, layout.runtime_parent)
            self.memory = cache.OperationMemory(spec.loaded, "render", *context)

    def __call__(self, macro: Any, op: Operation[Any], variant: Any) -> str:
        if self.memory is None:
            return str(macro(op, variant))
        text = self.memory.get(op, str(variant))
        if text is None:
            text = str(macro(op, variant))
            self.memory.put(op, text, str(variant))
        return text


# -- documentation text (composed here, escaped by the ``docstring`` filter) ----------------------


def operation_doc(
    op: Operation[Any],
    *,
    starts_task: bool = False,
    streams: bool = False,
    save_to: bool = False,
    pages: bool = False,
) -> str:
    lines = [op.doc or f"{humanize(op.wire_name)}."]
    if pages and op.pagination is not None:
        lines[0] = (
            f"Every item of ``{op.name}``, page after page ({op.pagination.style} pagination).\n\n"
            "The next page is fetched only when this one's items are used up; ``max_items`` "
            "stops the walk early."
        )
    if streams:
        lines[0] = (
            f"``{op.name}``, yielding each item while the answer is still arriving.\n\n"
            "Memory stays flat however many items the vendor sends; the vendor status is "
            "checked before the first item."
        )
    if starts_task:
        lines[0] = (
            f"Start ``{op.wire_name}`` and return its task handle without waiting.\n\n"
            f"Use ``.wait()``, iterate over it for status updates, or ``.cancel()`` it."
        )
    lines.append(f"\nWire: ``{op.method} {op.path}`` (operation ``{op.wire_name}``).")
    if op.long_running and not starts_task:
        lines.append(
            "Long-running: with automatic token handling (the client's ``auto_handle_token``, or"
            " this call's) it blocks until the task ends, polling its status and calling"
            " ``status_callback`` on every update; otherwise it returns the task handle."
        )
    if op.idempotency_header:
        lines.append(
            f"Sends a fresh ``{op.idempotency_header}`` (the same on every retry of this call, so"
            " the vendor runs it once); give your own with ``extra_headers``."
        )
    if any(not p.is_const for p in op.params):
        lines.append("\nArgs:")
        for p in op.params:
            if p.is_const:
                continue
            facts = [f"wire ``{p.wire}``"] if p.wire != p.name else []
            if p.client_default:
                facts.append(f"defaults to the client's ``{p.client_default}``")
            elif p.default is not None:
                facts.append(f"default ``{p.default!r}``")
            elif p.required:
                facts.append("required")
            summary = " ".join([p.doc, f"({', '.join(facts)})" if facts else ""]).strip()
            lines.append(f"    {p.name}: {summary}")
    if pages:
        if all(p.is_const for p in op.params):
            lines.append("\nArgs:")
        lines.append("    max_items: Stop after this many items (None: all of them).")
    if save_to:
        if all(p.is_const for p in op.params):
            lines.append("\nArgs:")
        lines.append(
            "    save_to: A path or binary file object to stream the file to instead of holding"
            " it in memory (``content`` is then None and ``size`` tells how much was written)."
        )
    return "\n".join(lines)


def humanize(wire_name: str) -> str:
    """``GetUserInfo`` -> ``Get user info``: the fallback summary of an undocumented operation."""
    words = snake_case(wire_name).split("_")
    return " ".join(words).capitalize() if words else wire_name


def model_doc(model_name: str, doc: str, fields: Any) -> str:
    lines = [doc or f"The ``{model_name}`` model."]
    documented = [f for f in fields if f.doc or f.wire != f.name]
    if documented:
        lines.append("\nAttributes:")
        for f in documented:
            wire = f"(wire ``{f.wire}``)" if f.wire != f.name else ""
            lines.append(f"    {f.name}: " + " ".join(t for t in (f.doc, wire) if t))
    return "\n".join(lines)


def client_doc(api: ApiDescription, aio: bool = False) -> str:
    lines = [api.title + (" (async)" if aio else "")]
    if api.description:
        lines.append("\n" + api.description)
    lines.append(
        "\nEvery method also takes ``timeout`` (seconds this call may take in all: connect,"
        " answer, body and retries; the client's ``timeout`` otherwise),"
        " ``extra_headers`` and ``extra_query`` (added to this call's request), ``retries``"
        " (this call's own number of retries) and ``hooks`` (added to the client's);"
        " ``last_response`` is the raw answer of the latest call, ``raw_responses()`` collects"
        " those of the calls made in a ``with`` block."
    )
    documented = [s for s in api.settings if s.doc]
    if documented:
        lines.append("\nArgs:")
        for s in documented:
            lines.append(f"    {s.name}: {s.doc}")
    return "\n".join(lines)


def setting_annotation(setting: Setting, api: ApiDescription) -> str:
    """A setting's type in the constructor; one the auth scheme takes as a function too (a
    rotating token) says so."""
    kind = setting.type
    if setting.name in api.auth.callable_settings():
        kind = f"{kind} | _rt.TokenSource"
    optional = not setting.required and setting.default is None
    return f"{kind} | None" if optional else kind
