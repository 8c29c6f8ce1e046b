"""`python -m generated.<api>`: the command line of each generated package."""

from __future__ import annotations

import importlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generated._runtime import ClientBase, cli
from tests.conftest import ROOT
from tests.fake_mailstore import VERIFY_LOG, FakeMailStore
from tests.loopback import Loopback, Reply, serve

PACKAGES = ["lleida_mailcert", "mailstore_server", "mailstore_spe", "click2mail"]


def client_class(api: str) -> type[ClientBase]:
    """The client class the package's ``__main__`` builds its command line from."""
    module = importlib.import_module(f"generated.{api}.client")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ClientBase)
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1
    return classes[0]


def run(api: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = cli.main(client_class(api), list(argv), out, err)
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


ENVELOPE = '{"statusCode": "succeeded", "result": %s}'


@pytest.mark.parametrize("api", PACKAGES)
def test_help_lists_every_operation(api: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"generated.{api}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    from generator import pipeline

    (spec,) = [a for a in pipeline.load_apis(pipeline.discover_specs()) if a.name == api]
    for op in spec.operations:
        assert op.name.replace("_", "-") in result.stdout
    assert "Exit codes: 0 ok, 2 usage, 3 authentication" in " ".join(result.stdout.split())


def test_a_call_prints_json_with_credentials_from_the_environment(
    server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILSTORE_SERVER_PASSWORD", "Env-Secret-1")
    server.reply(Reply(body=ENVELOPE % '{"machineName": "WIN", "version": "9"}'))
    code, out, err = run("mailstore_server", "--base-url", server.url, "get-server-info")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"machine_name": "WIN", "version": "9"}
    assert "Env-Secret-1" not in out + err
    import base64

    assert (
        base64.b64decode(server.requests[0].headers["Authorization"][6:]) == b"admin:Env-Secret-1"
    )


def test_arguments_are_converted_from_their_text_form(server: Loopback) -> None:
    server.reply(Reply(body=ENVELOPE % "null"), Reply(body=ENVELOPE % "null"))
    assert (
        run(
            "mailstore_server",
            "--base-url",
            server.url,
            "create-user",
            "--user-name",
            "jane",
            "--privileges",
            "admin,login",
            "--privileges",
            "archive",
        )[0]
        == 0
    )
    assert (
        run(
            "mailstore_server",
            "--base-url",
            server.url,
            "set-smtp-settings",
            "--settings",
            '{"port": 25}',
        )[0]
        == 0
    )
    assert server.requests[0].form() == {
        "userName": ["jane"],
        "privileges": ["admin,login,archive"],
    }
    assert server.requests[1].form() == {"settings": ['{"port":25}']}


def test_lists_can_be_shown_as_a_table(server: Loopback) -> None:
    server.reply(
        Reply(
            body=ENVELOPE % '[{"userName": "admin", "fullName": "Admin"},'
            ' {"userName": "jd", "fullName": null}]'
        )
    )
    code, out, _ = run(
        "mailstore_server", "--base-url", server.url, "--format", "table", "get-users"
    )
    assert code == 0
    assert out.splitlines() == [
        "user_name  full_name  distinguished_name",
        "---------  ---------  ------------------",
        "admin      Admin",
        "jd",
    ]


@pytest.mark.parametrize(
    ("reply", "code", "message"),
    [
        (Reply(401, "no"), 3, "authentication failed"),
        (
            Reply(body='{"statusCode": "failed", "error": {"message": "No such user"}}'),
            4,
            "the vendor refused: GetUserInfo: No such user",
        ),
        (Reply(body="{not json"), 6, "could not understand the answer"),
    ],
)
def test_exit_codes_tell_failures_apart(
    server: Loopback, reply: Reply, code: int, message: str
) -> None:
    server.reply(reply)
    result = run("mailstore_server", "--base-url", server.url, "get-user-info", "--user-name", "x")
    assert result[0] == code and message in result[2]


def test_transport_and_usage_errors_have_their_own_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    assert run("mailstore_server", "--base-url", url, "get-server-info")[0] == 5
    capsys.readouterr()
    code, _, _ = run("mailstore_server", "get-user-info")  # --user-name missing
    assert code == 2 and "--user-name" in capsys.readouterr().err
    code, _, _ = run("lleida_mailcert", "get-default-settings")  # credentials missing
    assert code == 2 and "$LLEIDA_MAILCERT_USERNAME" in capsys.readouterr().err


def test_downloads_go_to_a_file_and_xml_answers_fail(server: Loopback, tmp_path: Path) -> None:
    server.reply(
        Reply(body=b"%PDF-1.4 x", headers={"Content-Type": "application/pdf"}),
        Reply(body="<result><status>205</status><msg>Not yet</msg></result>"),
    )
    target = tmp_path / "c.pdf"
    base = ["--username", "u", "--password", "p", "--base-url", server.url]
    code, out, _ = run(
        "lleida_mailcert", *base, "download-pdf", "--file-id", "7", "-o", str(target)
    )
    assert code == 0 and target.read_bytes() == b"%PDF-1.4 x"
    assert json.loads(out)["size"] == 10
    code, out, _ = run(
        "lleida_mailcert", *base, "download-pdf", "--file-id", "8", "-o", str(tmp_path / "d.pdf")
    )
    assert code == 4 and json.loads(out)["msg"] == "Not yet"


def test_streaming_listing_prints_one_json_line_per_row(server: Loopback) -> None:
    row = "<pdf_row><file_id>{}</file_id></pdf_row>"
    server.reply(
        Reply(
            body="<result><status>100</status><pdf_list rows_found='2'>"
            + row.format(1)
            + row.format(2)
            + "</pdf_list></result>"
        )
    )
    code, out, _ = run(
        "lleida_mailcert",
        "--username",
        "u",
        "--password",
        "p",
        "--base-url",
        server.url,
        "list-pdf",
        "--stream",
        "--date-min",
        "201701010000",
    )
    assert code == 0
    assert [json.loads(line)["file_id"] for line in out.splitlines()] == [1, 2]


def test_files_are_uploaded_from_a_path(server: Loopback, tmp_path: Path) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF letter")
    server.reply(Reply(201, "<document><id>5</id><status>0</status></document>"))
    code, out, _ = run(
        "click2mail",
        "--username",
        "u",
        "--password",
        "p",
        "--base-url",
        server.url,
        "upload-document",
        "--document-name",
        "L",
        "--document-format",
        "PDF",
        "--document-class",
        "Letter 8.5 x 11",
        "--file",
        str(letter),
    )
    assert code == 0 and json.loads(out)["id"] == 5
    assert b"%PDF letter" in server.requests[0].body


def _start(fake: FakeMailStore, server: Loopback, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "generated.mailstore_server", "--base-url", server.url, *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a runner started in the background (``make test &``) ignores SIGINT, and a child
        # would inherit that; the Ctrl-C test needs Python's own handler in the child
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_long_running_tasks_show_progress_and_the_server_log() -> None:
    fake = FakeMailStore()
    for server in serve():
        server.responder = fake
        # the fake answers each poll at once with the next step: polled without pacing
        process = _start(
            fake,
            server,
            "--poll-interval",
            "0",
            "verify-store",
            "--id",
            "3",
            "--no-include-indexes",
        )
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert json.loads(out) is None
    for entry in VERIFY_LOG:
        for line in entry.splitlines():
            assert line in err
    assert "%|" in err  # the progress bar


def test_ctrl_c_cancels_the_task_on_the_server_before_exiting() -> None:
    fake = FakeMailStore(poll_delay=0.2)
    for server in serve():
        server.responder = fake
        process = _start(fake, server, "verify-store", "--id", "3", "--include-indexes")
        deadline = time.monotonic() + 30
        while not any(name == "get-status" for name, _ in fake.calls):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert any(name == "cancel-async" for name, _ in fake.calls)
    assert "cancelling the task on the server" in err
    assert "ended as cancelled" in err


def test_a_body_cut_off_mid_stream_exits_5_without_a_traceback(server: Loopback) -> None:
    def cut() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><result><status>100</status><pdf_list rows_found="2">'
        raise ConnectionResetError("gone")

    server.reply(Reply(body=cut()))
    base = ["--username", "u", "--password", "p", "--base-url", server.url]
    code, out, err = run("lleida_mailcert", *base, "list-pdf", "--stream")
    assert code == 5 and "cut off mid-body" in err and "Traceback" not in err


def test_a_wrong_argument_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--username", "u", "--password", "p", "--base-url", "http://127.0.0.1:9"]
    code, _, _ = run("lleida_mailcert", *base, "list-pdf", "--only-last-file-id", "--subjrw", "J")
    assert code == 2 and "cannot be combined with 'subjrw'" in capsys.readouterr().err


def test_a_local_file_problem_is_a_usage_error_without_a_traceback(
    server: Loopback, tmp_path: Path
) -> None:
    server.reply(Reply(body=b"%PDF-1.4 x", headers={"Content-Type": "application/pdf"}))
    base = ["--username", "u", "--password", "p", "--base-url", server.url]
    target = tmp_path / "missing-folder" / "c.pdf"
    code, _, err = run(
        "lleida_mailcert", *base, "download-pdf", "--file-id", "7", "-o", str(target)
    )
    assert code == 2 and "local file" in err and "Traceback" not in err


def test_the_command_takes_the_calls_deadline_and_says_when_it_ran_out(server: Loopback) -> None:
    server.reply(Reply(body=b"<x/>", delay=1.0))
    base = ["--username", "u", "--password", "p", "--base-url", server.url, "--timeout", "0.3"]
    started = time.monotonic()
    code, _, err = run("lleida_mailcert", *base, "get-default-settings")
    assert code == 5 and "no answer in time" in err and "timeout=0.3" in err
    assert time.monotonic() - started < 0.9


def test_the_command_can_hold_a_larger_answer_when_asked(server: Loopback) -> None:
    body = "<result><status>100</status><x>" + " " * 5000 + "</x></result>"
    server.reply(Reply(body=body), Reply(body=body))
    base = ["--username", "u", "--password", "p", "--base-url", server.url]
    code, _, err = run(
        "lleida_mailcert", *base, "--max-answer-bytes", "1000", "get-default-settings"
    )
    assert code == 5 and "answer refused" in err and "max_answer_bytes=1000" in err
    code, _, _ = run("lleida_mailcert", *base, "--max-answer-bytes", "9000", "get-default-settings")
    assert code == 0


def test_a_folder_that_cannot_take_the_file_is_refused_before_the_request(
    server: Loopback, tmp_path: Path
) -> None:
    base = ["--username", "u", "--password", "p", "--base-url", server.url]
    target = tmp_path / "missing-folder" / "c.pdf"
    code, _, err = run(
        "lleida_mailcert", *base, "download-pdf", "--file-id", "7", "-o", str(target)
    )
    assert code == 2 and "local file: cannot save to" in err and server.requests == []


def test_a_parameter_named_after_a_keyword_is_its_plain_flag(tmp_path: Path) -> None:
    from tests.spec_packages import build_package

    module = build_package(
        tmp_path,
        "spec_version: 1\n"
        "api: {name: keyword_flags, title: Keyword flags, client_class: FlagsClient}\n"
        "server: {url: 'http://127.0.0.1:1'}\n"
        "protocol: {encoding: query, decoding: json, default_method: GET}\n"
        "operations:\n"
        "  Send: {path: /send, params: {From: {type: str, name: from_}}}\n",
    )
    parser = cli.build_parser(module.FlagsClient._api)
    args = parser.parse_args(["send", "--from", "+15550100"])
    assert args.from_ == "+15550100"


def test_a_package_generated_elsewhere_names_itself_in_its_usage(tmp_path: Path) -> None:
    spec = tmp_path / "feed.yaml"
    spec.write_text(
        "spec_version: 1\n"
        "api: {name: feed, title: Feed, client_class: FeedClient}\n"
        "server: {url: 'https://feed.invalid'}\n"
        "protocol: {encoding: query, decoding: json, default_method: GET}\n"
        "operations:\n"
        "  List: {path: /list}\n"
    )
    out = tmp_path / "clients"
    subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    shown = subprocess.run(
        [sys.executable, "-m", "clients.feed", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert shown.stdout.startswith("usage: python -m clients.feed "), shown.stdout + shown.stderr
