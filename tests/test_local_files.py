"""Every local file a call writes is created safely: the partial download is a new file in the
target's folder under an unpredictable name (a symlink planted anywhere is never followed), it
replaces the target only once the answer is complete, and every local problem is the package's
``LocalFileError`` (also an ``OSError``), raised before anything is sent when the folder is the
problem, with nothing left behind."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generated.lleida_mailcert import LocalFileError, MailCertClient
from generated.lleida_mailcert.errors import Error
from tests.conftest import ROOT
from tests.raw_server import RawRequest, RawServer, response

PDF = b"%PDF-1.4 certificate " + bytes(200_000)


def _pdf_server() -> RawServer:
    return RawServer(lambda request: [response(200, PDF, {"Content-Type": "application/pdf"})])


def client(server: RawServer) -> MailCertClient:
    return MailCertClient("user", "password", base_url=server.url, retry_attempts=0)


def test_a_symlink_planted_where_the_partial_file_used_to_go_is_not_followed(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "certificate.pdf"
    (tmp_path / "certificate.pdf.part").symlink_to(victim)  # the old, predictable name
    with _pdf_server() as server:
        result = client(server).download_pdf(1, save_to=target)
    assert result.has_file and result.size == len(PDF) and result.saved_to == str(target)
    assert target.read_bytes() == PDF and not target.is_symlink()
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "certificate.pdf",
        "certificate.pdf.part",
        "victim.txt",
    ]


def _link_to_a_victim(tmp_path: Path) -> tuple[Path, Path]:
    """A file worth keeping, and a symlink to it where the download is to be saved."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "certificate.pdf"
    target.symlink_to(victim)
    return victim, target


def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim, target = _link_to_a_victim(tmp_path)
    with _pdf_server() as server:
        client(server).download_pdf(1, save_to=target)
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and target.read_bytes() == PDF


def test_the_partial_file_is_private_and_unpredictable(tmp_path: Path) -> None:
    seen: list[str] = []
    modes: list[int] = []

    def answer(request: RawRequest) -> list[bytes | float | None]:
        return [response(200, PDF[:1000], {"Content-Length": str(len(PDF))})[:-1], 0.3, None]

    with RawServer(answer) as server:
        import threading

        def look() -> None:  # while the answer is arriving, the partial file exists
            import time

            time.sleep(0.15)
            seen.extend(p.name for p in tmp_path.iterdir())
            modes.extend(p.stat().st_mode & 0o777 for p in tmp_path.iterdir())

        watcher = threading.Thread(target=look)
        watcher.start()
        with pytest.raises(Error, match="cut off"):
            client(server).download_pdf(1, save_to=tmp_path / "certificate.pdf")
        watcher.join()
    (partial,) = seen
    assert partial.startswith(".certificate.pdf.") and partial.endswith(".part")
    assert partial != ".certificate.pdf.part"  # a random part in the middle
    assert modes == [0o600]  # readable by its owner only
    assert list(tmp_path.iterdir()) == []  # removed when the answer was cut


@pytest.mark.parametrize(
    ("where", "code"),
    [
        ("missing/folder/certificate.pdf", errno.ENOENT),
        ("a_file/certificate.pdf", errno.ENOTDIR),
        ("a_folder", errno.EISDIR),
        ("/sys/specgen-certificate.pdf", errno.EACCES),  # read-only even for root
    ],
    ids=["missing folder", "a file as the folder", "a folder as the target", "read-only folder"],
)
def test_a_local_problem_is_a_package_error_and_an_os_error_before_anything_is_sent(
    tmp_path: Path, where: str, code: int
) -> None:
    if where.startswith("/sys") and not Path("/sys").is_dir():
        pytest.skip("no /sys on this machine")
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "a_folder").mkdir()
    with _pdf_server() as server:
        with pytest.raises(LocalFileError) as caught:
            client(server).download_pdf(1, save_to=tmp_path / where)
        assert server.requests == [], "the request was sent although the file cannot be written"
    error = caught.value
    assert isinstance(error, OSError) and isinstance(error, Error)
    assert error.errno == code and "local file" in str(error)
    assert str(tmp_path / where).split("/")[-1] in str(error)


def test_a_write_that_fails_mid_download_is_a_package_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """The disk fills up (a file size limit makes it do so at 64 KiB): the download ends in a
    LocalFileError carrying the errno, and neither the partial file nor the target remains."""
    script = f"""
import json, resource, signal, sys
sys.path.insert(0, {str(ROOT)!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
from generated.lleida_mailcert import LocalFileError, MailCertClient
client = MailCertClient("u", "p", base_url=sys.argv[1], retry_attempts=0)
try:
    client.download_pdf(1, save_to=sys.argv[2])
    print(json.dumps({{"raised": None}}))
except LocalFileError as error:
    print(json.dumps({{"raised": type(error).__name__, "errno": error.errno,
                       "os_error": isinstance(error, OSError), "message": str(error)}}))
"""
    with _pdf_server() as server:
        done = subprocess.run(
            [sys.executable, "-c", script, server.url, str(tmp_path / "certificate.pdf")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["raised"] == "LocalFileError" and outcome["os_error"]
    assert outcome["errno"] == errno.EFBIG and "cannot write" in outcome["message"]
    assert list(tmp_path.iterdir()) == []


def test_a_file_object_that_cannot_be_written_is_a_package_error(tmp_path: Path) -> None:
    class Full:
        name = "full.pdf"

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    with _pdf_server() as server, pytest.raises(LocalFileError) as caught:
        client(server).download_pdf(1, save_to=Full())  # type: ignore[arg-type]
    assert caught.value.errno == errno.ENOSPC


def test_saving_a_held_file_is_just_as_safe(tmp_path: Path) -> None:
    victim, target = _link_to_a_victim(tmp_path)
    with _pdf_server() as server:
        result = client(server).download_pdf(1)
    assert result.save(target) == len(PDF)
    assert victim.read_text() == "precious" and target.read_bytes() == PDF
    with pytest.raises(LocalFileError):
        result.save(tmp_path / "missing" / "certificate.pdf")
    assert sorted(os.listdir(tmp_path)) == ["certificate.pdf", "victim.txt"]
