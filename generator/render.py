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
from generator.model import BASE_ERROR_NAMES, Api, Operation, Param, TypeRef
from generator.naming import snake_case
from generator.runtime.builtin_types import BUILTIN_TYPES, RUNTIME_ANNOTATIONS
from generator.runtime.operation import first_sentence
from generator.runtime.options import CLIENT_OPTIONS, CallOptions

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
PACKAGE_TEMPLATES = ("__init__.py", "__main__.py", "client.py", "errors.py", "models.py")


class RenderError(Exception):
    """A template failed (a bug in a custom template, or an undefined variable)."""


def annotation(ref: TypeRef, position: str = "field") -> str:
    """The Python annotation of a type at a position: ``field``, ``param`` or ``return``."""
    if ref.kind == "list":
        assert ref.item is not None
        return f"list[{annotation(ref.item, position)}]"
    if ref.kind == "union":
        return " | ".join(dict.fromkeys(annotation(o, position) for o in ref.options))
    if ref.kind == "enum":
        return f"models.{ref.name} | str" if position != "field" else f"{ref.name} | str"
    if ref.kind == "model":
        return f"models.{ref.name}" if position != "field" else ref.name
    return BUILTIN_TYPES[ref.name].annotation(position)


def runtime_type(ref: TypeRef, fmt: str | None = None, position: str = "field") -> str:
    """The runtime type descriptor expression for a type."""
    if ref.kind == "list":
        assert ref.item is not None
        return f"_rt.list_of({runtime_type(ref.item, fmt, position)})"
    if ref.kind == "union":
        return f"_rt.union_of({', '.join(runtime_type(o, fmt, position) for o in ref.options)})"
    prefix = "models." if position != "field" else ""
    if ref.kind == "enum":
        return f"_rt.enum_of({prefix}{ref.name})"
    if ref.kind == "model":
        return f"_rt.model({prefix}{ref.name})"
    row = BUILTIN_TYPES[ref.name]
    descriptor = row.result_descriptor if position == "return" else row.descriptor
    return descriptor.replace("{format}", py_literal(fmt))


def _type_names(ref: TypeRef) -> set[str]:
    if ref.kind == "list" and ref.item is not None:
        return _type_names(ref.item)
    if ref.kind == "union":
        return set().union(*map(_type_names, ref.options))
    return {ref.name}


def return_annotation(op: Operation) -> str:
    return "None" if op.decoding == "none" else annotation(op.returns, "return")


def return_runtime_type(op: Operation) -> str:
    return "_rt.NONE" if op.decoding == "none" else runtime_type(op.returns, None, "return")


def param_annotation(param: Param) -> str:
    text = annotation(param.type, "param") + (" | _rt.Null" if param.nullable else "")
    return f"{text} | None" if param.nullable_in_python else text


# the call options every method takes, as ``CallOptions`` declares them (its one home)
CALL_OPTION_ANNOTATIONS = tuple(
    (name, str(getattr(kind, "__forward_arg__", kind)))
    for name, kind in CallOptions.__annotations__.items()
)


def signature_lines(op: Operation) -> list[str]:
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


def client_context(api: Api) -> dict[str, Any]:
    """Facts the client template needs that are tedious to compute in Jinja."""
    names: set[str] = set()
    annotations: set[str] = set()
    for op in api.operations:
        if op.decoding != "none":
            annotations.add(return_annotation(op))
            names |= _type_names(op.returns)
        for param in op.params:
            annotations.add(annotation(param.type, "param"))
            names |= _type_names(param.type)
    if api.protocol.long_running is not None:
        annotations.add("JsonValue")  # resume_task's result
    runtime_names = [
        name
        for name in RUNTIME_ANNOTATIONS
        if any(re.search(rf"\b{name}\b", text) for text in annotations)
    ]
    return {
        "runtime_names": sorted(runtime_names),
        "options": client_options(api),
        "uses_models": any(n not in BUILTIN_TYPES for n in names),
        "streams": any(op.stream_items or op.pagination for op in api.operations),
        "uses_datetime": bool(names & {"datetime", "date"}),
        "url_placeholders": sorted(set(re.findall(r"\{([^{}]*)\}", api.server.url or ""))),
        "secret_settings": [s.name for s in api.settings if s.secret],
    }


def models_context(api: Api) -> dict[str, Any]:
    names = {n for m in api.models for f in m.fields for n in _type_names(f.type)}
    return {
        "uses_datetime": bool(names & {"datetime", "date"}),
        "uses_json": "json" in names,
    }


class RenderedOption(NamedTuple):
    name: str
    annotation: str
    default: str  # a Python expression
    to_client: bool


def client_options(api: Api) -> list[RenderedOption]:
    """The runtime options this API's client constructor takes, with the spec's defaults."""
    present = {
        "always": True,
        "environments": bool(api.server.environments),
        "long_running": api.protocol.long_running is not None,
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
            text = "Literal[" + ", ".join(py_literal(n) for n, _ in api.server.environments) + "]"
        out.append(RenderedOption(option.name, text, py_literal(default), option.to_client))
    return out


def summary(text: str) -> str:
    """The first sentence of a description (the command line's rule: one home)."""
    return first_sentence(text)


def render_docs(api: Api, env: jinja2.Environment) -> str:
    try:
        return env.get_template("docs/api.md.j2").render(api=api)
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
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        py=py_literal,
        py_text=py_text,
        docstring=docstring,
        ident=identifier,
        comment=comment,
        annotation=annotation,
        rt_type=runtime_type,
        param_annotation=param_annotation,
        return_annotation=return_annotation,
        return_rt_type=return_runtime_type,
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
    )
    return env


def render_package(api: Api, env: jinja2.Environment) -> dict[str, str]:
    """``{file name: source}`` for one API package, before formatting."""
    context = {"api": api, "client": client_context(api), "models_info": models_context(api)}
    out: dict[str, str] = {}
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


# -- documentation text (composed here, escaped by the ``docstring`` filter) ----------------------


def operation_doc(
    op: Operation,
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


def client_doc(api: Api) -> str:
    lines = [api.title]
    if api.description:
        lines.append("\n" + api.description)
    lines.append(
        "\nEvery method also takes ``timeout`` (seconds this call may take in all: connect,"
        " answer, body and retries; the client's ``timeout`` otherwise),"
        " ``extra_headers`` and ``extra_query`` (added to this call's request);"
        " ``last_response`` is the raw answer of the latest call, ``raw_responses()`` collects"
        " those of the calls made in a ``with`` block."
    )
    documented = [s for s in api.settings if s.doc]
    if documented:
        lines.append("\nArgs:")
        for s in documented:
            lines.append(f"    {s.name}: {s.doc}")
    return "\n".join(lines)


def setting_annotation(setting: Any) -> str:
    return (
        f"{setting.type} | None"
        if setting.has_default and setting.default is None
        else (setting.type)
    )
