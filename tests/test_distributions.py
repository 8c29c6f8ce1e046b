"""Each client a distribution of its own, proved as a user would meet it: ``specgen package``
writes one per spec, a wheel is built of each (offline, with the virtualenv's setuptools), each
is installed into a fresh virtualenv holding only the runtime's dependencies (copied from this
one: no index, no network), imported, run against a loopback vendor server, run as its command,
and type-checked from a user's file with ``mypy --strict``; the four are also installed into one
virtualenv together."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from generator import packaging, pipeline
from generator.packaging import ASYNC_DEPENDENCIES, RUNTIME_DEPENDENCIES
from generator.writer import read_tree
from tests.conftest import ROOT
from tests.fake_mailstore import FakeMailStore
from tests.loopback import Loopback, Reply, serve
from tests.test_seed_scenarios import LISTING

SPECS = pipeline.discover_specs()
GENERATOR_ONLY = ("jinja2", "black", "jsonschema", "yaml", "ruamel", "generator", "generated")

# The seed's usage example of each vendor, run inside the fresh virtualenv against ``URL``.
USAGE = {
    "lleida_mailcert": """
        from lleida_mailcert import MailCertClient
        with MailCertClient("username", "password", base_url=URL) as client:
            found = client.list_pdf(subjrw="John Doe")
            print(found.pdf_list.pdf_row[0].mail_id)
    """,
    "mailstore_server": """
        from mailstore_server import MailStoreServerClient
        with MailStoreServerClient(base_url=URL, password="x") as client:
            print(client.get_server_info().machine_name)
    """,
    "mailstore_spe": """
        from mailstore_spe import MailStoreSpeClient
        with MailStoreSpeClient(base_url=URL, password="x") as client:
            print(client.get_environment_info().server_name)
    """,
    "click2mail": """
        from click2mail import Click2MailClient
        with Click2MailClient("user", "password", base_url=URL) as client:
            print(client.get_credit().balance)
    """,
}
EXPECTED = {
    "lleida_mailcert": "12345",
    "mailstore_server": "WIN-2012-R2-X64",
    "mailstore_spe": "win2012spe",
    "click2mail": "2.5",
}
USER_FILE = """\
from click2mail import AsyncClick2MailClient, Click2MailClient, Credit


def balance(client: Click2MailClient) -> float | None:
    credit: Credit = client.get_credit(timeout=5.0, retries=0)
    return credit.balance


async def balance_async(client: AsyncClick2MailClient) -> float | None:
    return (await client.get_credit()).balance
"""


def _answer(request: object) -> Reply:
    path = getattr(request, "path", "")
    if path.endswith("mailcertapi.cgi"):
        return Reply(body=LISTING)
    if path.endswith("/credit"):
        return Reply(body="<credit><balance>2.50</balance></credit>")
    fake = FakeMailStore(
        results={
            "GetServerInfo": {"machineName": "WIN-2012-R2-X64", "version": "9.0.3"},
            "GetEnvironmentInfo": {"serverName": "win2012spe", "userName": "admin"},
        }
    )
    return fake(request)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def vendor() -> Iterator[Loopback]:
    for server in serve():
        server.responder = _answer
        yield server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The distributions of every spec, and a wheel of each."""
    out = tmp_path_factory.mktemp("dist")
    folders = pipeline.package(SPECS, out)
    wheels = tmp_path_factory.mktemp("wheels")
    scratch = tmp_path_factory.mktemp("builds")
    for built_folder in folders:  # built from a copy: setuptools leaves build/ and egg-info
        folder = shutil.copytree(built_folder, scratch / built_folder.name)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "-w",
                str(wheels),
                str(folder),
            ],
            check=True,
            capture_output=True,
        )
    found = {}
    for spec in pipeline.load_apis(SPECS):
        (wheel,) = wheels.glob(f"{spec.package.distribution.replace('-', '_')}-*.whl")
        found[spec.api.name] = wheel
    found["_out"] = out
    return found


def runtime_closure() -> list[str]:
    """The runtime's dependencies (the async extra's too) and theirs, as installed here."""
    wanted = [Requirement(r).name for r in (*RUNTIME_DEPENDENCIES, *ASYNC_DEPENDENCIES)]
    seen: list[str] = []
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.append(name)
        for text in importlib.metadata.requires(name) or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted.append(requirement.name)
    return seen


def _fresh_venv(folder: Path) -> Path:
    """A virtualenv without pip, holding only the runtime's dependencies (copied)."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    (site,) = folder.glob("lib/python3.*/site-packages")
    for name in runtime_closure():
        dist = importlib.metadata.distribution(name)
        root = Path(str(dist.locate_file("")))
        for file in dist.files or ():
            source = root / file
            if source.is_file() and ".." not in file.parts and "__pycache__" not in file.parts:
                target = site / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    return folder / "bin" / "python"


def _install(python: Path, *wheels: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            *map(str, wheels),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


def _run(python: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=python.parent,  # not the repository: nothing of it on the path
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )


@pytest.mark.parametrize("name", sorted(USAGE))
def test_each_distribution_alone_installs_runs_its_command_and_type_checks(
    built: dict[str, Path], vendor: Loopback, tmp_path: Path, name: str
) -> None:
    spec = next(s for s in pipeline.load_apis(SPECS) if s.api.name == name)
    package = spec.package
    python = _fresh_venv(tmp_path / "venv")
    _install(python, built[name])
    absent = _run(
        python,
        f"import importlib.util as u; print([m for m in {GENERATOR_ONLY!r} if u.find_spec(m)])",
    )
    assert absent.stdout.strip() == "[]", absent.stderr
    used = _run(python, f"URL = {vendor.url!r}\n" + textwrap.dedent(USAGE[name]))
    assert used.stdout.strip() == EXPECTED[name], used.stderr
    command = subprocess.run(
        [str(python.parent / package.command), "--help"], capture_output=True, text=True
    )
    assert command.returncode == 0, command.stderr
    assert command.stdout.startswith(f"usage: {package.command} "), command.stdout[:80]
    module = subprocess.run(
        [str(python), "-m", package.import_name, "--help"], capture_output=True, text=True
    )
    assert module.stdout.startswith(f"usage: python -m {package.import_name} "), module.stdout
    if name == "click2mail":  # the command does a call, too
        call = subprocess.run(
            [str(python.parent / "click2mail"), "--username", "u", "--password", "p"]
            + ["--base-url", vendor.url, "get-credit"],
            capture_output=True,
            text=True,
        )
        assert call.returncode == 0 and "2.5" in call.stdout, call.stderr
        (tmp_path / "user.py").write_text(USER_FILE)
        _type_check(python, tmp_path)  # the others: together, below (one mypy run)


def _user_file(spec: Any) -> str:
    package, client = spec.package, spec.api.client_class
    return (
        f"from {package.import_name} import Async{client}, {client}\n\n\n"
        f"def both(sync: {client}, aio: Async{client}) -> tuple[{client}, Async{client}]:\n"
        "    return sync, aio\n"
    )


def _type_check(python: Path, folder: Path) -> None:
    """``mypy --strict`` over the user files in ``folder``, against what ``python`` has
    installed."""
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
        + ["--python-executable", str(python), str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    assert checked.returncode == 0, checked.stdout


def test_every_distribution_installs_beside_the_others_and_works(
    built: dict[str, Path], vendor: Loopback, tmp_path: Path
) -> None:
    python = _fresh_venv(tmp_path / "venv")
    _install(python, *(built[name] for name in USAGE))
    for name, code in USAGE.items():
        used = _run(python, f"URL = {vendor.url!r}\n" + textwrap.dedent(code))
        assert used.stdout.strip() == EXPECTED[name], f"{name}: {used.stderr}"
    runtimes = _run(
        python,
        "import click2mail._runtime as a, lleida_mailcert._runtime as b; print(a is not b)",
    )
    assert runtimes.stdout.strip() == "True"  # each its own runtime: no clash
    users = tmp_path / "users"
    users.mkdir()
    for spec in pipeline.load_apis(SPECS):
        (users / f"uses_{spec.api.name}.py").write_text(_user_file(spec))
    _type_check(python, users)


def test_packaging_twice_writes_the_same_bytes(built: dict[str, Path], tmp_path: Path) -> None:
    again = pipeline.package(SPECS, tmp_path)
    for folder in again:
        assert read_tree(folder) == read_tree(built["_out"] / folder.name), folder.name


def test_a_change_needs_the_version_the_diff_says(tmp_path: Path) -> None:
    base = (ROOT / "tests" / "golden" / "spec" / "inventory.yaml").read_text()
    spec = tmp_path / "inventory.yaml"
    spec.write_text(base)
    out = tmp_path / "dist"
    (folder,) = pipeline.package([spec], out)
    removed = base.replace("      price: {type: float}\n", "")
    spec.write_text(removed)
    with pytest.raises(pipeline.GenerationError, match=r"major change .* use 1\.0\.0 or more"):
        pipeline.package([spec], out)
    assert "price" in (folder / packaging.SPEC_COPY).read_text()  # nothing was written
    spec.write_text(
        removed.replace(
            "client_class: InventoryClient", "client_class: InventoryClient\n  version: 0.2.0"
        )
    )
    with pytest.raises(pipeline.GenerationError, match="too small"):
        pipeline.package([spec], out)
    pipeline.package([spec], out, force=True)
    assert 'version = "0.2.0"' in (folder / "pyproject.toml").read_text()
    spec.write_text(
        removed.replace(
            "client_class: InventoryClient", "client_class: InventoryClient\n  version: 1.0.0"
        )
    )
    pipeline.package([spec], out)  # 0.2.0 -> 1.0.0: a major bump, as the removal needs


def test_the_spec_names_its_distribution_import_and_command(tmp_path: Path) -> None:
    base = (ROOT / "tests" / "golden" / "spec" / "inventory.yaml").read_text()
    named = "client_class: InventoryClient\n  distribution: acme-inventory\n"
    named += "  import_name: acme_inventory\n  command: acme-inv\n  version: 2.1.0"
    spec = tmp_path / "inventory.yaml"
    spec.write_text(base.replace("client_class: InventoryClient", named))
    (folder,) = pipeline.package([spec], tmp_path / "dist")
    assert folder.name == "acme-inventory"
    project = (folder / "pyproject.toml").read_text()
    assert 'name = "acme-inventory"' in project and 'version = "2.1.0"' in project
    assert 'acme-inv = "acme_inventory.__main__:main"' in project
    assert (folder / "acme_inventory" / "_runtime" / "calls.py").is_file()
    init = (folder / "acme_inventory" / "__init__.py").read_text()
    assert "from ._runtime import NULL, pretty" in init


def test_a_refused_spec_leaves_every_distribution_as_it_was(tmp_path: Path) -> None:
    """Each spec is checked before any distribution is written: one refusal writes nothing."""
    base = (ROOT / "tests" / "golden" / "spec" / "inventory.yaml").read_text()
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(base.replace("name: inventory", "name: good_inventory"))
    bad.write_text(base.replace("name: inventory", "name: bad_inventory"))
    out = tmp_path / "dist"
    first = {folder.name: read_tree(folder) for folder in pipeline.package([good, bad], out)}
    good.write_text(
        good.read_text().replace(
            "client_class: InventoryClient", "client_class: InventoryClient\n  version: 0.2.0"
        )
    )
    bad.write_text(
        bad.read_text().replace("      price: {type: float}\n", "")
    )  # breaks, same version
    with pytest.raises(pipeline.GenerationError, match="bad.yaml: api.version 0.1.0 is too small"):
        pipeline.package([good, bad], out)
    assert {name: read_tree(out / name) for name in first} == first
    assert sorted(p.name for p in out.iterdir()) == sorted(first)  # no staging folder left


def test_the_runtime_dependencies_are_the_projects_own() -> None:
    project = (ROOT / "pyproject.toml").read_text()
    for requirement in (*packaging.RUNTIME_DEPENDENCIES, *packaging.ASYNC_DEPENDENCIES):
        assert f'"{requirement}"' in project, requirement
