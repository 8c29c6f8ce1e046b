"""TLS over a real HTTPS server on loopback with a certificate from a private test CA (like the
self-signed certificates MailStore servers often use)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from generated.mailstore_server import MailStoreServerClient, TransportError
from tests.flavours import Flavour
from tests.loopback import Loopback, Reply

ENVELOPE = '{"statusCode": "succeeded", "result": {"machineName": "WIN", "version": "9"}}'


def test_certificates_are_verified_by_default(https_server: Loopback, flavour: Flavour) -> None:
    client = flavour.make(MailStoreServerClient, base_url=https_server.url, retry_attempts=0)
    with pytest.raises(
        TransportError,
        match="TLS certificate of 127.0.0.1 was refused .*CERTIFICATE_VERIFY_FAILED.*ca_bundle.*verify_tls=False",
    ):
        client.get_server_info()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verification_can_be_turned_off_explicitly(
    https_server: Loopback, flavour: Flavour
) -> None:
    https_server.reply(Reply(body=ENVELOPE))
    client = flavour.make(MailStoreServerClient, base_url=https_server.url, verify_tls=False)
    assert client.get_server_info().machine_name == "WIN"


def test_a_ca_bundle_makes_a_private_certificate_trusted(
    https_server: Loopback,
    authority: trustme.CA,
    tmp_path: Path,
    flavour: Flavour,
) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    https_server.reply(Reply(body=ENVELOPE))
    client = flavour.make(MailStoreServerClient, base_url=https_server.url, ca_bundle=str(bundle))
    assert client.get_server_info().version == "9"


def test_a_refused_certificate_is_not_retried(https_server: Loopback, flavour: Flavour) -> None:
    client = flavour.make(
        MailStoreServerClient, base_url=https_server.url, retry_attempts=3, retry_backoff=0
    )
    with pytest.raises(TransportError) as caught:
        client.get_server_info()  # a safe call: network failures would be retried
    assert caught.value.attempts == 1 and "after" not in str(caught.value)


def test_the_command_line_says_insecure_once_not_per_request(
    https_server: Loopback, capfd: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys

    https_server.reply(Reply(body=ENVELOPE), Reply(body=ENVELOPE))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generated.mailstore_server",
            "--base-url",
            https_server.url,
            "--insecure",
            "get-server-info",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("notice: --insecure") == 1
    assert "InsecureRequestWarning" not in result.stderr
