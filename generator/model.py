"""What a built spec is: the runtime's own descriptors (``generator.runtime.descriptors``), which
the generated code writes out and executes, and beside them what only the generator needs: the
classes to generate (models, enums, error classes), the examples, and where every node is
written (``Source``: file, line, column, through the loaded spec).

There is no second model: the checks, the docs, the OpenAPI export and the diff read the same
descriptors the runtime executes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.errors import SpecError
from generator.runtime.bases import TaskClientBase
from generator.runtime.builtin_types import BUILTIN_TYPES as _BUILTIN_ROWS
from generator.runtime.codec import Field
from generator.runtime.descriptors import ApiDescription, Operation, Param
from generator.runtime.errors import ErrorRule
from generator.runtime.options import CALL_OPTIONS, CLIENT_OPTIONS

if TYPE_CHECKING:
    from generator.loader import KeyPath, LoadedSpec

Scalar = str | int | float | bool | None
BUILTIN_TYPES = tuple(_BUILTIN_ROWS)


@dataclass(frozen=True)
class Source:
    """Where a node comes from: its key path in the (composed) spec."""

    path: KeyPath
    spec: LoadedSpec | None = field(default=None, compare=False, hash=False, repr=False)

    def error(self, message: str, *sub: str | int, at_key: bool = False) -> SpecError:
        """An error at this node (or at ``sub`` below it); ``at_key`` points at the key."""
        path = (*self.path, *sub)
        if self.spec is None:
            from generator.errors import format_key_path

            return SpecError("<spec>", 1, 1, format_key_path(path), message)
        return self.spec.error(path, message, at_key=at_key)

    def has(self, *sub: str | int) -> bool:
        """Whether the spec writes this key (rather than leaving it to a default)."""
        return self.spec is not None and (*self.path, *sub) in self.spec.key_positions

    def at(self, *sub: str | int) -> Source:
        return Source((*self.path, *sub), self.spec)

    def written(self, *sub: str | int) -> str | None:
        """How the spec writes a scalar YAML did not read as text (``0000123``), if it is one."""
        return None if self.spec is None else self.spec.written.get((*self.path, *sub))


@dataclass(frozen=True)
class Model:
    """A model class to generate: its fields are the runtime's ``Field`` descriptors."""

    name: str
    doc: str
    xml_element: str | None
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class EnumMember:
    name: str
    value: str


@dataclass(frozen=True)
class Enum:
    """An enum class to generate."""

    name: str
    doc: str
    members: tuple[EnumMember, ...]


@dataclass(frozen=True)
class ErrorClass:
    """An error class to generate, and the runtime's rule for raising it (its ``error`` the
    class's ``TypeName``)."""

    name: str
    base: str  # http | auth | not_found | vendor
    doc: str
    rule: ErrorRule


@dataclass(frozen=True)
class Example:
    name: str
    doc: str
    params: dict[str, object]
    request: dict[str, object]
    response: dict[str, object]
    result: object
    raises: str | None
    provenance: str | None = None  # documented | synthetic (None: not stated)


@dataclass(frozen=True)
class Packaging:
    """How the API's client is shipped as a distribution of its own (``specgen package``)."""

    distribution: str  # its name on an index, e.g. "click2mail-client"
    import_name: str  # the package users import, e.g. "click2mail"
    command: str  # the console command it installs
    version: str  # MAJOR.MINOR.PATCH

    @staticmethod
    def defaults(api_name: str, version: str) -> Packaging:
        """The documented defaults: ``<name>-client`` (``-`` for ``_``), imported as the API's
        name, the command named like the distribution without ``-client``."""
        dashed = api_name.replace("_", "-")
        return Packaging(f"{dashed}-client", api_name, dashed, version)


@dataclass(frozen=True)
class Spec:
    """A built spec: the API's descriptor, and the generator's facts beside it."""

    api: ApiDescription
    spec_file: str
    packaging: Packaging | None = None  # None: the defaults (``Packaging.defaults``)
    models: tuple[Model, ...] = ()
    enums: tuple[Enum, ...] = ()
    errors: tuple[ErrorClass, ...] = ()
    # by operation wire name; the examples of a parameter by (operation, parameter) wire names
    examples: Mapping[str, tuple[Example, ...]] = field(default_factory=dict)
    param_examples: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    loaded: LoadedSpec | None = field(default=None, compare=False, repr=False)

    # -- shorthands the templates, checks and exports read -------------------------------------
    @property
    def name(self) -> str:
        return self.api.name

    @property
    def operations(self) -> tuple[Operation[Any], ...]:
        return tuple(self.api.operations)

    @property
    def package(self) -> Packaging:
        if self.packaging is not None:
            return self.packaging
        from generator.loader import schema_defaults  # the version's default lives there

        return Packaging.defaults(self.api.name, schema_defaults("api")["version"])

    def examples_of(self, op: Operation[Any]) -> tuple[Example, ...]:
        return self.examples.get(op.wire_name, ())

    def model(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)

    # -- where each node is written ------------------------------------------------------------
    def source(self, *path: str | int) -> Source:
        return Source(tuple(path), self.loaded)

    def of_operation(self, op: Operation[Any]) -> Source:
        return self.source("operations", op.wire_name)

    def of_param(self, op: Operation[Any], param: Param) -> Source:
        return self.source("operations", op.wire_name, "params", param.wire)

    def of_example(self, op: Operation[Any], index: int) -> Source:
        return self.source("operations", op.wire_name, "examples", index)

    def of_field(self, model: Model, f: Field) -> Source:
        return self.source("models", model.name, "fields", f.name)


def split_type(expr: str) -> tuple[bool, str]:
    """``list[PdfRow]`` -> ``(True, 'PdfRow')``; ``int`` -> ``(False, 'int')``."""
    if expr.startswith("list[") and expr.endswith("]"):
        return True, expr[5:-1]
    return False, expr


# Names every generated package defines itself; a spec may not reuse them.
BASE_ERROR_NAMES = (
    "Error",
    "TransportError",
    "HttpError",
    "AuthenticationError",
    "VendorError",
    "NotFoundError",
    "DecodeError",
    "TaskTimeout",
    "CallTimeout",
    "LimitExceeded",
    "LocalFileError",
    "TokenError",
    "ERROR_TABLE",
)
# Constructor arguments every generated client has (runtime options); settings may not reuse them.
RUNTIME_SETTINGS = tuple(option.name for option in CLIENT_OPTIONS)
# Client attributes and methods every generated client has (read off the runtime's base class);
# neither operations nor settings (which become attributes) may reuse them.
RESERVED_METHODS = tuple(sorted(n for n in dir(TaskClientBase) if not n.startswith("_")))
# Keyword arguments of long-running operations; parameters may not reuse them.
LONG_RUNNING_KWARGS = CALL_OPTIONS["long_running"]
# Keyword arguments of operations that answer with a file; parameters may not reuse them.
FILE_KWARGS = CALL_OPTIONS["file"]
# Keyword arguments every generated method has (a call's own options); parameters may not
# reuse them.
CALL_OPTION_NAMES = CALL_OPTIONS["always"]
