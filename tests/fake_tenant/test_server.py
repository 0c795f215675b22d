"""The fake identity platform (MSAL with secret and certificate), the extension point, concurrency and scale."""

from __future__ import annotations

import concurrent.futures
import os
import socket
import time
import uuid
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .certificates import AppCertificate
from .conftest import NO_CONSENT_ID, graph_token, msal_app
from .golden import ALL_GRAPH_ROLES, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET, golden_tenant
from .model import Scenario
from .paths import USERS
from .server import FakeRequest, FakeTenantServer


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# ---------------------------------------------------------------- discovery


@pytest.mark.parametrize("tenant_key", ["contoso.com", "contoso.onmicrosoft.com", "tenant-id"])
def test_openid_configuration_points_at_the_tenant_guid(
    server: FakeTenantServer, session: requests.Session, golden: Scenario, tenant_key: str
) -> None:
    key = golden.tenant_id if tenant_key == "tenant-id" else tenant_key
    response = session.get(f"{server.url}/{key}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    assert document["token_endpoint"] == f"{server.url}/{golden.tenant_id}/oauth2/v2.0/token"
    assert document["issuer"] == f"{server.url}/{golden.tenant_id}/v2.0"
    assert document["jwks_uri"].startswith(server.url)
    assert document["tenant_region_scope"]


def test_unknown_tenant_is_refused_like_entra(server: FakeTenantServer, session: requests.Session) -> None:
    response = session.get(f"{server.url}/nowhere.example/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.example' not found.")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_msal_reports_an_unknown_tenant(server: FakeTenantServer) -> None:
    with pytest.raises(ValueError, match="Unable to get authority configuration") as raised:
        msal_app(server, "nowhere.example", GOLDEN_CLIENT_SECRET)
    # MSAL wraps the discovery failure; the server's answer is on the chained exception.
    assert "AADSTS90002" in str(raised.value.__context__)


# ---------------------------------------------------------------- tokens


def test_secret_token_carries_the_granted_roles(server: FakeTenantServer, golden: Scenario) -> None:
    result = msal_app(server, "contoso.com", GOLDEN_CLIENT_SECRET).acquire_token_for_client([f"{server.url}/.default"])
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3600
    claims = _claims(result["access_token"])
    assert claims["aud"] == server.url
    assert claims["tid"] == golden.tenant_id
    assert claims["appid"] == GOLDEN_CLIENT_ID
    assert claims["appidacr"] == "1"
    assert claims["oid"] == golden.clients[GOLDEN_CLIENT_ID].service_principal_id
    assert set(ALL_GRAPH_ROLES) | {"Exchange.ManageAsApp"} == set(claims["roles"])
    assert claims["exp"] - claims["iat"] == 3600


def test_audience_decides_which_roles_a_token_carries(server: FakeTenantServer, session: requests.Session) -> None:
    def roles_for(scope: str) -> list[str]:
        response = session.post(
            f"{server.url}/contoso.com/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": GOLDEN_CLIENT_ID,
                "client_secret": GOLDEN_CLIENT_SECRET,
                "scope": scope,
            },
        )
        assert response.status_code == 200, response.text
        return list(_claims(response.json()["access_token"]).get("roles", []))

    assert roles_for("https://outlook.office365.com/.default") == ["Exchange.ManageAsApp"]
    assert roles_for(f"{server.url}/compliance/.default") == ["Exchange.ManageAsApp"]
    assert set(roles_for("https://graph.microsoft.com/.default")) == set(ALL_GRAPH_ROLES)
    assert "Exchange.ManageAsApp" in roles_for(f"{server.url}/.default")


def test_certificate_pem_with_sha1_thumbprint_signs_in(
    server: FakeTenantServer, app_certificate: AppCertificate
) -> None:
    credential = {
        "private_key": app_certificate.private_key_pem,
        "thumbprint": app_certificate.thumbprint,
        "passphrase": app_certificate.password,
    }
    result = msal_app(server, "contoso.com", credential).acquire_token_for_client([f"{server.url}/.default"])
    assert "access_token" in result, result
    assert _claims(result["access_token"])["appidacr"] == "2"


def test_certificate_pfx_signs_in_with_a_sha256_thumbprint(
    server: FakeTenantServer, app_certificate: AppCertificate
) -> None:
    credential = {"private_key_pfx_path": str(app_certificate.pfx_path), "passphrase": app_certificate.password}
    result = msal_app(server, "contoso.com", credential).acquire_token_for_client([f"{server.url}/.default"])
    assert "access_token" in result, result
    token_request = next(r for r in server.requests if r.path.endswith("/oauth2/v2.0/token"))
    assert token_request.status == 200


def test_certificate_with_public_certificate_signs_in(
    server: FakeTenantServer, app_certificate: AppCertificate
) -> None:
    credential = {
        "private_key": app_certificate.private_key_pem,
        "public_certificate": app_certificate.certificate_pem,
        "passphrase": app_certificate.password,
    }
    result = msal_app(server, "contoso.com", credential).acquire_token_for_client([f"{server.url}/.default"])
    assert "access_token" in result, result


def test_assertion_signed_with_another_key_is_invalid_client(
    server: FakeTenantServer, app_certificate: AppCertificate
) -> None:
    other_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    credential = {"private_key": other_key, "thumbprint": app_certificate.thumbprint}
    result = msal_app(server, "contoso.com", credential).acquire_token_for_client([f"{server.url}/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]


def test_assertion_for_the_wrong_audience_is_invalid_client(
    server: FakeTenantServer, session: requests.Session, app_certificate: AppCertificate
) -> None:
    key = serialization.load_pem_private_key(app_certificate.private_key_pem.encode(), b"s3cret-pass")
    now = int(time.time())
    assertion = jwt.encode(
        {
            "aud": "https://login.microsoftonline.com/other/oauth2/v2.0/token",
            "iss": GOLDEN_CLIENT_ID,
            "sub": GOLDEN_CLIENT_ID,
            "jti": str(uuid.uuid4()),
            "nbf": now,
            "exp": now + 600,
        },
        key,  # type: ignore[arg-type]
        algorithm="RS256",
        headers={"x5t": app_certificate.x5t},
    )
    response = session.post(
        f"{server.url}/contoso.com/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": GOLDEN_CLIENT_ID,
            "scope": f"{server.url}/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700027]


def test_wrong_secret_is_invalid_client(server: FakeTenantServer) -> None:
    result = msal_app(server, "contoso.com", "not-the-secret").acquire_token_for_client([f"{server.url}/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert result["correlation_id"] and result["trace_id"] and result["timestamp"]


def test_unknown_client_is_unauthorized_client(server: FakeTenantServer) -> None:
    unknown = str(uuid.uuid4())
    result = msal_app(server, "contoso.com", "x", client_id=unknown).acquire_token_for_client(
        [f"{server.url}/.default"]
    )
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]
    assert f"Application with identifier '{unknown}' was not found in the directory" in result["error_description"]


@pytest.mark.parametrize(
    ("scope", "error", "code"),
    [
        ("https://127.0.0.1/User.Read", "invalid_scope", 1002012),
        ("https://unknown.example/.default", "invalid_resource", 500011),
    ],
)
def test_bad_scopes_are_refused(
    server: FakeTenantServer, session: requests.Session, scope: str, error: str, code: int
) -> None:
    response = session.post(
        f"{server.url}/contoso.com/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": GOLDEN_CLIENT_ID,
            "client_secret": GOLDEN_CLIENT_SECRET,
            "scope": scope,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_codes"] == [code]


def test_no_admin_consent_means_no_roles_claim(server: FakeTenantServer, session: requests.Session) -> None:
    token = graph_token(server, NO_CONSENT_ID)
    assert "roles" not in _claims(token)
    response = session.get(f"{server.url}{USERS}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Either scp or roles claim need to be present in the token."


def test_token_lifetime_is_configurable(server: FakeTenantServer) -> None:
    server.token_lifetime = 120
    try:
        result = msal_app(server, "contoso.com", GOLDEN_CLIENT_SECRET).acquire_token_for_client(
            [f"{server.url}/.default"]
        )
    finally:
        server.token_lifetime = 3600
    assert result["expires_in"] == 120
    claims = _claims(result["access_token"])
    assert claims["exp"] - claims["iat"] == 120


# ---------------------------------------------------------------- extension point


def test_mounted_handler_sees_tenant_claims_and_body(
    server: FakeTenantServer, session: requests.Session, golden: Scenario, auth: dict[str, str]
) -> None:
    seen: list[FakeRequest] = []

    def invoke_command(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        seen.append(request)
        return 200, {"X-Fake": "yes"}, {"value": [{"Identity": request.json()["CmdletInput"]["CmdletName"]}]}

    server.mount("POST", r"/adminapi/beta/(?P<tenant>[^/]+)/InvokeCommand", invoke_command)
    body = {"CmdletInput": {"CmdletName": "Get-OrganizationConfig", "Parameters": {}}}
    response = session.post(
        f"{server.url}/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand", json=body, headers=auth
    )
    assert response.status_code == 200
    assert response.headers["X-Fake"] == "yes"
    assert response.json() == {"value": [{"Identity": "Get-OrganizationConfig"}]}
    request = seen[0]
    assert request.scenario is not None and request.scenario.tenant_id == golden.tenant_id
    assert request.claims is not None and "Exchange.ManageAsApp" in request.claims["roles"]
    assert request.match is not None and request.match.group("tenant") == "contoso.onmicrosoft.com"
    assert server.requests[-1].path == "/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand"
    assert server.requests[-1].tenant == golden.tenant_id

    anonymous = session.post(f"{server.url}/adminapi/beta/{golden.tenant_id}/InvokeCommand", json=body)
    assert anonymous.status_code == 200
    assert seen[1].claims is None and seen[1].token_failure == "missing"


def test_mounted_handler_failure_answers_500(server: FakeTenantServer, session: requests.Session) -> None:
    def broken(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        raise RuntimeError("handler bug")

    server.mount("GET", r"/broken", broken)
    before = len(server.handler_errors)
    response = session.get(f"{server.url}/broken")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "generalException"
    assert len(server.handler_errors) == before + 1
    server.handler_errors.clear()


def test_unknown_route_is_404(server: FakeTenantServer, session: requests.Session) -> None:
    response = session.get(f"{server.url}/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound" and "innerError" in response.json()["error"]


# ---------------------------------------------------------------- lifecycle, concurrency, scale


def test_concurrent_paged_reads_all_complete(server: FakeTenantServer, auth: dict[str, str], golden: Scenario) -> None:
    def read_all() -> int:
        session = server.client_session()
        url: str | None = f"{server.url}{USERS}?$select=id&$top=999"
        count = 0
        while url:
            page = session.get(url, headers=auth)
            assert page.status_code == 200
            count += len(page.json()["value"])
            url = page.json().get("@odata.nextLink")
        return count

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: read_all(), range(8)))
    assert counts == [len(golden.graph[USERS])] * 8


def test_stop_ends_keep_alive_connections_and_refuses_new_ones() -> None:
    running = FakeTenantServer([golden_tenant(users=10)]).start()
    session = running.client_session()
    url, ca_file = running.url, running.ca_pem_path
    assert session.get(f"{url}/contoso.com/v2.0/.well-known/openid-configuration").status_code == 200
    thread = running._thread
    running.stop()
    assert thread is not None and not thread.is_alive()
    assert not os.path.exists(ca_file)
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(RuntimeError):
        _ = running.url


def test_ten_thousand_users_page_at_999() -> None:
    big = golden_tenant(users=10_000)
    with FakeTenantServer([big], page_size=999) as running:
        session = running.client_session()
        headers = {"Authorization": f"Bearer {graph_token(running)}"}
        url: str | None = f"{running.url}{USERS}?$select=id,userPrincipalName,accountEnabled,userType&$top=999"
        sizes: list[int] = []
        ids: set[str] = set()
        while url:
            page = session.get(url, headers=headers).json()
            sizes.append(len(page["value"]))
            ids.update(user["id"] for user in page["value"])
            url = page.get("@odata.nextLink")
    assert sizes == [999] * 10 + [10]
    assert len(ids) == 10_000
