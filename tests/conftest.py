"""Shared fixtures: project paths and a scratch copy of generated/."""

from __future__ import annotations

import hashlib
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.flavours import flavour  # noqa: F401  (the sync/async fixture, for every module)
from tests.loopback import Loopback, serve

ROOT = Path(__file__).resolve().parent.parent


def tree_digest(root: Path) -> dict[str, str]:
    """Content hash of every file under ``root`` (caches excluded)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture
def generated_copy(tmp_path: Path) -> Path:
    """A private copy of the committed generated/ tree, for tests that write output."""
    target = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def server() -> Iterator[Loopback]:
    """A loopback HTTP server; script replies with ``server.reply(Reply(...))``."""
    yield from serve()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    """A private test certificate authority."""
    return trustme.CA()


@pytest.fixture
def https_server(authority: trustme.CA) -> Iterator[Loopback]:
    """A loopback HTTPS server whose certificate ``authority`` signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with Loopback(tls=context) as server:
        yield server


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Matchers and the provenance-stamping persister for the cassette tests."""
    from tests import recording

    vcr.register_matcher("body_fields", recording.body_fields)
    vcr.register_matcher("content_type", recording.content_type)
    vcr.register_persister(recording.ProvenancePersister)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Workers take whole modules (``make test`` runs ``--dist loadgroup``: their fixtures are
    module-scoped), except a module that sets ``SPREAD_BY_FUNCTION = True``: one with no costly
    shared fixture and so many cases that, whole, it would keep one worker busy long after the
    others are done. Its test functions go to the workers one by one."""
    for item in items:
        module = getattr(item, "module", None)
        group = module.__name__ if module is not None else item.nodeid.split("::", 1)[0]
        if getattr(module, "SPREAD_BY_FUNCTION", False):
            group += "::" + getattr(item, "originalname", item.name)
        item.add_marker(pytest.mark.xdist_group(group))
