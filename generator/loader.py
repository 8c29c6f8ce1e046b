"""Load a spec file: YAML with source positions, then JSON Schema validation.

PyYAML's composer keeps the line/column of every node; we build plain Python data from that node
tree ourselves so each value (and each mapping key) keeps its position, and so duplicate keys, which
PyYAML silently overwrites, become errors.
"""

from __future__ import annotations

import copy
import functools
import json
import marshal
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import yaml

from generator import cache
from generator.errors import SpecError, SpecErrors, format_key_path
from generator.runtime.encoding import default_location, effective_encoding

KeyPath = tuple[str | int, ...]
Position = tuple[str, int, int]  # file (display name), line, column
SCHEMA_PATH = Path(__file__).parent / "schema" / "spec.schema.json"


@dataclass
class LoadedSpec:
    """Raw spec data plus where each piece came from: a composed spec (``extends``) holds nodes
    of several files, and each position names the file its node is written in."""

    path: Path
    display_name: str
    data: dict[str, Any]
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    key_positions: dict[KeyPath, Position] = field(default_factory=dict)
    # the text of plain scalars YAML did not read as text (``0000123``, ``yes``): for messages
    written: dict[KeyPath, str] = field(default_factory=dict)
    # every file the spec is made of, itself first (then what it extends)
    files: tuple[Path, ...] = ()
    # a digest of each operation's data and written texts, by wire name (``operation_digest``)
    operation_digests: dict[str, str] = field(default_factory=dict)
    _written_of: dict[str | int, list[list[Any]]] | None = field(
        default=None, repr=False, compare=False
    )
    _frame_digest: str | None = field(default=None, repr=False, compare=False)

    def operation_digest(self, wire_name: str) -> str:
        """A digest of everything the spec says of one operation (its data and the texts of
        its non-text scalars): what the caches of its validation, checks and descriptor are
        keyed by. An operation read on its own has its text's; a composed one, its data's."""
        found = self.operation_digests.get(wire_name)
        if found is None:
            if self._written_of is None:  # grouped once: a spec may have thousands
                self._written_of = {}
                for path, text in self.written.items():
                    if path[:1] == ("operations",) and len(path) > 1:
                        self._written_of.setdefault(path[1], []).append([list(path), text])
            written = self._written_of.get(wire_name, [])
            raw = self.data.get("operations", {}).get(wire_name)
            found = cache.digest(
                json.dumps(raw, sort_keys=True, default=repr), json.dumps(written, default=repr)
            )
            self.operation_digests[wire_name] = found
        return found

    def frame_digest(self) -> str:
        """A digest of everything the spec says but its operations (data and written texts)
        and of the generator's code: with an operation's own digest, all that its checks and
        its descriptor can depend on."""
        if self._frame_digest is None:
            frame = {key: value for key, value in self.data.items() if key != "operations"}
            written = [[list(p), t] for p, t in self.written.items() if p[:1] != ("operations",)]
            self._frame_digest = cache.digest(
                cache.fingerprint(),
                json.dumps(frame, sort_keys=True, default=repr),
                json.dumps(written, default=repr),
            )
        return self._frame_digest

    def error(self, path: KeyPath, message: str, *, at_key: bool = False) -> SpecError:
        """An error located at the value (or, with ``at_key``, the key) found at ``path``."""
        table = self.key_positions if at_key else self.positions
        probe = path
        while probe not in table and probe:
            probe = probe[:-1]
        file, line, column = table.get(probe, self.positions.get((), (self.display_name, 1, 1)))
        return SpecError(file, line, column, format_key_path(path), message)


class _Builder:
    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        self.errors: list[SpecError] = []
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        name = self.spec.display_name
        self.spec.positions[path] = (name, node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in self._merged(node, path):
                key = self._scalar(key_node)
                if not isinstance(key, str | int):
                    self._at(key_node, path, "mapping keys must be plain strings")
                    continue
                key = str(key)
                if key in result:
                    self._at(key_node, (*path, key), f"duplicate key {key!r}")
                    continue
                self.spec.key_positions[(*path, key)] = (
                    name,
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self._scalar(node)
        plain = isinstance(node, yaml.ScalarNode) and not node.style
        if plain and value is not None and not isinstance(value, str):
            self.spec.written[path] = str(node.value)
        return value

    def _merged(self, node: yaml.MappingNode, path: KeyPath) -> list[tuple[yaml.Node, yaml.Node]]:
        """The entries of a mapping with YAML merge keys (``<<: *shared``) resolved in place:
        the mapping's own keys win; positions stay where each entry is written."""
        merge_tag = "tag:yaml.org,2002:merge"
        seen = {self._scalar(key) for key, _value in node.value if key.tag != merge_tag}
        entries: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != merge_tag:
                entries.append((key_node, value_node))
                continue
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self._at(source, (*path, "<<"), "a merge key needs a mapping or a list of them")
                    continue
                for merged_key, merged_value in self._merged(source, path):
                    name = self._scalar(merged_key)
                    if name not in seen:
                        seen.add(name)
                        entries.append((merged_key, merged_value))
        return entries

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        return self._scalars.construct_object(node, deep=True)

    def _at(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        self.errors.append(
            SpecError(
                self.spec.display_name,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                format_key_path(path),
                message,
            )
        )


def display_name(path: Path) -> str:
    """A stable, machine-independent name for messages and generated headers."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def param_location(raw_param: dict[str, Any], encoding: str) -> str:
    """Where a parameter travels: its ``in``, else where its encoding puts it."""
    return str(raw_param.get("in") or default_location(encoding))


def operation_encoding(raw_op: dict[str, Any], protocol_raw: dict[str, Any]) -> str:
    """How an operation's parameters travel (``effective_encoding`` on the spec's text)."""
    method = str(raw_op.get("method", protocol_raw.get("default_method", "POST")))
    return effective_encoding(method, raw_op.get("encoding"), str(protocol_raw["encoding"]))


def extended_file(path: Path) -> Path | None:
    """The file a spec extends (resolved), read cheaply; None when it extends nothing or cannot
    be read (loading it reports why)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "extends:" not in text:
        return None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    extends = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(extends, dict) or not isinstance(extends.get("spec"), str):
        return None
    return (path.parent / str(extends["spec"])).resolve()


def parse_file(path: Path) -> LoadedSpec:
    """One YAML file as data with the position of every node (no schema validation yet)."""
    name = display_name(path)
    spec = LoadedSpec(path=path, display_name=name, data={}, files=(path,))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecErrors([SpecError(name, 1, 1, "", f"cannot read spec: {exc}")]) from None
    if _read_by_operation(spec, text):
        return spec
    return _read_whole(spec, text)


def _read_whole(spec: LoadedSpec, text: str) -> LoadedSpec:
    name = spec.display_name
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise SpecErrors([SpecError(name, line, column, "", f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecErrors([SpecError(name, 1, 1, "", f"invalid YAML: {exc}")]) from None
    if root is None:
        raise SpecErrors([SpecError(name, 1, 1, "", "the spec is empty")])
    builder = _Builder(spec)
    try:
        data = builder.build(root, ())
    except yaml.YAMLError as exc:
        raise SpecErrors([SpecError(name, 1, 1, "", f"invalid YAML value: {exc}")]) from None
    if builder.errors:
        raise SpecErrors(builder.errors)
    if not isinstance(data, dict):
        raise SpecErrors([spec.error((), "the spec must be a mapping at the top level")])
    spec.data = data
    return spec


# -- reading a spec operation by operation, each remembered by its text ----------------------------

# What YAML could tie one part of a file to another: anchors, aliases, tags (a node starting
# with & * !), merge keys, several documents, directives. A file holding any is read whole.
# A node's anchor or tag comes first in it: at the start of a line, or after ": ", "- ", "? ",
# "[", "{" or ","; an alias is a node. (Inside quoted text such a match only costs speed.)
_INDICATORS = re.compile(r"[&*!]|<<[ ]*:")
_DOCUMENTS = re.compile(r"^(?:---|\.\.\.|%)", re.M)


def _tied(text: str) -> bool:
    """Whether YAML could tie one part of ``text`` to another (see ``_INDICATORS``)."""
    if _DOCUMENTS.search(text):
        return True
    for found in _INDICATORS.finditer(text):
        if found.group().startswith("<<"):
            return True
        before = text[text.rfind("\n", 0, found.start()) + 1 : found.start()].rstrip(" ")
        if not before or before[-1] in ":-?,[{":
            return True
    return False


_OPERATIONS = re.compile(r"^operations:[ \t]*(?:#.*)?$", re.M)
_TOP_LEVEL = re.compile(r"^[^ #\n]", re.M)  # a line at column 0: not a comment, not blank
_CONTENT = re.compile(r"^( *)[^ #\n]", re.M)  # a line with content (not a comment)


class _Part(NamedTuple):
    """A part of the file read on its own: its data and where each node is written (lines
    as in the part)."""

    data: Any
    positions: tuple[tuple[KeyPath, int, int], ...]
    key_positions: tuple[tuple[KeyPath, int, int], ...]
    written: tuple[tuple[KeyPath, str], ...]


def cut_operations(text: str) -> tuple[str, list[tuple[int, str]]] | None:
    """The file cut in two: the frame (the file with the lines of its operations blanked, so
    every other node keeps its line) and each operation's lines (with the index of its first
    line). None when the file cannot be cut safely: no block-style ``operations:`` section,
    something YAML ties across parts (anchors, aliases, tags, merge keys), tabs, a line
    indented less than the operations' keys."""
    if "\t" in text or _tied(text):
        return None
    found = _OPERATIONS.search(text)
    if found is None:
        return None
    body_start = text.find("\n", found.end()) + 1
    if body_start == 0:
        return None
    after = _TOP_LEVEL.search(text, body_start)  # the next top-level key, if any
    body_end = after.start() if after else len(text)
    body = text[body_start:body_end]
    first = _CONTENT.search(body)
    if first is None:
        return None
    indent = len(first.group(1))
    if indent == 0 or re.search(rf"^ {{1,{indent - 1}}}[^ #\n]", body, re.M):
        return None  # a line indented less than the operations' keys
    starts = [m.start() for m in re.finditer(rf"^ {{{indent}}}[^ #\n]", body, re.M)]
    line = text.count("\n", 0, body_start)
    pieces: list[tuple[int, str]] = []
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else len(body)
        line += body.count("\n", starts[index - 1] if index else 0, start)
        pieces.append((line, body[start:stop]))
    frame = text[:body_start] + "\n" * body.count("\n") + text[body_end:]
    return frame, pieces


def _read_by_operation(spec: LoadedSpec, text: str) -> bool:
    """Read ``spec`` part by part (``cut_operations``), each part's reading remembered by its
    text: the same data, positions and written texts as reading it whole, at the cost of the
    parts that changed. False (nothing read) when the file cannot be cut, or when a part has a
    problem: reading the file whole reports it where it is."""
    cut = cut_operations(text)
    if cut is None:
        return False
    frame_text, pieces = cut
    remembered = cache.store(spec.path, "yaml")
    frame = _part(remembered, frame_text, ())
    if frame is None or not isinstance(frame.data, dict) or frame.data.get("operations"):
        return False
    operations: dict[str, Any] = {}
    digests: dict[str, str] = {}
    _place(spec, frame, 0)
    for first, piece_text in pieces:
        piece = _part(remembered, piece_text, ("operations",))
        if piece is None or not isinstance(piece.data, dict) or len(piece.data) != 1:
            return False
        ((op_name, op),) = piece.data.items()
        if op_name in operations:
            return False  # a duplicate: reported by the whole reading
        operations[op_name] = op
        digests[op_name] = cache.digest(piece_text)
        _place(spec, piece, first)
        if len(operations) == 1:  # the operations' mapping starts where the first one does
            start = spec.positions[("operations",)]
    spec.positions[("operations",)] = start
    spec.data = {**frame.data, "operations": operations}
    spec.operation_digests = digests  # an operation's text says all about it
    return True


def _place(spec: LoadedSpec, part: _Part, first: int) -> None:
    """Record a part's positions in ``spec``, its lines moved to the file's."""
    name = spec.display_name
    positions, key_positions = spec.positions, spec.key_positions
    for path, line, column in part.positions:
        positions[path] = (name, line + first, column)
    for path, line, column in part.key_positions:
        key_positions[path] = (name, line + first, column)
    spec.written.update(part.written)


def _part(remembered: Any, text: str, prefix: KeyPath) -> _Part | None:
    """One part read on its own, its paths below ``prefix`` (None: it has a problem);
    remembered by its text when its data is plain (what the cache's format keeps exactly)."""
    key = cache.digest(text, str(prefix))
    stored = remembered.get(key)
    if stored is not None:
        return _Part(*stored)
    scratch = LoadedSpec(path=Path(), display_name="", data={})
    try:
        root = _compose(text)
        if root is None:
            return None
        builder = _Builder(scratch)
        data = builder.build(root, prefix)
    except yaml.YAMLError:
        return None
    if builder.errors:
        return None
    part = _Part(
        data,
        tuple((path, line, column) for path, (_, line, column) in scratch.positions.items()),
        tuple((path, line, column) for path, (_, line, column) in scratch.key_positions.items()),
        tuple(scratch.written.items()),
    )
    try:
        marshal.dumps(data)  # plain data only (a YAML date is not)
    except ValueError:
        return part
    remembered.put(key, tuple(part))
    return part


def _compose(text: str) -> yaml.Node | None:
    """The node tree, by libyaml when available (several times faster on big specs). A document
    libyaml refuses is composed again by PyYAML, whose messages the spec errors quote."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


@functools.cache
def spec_schema() -> dict[str, Any]:
    """The spec schema with its local ``$ref``s resolved in place: the same rules, but the
    validator does not look a definition up for every parameter (a third of its time)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    definitions = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    resolved: dict[str, Any] = inline(schema)
    return resolved


def schema_defaults(*section: str) -> dict[str, Any]:
    """``{key: default}`` of a section of the spec (``"protocol", "envelope"``): the defaults
    live in the JSON Schema, their one home, which also documents them."""
    node = spec_schema()
    for key in section:  # "*": the entries of a named section (operations.*.paginate)
        node = node["additionalProperties"] if key == "*" else node["properties"][key]
    return {
        key: copy.deepcopy(prop["default"])
        for key, prop in node.get("properties", {}).items()
        if "default" in prop
    }


def schema_errors(spec: LoadedSpec, only: str | None = None) -> list[SpecError]:
    """Every JSON Schema violation, phrased for a person and located in the file. With ``only``,
    just that top-level section is checked (an extending file is not a whole spec on its own)."""
    schema = spec_schema()
    data = spec.data
    if only is not None:
        schema = {**schema, "required": []}
        data = {only: data[only]}
    operations = data.get("operations")
    if only is None and isinstance(operations, dict) and operations:
        return _schema_errors_by_operation(spec, schema, operations)
    validator = jsonschema.Draft202012Validator(schema)
    errors: list[SpecError] = []
    for err in validator.iter_errors(data):
        errors.extend(_explain(spec, err))
    return errors


def _schema_errors_by_operation(
    spec: LoadedSpec, schema: dict[str, Any], operations: dict[str, Any]
) -> list[SpecError]:
    """The schema's verdict in parts: the spec but its operations' contents, then each
    operation on its own against the schema of one operation; an operation found valid is
    remembered (by its data and the generator's code and schema) and not validated again."""
    frame_schema = {
        **schema,
        "properties": {
            **schema["properties"],
            "operations": {"type": "object", "minProperties": 1},
        },
    }
    frame = {**spec.data, "operations": dict.fromkeys(operations)}
    errors: list[SpecError] = []
    for err in _validator(json.dumps(frame_schema, sort_keys=True)).iter_errors(frame):
        errors.extend(_explain(spec, err))
    one = schema["properties"]["operations"]["additionalProperties"]
    validator = _validator(json.dumps(one, sort_keys=True))
    remembered = cache.store(spec.path, "schema")
    stamp = cache.fingerprint()
    for name, op in operations.items():
        key = cache.digest(stamp, spec.operation_digest(name))
        if remembered.get(key):
            continue
        found = [
            e
            for err in validator.iter_errors(op)
            for e in _explain(spec, err, ("operations", name))
        ]
        if found:
            errors.extend(found)
        else:
            remembered.put(key, True)
    return errors


@functools.cache
def _validator(schema_text: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text))


def _explain(
    spec: LoadedSpec, err: jsonschema.ValidationError, prefix: KeyPath = ()
) -> list[SpecError]:
    path: KeyPath = (*prefix, *err.absolute_path)
    instance: Any = err.instance
    expected_value: Any = err.validator_value
    schema = err.schema if isinstance(err.schema, dict) else {}
    kind = err.validator
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        pattern_keys = schema.get("patternProperties", {})
        extras = [k for k in instance if k not in allowed and not _matches_any(k, pattern_keys)]
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        if pattern_keys and not allowed:
            hint = f" (keys must match {', '.join(pattern_keys)})"
        return [spec.error((*path, k), f"unknown key {k!r}{hint}", at_key=True) for k in extras]
    if kind == "required":
        missing = [k for k in expected_value if k not in instance]
        return [spec.error(path, f"missing required key {k!r}", at_key=True) for k in missing]
    if kind == "type":
        expected = expected_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return [
            spec.error(path, f"expected {expected}, got {_json_type(instance)} {_show(instance)}")
        ]
    if kind == "enum":
        options = ", ".join(repr(v) for v in expected_value)
        return [spec.error(path, f"expected one of {options}, got {_show(instance)}")]
    if kind == "const":
        return [spec.error(path, f"expected {err.validator_value!r}, got {_show(instance)}")]
    if kind == "pattern":
        what = schema.get("description") or f"text matching {err.validator_value}"
        return [spec.error(path, f"expected {what}, got {_show(instance)}")]
    if kind in ("oneOf", "anyOf"):
        what = schema.get("description") or "a value of one of the allowed forms"
        return [spec.error(path, f"expected {what}, got {_json_type(instance)} {_show(instance)}")]
    if kind in ("minItems", "minProperties", "minLength"):
        return [spec.error(path, f"must not be empty (expected at least {err.validator_value})")]
    if kind in ("maxLength", "maxItems", "maxProperties"):
        return [spec.error(path, f"too large (at most {err.validator_value} allowed)")]
    if kind in ("minimum", "maximum"):
        return [spec.error(path, f"out of range: {err.message}")]
    if kind == "propertyNames":
        return [spec.error(path, f"invalid key: {err.message}", at_key=True)]
    return [spec.error(path, err.message)]


def _matches_any(key: str, patterns: dict[str, Any]) -> bool:
    import re

    return any(re.search(p, key) for p in patterns)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "mapping"


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, dict | list) else ""
    return text if len(text) <= 60 else text[:57] + "..."
