"""End to end through `lambda_handler`: the fake identity platform and Graph (HTTPS), moto (DynamoDB, Lambda),
an SMTP server with STARTTLS and AUTH, and a fake DNS server, all on 127.0.0.1.

The request function is driven with its environment only; the scan function receives the very payload
Lambda (moto) was handed, and runs the real pytest suite in-process.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

import lambda_handler
from o365cis.lambda_service.handlers import RequestServices, handle_request
from o365cis.lambda_service.status import StatusStore
from tests.fake_exchange.dns_server import FakeDnsServer
from tests.fake_exchange.exchange_handler import mount_exchange
from tests.fake_exchange.scenarios import golden_dns_zone, golden_exchange_data
from tests.fake_tenant import paths
from tests.fake_tenant.admin_apis import compliant_teams_data, mount_admin_apis
from tests.fake_tenant.errors import Response, graph_error
from tests.fake_tenant.golden import (
    GOLDEN_CLIENT_ID,
    GOLDEN_CLIENT_SECRET,
    GOLDEN_TENANT_ID,
    golden_config,
    golden_tenant,
)
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.patching import without_roles
from tests.fake_tenant.server import FakeRequest, FakeTenantServer

from .fakes import FakeContext, RecordingInvoker
from .servers import SCAN_FUNCTION, MotoEndpoint, SmtpServer, log_lines

RECIPIENT = "secops@contoso.com"
DOMAINS = ["contoso.com", "fabrikam.com"]
INITIAL_DOMAIN = "contoso.onmicrosoft.com"


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


def request_event(
    request_id: str, *, tenant: str = GOLDEN_TENANT_ID, secret: str = GOLDEN_CLIENT_SECRET
) -> dict[str, Any]:
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


def test_wrong_secret_is_refused_in_one_line(
    request_env: FakeTenantServer, moto_server: MotoEndpoint, table_name: str
) -> None:
    status, body = answer(lambda_handler.request_handler(request_event("e2e-badsecret", secret="wrong~secret"), None))
    assert status == 401 and body["reason"] == "bad_credentials" and "AADSTS7000215" in body["error"]
    assert "wrong~secret" not in body["error"]
    answer_item = moto_server.client("dynamodb").get_item(
        TableName=table_name, Key={"requestId": {"S": "e2e-badsecret"}}
    )
    assert "Item" not in answer_item


def test_unknown_tenant_is_refused(request_env: FakeTenantServer) -> None:
    status, body = answer(
        lambda_handler.request_handler(request_event("e2e-tenant", tenant="nowhere.example.com"), None)
    )
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


# ---------------------------------------------------------------------------------------------- the scan


def two_tenants() -> tuple[Scenario, Scenario]:
    """Contoso (the golden tenant) and Fabrikam: another tenant, app and secret, without Policy.Read.All."""
    contoso = golden_tenant(users=40)
    fabrikam = without_roles(golden_tenant(users=25, seed=2), "Policy.Read.All")
    fabrikam.display_name = "Fabrikam Inc"
    organization = fabrikam.graph[paths.ORGANIZATION]
    for item in organization if isinstance(organization, list) else [organization]:
        item["displayName"] = "Fabrikam Inc"
    for scenario in (contoso, fabrikam):
        scenario.extra["exchange"] = golden_exchange_data(DOMAINS, INITIAL_DOMAIN)
        scenario.extra["teams"] = compliant_teams_data()
    return contoso, fabrikam


@pytest.fixture(scope="module")
def scan_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeTenantServer, FakeDnsServer, Path]]:
    """Fake tenant (identity, Graph, Exchange admin API) with two tenants, a fake DNS zone, the golden config."""
    config = tmp_path_factory.mktemp("cis-config") / "config.yaml"
    config.write_text(json.dumps(golden_config()))  # JSON is YAML
    with FakeTenantServer(two_tenants()) as tenant, FakeDnsServer(golden_dns_zone(DOMAINS, INITIAL_DOMAIN)) as dns:
        mount_exchange(tenant)
        mount_admin_apis(tenant)
        yield tenant, dns, config


@pytest.fixture
def scan_env(
    monkeypatch: pytest.MonkeyPatch,
    scan_servers: tuple[FakeTenantServer, FakeDnsServer, Path],
    smtp_server: SmtpServer,
    table_name: str,
    scan_function: str,
    tmp_path: Path,
) -> FakeTenantServer:
    """Both functions' environment: table, scan function, TEMP_PATH, MAIL_*, and the fakes' hosts."""
    tenant, dns, config = scan_servers
    tenant.add_scenario(two_tenants()[0])
    tenant.faults.clear()
    environment = {
        **smtp_server.environ(),
        "DB_TABLE_NAME": table_name,
        "SCAN_FUNCTION_NAME": scan_function,
        "TEMP_PATH": str(tmp_path / "lambda-tmp"),
        "O365CIS_AUTHORITY_URL": tenant.url,
        "O365CIS_GRAPH_URL": tenant.url,
        "O365CIS_EXCHANGE_URL": tenant.url,
        "O365CIS_TEAMS_URL": f"{tenant.url}/teams",
        "O365CIS_CA_BUNDLE": tenant.ca_pem_path,
        "O365CIS_DNS_SERVERS": dns.address,
        "O365CIS_CONFIG": str(config),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "O365CIS_CLOUD", "O365CIS_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "lambda-tmp").mkdir()
    return tenant


def scan_event(request_id: str, scenario: Scenario) -> dict[str, Any]:
    """The scan function's event for this scenario's scanner app."""
    client_id, app = next(iter(scenario.clients.items()))
    return {
        "requestId": request_id,
        "access_type": "credentials",
        "access_input": {"client_id": client_id, "client_secret": app.secret, "tenant_id": scenario.tenant_id},
        "email": RECIPIENT,
    }


def received(smtp_server: SmtpServer, index: int) -> tuple[EmailMessage, str, dict[str, Any]]:
    """The index-th message, its plain-text body and its JSON results attachment."""
    message = smtp_server.messages[index]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    results = next(part for name, part in attachments.items() if name and name.endswith(".json"))
    return message, body.get_content(), json.loads(results.get_content())


def test_request_to_email_end_to_end(
    scan_env: FakeTenantServer,
    smtp_server: SmtpServer,
    moto_server: MotoEndpoint,
    table_name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = RequestServices.from_env()
    services.invoker = recorder = RecordingInvoker(moto_server.client("lambda"), SCAN_FUNCTION)
    assert answer(handle_request(request_event("e2e-full"), FakeContext(), services))[0] == 202
    (handed_over,) = recorder.echoes

    result = lambda_handler.scan_handler(handed_over, FakeContext())
    assert result["status"] == "COMPLETED", result
    summary = result["summary"]
    assert summary["non_compliant"] == 0 and summary["error"] == 0 and summary["compliant"] > 40

    record = StatusStore(moto_server.client("dynamodb"), table_name).get("e2e-full")
    assert record is not None and record["status"] == "COMPLETED" and record["summary"] == summary

    message, text, results = received(smtp_server, 0)
    assert smtp_server.envelopes[0].rcpt_tos == [RECIPIENT] and smtp_server.logins
    assert GOLDEN_TENANT_ID in message["Subject"]
    assert f"Compliant: {summary['compliant']}" in text and f"Manual review: {summary['manual']}" in text
    assert results["summary"] == summary and results["tenant"]["id"] == GOLDEN_TENANT_ID
    assert len(results["results"]) == 84
    html = next(p for p in message.iter_attachments() if p.get_content_type() == "text/html")
    assert "Contoso" in html.get_content()
    assert GOLDEN_CLIENT_SECRET not in message.as_string()

    assert list((tmp_path / "lambda-tmp").iterdir()) == []
    log_text = capsys.readouterr().out
    lines = log_lines(log_text)
    assert {line["event"] for line in lines} >= {"request.queued", "scan.started", "scan.emailed", "scan.completed"}
    assert all(line["requestId"] == "e2e-full" for line in lines)
    assert GOLDEN_CLIENT_SECRET not in log_text and "eyJ" not in log_text
    assert results["results"][0]["title"] not in log_text  # no report content in the logs


def test_two_tenants_in_one_warm_process_share_nothing(scan_env: FakeTenantServer, smtp_server: SmtpServer) -> None:
    contoso, fabrikam = two_tenants()
    first = lambda_handler.scan_handler(scan_event("warm-1", contoso), FakeContext())
    second = lambda_handler.scan_handler(scan_event("warm-2", fabrikam), FakeContext())
    third = lambda_handler.scan_handler(scan_event("warm-3", contoso), FakeContext())
    assert [r["status"] for r in (first, second, third)] == ["COMPLETED", "COMPLETED", "COMPLETED"]

    _, _, contoso_results = received(smtp_server, 0)
    _, _, fabrikam_results = received(smtp_server, 1)
    _, _, contoso_again = received(smtp_server, 2)
    # (Fabrikam is a copy of the golden tenant, domains included: its initial_domain is its own data.)
    assert {key: fabrikam_results["tenant"][key] for key in ("id", "name")} == {
        "id": fabrikam.tenant_id,
        "name": "Fabrikam Inc",
    }
    fabrikam_text = json.dumps(fabrikam_results)
    assert contoso.tenant_id not in fabrikam_text and "Contoso Ltd" not in fabrikam_text
    # Without Policy.Read.All, Fabrikam's policy-based recommendations fall back or end in error...
    assert second["summary"] != first["summary"]
    assert any("Policy.Read.All" in r["reason"] for r in fabrikam_results["results"] if r["status"] == "error")
    # ...and none of that follows Contoso into its next scan.
    assert third["summary"] == first["summary"]
    assert [r["status"] for r in contoso_again["results"]] == [r["status"] for r in contoso_results["results"]]
    assert fabrikam.tenant_id not in json.dumps(contoso_again)


def test_token_failing_mid_scan_is_recorded(
    scan_env: FakeTenantServer, smtp_server: SmtpServer, moto_server: MotoEndpoint, table_name: str
) -> None:
    contoso = two_tenants()[0]
    client_id = next(iter(contoso.clients))
    calls: list[str] = []

    def rotate_secret_then_refuse(request: FakeRequest) -> Response:
        # Mid-scan the app's secret is rotated and every issued token revoked: the scanner's refresh must fail.
        calls.append(request.path)
        served = scan_env.scenario(contoso.tenant_id)
        assert served is not None
        served.clients[client_id] = dataclasses.replace(served.clients[client_id], secret="rotated~secret")
        scan_env.faults.expire_tokens()
        return graph_error(
            401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.",
            request_id=str(uuid.uuid4()), client_request_id=str(uuid.uuid4()),
        )  # fmt: skip

    # Role-holding groups' members are read by the first recommendation that needs them, after the up-front
    # prefetch: from there on, every read (Secure Score fallback included) meets the rotated secret.
    scan_env.mount("GET", r"/v1\.0/groups/[^/]+/transitiveMembers", rotate_secret_then_refuse)
    try:
        result = lambda_handler.scan_handler(scan_event("mid-scan", contoso), FakeContext())
    finally:
        scan_env.add_scenario(two_tenants()[0])
    assert calls, "the scan never reached the mid-scan trigger"
    record = StatusStore(moto_server.client("dynamodb"), table_name).get("mid-scan")
    assert record is not None and result["status"] == record["status"]
    # The reads after the rotation fail; what was read before still decides. The runner reports the sign-in
    # failure: FAILED in one line, counts kept, and each unreadable recommendation says why (error).
    assert record["summary"]["error"] > 0 and record["summary"]["compliant"] > 0, record
    assert record["status"] == "FAILED"
    assert record["error"].startswith("sign-in failed during the scan") and "AADSTS7000215" in record["error"]
    assert "\n" not in record["error"] and GOLDEN_CLIENT_SECRET not in record["error"]
    message, text, results = received(smtp_server, 0)
    assert f"Error: {record['summary']['error']}" in text
    refused = [r for r in results["results"] if r["status"] == "error" and "AADSTS7000215" in r["reason"]]
    assert refused, "the report must say that the sign-in was refused"
    assert GOLDEN_CLIENT_SECRET not in message.as_string()


def test_scan_with_a_rejected_secret_fails_in_one_line(
    scan_env: FakeTenantServer, smtp_server: SmtpServer, moto_server: MotoEndpoint, table_name: str
) -> None:
    event = scan_event("bad-secret", two_tenants()[0])
    event["access_input"]["client_secret"] = "expired~secret~value"
    result = lambda_handler.scan_handler(event, FakeContext())
    assert result["status"] == "FAILED" and "summary" not in result
    record = StatusStore(moto_server.client("dynamodb"), table_name).get("bad-secret")
    assert record is not None and record["status"] == "FAILED"
    assert "AADSTS7000215" in record["error"] and "\n" not in record["error"]
    assert "expired~secret~value" not in json.dumps(record)
    (message,) = smtp_server.messages
    assert message["Subject"].endswith(": failed") and "AADSTS7000215" in message.get_content()
    assert "expired~secret~value" not in message.as_string()
