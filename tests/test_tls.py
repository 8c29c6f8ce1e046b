"""TLS over a real HTTPS server on loopback with a certificate from a private test CA (like the
self-signed certificates MailStore servers often use)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from generated.mailstore_server import MailStoreServerClient, TransportError
from tests.loopback import Loopback, Reply

ENVELOPE = '{"statusCode": "succeeded", "result": {"machineName": "WIN", "version": "9"}}'


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(authority: trustme.CA) -> Iterator[Loopback]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with Loopback(tls=context) as server:
        yield server


def test_certificates_are_verified_by_default(https_server: Loopback) -> None:
    client = MailStoreServerClient(base_url=https_server.url, retry_attempts=0)
    with pytest.raises(TransportError, match="SSLError"):
        client.get_server_info()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verification_can_be_turned_off_explicitly(https_server: Loopback) -> None:
    https_server.reply(Reply(body=ENVELOPE))
    client = MailStoreServerClient(base_url=https_server.url, verify_tls=False)
    assert client.get_server_info().machine_name == "WIN"


def test_a_ca_bundle_makes_a_private_certificate_trusted(
    https_server: Loopback, authority: trustme.CA, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    https_server.reply(Reply(body=ENVELOPE))
    client = MailStoreServerClient(base_url=https_server.url, ca_bundle=str(bundle))
    assert client.get_server_info().version == "9"
