"""MailStore Server and SPE clients over real HTTP: form arguments, JSON envelopes, errors and
long-running tasks."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from generated._runtime import Status, Task
from generated.mailstore_server import (
    InvalidCredentialsError,
    MailStoreServerClient,
    ServerInfo,
    TaskCancelledError,
    TaskFailedError,
    UnknownTokenError,
    UserInfo,
)
from generated.mailstore_spe import Instance, MailStoreSpeClient
from tests.loopback import Loopback, Reply, Request

BOM = "\ufeff"


def envelope(status: str = "succeeded", result: Any = None, **extra: Any) -> Reply:
    body = {
        "statusCode": status,
        "statusVersion": extra.pop("version", 2),
        "token": None,
        "percentProgress": None,
        "statusText": None,
        "logOutput": None,
        "error": None,
        "result": result,
        **extra,
    }
    return Reply(body=BOM + json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.fixture
def client(server: Loopback) -> MailStoreServerClient:
    return MailStoreServerClient(
        username="admin", password="pa ss", base_url=server.url, wait_time=250
    )


def only(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in request.form().items()}


def test_a_call_posts_form_arguments_with_basic_auth_and_decodes_the_bom_envelope(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(
        envelope(
            result={
                "userName": "john",
                "fullName": "John Doe",
                "emailAddresses": ["j@example.com"],
                "privileges": ["login"],
                "mfaStatus": "inactive",
                "lastLogin": "2024-01-01",
            }
        )
    )
    info = client.get_user_info("john")
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/api/invoke/GetUserInfo")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"admin:pa ss").decode()
    assert only(request) == {"userName": "john"}
    assert isinstance(info, UserInfo)
    assert (info.user_name, info.full_name) == ("john", "John Doe")
    assert info.email_addresses == ["j@example.com"]
    assert info.mfa_status == "inactive"
    assert info.extra == {"lastLogin": "2024-01-01"}  # unknown fields are kept


def test_arguments_are_serialized_as_the_api_expects(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(envelope(), envelope(), envelope())
    client.create_user("jane", privileges=["admin", "login"], full_name="Jane")
    client.sync_users_with_directory_services(False)
    client.set_smtp_settings({"server": "mx", "port": 25, "tls": True})
    assert only(server.requests[0]) == {
        "userName": "jane",
        "privileges": "admin,login",
        "fullName": "Jane",
    }  # unset arguments are omitted
    assert only(server.requests[1]) == {"dryRun": "false"}
    assert json.loads(only(server.requests[2])["settings"]) == {
        "server": "mx",
        "port": 25,
        "tls": True,
    }


def test_a_call_without_arguments_still_sends_content_length_zero(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(envelope(result={"machineName": "WIN-2012", "version": "9.0.3"}))
    info = client.get_server_info()
    assert info == ServerInfo(machine_name="WIN-2012", version="9.0.3")
    assert server.requests[0].headers["Content-Length"] == "0"


def test_failed_raises_the_vendor_error_with_message_and_details(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(envelope("failed", error={"message": "User not found.", "details": "john.x"}))
    with pytest.raises(TaskFailedError) as caught:
        client.get_user_info("john.x")
    assert caught.value.vendor_message == "User not found."
    assert caught.value.details == "john.x"
    assert caught.value.vendor_status == "failed"


def test_http_401_raises_invalid_credentials(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(Reply(401, "Unauthorized", headers={"WWW-Authenticate": "Basic"}))
    with pytest.raises(InvalidCredentialsError) as caught:
        client.get_users()
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"] == "Basic"
    assert "pa ss" not in str(caught.value)


def running(version: int, progress: int, log: str, token: str = "tok-1") -> Reply:
    return envelope(
        "running", version=version, token=token, percentProgress=progress, logOutput=log
    )


def test_a_long_running_call_polls_get_status_until_the_end(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(
        running(0, 0, "Verifying file group #3...\r\n"),
        running(5, 40, "  100 messages verified...\r\n"),
        envelope(
            "succeeded",
            version=9,
            token="tok-1",
            percentProgress=100,
            logOutput="Finished. No errors have been found.\r\n",
        ),
    )
    seen: list[Status] = []
    result = client.verify_store(3, True, status_callback=seen.append)
    assert result is None
    assert [s.progress for s in seen] == [0, 40, 100]
    assert [r.path for r in server.requests] == [
        "/api/invoke/VerifyStore",
        "/api/get-status",
        "/api/get-status",
    ]
    assert only(server.requests[0]) == {"id": "3", "includeIndexes": "true"}
    assert only(server.requests[1]) == {
        "token": "tok-1",
        "lastKnownStatusVersion": "0",
        "millisecondsTimeout": "250",
    }
    assert only(server.requests[2])["lastKnownStatusVersion"] == "5"


def test_a_task_handle_accumulates_log_output_and_can_be_cancelled(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(
        running(0, 0, "Verifying...\r\n"), running(3, 10, "  100 messages verified...\r\n")
    )
    task = client.begin_verify_store(3, False)
    assert task.token == "tok-1" and not task.done
    updates = iter(task)
    assert next(updates).progress == 0
    assert next(updates).progress == 10
    assert task.log_output == "Verifying...\r\n  100 messages verified...\r\n"

    server.reply(
        envelope("running", version=3, token=None),  # cancel-async answer
        envelope("cancelled", version=4, error={"message": "Cancelled by user."}),
    )
    task.cancel()
    assert only(server.requests[-1]) == {"token": "tok-1"}
    assert server.requests[-1].path == "/api/cancel-async"
    with pytest.raises(TaskCancelledError, match="Cancelled by user."):
        task.wait(timeout=5)
    assert task.done


def test_a_task_can_be_resumed_from_its_token_in_another_client(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(envelope("succeeded", version=12, token="tok-9", result={"verified": 389}))
    other = MailStoreServerClient(base_url=server.url)
    task = other.resume_task("tok-9", version=11)
    assert task.wait() == {"verified": 389}
    assert only(server.requests[0])["lastKnownStatusVersion"] == "11"


def test_an_unknown_token_raises_its_own_error(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(Reply(404, "Not Found"))
    with pytest.raises(UnknownTokenError):
        client.get_status("expired", 0, 1000)


def test_get_status_returns_the_status_itself(
    server: Loopback, client: MailStoreServerClient
) -> None:
    server.reply(running(7, 55, "half way\r\n"))
    status = client.get_status("tok-1", 6, 500)
    assert (status.code, status.version, status.progress, status.log_output) == (
        "running",
        7,
        55,
        "half way\r\n",
    )


def test_spe_instance_functions_use_the_client_default_instance(server: Loopback) -> None:
    spe = MailStoreSpeClient(base_url=server.url, instance_id="test01")
    server.reply(envelope(result=[{"userName": "a"}]), envelope(result=[{"userName": "b"}]))
    spe.get_users()
    spe.get_users(instance_id="other")
    assert only(server.requests[0]) == {"instanceID": "test01"}
    assert only(server.requests[1]) == {"instanceID": "other"}


def test_spe_instance_functions_without_any_instance_are_refused_before_sending(
    server: Loopback,
) -> None:
    spe = MailStoreSpeClient(base_url=server.url)
    with pytest.raises(ValueError, match="missing required argument 'instance_id'"):
        spe.get_users()
    assert server.requests == []


def test_spe_echoes_the_anti_xsrf_token(server: Loopback) -> None:
    spe = MailStoreSpeClient(base_url=server.url)
    server.reply(
        envelope(result=[{"instanceID": "test01", "alias": "t"}], antiXsrfToken="dUubPmGW"),
        envelope(result=[]),
    )
    instances = spe.get_instances("*")
    spe.get_instances("*")
    assert instances == [Instance(instance_id="test01", alias="t")]
    assert "X-XSRF-Token" not in server.requests[0].headers
    assert server.requests[1].headers["X-XSRF-Token"] == "dUubPmGW"


def test_get_metadata_returns_the_bare_function_list(
    server: Loopback, client: MailStoreServerClient
) -> None:
    metadata = [
        {"name": "GetUserInfo", "args": [{"name": "userName", "type": "string", "nullable": False}]}
    ]
    server.reply(Reply(body=BOM + json.dumps(metadata)))
    (function,) = client.get_metadata()
    assert function.name == "GetUserInfo"
    assert function.args[0].nullable is False
    assert server.requests[0].path == "/api/get-metadata"


def test_without_automatic_token_handling_the_call_returns_the_task(server: Loopback) -> None:
    manual = MailStoreServerClient(base_url=server.url, auto_handle_token=False, wait_time=100)
    server.reply(
        running(0, 0, "Verifying...\r\n"),
        envelope("succeeded", version=2, token="tok-1", percentProgress=100),
    )
    task = manual.verify_store(3, True)
    assert isinstance(task, Task)
    assert task.token == "tok-1" and task.progress == 0
    assert len(server.requests) == 1  # nothing polled yet
    assert task.wait() is None
    assert len(server.requests) == 2


def test_automatic_handling_can_be_chosen_per_call(server: Loopback) -> None:
    manual = MailStoreServerClient(base_url=server.url, auto_handle_token=False)
    server.reply(running(0, 0, ""), envelope("succeeded", version=1, result={"ok": True}))
    assert manual.run_job_async(7, auto_handle_token=True) == {"ok": True}
    auto = MailStoreServerClient(base_url=server.url)
    server.reply(running(0, 0, ""))
    task = auto.run_job_async(7, auto_handle_token=False)
    assert task.token == "tok-1"


def test_debug_logs_show_requests_without_credentials(
    server: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    client = MailStoreServerClient(password="Sup3r-Secret", base_url=server.url, log_level="DEBUG")
    server.reply(envelope(), envelope())
    with caplog.at_level("DEBUG", logger="generated.mailstore_server"):
        client.set_user_password("john", "N3w-Passw0rd")
        client.create_user("jane", password="An0ther-One", full_name="Jane")
    text = caplog.text
    assert "SetUserPassword" in text and "'userName': 'john'" in text
    for secret in ("Sup3r-Secret", "N3w-Passw0rd", "An0ther-One", "Authorization"):
        assert secret not in text
    assert "'password': '***'" in text


def test_the_pretty_printer_renders_statuses_readably() -> None:
    from generated.mailstore_server import pretty

    status = Status(
        code="succeeded",
        version=71,
        token="c56f",
        progress=100,
        text=None,
        log_output="1249 messages verified.\r\nFinished.\r\n",
        error_message=None,
        error_details=None,
        result={"userName": "admin", "privileges": ["admin"]},
        raw={},
    )
    assert pretty(status).splitlines() == [
        "code: succeeded",
        "version: 71",
        "token: c56f",
        "progress: 100",
        "text: -",
        "log_output:",
        "  | 1249 messages verified.",
        "  | Finished.",
        "error_message: -",
        "error_details: -",
        "result:",
        "  userName: admin",
        "  privileges:",
        "    - admin",
    ]
