"""The Click2Mail mailing flow, end to end, against a loopback MOLPro that answers as the vendor's
reference documents (tests/fake_molpro.py): upload -> address list (every mapping) -> create
job -> job state while editing -> submit (and each documented refusal) -> tracking -> cost ->
credit."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from generated._runtime import ArgumentValueError, MissingFileError
from generated.click2mail import (
    AddressListError,
    AddressListStatus,
    Click2MailAuthenticationError,
    Click2MailClient,
    JobError,
    JobNotFoundError,
    Mapping1Address,
    Mapping2Address,
    MissingParameterError,
    NewAddressList,
    PaymentNotAuthorizedError,
    TrackingType,
)
from generated.click2mail.models import AddressList
from tests.fake_molpro import PASSWORD, USER, FakeMolPro
from tests.loopback import Loopback

LETTER = dict(
    document_class="Letter 8.5 x 11",
    layout="Address on Separate Page",
    production_time="Next Day",
    envelope="#10 Double Window",
    color="Black and White",
    paper_type="White 24#",
    print_option="Printing One side",
)


@pytest.fixture
def molpro() -> Iterator[tuple[FakeMolPro, Loopback]]:
    vendor = FakeMolPro()
    with Loopback() as server:
        server.responder = vendor
        yield vendor, server


@pytest.fixture
def client(molpro: tuple[FakeMolPro, Loopback]) -> Click2MailClient:
    return Click2MailClient(USER, PASSWORD, base_url=molpro[1].url + "/molpro", retry_attempts=0)


def wait_until_ready(client: Click2MailClient, list_id: int) -> AddressList:
    for _ in range(10):
        state = client.get_address_list(list_id)
        if state.status == AddressListStatus.V_3:
            return state
    raise AssertionError("the address list never became ready")


def test_a_letter_is_mailed_from_upload_to_tracking(
    client: Click2MailClient, molpro: tuple[FakeMolPro, Loopback]
) -> None:
    vendor, _server = molpro
    document = client.upload_document("Letter", "PDF", "Letter 8.5 x 11", b"%PDF-1.4 letter")
    assert document.status == "0" and document.id is not None
    assert vendor.uploads == [("file.pdf", "application/pdf")]  # the extension matches the format

    created = client.create_address_list(
        NewAddressList(
            address_list_name="Customers",
            address_mapping_id=2,
            addresses=[
                Mapping2Address(first_name="Ann", last_name="Lee", address1="1 Main St",
                                city="Oakton", state="VA", zip="22124"),
                Mapping2Address(first_name="Bo", organization="ACME & Co", address1="2 Side St",
                                city="Reston", state="VA", zip="20190"),
            ],
        )
    )  # fmt: skip
    assert created.status == AddressListStatus.V_0 and created.id is not None
    assert created.status_url and created.status_url.endswith(f"/addressLists/{created.id}")
    wait_until_ready(client, created.id)
    assert [a["Zip"] for a in vendor.lists[created.id].addresses] == ["22124", "20190"]

    job = client.create_job(**LETTER, document_id=document.id, address_id=created.id)
    assert (job.status, job.description) == ("0", "Created")
    assert job.id is not None

    draft = client.get_job(job.id)  # status 9 "Editing" is the draft's state, not an error
    assert (draft.status, draft.description) == ("9", "Editing")

    cost = client.get_job_cost(job.id, details=True, payment_type="User Credit")
    assert cost.cost == 2.46 and cost.standard_cost and cost.production_cost
    assert (cost.standard_cost.quantity, cost.standard_cost.subtotal) == (2, 0.98)
    assert cost.production_cost.subtotal == 1.48

    with pytest.raises(PaymentNotAuthorizedError) as refused:  # no credit yet: HTTP 200, status 2
        client.submit_job(job.id, "User Credit")
    assert refused.value.vendor_status == "2" and refused.value.http_status == 200
    assert client.get_job(job.id).description == "Editing"  # still a draft: submit again later

    credit = client.purchase_credit(
        "Ann Lee", "1 Main St", "Oakton", "VA", "22124", 25.0, "4111111111111111", 12, 2030,
        "123", "VI",
    )  # fmt: skip
    assert credit.balance == 25.0

    submitted = client.submit_job(job.id, "User Credit")
    assert submitted.status == "0"
    state = client.get_job(job.id)
    assert (state.status, state.description, state.tracking_type) == (
        "4",
        "Awaiting Production",
        "IMB",
    )

    tracking = client.get_tracking(job.id, TrackingType.IMB)
    assert [p.address for p in tracking.mail_pieces] == ["Ann 22124", "Bo 20190"]
    assert {p.status for p in tracking.mail_pieces} == {"In transit"}
    assert client.get_credit().balance == 22.54

    with pytest.raises(JobError, match="current state"):  # submitted twice: HTTP 400, status 9
        client.submit_job(job.id, "User Credit")


def test_every_address_mapping_reaches_the_vendor_with_its_postal_code(
    client: Click2MailClient, molpro: tuple[FakeMolPro, Loopback]
) -> None:
    vendor, _server = molpro
    first = client.create_address_list(
        NewAddressList(
            address_list_name="One",
            address_mapping_id=1,
            addresses=[Mapping1Address(first_name="Ann", address1="1 Main St", city="Oakton",
                                       state="VA", postal_code="22124", country="US")],
        )
    )  # fmt: skip
    custom = client.create_address_list(
        NewAddressList(
            address_list_name="Custom rows",
            address_mapping_id=2,
            addresses=[{"First_name": "Cy", "Address1": "3 Hill Rd", "City": "Vienna",
                        "State": "VA", "Zip": "22180"}],
        )
    )  # fmt: skip
    assert first.id is not None and custom.id is not None
    assert vendor.lists[first.id].addresses[0]["Postalcode"] == "22124"
    assert vendor.lists[custom.id].addresses[0]["Zip"] == "22180"


def test_a_list_without_the_mappings_postal_code_is_refused_with_the_vendor_message(
    client: Click2MailClient,
) -> None:
    # A mapping-1 address sent under mapping 2: its ZIP is in an element mapping 2 does not use.
    with pytest.raises(AddressListError, match="postal code missing") as caught:
        client.create_address_list(
            NewAddressList(
                address_list_name="Wrong",
                address_mapping_id=2,
                addresses=[Mapping1Address(first_name="Ann", postal_code="22124")],
            )
        )
    assert caught.value.vendor_status == "9"


def test_submit_refusals_raise_the_declared_errors(
    client: Click2MailClient, molpro: tuple[FakeMolPro, Loopback]
) -> None:
    with pytest.raises(JobNotFoundError) as missing:  # HTTP 200 with status 1
        client.submit_job(4040, "User Credit")
    assert missing.value.vendor_status == "1"
    assert missing.value.vendor_message == "Job not found"
    with pytest.raises(ArgumentValueError, match="Credit Card, Invoice, ACH, User Credit"):
        client.submit_job(4040, "Cash")  # refused before anything is sent
    assert len(molpro[1].requests) == 1


def test_a_job_for_an_unready_list_or_unknown_document_is_a_job_error(
    client: Click2MailClient,
) -> None:
    document = client.upload_document("L", "PDF", "Letter 8.5 x 11", b"%PDF")
    listed = client.create_address_list(
        NewAddressList(address_mapping_id=2, addresses=[Mapping2Address(zip="22124")])
    )
    assert document.id is not None and listed.id is not None
    with pytest.raises(JobError, match="not CASS standardized"):
        client.create_job(**LETTER, document_id=document.id, address_id=listed.id)
    with pytest.raises(JobError, match="Invalid documentId"):
        client.create_job(**LETTER, document_id=1, address_id=listed.id)


@pytest.mark.parametrize(
    ("upload", "sent_name", "sent_type"),
    [
        (lambda tmp: b"%PDF-1.4", "file.pdf", "application/pdf"),
        (lambda tmp: io.BytesIO(b"%PDF-1.4"), "file.pdf", "application/pdf"),
        (lambda tmp: ("my letter.pdf", b"%PDF-1.4"), "my letter.pdf", "application/pdf"),
        (lambda tmp: _file(tmp, "Letter.pdf"), "Letter.pdf", "application/pdf"),
        (lambda tmp: _file(tmp, "Letter.pdf").open("rb"), "Letter.pdf", "application/pdf"),
    ],
    ids=["bytes", "unnamed-stream", "named-bytes", "path", "open-file"],
)
def test_uploads_send_a_file_name_whose_extension_matches_the_format(
    client: Click2MailClient,
    molpro: tuple[FakeMolPro, Loopback],
    tmp_path: Path,
    upload: object,
    sent_name: str,
    sent_type: str,
) -> None:
    source = upload(tmp_path)  # type: ignore[operator]
    try:
        client.upload_document("Letter", "PDF", "Letter 8.5 x 11", source)
    finally:
        if hasattr(source, "close"):
            source.close()
    assert molpro[0].uploads == [(sent_name, sent_type)]


def test_an_image_upload_is_named_after_its_format(
    client: Click2MailClient, molpro: tuple[FakeMolPro, Loopback]
) -> None:
    client.upload_document("Card", "PNG", "Postcard 4.25 x 6", b"\x89PNG")
    assert molpro[0].uploads == [("file.png", "image/png")]


def test_a_file_named_against_its_format_gets_the_vendors_refusal(
    client: Click2MailClient,
) -> None:
    with pytest.raises(MissingParameterError, match="format is not allowed"):
        client.upload_document("Letter", "PDF", "Letter 8.5 x 11", ("letter.docx", b"PK"))


def test_bad_upload_arguments_are_refused_before_anything_is_sent(
    client: Click2MailClient, molpro: tuple[FakeMolPro, Loopback], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.pdf"
    with pytest.raises(MissingFileError, match="nope.pdf") as caught:
        client.upload_document("Letter", "PDF", "Letter 8.5 x 11", missing)
    assert isinstance(caught.value, FileNotFoundError)
    with pytest.raises(ArgumentValueError, match="PDF, DOC, DOCX") as bad_format:
        client.upload_document("Letter", "TIFF", "Letter 8.5 x 11", b"II*")
    assert "document_format" in str(bad_format.value)
    with pytest.raises(ArgumentValueError, match="Letter 8.5 x 11") as bad_class:
        client.upload_document("Letter", "PDF", "Letter 8 x 10", b"%PDF")
    assert "document_class" in str(bad_class.value)
    assert molpro[1].requests == []


def test_wrong_credentials_are_refused(molpro: tuple[FakeMolPro, Loopback]) -> None:
    client = Click2MailClient(USER, "wrong", base_url=molpro[1].url + "/molpro")
    with pytest.raises(Click2MailAuthenticationError):
        client.get_credit()


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"%PDF-1.4 from disk")
    return path
