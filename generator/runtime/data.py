"""An API's descriptors as data: the generator writes them as JSON (``api.json`` beside the
package's modules), the package reads them back when first needed. Importing a package builds
none of them: the API's description is built when the first client is made, each operation
when it is first called (``OperationRef``), so a package of 2,000 operations imports as fast
as one of ten.

The JSON holds the descriptors field by field (those left at their class default are left
out): ``{"@": "Param", "name": "file_id", ...}``, a class the generated code defines as
``{"@": "TypeName", "name": "PdfRow"}``, a frozenset as ``{"@set": [...]}``; lists are
tuples. Nothing in it is code: it is read with ``json`` and built from a fixed table of
descriptor classes.
"""

from __future__ import annotations

import json
import pkgutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .builtin_types import Type
from .errors import ErrorTable

if TYPE_CHECKING:
    from .descriptors import ApiDescription, Operation

T = TypeVar("T")
DATA_FILE = "api.json"  # beside the generated package's modules


def descriptor_classes() -> dict[str, type]:
    """The classes the data may name (the descriptors and the auth schemes), by name."""
    from . import descriptors
    from .auth import AUTH_SCHEMES

    classes: dict[str, type] = {
        cls.__name__: cls
        for cls in (
            descriptors.ApiDescription,
            descriptors.Envelope,
            descriptors.JsonStatus,
            descriptors.LongRunning,
            descriptors.Operation,
            descriptors.Pagination,
            descriptors.Param,
            descriptors.Protocol,
            descriptors.Server,
            descriptors.Setting,
            descriptors.TransportDefaults,
            descriptors.XmlStatus,
            Type,
        )
    }
    classes.update((scheme.__name__, scheme) for scheme in AUTH_SCHEMES.values())
    return classes


def from_data(value: Any, classes: Mapping[str, type], named: Callable[[str], Any]) -> Any:
    """The descriptor (or value) ``value`` holds: ``named`` gives the generated class of a
    ``TypeName``."""
    if isinstance(value, list):
        return tuple(from_data(item, classes, named) for item in value)
    if not isinstance(value, dict):
        return value
    kind = value.get("@")
    if kind is None:
        if "@set" in value:
            return frozenset(from_data(item, classes, named) for item in value["@set"])
        return {key: from_data(item, classes, named) for key, item in value.items()}
    if kind == "TypeName":
        return named(value["name"])
    fields = {key: from_data(item, classes, named) for key, item in value.items() if key != "@"}
    return classes[kind](**fields)


class ApiData:
    """The descriptors of one generated package, read from its ``api.json`` when first needed:
    ``description`` (the ``ApiDescription``, its operations an ``OperationTable``) when a
    client is made, ``operation(name)`` a typed reference each method holds."""

    def __init__(self, package: str, models: ModuleType | None, errors: ErrorTable) -> None:
        self.package = package
        self.models = models
        self.errors = errors
        self._raw: dict[str, Any] | None = None
        self._description: ApiDescription | None = None
        self._lock = threading.Lock()
        self._classes: dict[str, type] | None = None

    def operation(self, name: str) -> OperationRef[Any]:
        """A reference to the operation ``name``, built when first called."""
        return OperationRef(self, name)

    @property
    def description(self) -> ApiDescription:
        described = self._description
        if described is None:
            with self._lock:
                described = self._description
                if described is None:
                    described = self._description = self._describe()
        return described

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON as read (once)."""
        raw = self._raw
        if raw is None:
            content = pkgutil.get_data(self.package, DATA_FILE)
            if content is None:
                raise FileNotFoundError(f"{self.package}: {DATA_FILE} is missing")
            raw = self._raw = json.loads(content)
        return raw

    def build(self, value: Any) -> Any:
        """A descriptor from its data (``from_data`` with this package's classes)."""
        if self._classes is None:
            self._classes = descriptor_classes()
        return from_data(value, self._classes, self._named)

    def _named(self, name: str) -> Any:
        found = getattr(self.models, name, None) if self.models is not None else None
        if found is None:
            raise LookupError(f"{self.package}: {DATA_FILE} names a class models.py lacks: {name}")
        return found

    def _describe(self) -> ApiDescription:
        from .descriptors import ApiDescription

        fields = {name: self.build(value) for name, value in self.raw["api"].items()}
        return ApiDescription(**fields, errors=self.errors, operations=OperationTable(self))


class OperationTable(Sequence["Operation[Any]"]):
    """The operations of an ``ApiData``, in the spec's order, each built when first asked for
    (by position, by Python name, by wire name)."""

    def __init__(self, data: ApiData) -> None:
        self._data = data
        self._names: list[str] = list(data.raw["operations"])
        self._built: dict[str, Operation[Any]] = {}
        self._wire_names: dict[str, str] | None = None

    def named(self, name: str) -> Operation[Any]:
        """The operation whose method is ``name``."""
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = self._data.build(self._data.raw["operations"][name])
        return built

    def wired(self, wire_name: str) -> Operation[Any] | None:
        """The operation of that wire name (None: there is none)."""
        if self._wire_names is None:
            operations = self._data.raw["operations"]
            self._wire_names = {op["wire_name"]: name for name, op in operations.items()}
        name = self._wire_names.get(wire_name)
        return None if name is None else self.named(name)

    @overload
    def __getitem__(self, index: int) -> Operation[Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Operation[Any]]: ...

    def __getitem__(self, index: int | slice) -> Operation[Any] | Sequence[Operation[Any]]:
        if isinstance(index, slice):
            return [self.named(name) for name in self._names[index]]
        return self.named(self._names[index])

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[Operation[Any]]:
        return (self.named(name) for name in self._names)

    def __repr__(self) -> str:
        return f"<OperationTable of {self._data.package}: {len(self)} operations>"


class OperationRef(Generic[T]):
    """What a generated method calls: its operation, built the first time it is called. ``T``
    is what the call returns (mypy reads it from the method's annotation of the reference)."""

    __slots__ = ("data", "name", "_operation")

    def __init__(self, data: ApiData, name: str) -> None:
        self.data = data
        self.name = name
        self._operation: Operation[T] | None = None

    @property
    def operation(self) -> Operation[T]:
        operation = self._operation
        if operation is None:
            table = self.data.description.operations
            assert isinstance(table, OperationTable)
            operation = self._operation = table.named(self.name)
        return operation

    def __repr__(self) -> str:
        return f"<OperationRef {self.data.package}.{self.name}>"


class ApiOf:
    """A client class's ``_api``: the ``ApiDescription`` of its ``_api_data``, built when
    first read (from the class or one of its clients)."""

    def __get__(self, instance: object, owner: type) -> ApiDescription:
        data: ApiData = owner._api_data  # type: ignore[attr-defined]
        return data.description
