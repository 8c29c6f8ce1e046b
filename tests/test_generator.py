"""The generation pipeline: golden output, determinism, drift check, atomic and complete writes,
custom templates."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import filters, formatting, pipeline, render, writer
from tests.conftest import ROOT, tree_digest

SPREAD_BY_FUNCTION = True  # no shared fixture; its slow tests run on several workers

GOLDEN_SPEC = ROOT / "tests" / "golden" / "spec" / "inventory.yaml"
GOLDEN_TREE = ROOT / "tests" / "golden" / "expected" / "inventory"


def _golden_files() -> dict[str, bytes]:
    cwd = Path.cwd()
    os.chdir(ROOT)  # the spec's display name in headers is relative to the project
    try:
        output = pipeline.render_specs([GOLDEN_SPEC])
    finally:
        os.chdir(cwd)
    prefix = "inventory/"
    return {k[len(prefix) :]: v for k, v in output.files.items() if k.startswith(prefix)}


def test_golden_spec_renders_exactly_the_committed_tree() -> None:
    """Regenerate with ``UPDATE_GOLDEN=1 make test`` after an intended change, then review."""
    files = _golden_files()
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN_TREE, ignore_errors=True)
        for name, content in files.items():
            (GOLDEN_TREE / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN_TREE / name).write_bytes(content)
    expected = writer.read_tree(GOLDEN_TREE)
    assert sorted(files) == sorted(expected)
    for name in files:
        assert files[name].decode() == expected[name].decode(), f"{name} differs from the golden"


def test_golden_output_is_valid_python_with_the_spec_text_inert() -> None:
    files = _golden_files()
    for name, content in files.items():
        if name.endswith(".py"):
            ast.parse(content, filename=name)
    init = files["__init__.py"].decode()
    # the description's quote, backslash and triple quote end up inside the docstring
    module_doc = ast.get_docstring(ast.parse(init))
    assert module_doc is not None
    assert 'a backslash \\ and a triple quote """ in its description' in " ".join(
        module_doc.split()
    )


def test_committed_generated_tree_matches_the_specs() -> None:
    assert pipeline.check() == []


def test_check_fails_with_a_diff_after_a_manual_edit(generated_copy: Path) -> None:
    client = generated_copy / "lleida_mailcert" / "client.py"
    client.write_text(client.read_text() + "# hand edit\n")
    (generated_copy / "lleida_mailcert" / "notes.txt").write_text("stray")
    (generated_copy / "click2mail" / "py.typed").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--output", str(generated_copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "+# hand edit" not in result.stdout  # the disk has it; the specs do not
    assert "-# hand edit" in result.stdout
    assert "lleida_mailcert/notes.txt (on disk)" in result.stdout
    assert "click2mail/py.typed (from specs)" in result.stdout or "click2mail/py.typed" in (
        result.stdout
    )
    assert "out of date" in result.stderr


def test_two_runs_in_separate_processes_give_identical_bytes(tmp_path: Path) -> None:
    """One run formats everything itself (its cache is empty) and fills the format cache;
    another reads it. Both give the committed bytes."""
    runs = {
        "warm-up": {"SPECGEN_CACHE_DIR": str(tmp_path / "cache")},
        "cached": {"SPECGEN_CACHE_DIR": str(tmp_path / "cache")},
    }
    outputs = {}
    for run, env in runs.items():
        target = tmp_path / run
        subprocess.run(
            [sys.executable, "-m", "generator", "generate", "--output", str(target)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, **env},
        )
        outputs[run] = tree_digest(target)
    assert outputs["cached"] == outputs["warm-up"] == tree_digest(ROOT / "generated")
    assert any((tmp_path / "cache").iterdir())  # the second run had a cache to read


def test_parallel_formatting_matches_serial_and_names_a_broken_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Files missing from the format cache are formatted in worker processes when there is
    enough work; the result is the same as one by one, and an invalid file is still named."""
    monkeypatch.setenv("SPECGEN_NO_CACHE", "1")
    sources = {f"pkg{i}/mod.py": f"x  =  {i}\ndef f( a ):\n  return a*{i}\n" for i in range(4)}
    serial = {name: formatting.format_sources({name: src})[name] for name, src in sources.items()}
    monkeypatch.setattr(formatting, "_PARALLEL_THRESHOLD", 0)
    assert formatting.format_sources(sources) == serial
    with pytest.raises(formatting.FormatError) as caught:
        formatting.format_sources({**sources, "pkg9/broken.py": "def broken(:\n"})
    assert caught.value.filename == "pkg9/broken.py"
    assert "not valid Python" in str(caught.value)


def test_chunked_formatting_is_what_black_makes_of_the_whole_file() -> None:
    """Each generated module is formatted chunk by chunk (per operation); black run on the
    joined file must find nothing to change, for every package and the golden spec."""
    import black

    mode = black.Mode(
        target_versions={black.TargetVersion.PY311}, line_length=formatting.LINE_LENGTH
    )
    files = sorted((ROOT / "generated").glob("*/*.py")) + sorted(GOLDEN_TREE.glob("*.py"))
    assert len(files) > 20
    for path in files:
        text = path.read_text()
        assert black.format_str(text, mode=mode) == text, path


def test_chunks_are_cut_at_marks_and_joined_with_the_rendered_blank_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPECGEN_NO_CACHE", "1")
    mark = formatting.CHUNK_MARK
    source = (
        f"import os\n{mark}\n\nA  =  1\n\n\nclass C:\n    x = 1\n"
        f"    {mark}\n\n    def f( self ):\n        return  os\n"
        f"    {mark}\n\n    def g(self): return 2\n"
    )
    chunks = formatting.split_chunks(source)
    assert [(c.indent, c.blank_lines_before) for c in chunks] == [(0, 0), (0, 1), (4, 1), (4, 1)]
    assert formatting.format_sources({"m.py": source})["m.py"] == (
        "import os\n\nA = 1\n\n\nclass C:\n    x = 1\n\n    def f(self):\n        return os\n"
        "\n    def g(self):\n        return 2\n"
    )
    with pytest.raises(formatting.FormatError, match="to the left"):
        formatting.format_sources({"bad.py": f"class C:\n    {mark}\n    x = 1\ny = 2\n"})


def test_one_changed_operation_reformats_only_its_own_chunks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(formatting, "_MEMORY", {})
    spec = ROOT / "specs" / "mailstore_server.yaml"
    (api,) = pipeline.load_apis([spec])
    env = render.environment()
    client = render.render_package(api, env)["client.py"]
    formatting.format_sources({"x/client.py": client})
    formatted: list[str] = []
    real = formatting._format_chunk
    monkeypatch.setattr(formatting, "_MEMORY", {})
    monkeypatch.setattr(
        formatting, "_format_chunk", lambda job: formatted.append(job[1].text) or real(job)
    )
    changed = client.replace("All users (name, full name, distinguished name).", "All users.")
    assert changed != client
    formatting.format_sources({"x/client.py": changed})
    assert len(formatted) == 1  # GetUsers's methods (its descriptor is data, in api.json)
    assert all("All users." in text for text in formatted)


def test_generating_all_specs_removes_files_no_spec_produces(generated_copy: Path) -> None:
    (generated_copy / "retired_vendor").mkdir()
    (generated_copy / "retired_vendor" / "client.py").write_text("old = 1\n")
    (generated_copy / "click2mail" / "old_module.py").write_text("old = 1\n")
    pipeline.generate(output_dir=generated_copy)
    assert not (generated_copy / "retired_vendor").exists()
    assert not (generated_copy / "click2mail" / "old_module.py").exists()
    assert tree_digest(generated_copy) == tree_digest(ROOT / "generated")


def test_generating_one_spec_replaces_only_its_package(generated_copy: Path) -> None:
    (generated_copy / "click2mail" / "old_module.py").write_text("old = 1\n")
    (generated_copy / "lleida_mailcert" / "old_module.py").write_text("old = 1\n")
    pipeline.generate([ROOT / "specs" / "lleida_mailcert.yaml"], output_dir=generated_copy)
    assert (generated_copy / "click2mail" / "old_module.py").exists()  # not this spec's package
    assert not (generated_copy / "lleida_mailcert" / "old_module.py").exists()


def test_a_failed_write_leaves_the_target_exactly_as_it_was(generated_copy: Path) -> None:
    before = tree_digest(generated_copy)
    # "x/client.py" cannot be written once "x" is a file: the write fails half-way through
    broken = {"a_first.py": b"ok = 1\n", "x": b"file", "x/client.py": b"never\n"}
    with pytest.raises(OSError):
        writer.write_tree(generated_copy, broken)
    assert tree_digest(generated_copy) == before
    leftovers = [p.name for p in generated_copy.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []


def test_a_template_error_writes_nothing(generated_copy: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "package"
    templates.mkdir(parents=True)
    (templates / "errors.py.j2").write_text("{{ api.no_such_attribute }}\n")
    before = tree_digest(generated_copy)
    with pytest.raises(pipeline.GenerationError, match="errors.py.j2"):
        pipeline.generate(output_dir=generated_copy, template_dir=tmp_path / "templates")
    assert tree_digest(generated_copy) == before


def test_a_template_producing_invalid_python_writes_nothing(
    generated_copy: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates" / "package"
    templates.mkdir(parents=True)
    (templates / "errors.py.j2").write_text("def broken(:\n")
    before = tree_digest(generated_copy)
    with pytest.raises(pipeline.GenerationError, match="not valid Python"):
        pipeline.generate(output_dir=generated_copy, template_dir=tmp_path / "templates")
    assert tree_digest(generated_copy) == before


def test_custom_template_folder_overrides_single_templates(tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "package"
    templates.mkdir(parents=True)
    original = (ROOT / "templates" / "package" / "errors.py.j2").read_text()
    (templates / "errors.py.j2").write_text(original + "\nHOUSE_STYLE = True\n")
    output = pipeline.render_specs(
        [ROOT / "specs" / "lleida_mailcert.yaml"], tmp_path / "templates"
    )
    default = pipeline.render_specs([ROOT / "specs" / "lleida_mailcert.yaml"])
    assert b"HOUSE_STYLE = True" in output.files["lleida_mailcert/errors.py"]
    assert output.files["lleida_mailcert/client.py"] == default.files["lleida_mailcert/client.py"]


def test_validate_command_reports_each_spec() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "validate",
            *sorted(str(p) for p in (ROOT / "specs").glob("*.yaml")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "specs/mailstore_server.yaml: ok (92 operations" in result.stdout
    assert "specs/mailstore_spe.yaml: ok (125 operations" in result.stdout


def test_every_generated_module_carries_the_generated_header() -> None:
    for path in (ROOT / "generated").rglob("*.py"):
        if path.name == "__init__.py" and path.parent.name == "generated":
            continue
        first = path.read_text().splitlines()[0]
        assert first.startswith("# Generated by specgen from "), path


def test_api_reference_pages_cover_every_operation_model_and_error() -> None:
    for api in pipeline.load_apis(pipeline.discover_specs()):
        page = (ROOT / "docs" / f"{api.name}.md").read_text()
        for op in api.operations:
            assert f"\n### {op.name}\n" in page
            for param in op.params:
                assert f"| `{param.name}` | `{param.wire}` |" in page
        for model in api.models:
            assert f"\n### {model.name}\n" in page
        for error in api.errors:
            assert f"| `{error.name}` |" in page


def test_docs_are_checked_for_drift_like_the_code(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    output = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", output, ignore=shutil.ignore_patterns("__pycache__"))
    assert pipeline.check(output_dir=output, docs_dir=docs) == []
    page = docs / "click2mail.md"
    page.write_text(page.read_text().replace("Duplicate", "Dupe"))
    (diff,) = pipeline.check(output_dir=output, docs_dir=docs)
    assert "docs/click2mail.md (on disk)" in diff and "+| `DuplicateDocumentError`" in diff


def test_hand_written_docs_in_sub_folders_survive_generation_and_are_not_drift(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    notes = docs / "vendors" / "notes.md"
    notes.parent.mkdir(exist_ok=True)
    notes.write_text("our findings\n")
    stale_page = docs / "retired_api.md"  # a page no spec produces any more
    stale_page.write_text("old\n")
    output = tmp_path / "generated"
    for paths in ([pipeline.SPEC_DIR / "click2mail.yaml"], None):
        pipeline.generate(paths, output_dir=output, docs_dir=docs)
        assert notes.read_text() == "our findings\n"
    assert not stale_page.exists()
    assert pipeline.check(output_dir=output, docs_dir=docs) == []


def test_markdown_cells_cannot_break_tables_or_inject_html() -> None:

    assert filters.md_cell("a | b\nc <script>") == "a \\| b c &lt;script&gt;"
    assert (
        filters.md_text("keep ``<user>`` but escape <b>") == "keep ``<user>`` but escape &lt;b&gt;"
    )


def test_the_specgen_command_is_installed_and_is_the_generator_cli(tmp_path: Path) -> None:
    specgen = Path(sys.executable).parent / "specgen"
    assert specgen.exists(), "pip install -e . creates the console command"
    result = subprocess.run(
        [str(specgen), "validate", str(ROOT / "specs" / "lleida_mailcert.yaml")],
        cwd=tmp_path,  # works outside the project folder too
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok (3 operations, 4 models)")
