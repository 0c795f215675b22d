"""pytest fixtures for the Exchange and DNS fakes; import them into a test module to use them."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fake_exchange.dns_server import FakeDnsServer
from tests.fake_exchange.exchange_handler import ExchangeHandler, mount_exchange
from tests.fake_exchange.scenarios import golden_exchange_data
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.server import FakeTenantServer

TENANT_ID = "6f1d3c2a-8b4e-4c5d-9a7f-0e1b2c3d4e5f"
INITIAL_DOMAIN = "contoso.onmicrosoft.com"
DOMAINS = ["contoso.com", "fabrikam.com"]


def exchange_scenario(**exchange: Any) -> Scenario:
    """The golden tenant for Exchange tests, with `exchange` keys merged over its extra["exchange"] data."""
    data = copy.deepcopy(golden_exchange_data(DOMAINS, INITIAL_DOMAIN))
    data.update(exchange)
    return Scenario(
        tenant_id=TENANT_ID,
        display_name="Contoso",
        domains=[*DOMAINS, INITIAL_DOMAIN],
        granted_roles=["Domain.Read.All"],
        exchange_roles=["Exchange.ManageAsApp"],
        extra={"exchange": data},
    )


@pytest.fixture(scope="module")
def tenant_server() -> Iterator[tuple[FakeTenantServer, ExchangeHandler]]:
    """One fake tenant server per test module, with the fake admin API mounted."""
    with FakeTenantServer() as server:
        handler = mount_exchange(server)
        yield server, handler


@pytest.fixture
def exchange_server(
    tenant_server: tuple[FakeTenantServer, ExchangeHandler],
) -> Iterator[tuple[FakeTenantServer, ExchangeHandler]]:
    """The shared server with the golden scenario loaded and an empty call log."""
    server, handler = tenant_server
    server.add_scenario(exchange_scenario())
    handler.reset()
    yield server, handler
    server.remove_scenario(TENANT_ID)


@pytest.fixture(scope="module")
def dns_server() -> Iterator[FakeDnsServer]:
    """One fake DNS server per test module; tests set its zone."""
    with FakeDnsServer() as server:
        yield server


@pytest.fixture
def fresh_dns(dns_server: FakeDnsServer) -> Iterator[FakeDnsServer]:
    """The shared DNS server with an empty zone and an empty query log."""
    dns_server.set_zone({})
    dns_server.chase_cnames = True
    dns_server.queries.clear()
    yield dns_server


def random_tenant() -> str:
    return str(uuid.uuid4())
