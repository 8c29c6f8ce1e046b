"""Click2Mail MOLPro client over real HTTP: multipart uploads, XML bodies and answers, the
vendor's status table as exceptions, retries of safe requests only."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generated.click2mail import (
    AddressListError,
    AddressListStatus,
    Click2MailAuthenticationError,
    Click2MailClient,
    DocumentFormat,
    DuplicateDocumentError,
    JobError,
    Mapping2Address,
    MissingParameterError,
    NewAddressList,
    TransportError,
    VendorFailureError,
    VendorTimeoutError,
)
from tests.loopback import Loopback, Reply

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@pytest.fixture
def client(server: Loopback) -> Click2MailClient:
    return Click2MailClient(
        "awesomeuser", "gReAt/PaSsWoRd123", base_url=server.url, retry_backoff=0.01
    )


def test_environments_select_the_base_url() -> None:
    assert Click2MailClient("u", "p").last_response is None
    staging = Click2MailClient("u", "p", environment="staging")
    assert staging._client.base_url == "https://stage-rest.click2mail.com/molpro"
    assert Click2MailClient("u", "p")._client.base_url == "https://rest.click2mail.com/molpro"
    with pytest.raises(ValueError, match="production, staging"):
        Click2MailClient("u", "p", environment="qa")  # type: ignore[arg-type]


def test_upload_document_streams_a_multipart_body_from_disk(
    server: Loopback, client: Click2MailClient, tmp_path: Path
) -> None:
    letter = tmp_path / "TestLetter.pdf"
    letter.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 64)
    server.reply(
        Reply(
            201,
            XML + "<document><id>12902503</id><status>0</status>"
            "<description>Success</description><pages>1</pages></document>",
        )
    )
    document = client.upload_document(
        "Test Letter PDF", DocumentFormat.PDF, "Letter 8.5 x 11", letter
    )
    assert (document.id, document.status, document.pages) == (12902503, "0", 1)
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/documents")
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.body
    for name, value in (
        ("documentName", b"Test Letter PDF"),
        ("documentFormat", b"PDF"),
        ("documentClass", b"Letter 8.5 x 11"),
    ):
        assert f'name="{name}"'.encode() + b"\r\n\r\n" + value in body
    assert b'name="file"; filename="TestLetter.pdf"' in body
    assert letter.read_bytes() in body


@pytest.mark.parametrize(
    ("status", "description", "error"),
    [
        ("1", "Duplicate Document", DuplicateDocumentError),
        ("9", "Parameter 'file' is must.", MissingParameterError),
    ],
)
def test_status_table_errors_carry_status_and_description(
    server: Loopback, client: Click2MailClient, status: str, description: str, error: type
) -> None:
    server.reply(
        Reply(
            400,
            XML + f"<document><status>{status}</status>"
            f"<description>{description}</description></document>",
        )
    )
    with pytest.raises(error) as caught:
        client.upload_document("x", "PDF", "Letter 8.5 x 11", b"%PDF")
    assert caught.value.vendor_status == status
    assert caught.value.vendor_message == description
    assert caught.value.http_status == 400


def test_address_lists_are_sent_as_xml_and_their_status_is_typed(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(
        Reply(201, XML + "<addressList><id>77</id><status>0</status></addressList>"),
        Reply(
            200, XML + "<addressList><id>77</id><status>3</status><count>2</count></addressList>"
        ),
    )
    created = client.create_address_list(
        NewAddressList(
            address_list_name="Customers & friends",
            address_mapping_id=2,
            addresses=[
                Mapping2Address(
                    first_name="Ann",
                    last_name="Lee",
                    address1="1 Main St",
                    city="Oakton",
                    state="VA",
                    zip="22124",
                ),
                Mapping2Address(
                    organization="ACME <HQ>",
                    address1="2 Side St",
                    city="Reston",
                    state="VA",
                    zip="20190",
                ),
            ],
        )
    )
    ready = client.get_address_list(77)
    assert created.status == AddressListStatus.V_0
    assert ready.status == AddressListStatus.V_3 and ready.count == 2
    sent = server.requests[0]
    assert sent.headers["Content-Type"] == "application/xml"
    root = ET.fromstring(sent.body)
    assert root.tag == "addressList"
    assert root.findtext("addressListName") == "Customers & friends"
    assert [a.findtext("Last_name") for a in root.find("addresses")] == ["Lee", None]  # type: ignore[union-attr]
    assert root.find("addresses/address[2]/Organization").text == "ACME <HQ>"  # type: ignore[union-attr]
    assert [a.findtext("Zip") for a in root.find("addresses")] == ["22124", "20190"]  # type: ignore[union-attr]
    assert server.requests[1].path == "/addressLists/77"


def test_jobs_are_created_from_form_fields_and_submitted(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(
        Reply(
            201,
            XML + "<job><id>555</id><status>0</status><description>Success"
            "</description><statusUrl>/jobs/555</statusUrl></job>",
        ),
        Reply(200, XML + "<job><id>555</id><status>0</status></job>"),
    )
    job = client.create_job(
        "Letter 8.5 x 11",
        "Address on Separate Page",
        "Next Day",
        "#10 Double Window",
        "Black and White",
        "White 24#",
        "Printing One side",
        document_id=12902503,
        address_id=77,
        mail_class="First Class",
    )
    submitted = client.submit_job(job.id or 0, "User Credit")
    assert (job.id, job.status_url, submitted.status) == (555, "/jobs/555", "0")
    fields = {k: v[0] for k, v in server.requests[0].form().items()}
    assert fields["documentId"] == "12902503" and fields["mailClass"] == "First Class"
    assert "mailingDate" not in fields
    assert server.requests[1].path == "/jobs/555/submit"
    assert server.requests[1].form() == {"billingType": ["User Credit"]}


def test_credit_is_parsed_into_numbers_and_booleans(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(
        Reply(
            200,
            XML + "<credit><balance>12.50</balance><allowNegative>false</allowNegative></credit>",
        )
    )
    credit = client.get_credit()
    assert (credit.balance, credit.allow_negative) == (12.5, False)
    assert server.requests[0].method == "GET"


def test_safe_requests_are_retried_on_503_and_unsafe_ones_are_not(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(Reply(503), Reply(200, XML + "<documents/>"))
    assert client.list_documents(number_of_documents=5).document == []
    assert len(server.requests) == 2
    assert server.requests[1].query == {"numberOfDocuments": ["5"]}

    server.reply(Reply(503, "busy"))
    with pytest.raises(Exception) as caught:
        client.cancel_job(555)
    assert getattr(caught.value, "status", None) == 503
    assert len(server.requests) == 3  # one try only: cancelling is not safe to repeat


def test_exhausted_retries_on_524_raise_the_timeout_error_with_the_attempt_count(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(Reply(524), Reply(524), Reply(524))
    with pytest.raises(VendorTimeoutError) as caught:
        client.get_credit()
    assert caught.value.attempts == 3
    assert len(server.requests) == 3


def test_refused_credentials(server: Loopback, client: Click2MailClient) -> None:
    server.reply(Reply(401, "Unauthorized"))
    with pytest.raises(Click2MailAuthenticationError):
        client.get_credit()


def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Click2MailClient(
        "u", "p", base_url=f"http://127.0.0.1:{port}", retry_attempts=1, retry_backoff=0.01
    )
    with pytest.raises(TransportError) as caught:
        client.get_credit()
    assert caught.value.attempts == 2


def test_status_9_inside_a_success_answer_is_still_an_error(
    server: Loopback, client: Click2MailClient
) -> None:
    server.reply(
        Reply(
            200,
            XML + "<addressList><id>77</id><status>9</status>"
            "<description>Invalid state code</description></addressList>",
        )
    )
    with pytest.raises(AddressListError, match="Invalid state code") as caught:
        client.get_address_list(77)
    assert caught.value.vendor_status == "9"


@pytest.mark.parametrize("operation", ["create_job", "submit_job"])
def test_job_errors_map_to_the_job_error_class(
    server: Loopback, client: Click2MailClient, operation: str
) -> None:
    server.reply(
        Reply(
            400,
            XML + "<job><status>9</status><description>Invalid documentId</description></job>",
        )
    )
    with pytest.raises(JobError, match="Invalid documentId"):
        if operation == "create_job":
            client.create_job(
                "Letter 8.5 x 11", "l", "Next Day", "e", "c", "p", "o", document_id=1, address_id=2
            )
        else:
            client.submit_job(5, "Invoice")


def test_http_500_is_a_vendor_failure(server: Loopback, client: Click2MailClient) -> None:
    server.reply(Reply(500, "Internal Server Error"))
    with pytest.raises(VendorFailureError) as caught:
        client.cancel_job(1)
    assert caught.value.status == 500 and caught.value.body == "Internal Server Error"
