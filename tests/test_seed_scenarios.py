"""Every usage example of the four seed documents, rewritten for the generated clients and run
against a real HTTP server on loopback. Each test names the seed passage it reproduces."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from generated._runtime import Status
from generated.click2mail import Click2MailClient, DocumentFormat
from generated.lleida_mailcert import MailCertClient
from generated.mailstore_server import MailStoreServerClient, TaskCancelledError, TaskFailedError
from generated.mailstore_server import pretty as server_pretty
from generated.mailstore_spe import MailStoreSpeClient
from generated.mailstore_spe import TaskCancelledError as SpeTaskCancelledError
from tests.fake_mailstore import VERIFY_LOG, FakeMailStore
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply, serve

ADMIN = {
    "userName": "admin",
    "distinguishedName": None,
    "privileges": ["admin"],
    "pop3UserNames": [],
    "authentication": "integrated",
    "fullName": "admin",
    "emailAddresses": [],
}


@pytest.fixture
def mailstore() -> Iterator[tuple[Loopback, FakeMailStore]]:
    """The fake answers each status poll at once with the next step of the task, so the clients
    here poll without pacing (``poll_interval=0``): 17 steps take milliseconds, not the 4 s the
    default spacing would make them (the pacing itself: ``test_hostile_network``)."""
    fake = FakeMailStore(
        results={
            "GetServerInfo": {"machineName": "WIN-2012-R2-X64", "version": "9.0.3.9857"},
            "GetUsers": [{"userName": "admin"}, {"userName": "john.doe"}],
            "GetUserInfo": ADMIN,
            "GetEnvironmentInfo": {
                "userName": "admin",
                "serverName": "win2012spe",
                "version": "",
                "licenseeName": "MailStore Software GmbH",
                "licenseeID": 1,
            },
        }
    )
    for server in serve():
        server.responder = fake
        yield server, fake


# -- seed 000: pylleida (Lleida.net MailCert) ------------------------------------------------------

LISTING = (
    '<?xml version="1.0" encoding="ISO-8859-1"?><result><status>100</status>'
    '<pdf_list rows_found="1" rows_ok="1" rows_ko="0"><pdf_row><mail_id>12345</mail_id>'
    "<file_status>5</file_status><mail_date>20171108124802</mail_date><mail_to></mail_to>"
    "<mail_from></mail_from><file_id>98765</file_id><file_status_desc>Finished pdf"
    "</file_status_desc><mail_subj>=?utf-8?Q?John=20aDoe?=</mail_subj>"
    "<file_type>S</file_type></pdf_row></pdf_list></result>"
)


def test_seed000_search_certificates_by_subject(server: Loopback, flavour: Flavour) -> None:
    """`client.mail_cert.list_pdf(subjrw='John Doe')` and the certificate's fields."""
    client = flavour.make(MailCertClient, "username", "password", base_url=server.url)
    server.reply(Reply(body=LISTING))
    res = client.list_pdf(subjrw="John Doe")
    assert res.status == "100"
    results = res.pdf_list
    assert results is not None and results.rows_found == 1
    certificate = results.pdf_row[0]
    assert certificate.mail_id == 12345
    assert certificate.file_status == 5  # 5: finished PDF
    assert certificate.raw["mail_date"] == "20171108124802"
    assert (certificate.mail_to, certificate.mail_from) == ("", "")
    assert certificate.file_id == 98765
    assert certificate.file_status_desc == "Finished pdf"
    assert certificate.mail_subj == "=?utf-8?Q?John=20aDoe?="
    assert certificate.subject == "John aDoe"
    assert certificate.file_type == "S"


def test_seed000_download_a_certificate_or_learn_why_not(
    server: Loopback, tmp_path: Path, flavour: Flavour
) -> None:
    """`res = client.mail_cert.download_pdf(file_id)`; `has_file` tells the two answers apart."""
    client = flavour.make(MailCertClient, "username", "password", base_url=server.url)
    server.reply(
        Reply(body=b"%PDF-1.4 certificate", headers={"Content-Type": "application/pdf"}),
        Reply(body="<result><status>205</status><msg>Not generated yet</msg></result>"),
    )
    res = client.download_pdf(98765, save_to=tmp_path / "cert.pdf")
    assert res.has_file and (tmp_path / "cert.pdf").read_bytes() == b"%PDF-1.4 certificate"
    later = client.download_pdf(98766)
    assert not later.has_file
    assert (later.status, later.msg) == ("205", "Not generated yet")


# -- seed 001: MailStore SPE tutorial ------------------------------------------------------------


def test_seed001_simple_calls_in_a_with_block(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`with mailstore.spe.Client(...) as speClient:` then simple calls that return at once."""
    server, fake = mailstore
    fake.xsrf = "dUubPmGWEANyDxGbBvejCu6qSRUlkQYSiunQCGFkbWlu"
    with flavour.make(
        MailStoreSpeClient, password="S3cR3t!", base_url=server.url, poll_interval=0
    ) as spe:
        info = spe.get_environment_info()
        assert (info.server_name, info.licensee_id) == ("win2012spe", 1)
        user = spe.get_user_info("admin", instance_id="test01")
        assert user.privileges == ["admin"] and user.authentication == "integrated"
    assert fake.calls[1] == ("GetUserInfo", {"instanceID": "test01", "userName": "admin"})


def test_seed001_every_users_details(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`for user in speClient.GetUsers(instance)["result"]: speClient.GetUserInfo(instance, ...)`"""
    server, fake = mailstore
    with flavour.make(
        MailStoreSpeClient, base_url=server.url, poll_interval=0, instance_id="test01"
    ) as spe:
        details = [spe.get_user_info(user.user_name) for user in spe.get_users()]
    assert len(details) == 2
    assert [args for name, args in fake.calls if name == "GetUserInfo"] == [
        {"instanceID": "test01", "userName": "admin"},
        {"instanceID": "test01", "userName": "john.doe"},
    ]


def test_seed001_manual_token_handling_then_handle_token(
    mailstore: tuple[Loopback, FakeMailStore],
    flavour: Flavour,
) -> None:
    """`autoHandleToken=False`: VerifyStore returns the running status with its token;
    `HandleToken(token)` then behaves as automatic handling would."""
    server, fake = mailstore
    with flavour.make(
        MailStoreSpeClient,
        base_url=server.url,
        poll_interval=0,
        auto_handle_token=False,
        instance_id="test01",
    ) as spe:
        task = spe.verify_store(1, False)
        assert flavour.is_task(task)
        assert task.status.code == "running" and task.token and task.version == 0
        assert task.wait() is None
    assert task.status.code == "succeeded" and task.progress == 100
    assert task.log_output == "".join(VERIFY_LOG)


def test_seed001_iterate_over_every_status(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`for status in client.HandleTokenIter(client.VerifyStore(instID, storeID)):`"""
    server, _fake = mailstore
    spe = flavour.make(
        MailStoreSpeClient, base_url=server.url, poll_interval=0, instance_id="test01"
    )
    statuses = list(spe.begin_verify_store(1, False))
    assert statuses[0].code == "running" and statuses[-1].code == "succeeded"
    versions = [s.version for s in statuses]
    assert versions == sorted(versions) and len(statuses) == len(VERIFY_LOG) + 1


def test_seed001_cancel_a_long_running_call(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`CancelAsync(token)`: the server cancels when it decides; polling shows `cancelled`."""
    server, fake = mailstore
    spe = flavour.make(
        MailStoreSpeClient, base_url=server.url, poll_interval=0, instance_id="test01"
    )
    task = spe.begin_verify_store(1, False)
    task.refresh()
    task.refresh()
    task.cancel()
    with pytest.raises(SpeTaskCancelledError):
        task.wait(timeout=5)
    assert task.status.code == "cancelled" and task.progress is None
    assert ("cancel-async", {"token": task.token}) in fake.calls


def test_seed001_pretty_printing(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`mailstore.helper.prettyPrint(...)`: readable output of a status."""
    server, _fake = mailstore
    spe = flavour.make(
        MailStoreSpeClient, base_url=server.url, poll_interval=0, instance_id="test01"
    )
    task = spe.begin_verify_store(1, False)
    task.wait()
    text = server_pretty(task.status)
    assert "code: succeeded" in text
    assert "  | Finished. No errors have been found." in text


# -- seed 002: MailStore Server tutorial ---------------------------------------------------------


def test_seed002_server_info(mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour) -> None:
    """`print(serverClient.GetServerInfo()["result"])`"""
    server, _fake = mailstore
    info = flavour.make(
        MailStoreServerClient, base_url=server.url, poll_interval=0
    ).get_server_info()
    assert (info.machine_name, info.version) == ("WIN-2012-R2-X64", "9.0.3.9857")


def test_seed002_errors_carry_message_and_details(
    mailstore: tuple[Loopback, FakeMailStore],
    flavour: Flavour,
) -> None:
    """`if userInfo["statusCode"] == 'succeeded': ... else: print(userInfo["error"]["message"])`"""
    server, fake = mailstore
    fake.errors["GetUserInfo"] = {"message": "User 'john.doe' does not exist.", "details": "x"}
    client = flavour.make(MailStoreServerClient, base_url=server.url, poll_interval=0)
    with pytest.raises(TaskFailedError) as caught:
        client.get_user_info("john.doe")
    assert caught.value.vendor_message == "User 'john.doe' does not exist."


def test_seed002_all_email_addresses(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`emailAddresses += serverClient.GetUserInfo(user["userName"])["result"]["emailAddresses"]`"""
    server, fake = mailstore
    fake.results["GetUserInfo"] = dict(ADMIN, emailAddresses=["a@example.com"])
    client = flavour.make(MailStoreServerClient, base_url=server.url, poll_interval=0)
    addresses = [
        a
        for user in client.get_users()
        for a in client.get_user_info(user.user_name).email_addresses
    ]
    assert addresses == ["a@example.com", "a@example.com"]


def test_seed002_automatic_token_handling(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`serverClient = mailstore.server.Client(autoHandleToken=True); serverClient.VerifyStore(1)`"""
    server, fake = mailstore
    client = flavour.make(
        MailStoreServerClient,
        base_url=server.url,
        poll_interval=0,
        auto_handle_token=True,
        wait_time=1000,
    )
    assert client.verify_store(1, False) is None
    polls = [args for name, args in fake.calls if name == "get-status"]
    assert len(polls) == len(VERIFY_LOG)
    assert all(p["millisecondsTimeout"] == "1000" for p in polls)
    assert [int(p["lastKnownStatusVersion"]) for p in polls] == list(range(len(VERIFY_LOG)))


def test_seed002_progress_through_a_callback(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`def showProgress(progress): print(progress["logOutput"], end="")` as callbackStatus."""
    server, _fake = mailstore
    printed = io.StringIO()

    def show_progress(status: Status) -> None:
        printed.write(status.log_output or "")

    client = flavour.make(
        MailStoreServerClient, base_url=server.url, poll_interval=0, status_callback=show_progress
    )
    client.verify_store(3, False)
    assert printed.getvalue() == "".join(VERIFY_LOG)


def test_seed002_manual_get_status_loop(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """`while status["statusCode"] == "running": status = serverClient.GetStatus(status)`"""
    server, _fake = mailstore
    client = flavour.make(
        MailStoreServerClient, base_url=server.url, poll_interval=0, auto_handle_token=False
    )
    first = client.begin_verify_store(3, False)
    status = first.status
    output = ""
    while status.code == "running":
        output += status.log_output or ""
        assert status.token and status.version is not None
        status = client.get_status(status.token, status.version, 1000)
    output += status.log_output or ""
    assert status.code == "succeeded" and output == "".join(VERIFY_LOG)


def test_seed002_cancel_inside_the_polling_loop(
    mailstore: tuple[Loopback, FakeMailStore], flavour: Flavour
) -> None:
    """The tutorial's loop that calls `serverClient.CancelAsync(status)` while polling."""
    server, _fake = mailstore
    client = flavour.make(MailStoreServerClient, base_url=server.url, poll_interval=0)
    task = client.begin_verify_store(3, False)
    seen = []
    with pytest.raises(TaskCancelledError):
        for status in task:
            seen.append(status.code)
            if status.version == 3:
                task.cancel()
        task.wait()
    assert seen[-1] == "cancelled"
    assert task.log_output == "".join(VERIFY_LOG[:3])


def test_seed002_resume_a_task_from_its_token_in_a_new_client(
    mailstore: tuple[Loopback, FakeMailStore],
    flavour: Flavour,
) -> None:
    """A script that stored the token picks the task up again (a new process, a new client)."""
    server, _fake = mailstore
    token = (
        flavour.make(MailStoreServerClient, base_url=server.url, poll_interval=0)
        .begin_verify_store(3, False)
        .token
    )
    assert token is not None
    resumed = flavour.make(MailStoreServerClient, base_url=server.url, poll_interval=0).resume_task(
        token
    )
    assert resumed.wait() is None and resumed.status.code == "succeeded"


# -- seed 003: Click2Mail document upload -------------------------------------------------------


def test_seed003_upload_a_letter(server: Loopback, tmp_path: Path, flavour: Flavour) -> None:
    """The staging upload of TestLetter.pdf with a streamed multipart body; 201 and the new id."""
    letter = tmp_path / "TestLetter.pdf"
    letter.write_bytes(b"%PDF-1.4 letter")
    server.reply(
        Reply(
            201,
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><document>'
            "<id>12902503</id><status>0</status><description>Success"
            "</description><pages>1</pages></document>",
        )
    )
    client = flavour.make(Click2MailClient, "awesomeuser", "gReAt/PaSsWoRd123", base_url=server.url)
    document = client.upload_document(
        "Test Letter PDF", DocumentFormat.PDF, "Letter 8.5 x 11", letter
    )
    assert client.last_response is not None and client.last_response.status_code == 201
    assert (document.id, document.status, document.description, document.pages) == (
        12902503,
        "0",
        "Success",
        1,
    )
    assert b"%PDF-1.4 letter" in server.requests[0].body
