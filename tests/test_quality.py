"""`make check` as tests: the generated code type-checks strictly and everything lints clean."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SPREAD_BY_FUNCTION = True  # no shared fixture; its slow tests run on several workers


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_generated_code_passes_mypy_strict() -> None:
    result = _run("mypy", "--strict", "--no-incremental", "generated")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_passes_mypy_strict() -> None:
    result = _run("mypy", "--strict", "generator")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_generated_code_and_tests_pass_ruff() -> None:
    result = _run("ruff", "check", "generator", "generated", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_packages_import_and_expose_their_clients() -> None:
    code = (
        "import generated.lleida_mailcert as a, generated.mailstore_server as b, "
        "generated.mailstore_spe as c, generated.click2mail as d;"
        "print(a.MailCertClient.__name__, b.MailStoreServerClient.__name__, "
        "c.MailStoreSpeClient.__name__, d.Click2MailClient.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "MailCertClient",
        "MailStoreServerClient",
        "MailStoreSpeClient",
        "Click2MailClient",
    ]


def test_pydoc_shows_every_operation_with_its_parameters() -> None:
    code = "import pydoc, generated.mailstore_server as m; print(pydoc.render_doc(m.MailStoreServerClient, renderer=pydoc.plaintext))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "verify_store(self, id: 'int', include_indexes: 'bool'" in result.stdout
    assert "Verify the integrity of one archive store." in result.stdout
    assert (
        "get_user_info(self, user_name: 'str', *, timeout: 'float | None' = None" in result.stdout
    )


def test_readme_examples_type_check_against_the_generated_packages(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 3  # one per vendor at least
    for i, block in enumerate(blocks):
        (tmp_path / f"readme_{i}.py").write_text(block)
    result = _run("mypy", "--strict", "--no-incremental", str(tmp_path))
    assert result.returncode == 0, result.stdout


def test_a_minimal_streaming_spec_generates_lint_clean_code(tmp_path: Path) -> None:
    """A streaming twin without datetime parameters, tasks or environments (the import block
    once lacked the blank line after ``from __future__``)."""
    spec = tmp_path / "feed.yaml"
    spec.write_text(
        "spec_version: 1\n"
        "api: {name: feed, title: Feed, client_class: FeedClient}\n"
        "server: {url: 'https://feed.invalid'}\n"
        "protocol: {encoding: query, decoding: xml}\n"
        "models:\n"
        "  Entry: {fields: {id: {type: int}}}\n"
        "  Page: {fields: {entry: {type: 'list[Entry]'}}}\n"
        "operations:\n"
        "  List: {returns: Page, stream_items: entry, method: GET}\n"
    )
    out = tmp_path / "out"
    generate = _run("generator", "generate", str(spec), "--output", str(out))
    assert generate.returncode == 0, generate.stderr
    result = _run(
        "ruff",
        "check",
        "--isolated",
        "--line-length",
        "100",
        "--select",
        "E,F,W,I,UP,B",
        str(out / "feed"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
