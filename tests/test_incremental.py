"""Regenerating after one operation changed costs one operation's work: a spec is read
operation by operation (each part remembered by its text), and each operation's validation,
checks, descriptor and rendered parts are remembered by a digest of everything they depend on.
What comes out is byte for byte what a cold generation makes, whatever changed: the operation,
the rest of the spec, the generator's own code."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import cache, formatting, loader, pipeline
from tests.conftest import ROOT, tree_digest

SPECS = sorted(
    [
        *(ROOT / "specs").glob("*.yaml"),
        *(ROOT / "examples" / "specs").glob("*.yaml"),
        *(ROOT / "tests" / "golden" / "spec").glob("*.yaml"),
    ]
)


def _read(path: Path, text: str, *, by_operation: bool) -> loader.LoadedSpec | None:
    spec = loader.LoadedSpec(path=path, display_name="spec.yaml", data={})
    if by_operation:
        return spec if loader._read_by_operation(spec, text) else None
    return loader._read_whole(spec, text)


def _same_reading(path: Path, text: str) -> bool:
    """Read by operation (None when it cannot be cut), it must equal the whole reading."""
    whole = _read(path, text, by_operation=False)
    parts = _read(path, text, by_operation=True)
    if parts is None:
        return False
    assert whole is not None
    assert parts.data == whole.data
    assert parts.positions == whole.positions
    assert parts.key_positions == whole.key_positions
    assert parts.written == whole.written
    return True


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("SPECGEN_NO_CACHE", raising=False)
    cache.reset()
    yield folder
    cache.reset()


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_spec_reads_the_same_by_operation_as_whole(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    cut = _same_reading(path, text)
    # a file with anchors (click2mail's shared upload parameters) is read whole: YAML ties its
    # parts together
    assert cut or "&" in text


SHAPES = {
    "comments and blank lines between operations": """\
        operations:
          # the first
          Ping:
            doc: Ping.

          # the second, after a blank line
          Pong:   # with a comment
            doc: "Pong: a colon in quotes, # not a comment"
            params:
              count: {type: int, required: true}
        """,
    "four-space operations and a section after them": """\
        operations:
            Ping:
                doc: Ping.
            Pong:
                returns: json
        models:
          Thing:
            fields: {id: {type: int}}
        """,
    "a comment at column 0 inside the section": """\
        operations:
          Ping:
            doc: Ping.
        # a comment the section keeps
          Pong:
            doc: |
              A block of text
              over two lines.
        """,
    "the operations key with a comment": """\
        api: {name: x}
        operations:  # every call
          Ping: {doc: a flow mapping on one line}
          Pong:
            examples:
              - name: one
                params: {when: 2017-01-01, code: 007, flag: yes}
        """,
}


@pytest.mark.parametrize("shape", SHAPES)
def test_layouts_of_the_operations_section_read_the_same(shape: str, tmp_path: Path) -> None:
    text = textwrap.dedent(SHAPES[shape])
    assert _same_reading(tmp_path / "spec.yaml", text)


@pytest.mark.parametrize(
    "text",
    [
        "operations:\n  Ping: &shared {doc: x}\n  Pong: *shared\n",
        "operations:\n  Ping:\n    <<: {doc: x}\n",
        "operations:\n  Ping:\n\tdoc: x\n",
        "operations: {Ping: {doc: x}}\n",
        "operations:\n    Ping:\n      doc: x\n  Pong:\n    doc: y\n",
        "---\noperations:\n  Ping: {}\n",
        "api: {name: x}\n",
    ],
)
def test_what_yaml_ties_across_parts_is_read_whole(text: str) -> None:
    assert loader.cut_operations(text) is None


def _generate(spec: Path, output: Path) -> dict[str, str]:
    pipeline.generate([spec], output_dir=output, docs_dir=None)
    cache.reset()  # as the next command, in a new process, would find things
    return tree_digest(output)


def _synthetic(operations: int) -> str:
    import yaml

    from bench.generation import synthetic_spec

    return yaml.safe_dump(synthetic_spec(operations), sort_keys=False)


def _new_entries(stage: str) -> int:
    """How many results of ``stage`` the last command had to compute (not found stored)."""
    count = 0
    for (_scope, kind, _folder), store in cache._STORES.items():
        if kind == stage:
            count += len(set(store.used) - set(store._loaded()))
    return count


def test_one_changed_operation_is_all_that_is_done_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "synthetic.yaml"
    spec.write_text(_synthetic(40), encoding="utf-8")
    _generate(spec, tmp_path / "first")
    spec.write_text(
        spec.read_text().replace("number 17.", "number 17, changed."), encoding="utf-8"
    )
    formatted: list[str] = []
    real = formatting._format_chunk
    monkeypatch.setattr(formatting, "_format_chunk", lambda job: formatted.append(job[0]) or real(job))
    pipeline.generate([spec], output_dir=tmp_path / "again", docs_dir=None)
    assert _new_entries("yaml") == 1  # the changed operation's text (the rest was read before)
    assert _new_entries("schema") == 1
    assert _new_entries("checks") == 1
    assert _new_entries("data") == 1
    assert _new_entries("render") == 3  # its sync methods, its async methods, its docs section
    assert sorted(formatted) == ["synthetic/async_client.py", "synthetic/client.py"]
    cache.reset()
    monkeypatch.setattr(formatting, "_format_chunk", real)
    # byte for byte what a generation without any cache makes
    monkeypatch.setenv("SPECGEN_NO_CACHE", "1")
    assert tree_digest(tmp_path / "again") == _generate(spec, tmp_path / "cold")


@pytest.mark.parametrize(
    ("change", "old", "new"),
    [
        ("the rest of the spec", "title: Synthetic API", "title: Synthetic API, renamed"),
        ("a type the operations use", "wire: recordId", "wire: recordID"),
        ("a parameter's type", "dryRun:\n        type: bool", "dryRun:\n        type: str"),
        ("an operation's name", "Operation0003:", "Operation0003b:"),
        ("the order of lines", "operations:\n", "operations:\n\n\n"),
    ],
)
def test_whatever_changes_the_output_is_a_cold_generation(
    change: str, old: str, new: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "synthetic.yaml"
    text = _synthetic(12)
    assert old in text, change
    spec.write_text(text, encoding="utf-8")
    _generate(spec, tmp_path / "first")
    spec.write_text(text.replace(old, new, 1), encoding="utf-8")
    warm = _generate(spec, tmp_path / "warm")
    monkeypatch.setenv("SPECGEN_NO_CACHE", "1")
    assert warm == _generate(spec, tmp_path / "cold")


def test_a_new_generator_finds_nothing_of_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "synthetic.yaml"
    spec.write_text(_synthetic(5), encoding="utf-8")
    _generate(spec, tmp_path / "first")
    monkeypatch.setattr(cache, "fingerprint", lambda: "another generator")
    pipeline.generate([spec], output_dir=tmp_path / "again", docs_dir=None)
    for stage in ("schema", "checks", "data", "render"):
        assert _new_entries(stage) > 0, stage


def test_a_damaged_cache_is_only_slower(tmp_path: Path, own_cache: Path) -> None:
    spec = tmp_path / "synthetic.yaml"
    spec.write_text(_synthetic(5), encoding="utf-8")
    first = _generate(spec, tmp_path / "first")
    for stored in own_cache.glob("*.marshal"):
        stored.write_bytes(b"\x00 not marshal")
    assert _generate(spec, tmp_path / "again") == first
