"""End to end through `lambda_handler`: the fake identity platform and Graph (HTTPS), moto (DynamoDB, Lambda),
an SMTP server with STARTTLS and AUTH, and a fake DNS server, all on 127.0.0.1.

The request function is driven with its environment only; the scan function receives the very payload
Lambda (moto) was handed, and runs the real pytest suite in-process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import lambda_handler
from o365cis.lambda_service.handlers import RequestServices, handle_request
from tests.fake_tenant.golden import GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET, GOLDEN_TENANT_ID, golden_tenant
from tests.fake_tenant.patching import without_roles
from tests.fake_tenant.server import FakeTenantServer

from .fakes import FakeContext, RecordingInvoker
from .servers import SCAN_FUNCTION, MotoEndpoint, log_lines

RECIPIENT = "secops@contoso.com"


@pytest.fixture(scope="module")
def tenant_server() -> Iterator[FakeTenantServer]:
    """The fake identity platform + Graph, serving the golden Contoso tenant."""
    with FakeTenantServer([golden_tenant(users=40)]) as server:
        yield server


@pytest.fixture
def request_env(
    monkeypatch: pytest.MonkeyPatch, tenant_server: FakeTenantServer, table_name: str, scan_function: str
) -> FakeTenantServer:
    """The request function's environment: its table, the scan function, and the fake tenant's hosts."""
    for name, value in {
        "DB_TABLE_NAME": table_name,
        "SCAN_FUNCTION_NAME": scan_function,
        "O365CIS_AUTHORITY_URL": tenant_server.url,
        "O365CIS_GRAPH_URL": tenant_server.url,
        "O365CIS_EXCHANGE_URL": tenant_server.url,
        "O365CIS_CA_BUNDLE": tenant_server.ca_pem_path,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "O365CIS_CLOUD", "O365CIS_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return tenant_server


def request_event(request_id: str, *, tenant: str = GOLDEN_TENANT_ID, secret: str = GOLDEN_CLIENT_SECRET) -> dict[str, Any]:
    """An API Gateway proxy event (body as a JSON string) for the golden tenant's scanner app."""
    body = {
        "requestId": request_id,
        "scan_input": [
            {
                "access_type": "credentials",
                "access_input": {"client_id": GOLDEN_CLIENT_ID, "client_secret": secret, "tenant_id": tenant},
            }
        ],
        "email": RECIPIENT,
    }
    return {"body": json.dumps(body)}


def answer(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status code and decoded JSON body."""
    return result["statusCode"], json.loads(result["body"])


def test_request_signs_in_checks_roles_and_queues(
    request_env: FakeTenantServer, moto_server: MotoEndpoint, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body = answer(lambda_handler.request_handler(request_event("e2e-queue"), FakeContext()))
    assert (status, body) == (202, {"requestId": "e2e-queue", "status": "QUEUED"})
    item = moto_server.client("dynamodb").get_item(TableName=table_name, Key={"requestId": {"S": "e2e-queue"}})["Item"]
    assert item["status"] == {"S": "QUEUED"} and item["tenantId"] == {"S": GOLDEN_TENANT_ID}
    assert GOLDEN_CLIENT_SECRET not in json.dumps(item)
    # The app really signed in at the fake identity platform.
    assert any(r.path.endswith("/oauth2/v2.0/token") for r in request_env.requests)
    lines = log_lines(capsys.readouterr().out)
    assert [line["event"] for line in lines] == ["request.queued"]
    assert GOLDEN_CLIENT_SECRET not in json.dumps(lines)


def test_repeated_request_is_refused(request_env: FakeTenantServer) -> None:
    assert answer(lambda_handler.request_handler(request_event("e2e-dup"), None))[0] == 202
    status, body = answer(lambda_handler.request_handler(request_event("e2e-dup"), None))
    assert (status, body["status"]) == (409, "DUPLICATE")


def test_wrong_secret_is_refused_in_one_line(request_env: FakeTenantServer, moto_server: MotoEndpoint, table_name: str) -> None:
    status, body = answer(lambda_handler.request_handler(request_event("e2e-badsecret", secret="wrong~secret"), None))
    assert status == 401 and body["reason"] == "bad_credentials" and "AADSTS7000215" in body["error"]
    assert "wrong~secret" not in body["error"]
    answer_item = moto_server.client("dynamodb").get_item(TableName=table_name, Key={"requestId": {"S": "e2e-badsecret"}})
    assert "Item" not in answer_item


def test_unknown_tenant_is_refused(request_env: FakeTenantServer) -> None:
    status, body = answer(lambda_handler.request_handler(request_event("e2e-tenant", tenant="nowhere.example.com"), None))
    assert status == 400 and body["reason"] == "unknown_tenant"


def test_missing_permissions_are_listed(request_env: FakeTenantServer) -> None:
    limited = without_roles(golden_tenant(users=40), "Policy.Read.All", "Domain.Read.All", "Exchange.ManageAsApp")
    request_env.add_scenario(limited)
    try:
        status, body = answer(lambda_handler.request_handler(request_event("e2e-perm"), None))
    finally:
        request_env.add_scenario(golden_tenant(users=40))
    assert status == 403 and body["reason"] == "missing_permissions"
    missing = {m["permission"]: m for m in body["missingPermissions"]}
    # Directory.Read.All (still granted) covers Domain.Read.All, so only these two are missing.
    assert set(missing) == {"Policy.Read.All", "Exchange.ManageAsApp"}
    assert missing["Exchange.ManageAsApp"]["api"] == "Office 365 Exchange Online"
    assert missing["Policy.Read.All"]["required"] is True


def test_invalid_request_lists_every_problem(request_env: FakeTenantServer) -> None:
    event = {"body": json.dumps({"requestId": "a b", "scan_input": [], "email": "x"})}
    status, body = answer(lambda_handler.request_handler(event, None))
    assert status == 400
    assert {e["field"] for e in body["errors"]} == {"body.requestId", "body.scan_input", "body.email"}


def test_hand_over_reaches_lambda_as_an_event(
    request_env: FakeTenantServer, moto_server: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = RequestServices.from_env()
    services.invoker = recorder = RecordingInvoker(moto_server.client("lambda"), SCAN_FUNCTION)
    status, _ = answer(handle_request(request_event("e2e-handover"), None, services))
    assert status == 202
    assert recorder.invocation_types == ["Event"]
    (payload,) = recorder.echoes
    assert payload["requestId"] == "e2e-handover"
    assert payload["access_input"] == {
        "client_id": GOLDEN_CLIENT_ID,
        "client_secret": GOLDEN_CLIENT_SECRET,
        "tenant_id": GOLDEN_TENANT_ID,
    }
