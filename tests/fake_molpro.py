"""A stateful stand-in for Click2Mail's MOLPro REST API on loopback, answering as the vendor's
reference documents (docs/vendors/click2mail_molpro.md), not as our spec assumes: uploads whose
file name must end with the format's extension, address lists that only keep the elements of
their mapping and turn ready (status 3) after a few polls, draft jobs in state 9 "Editing",
submit refusals 1 and 2 under HTTP 200, the cost breakdown nested inside ``<job>``, tracking
after submission, and account credit spent by submitting."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from tests.loopback import Reply, Request

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
USER, PASSWORD = "molpro-user", "molpro-pass"
FORMATS = {"PDF", "DOC", "DOCX", "PUB", "PPT", "PPTX", "ODT", "JPEG", "JPG", "PNG"}
# The element names of each documented address mapping (reference §3); anything else is dropped.
MAPPINGS = {
    "1": {"Firstname", "Lastname", "Organization", "Address1", "Address2", "Address3", "City",
          "State", "Postalcode", "Country"},
    "2": {"First_name", "Last_name", "Organization", "Address1", "Address2", "Address3", "City",
          "State", "Zip", "Country_non-US"},
}  # fmt: skip
POSTAL = {"1": "Postalcode", "2": "Zip"}
BILLING_TYPES = {"Credit Card", "Invoice", "ACH", "User Credit", "Apple Pay", "Google Pay"}
JOB_OPTIONS = ("documentClass", "layout", "productionTime", "envelope", "color", "paperType",
               "printOption")  # fmt: skip
POSTAGE, PRODUCTION = 0.49, 0.74  # per piece, US dollars


@dataclass
class FakeList:
    id: int
    addresses: list[dict[str, str]]
    polls: int = 0

    def status(self) -> tuple[str, str]:
        states = [("0", "Uploaded"), ("1", "Mapped"), ("3", "CASS Standardized")]
        return states[min(self.polls, len(states) - 1)]


@dataclass
class FakeJob:
    id: int
    document_id: int
    address_list: FakeList
    submitted: bool = False

    @property
    def pieces(self) -> int:
        return len(self.address_list.addresses)

    @property
    def cost(self) -> float:
        return round(self.pieces * (POSTAGE + PRODUCTION), 2)


@dataclass
class FakeMolPro:
    balance: float = 0.0
    documents: dict[int, dict[str, str]] = field(default_factory=dict)
    lists: dict[int, FakeList] = field(default_factory=dict)
    jobs: dict[int, FakeJob] = field(default_factory=dict)
    uploads: list[tuple[str, str | None]] = field(default_factory=list)  # (file name, type)
    next_id: int = 100

    def __call__(self, request: Request) -> Reply:
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return Reply(401, "Unauthorized")
        prefix, _, rest = request.path.strip("/").partition("/")
        if prefix != "molpro":
            return Reply(404, "Not Found")
        parts = rest.split("/")
        route = (request.method, *["{id}" if p.isdigit() else p for p in parts])
        handler = _ROUTES.get(route)
        if handler is None:
            return Reply(404, "Not Found")
        ids = [int(p) for p in parts if p.isdigit()]
        return handler(self, request, *ids)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- documents ---------------------------------------------------------------------------
    def upload(self, request: Request) -> Reply:
        fields: dict[str, str] = {}
        file_name: str | None = None
        content_type = request.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                file_name = part.get_filename()
                self.uploads.append((file_name or "", part.get_content_type()))
            else:
                fields[str(name)] = part.get_payload(decode=True).decode()
        missing = [
            n for n in ("documentName", "documentFormat", "documentClass") if n not in fields
        ]
        if missing or file_name is None:
            what = missing[0] if missing else "file"
            return _status(400, "document", "9", f"Parameter '{what}' is must.")
        document_format = fields["documentFormat"]
        extension = file_name.rsplit(".", 1)[-1].upper() if "." in file_name else ""
        if document_format not in FORMATS or extension != document_format:
            return _status(
                400,
                "document",
                "9",
                "Document format is not allowed: pdf, doc, docx, pub, ppt, pptx, png, jpeg, odt",
            )
        document_id = self._id()
        self.documents[document_id] = fields
        return Reply(
            201,
            f"{XML}<document><id>{document_id}</id><status>0</status>"
            "<description>Success</description><pages>1</pages></document>",
        )

    # -- address lists -----------------------------------------------------------------------
    def create_list(self, request: Request) -> Reply:
        root = ET.fromstring(request.body)
        mapping = root.findtext("addressMappingId") or ""
        if root.tag != "addressList" or mapping not in MAPPINGS:
            return _status(400, "addressList", "9", "Invalid input data")
        addresses = []
        for element in root.iterfind("addresses/address"):
            kept = {c.tag: c.text or "" for c in element if c.tag in MAPPINGS[mapping]}
            if not kept.get(POSTAL[mapping]):
                return _status(400, "addressList", "9", "Invalid input data: postal code missing")
            addresses.append(kept)
        fake = FakeList(self._id(), addresses)
        self.lists[fake.id] = fake
        return Reply(
            200,
            f"{XML}<addressList><id>{fake.id}</id><status>0</status>"
            "<description>Uploaded</description>"
            f"<statusUrl>https://rest.click2mail.com/molpro/addressLists/{fake.id}</statusUrl>"
            "</addressList>",
        )

    def get_list(self, request: Request, list_id: int) -> Reply:
        fake = self.lists.get(list_id)
        if fake is None:
            return _status(400, "addressList", "9", "Address list not found")
        status, description = fake.status()
        fake.polls += 1
        return Reply(
            200,
            f"{XML}<addressList><id>{list_id}</id><status>{status}</status>"
            f"<description>{description}</description></addressList>",
        )

    # -- jobs --------------------------------------------------------------------------------
    def create_job(self, request: Request) -> Reply:
        form = dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))
        missing = [n for n in JOB_OPTIONS if n not in form]
        if missing:
            return _status(400, "job", "9", f"Parameter '{missing[0]}' is must.")
        document_id = int(form.get("documentId", "0"))
        fake_list = self.lists.get(int(form.get("addressId", "0")))
        if document_id not in self.documents:
            return _status(400, "job", "9", "Invalid documentId")
        if fake_list is None or fake_list.status()[0] != "3":
            return _status(400, "job", "9", "Address list not found or not CASS standardized")
        job = FakeJob(self._id(), document_id, fake_list)
        self.jobs[job.id] = job
        return Reply(201, _job(job.id, "0", "Created"))

    def get_job(self, request: Request, job_id: int) -> Reply:
        job = self.jobs.get(job_id)
        if job is None:
            return _status(400, "job", "9", "Job not found")
        if not job.submitted:
            return Reply(201, _job(job_id, "9", "Editing"))  # a draft: a state, not an error
        extra = "<trackingType>IMB</trackingType><tracking></tracking><com>false</com>"
        return Reply(200, _job(job_id, "4", "Awaiting Production", extra))

    def submit(self, request: Request, job_id: int) -> Reply:
        form = dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))
        job = self.jobs.get(job_id)
        if job is None:
            return Reply(200, _job(0, "1", "Job not found"))  # documented: HTTP 200, status 1
        if form.get("billingType") not in BILLING_TYPES:
            return _status(400, "job", "9", "Invalid billingType")
        if job.submitted:
            return _status(400, "job", "9", "Job cannot be submitted in its current state")
        if form["billingType"] == "User Credit" and self.balance < job.cost:
            return Reply(200, _job(job_id, "2", "Payment not authorized"))  # HTTP 200, status 2
        if form["billingType"] == "User Credit":
            self.balance = round(self.balance - job.cost, 2)
        job.submitted = True
        return Reply(201, _job(job_id, "0", "Success"))

    def cost(self, request: Request, job_id: int) -> Reply:
        job = self.jobs.get(job_id)
        if job is None:
            return _status(400, "job", "9", "Job not found")
        n = job.pieces
        lines = (
            f"<standardCost><postageName>First Class</postageName><postageUnitCost>{POSTAGE}"
            f"</postageUnitCost><quantity>{n}</quantity><handlingFee>0.00</handlingFee>"
            f"<subtotal>{n * POSTAGE:.2f}</subtotal></standardCost>"
            f"<productionCost><productionUnitCost>{PRODUCTION}</productionUnitCost>"
            f"<quantity>{n}</quantity><discountSubtotal>0.00</discountSubtotal>"
            f"<subtotal>{n * PRODUCTION:.2f}</subtotal></productionCost>"
        )
        body = f"<cost>{job.cost:.2f}</cost><totalTax>0.00</totalTax>{lines}"
        return Reply(200, _job(job_id, "0", "Success", body))

    def tracking(self, request: Request, job_id: int) -> Reply:
        job = self.jobs.get(job_id)
        if job is None or not job.submitted:
            return _status(400, "job", "9", "No tracking for this job")
        pieces = "".join(
            f"<mailPiece><barCode>0004090123456712{i:04d}</barCode>"
            f"<address>{a.get('First_name') or a.get('Firstname', '')} "
            f"{a.get('Zip') or a.get('Postalcode', '')}</address><status>In transit</status>"
            "<dateTime>2026-11-04 08:30:00</dateTime><statusLocation>MERRIFIELD VA"
            "</statusLocation></mailPiece>"
            for i, a in enumerate(job.address_list.addresses)
        )
        body = f"<trackingType>IMB</trackingType><tracking>{pieces}</tracking>"
        return Reply(200, _job(job_id, "0", "Success", body))

    # -- credit ------------------------------------------------------------------------------
    def credit(self, request: Request) -> Reply:
        return Reply(
            200,
            f"{XML}<credit><balance>{self.balance:.2f}</balance>"
            "<allowNegative>false</allowNegative></credit>",
        )

    def purchase(self, request: Request) -> Reply:
        form = dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))
        amount = float(form.get("billingAmount", "0"))
        if amount < 10:
            return _status(400, "credit", "9", "The minimum purchase is 10.00")
        self.balance = round(self.balance + amount, 2)
        return self.credit(request)


def _status(http: int, root: str, status: str, description: str) -> Reply:
    return Reply(
        http,
        f"{XML}<{root}><status>{status}</status><description>{description}</description></{root}>",
    )


def _job(job_id: int, status: str, description: str, extra: str = "") -> str:
    url = f"https://rest.click2mail.com/molpro/jobs/{job_id}"
    return (
        f"{XML}<job><id>{job_id}</id><status>{status}</status><description>{description}"
        f"</description>{extra}<statusUrl>{url}</statusUrl></job>"
    )


_ROUTES = {
    ("POST", "documents"): FakeMolPro.upload,
    ("POST", "addressLists"): FakeMolPro.create_list,
    ("GET", "addressLists", "{id}"): FakeMolPro.get_list,
    ("POST", "jobs"): FakeMolPro.create_job,
    ("GET", "jobs", "{id}"): FakeMolPro.get_job,
    ("POST", "jobs", "{id}", "submit"): FakeMolPro.submit,
    ("GET", "jobs", "{id}", "cost"): FakeMolPro.cost,
    ("GET", "jobs", "{id}", "tracking"): FakeMolPro.tracking,
    ("GET", "credit"): FakeMolPro.credit,
    ("POST", "credit", "purchase"): FakeMolPro.purchase,
}
