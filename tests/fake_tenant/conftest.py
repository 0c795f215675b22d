"""Fixtures for the fake tenant's own tests: one server per module, faults and log reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msal
import pytest

from .certificates import AppCertificate, make_app_certificate
from .golden import GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET, golden_tenant
from .model import Scenario
from .named import demo_tenant, no_consent_tenant, unlicensed_tenant
from .patching import with_certificate, with_roles
from .server import FakeTenantServer, PinnedSession

#: Tenant ids of the variants served next to the golden tenant (same names, other GUIDs).
NO_CONSENT_ID = "11111111-1111-4111-8111-111111111111"
UNLICENSED_ID = "22222222-2222-4222-8222-222222222222"
NARROW_ID = "33333333-3333-4333-8333-333333333333"


def _renamed(scenario: Scenario, tenant_id: str, domain: str) -> Scenario:
    scenario.tenant_id = tenant_id
    scenario.domains = [domain]
    return scenario


@pytest.fixture(scope="session")
def golden() -> Scenario:
    """The golden tenant (300 users)."""
    return golden_tenant()


@pytest.fixture(scope="session")
def app_certificate(tmp_path_factory: pytest.TempPathFactory) -> AppCertificate:
    """A password-protected app certificate registered on the golden tenant's app."""
    return make_app_certificate(Path(tmp_path_factory.mktemp("app-cert")), password="s3cret-pass")


@pytest.fixture(scope="module")
def server(golden: Scenario, app_certificate: AppCertificate) -> Iterator[FakeTenantServer]:
    """A running server with the golden tenant (secret and certificate), a narrow-permission copy, a
    no-consent copy, an unlicensed tenant and the demo tenant."""
    scenarios = [
        with_certificate(golden, app_certificate),
        _renamed(
            with_roles(golden, ["User.Read.All", "Policy.ReadWrite.ConditionalAccess"], exchange_roles=[]),
            NARROW_ID,
            "narrow.example",
        ),
        _renamed(no_consent_tenant(), NO_CONSENT_ID, "noconsent.example"),
        _renamed(unlicensed_tenant(), UNLICENSED_ID, "unlicensed.example"),
        demo_tenant(),
    ]
    with FakeTenantServer(scenarios) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_server(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with no armed faults and an empty request log."""
    yield
    if "server" in request.fixturenames:
        running: FakeTenantServer = request.getfixturevalue("server")
        running.faults.clear()
        running.reset_log()
        running.page_size = 25


@pytest.fixture
def session(server: FakeTenantServer) -> PinnedSession:
    """A requests session that trusts the server's CA."""
    return server.client_session()


def msal_app(
    server: FakeTenantServer, tenant: str, credential: object, client_id: str = GOLDEN_CLIENT_ID
) -> msal.ConfidentialClientApplication:
    """An MSAL confidential client pointed at the fake authority, the way the scanner builds one."""
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{server.url}/{tenant}",
        instance_discovery=False,
        http_client=server.client_session(),
    )


def graph_token(
    server: FakeTenantServer,
    tenant: str = "contoso.com",
    client_id: str = GOLDEN_CLIENT_ID,
    secret: str = GOLDEN_CLIENT_SECRET,
) -> str:
    """An access token for the server's own audience, obtained with a client secret (the golden one by default)."""
    result = msal_app(server, tenant, secret, client_id).acquire_token_for_client([f"{server.url}/.default"])
    assert "access_token" in result, result
    return str(result["access_token"])


@pytest.fixture
def token(server: FakeTenantServer) -> str:
    """A golden-tenant token carrying every Graph and Exchange role."""
    return graph_token(server)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """The Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}
