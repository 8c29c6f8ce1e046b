"""The test helper the runtime ships for the clients' users (``generated._runtime.testing``):
an application's own code, tested against a client that answers from handlers or from a
recorded cassette, without sockets, on the sync and the async client alike. The README's
example is the first test."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from generated._runtime.testing import MemoryTransport, Reply, Sent
from generated.click2mail import AsyncClick2MailClient, Click2MailClient, TransportError
from generated.mailstore_server import AsyncMailStoreServerClient, MailStoreServerClient
from tests.conftest import ROOT

CASSETTES = ROOT / "tests" / "fixtures"


# -- the code under test: an application's own functions that use a client ------------------


def low_on_credit(client: Click2MailClient, threshold: float) -> bool:
    """An application's rule: warn when the account's balance falls below ``threshold``."""
    return (client.get_credit().balance or 0.0) < threshold


async def low_on_credit_async(client: AsyncClick2MailClient, threshold: float) -> bool:
    return ((await client.get_credit()).balance or 0.0) < threshold


def test_an_application_rule_tested_against_a_client_answering_from_a_handler() -> None:
    def vendor(request: Sent) -> Reply:
        assert (request.method, request.path) == ("GET", "/molpro/credit")
        return Reply(200, "<credit><balance>2.50</balance></credit>", {"Content-Type": "text/xml"})

    transport = MemoryTransport(vendor)
    client = Click2MailClient("user", "secret", transport=transport)
    assert low_on_credit(client, threshold=10)
    assert transport.requests[0].headers["Authorization"].startswith("Basic ")


def test_the_same_transport_serves_the_async_client() -> None:
    transport = MemoryTransport([Reply(200, "<credit><balance>25</balance></credit>")])

    async def main() -> bool:
        async with AsyncClick2MailClient("user", "secret", transport=transport) as client:
            return await low_on_credit_async(client, threshold=10)

    assert asyncio.run(main()) is False
    assert [r.path for r in transport.requests] == ["/molpro/credit"]


def test_answers_from_a_recorded_cassette_on_both_clients() -> None:
    cassette = CASSETTES / "mailstore_server" / "get_server_info--documented.yaml"
    sync_client = MailStoreServerClient(transport=MemoryTransport.from_cassette(cassette))
    info = sync_client.get_server_info()

    async def main() -> str:
        transport = MemoryTransport.from_cassette(cassette)
        async with AsyncMailStoreServerClient(transport=transport) as client:
            return (await client.get_server_info()).machine_name

    assert info.machine_name and asyncio.run(main()) == info.machine_name


def test_a_request_the_cassette_does_not_hold_is_the_packages_transport_error() -> None:
    cassette = CASSETTES / "click2mail" / "accept_proof--succeeds.yaml"
    client = Click2MailClient("u", "p", transport=MemoryTransport.from_cassette(cassette))
    with pytest.raises(TransportError, match="holds no .*GET .*/molpro/credit"):
        client.get_credit()


def test_each_recorded_interaction_answers_once(tmp_path: Path) -> None:
    cassette = CASSETTES / "click2mail" / "accept_proof--succeeds.yaml"
    client = Click2MailClient(
        "AL", "p", transport=MemoryTransport.from_cassette(cassette), retry_attempts=0
    )
    client.accept_proof(555, accept_id="AL")
    with pytest.raises(TransportError, match="no \\(further\\)"):
        client.accept_proof(555, accept_id="AL")


def test_a_blocking_transport_is_refused_by_the_async_client() -> None:
    class Blocking:
        def default_headers(self, user_agent: str) -> dict[str, str]:
            return {}

        def send(self, action: object) -> object:
            raise AssertionError("never called")

    with pytest.raises(Exception, match="would block the event loop"):
        AsyncClick2MailClient("u", "p", transport=Blocking())  # type: ignore[arg-type]
