"""What one operation of a spec costs to read, validate, check and render, remembered by content
between runs, so that regenerating after one operation changed costs one operation's work.

Each stage keys its results by a digest of everything they depend on (the operation's text or
data, the rest of the spec when it matters, the generator's own code and templates: see
``fingerprint``), so a stale result cannot be found. Results live in ``.specgen-cache/`` in the
project (or ``$SPECGEN_CACHE_DIR``), one file per spec and stage, in ``marshal``'s format (what
Python's own bytecode caches use: plain data, read and written in C); a run keeps exactly the
entries it used. ``SPECGEN_NO_CACHE=1`` keeps nothing on disk. A cache that cannot be read or
written is only slower, never an error. The formatted chunks have their own cache
(``formatting``)."""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.loader import LoadedSpec
    from generator.runtime.descriptors import Operation

GENERATOR_DIR = Path(__file__).resolve().parent
CACHE_FORMAT = "1"  # changes when what is stored changes shape


def cache_dir() -> Path | None:
    """Where the caches live (None: ``SPECGEN_NO_CACHE=1``, nothing on disk)."""
    if os.environ.get("SPECGEN_NO_CACHE") == "1":
        return None
    configured = os.environ.get("SPECGEN_CACHE_DIR")
    return Path(configured) if configured else GENERATOR_DIR.parent / ".specgen-cache"


def digest(*parts: str) -> str:
    """A key: the SHA-256 of the parts (each one delimited)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


@functools.cache
def fingerprint() -> str:
    """The generator's own code, schema and templates: a result computed by another version of
    any of them is never reused."""
    hasher = hashlib.sha256(CACHE_FORMAT.encode())
    root = GENERATOR_DIR.parent
    files = [*GENERATOR_DIR.rglob("*.py"), *GENERATOR_DIR.rglob("*.json")]  # code, schema
    files += (root / "templates").rglob("*.j2")
    for path in sorted(files):
        hasher.update(str(path.relative_to(root)).encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


class Store:
    """The remembered results of one stage for one spec, by key."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._old: dict[str, Any] | None = None
        self.used: dict[str, Any] = {}

    def _loaded(self) -> dict[str, Any]:
        if self._old is None:
            self._old = {}
            if self.path is not None:
                try:
                    data = marshal.loads(self.path.read_bytes())
                except (OSError, ValueError, EOFError, TypeError):
                    data = None
                if isinstance(data, dict):
                    self._old = data
        return self._old

    def get(self, key: str) -> Any:
        """The result stored under ``key`` (None: none)."""
        found = self.used.get(key)
        if found is None:
            found = self._loaded().get(key)
            if found is not None:
                self.used[key] = found
        return found

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def save(self) -> None:
        """Keep exactly the entries this run used, if anything changed."""
        if self.path is None or not self.used or self.used == self._loaded():
            return
        import tempfile  # here: a run that saves nothing does not import it

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            content = marshal.dumps(self.used)
            with tempfile.NamedTemporaryFile(
                "wb", dir=self.path.parent, delete=False, suffix=".tmp"
            ) as handle:
                handle.write(content)
            os.replace(handle.name, self.path)
        except OSError:
            pass


def store(spec_file: Path | str, stage: str) -> Store:
    """The store of ``stage`` (``yaml``, ``schema``, ``checks``, ``data``, ``render``) for a
    spec."""
    scope = str(Path(spec_file).resolve())
    folder = cache_dir()
    found = _STORES.get((scope, stage, str(folder)))
    if found is None:
        name = f"{digest(scope)[:24]}.{stage}.marshal"
        found = Store(None if folder is None else folder / name)
        _STORES[(scope, stage, str(folder))] = found
    return found


_STORES: dict[tuple[str, str, str], Store] = {}


class OperationMemory:
    """What was made of each operation of a loaded spec (a rendered part, its data), kept
    (the store of ``stage``) by a key of everything it can depend on: the operation as
    the spec says it, the rest of the spec and the generator (``LoadedSpec.frame_digest``),
    ``context`` (where the package goes), the variant asked for."""

    def __init__(self, loaded: LoadedSpec, stage: str, *context: str) -> None:
        self.loaded = loaded
        self.store = store(loaded.path, stage)
        self.frame = digest(loaded.frame_digest(), *context)

    def _key(self, op: Operation[Any], variant: str) -> str:
        return digest(self.frame, variant, self.loaded.operation_digest(op.wire_name))

    def get(self, op: Operation[Any], variant: str = "") -> str | None:
        found = self.store.get(self._key(op, variant))
        return found if isinstance(found, str) else None

    def put(self, op: Operation[Any], text: str, variant: str = "") -> None:
        self.store.put(self._key(op, variant), text)


def save() -> None:
    """Write every store this process used (at the end of a command)."""
    for each in _STORES.values():
        each.save()


def reset() -> None:
    """Save, then forget what this process holds: the next command starts from the disk, as
    a new process would."""
    save()
    _STORES.clear()
