"""The fake admin API itself, spoken to with plain requests: auth, errors in sequence, paging, hosts."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.fake_exchange import fixtures
from tests.fake_exchange.exchange_handler import ExchangeHandler
from tests.fake_exchange.fixtures import TENANT_ID, exchange_scenario
from tests.fake_tenant.server import FakeTenantServer

tenant_server = fixtures.tenant_server
exchange_server = fixtures.exchange_server

Server = tuple[FakeTenantServer, ExchangeHandler]


def post(
    server: FakeTenantServer, body: Any, *, token: str | None = None, path: str = "", url: str | None = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or server.issue_token(TENANT_ID, resource=server.url)}"}
    target = url or f"{server.url}{path}/adminapi/beta/{TENANT_ID}/InvokeCommand"
    return requests.post(target, json=body, headers=headers, verify=server.ca_pem_path, timeout=10)


def cmdlet(name: str, **parameters: Any) -> dict[str, Any]:
    return {"CmdletInput": {"CmdletName": name, "Parameters": parameters}}


def test_a_known_cmdlet_answers_its_objects(exchange_server: Server) -> None:
    server, handler = exchange_server

    answer = post(server, cmdlet("Get-RemoteDomain"))

    assert answer.status_code == 200
    assert answer.json()["value"][0]["DomainName"] == "*"
    assert handler.calls[0].cmdlet == "Get-RemoteDomain"


def test_pages_link_to_the_rest(exchange_server: Server) -> None:
    server, _ = exchange_server
    server.add_scenario(exchange_scenario(page_size=2))

    first = post(server, cmdlet("Get-AcceptedDomain")).json()
    second = post(server, cmdlet("Get-AcceptedDomain"), url=first["@odata.nextLink"]).json()

    assert len(first["value"]) == 2 and len(second["value"]) == 1
    assert "@odata.nextLink" not in second


def test_errors_are_answered_in_sequence_then_the_data(exchange_server: Server) -> None:
    server, _ = exchange_server
    server.add_scenario(
        exchange_scenario(
            errors={
                "Get-RemoteDomain": [
                    {"status": 429, "code": "TooManyRequests", "headers": {"Retry-After": "3"}, "times": 1},
                    {"status": 503, "code": "ServiceUnavailable", "times": 1},
                ]
            }
        )
    )

    answers = [post(server, cmdlet("Get-RemoteDomain")) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 503, 200]
    assert answers[0].headers["Retry-After"] == "3"
    assert answers[0].json()["error"]["details"][0]["message"].count("|") == 2


def test_a_token_without_the_exchange_role_gets_401(exchange_server: Server) -> None:
    server, _ = exchange_server

    answer = post(
        server,
        cmdlet("Get-RemoteDomain"),
        token=server.issue_token(TENANT_ID, resource=server.url, roles=["Domain.Read.All"]),
    )

    assert answer.status_code == 401


def test_a_bad_token_gets_401(exchange_server: Server) -> None:
    server, _ = exchange_server

    assert post(server, cmdlet("Get-RemoteDomain"), token="not-a-token").status_code == 401


def test_no_entra_role_gets_403(exchange_server: Server) -> None:
    server, _ = exchange_server
    server.add_scenario(exchange_scenario(entra_role=False))

    assert post(server, cmdlet("Get-RemoteDomain")).status_code == 403


@pytest.mark.parametrize(("mode", "status"), [("ok", 200), ("missing", 404), ("unknown", 400)])
def test_the_compliance_host_modes(exchange_server: Server, mode: str, status: int) -> None:
    server, handler = exchange_server
    server.add_scenario(exchange_scenario(compliance=mode))

    answer = post(server, cmdlet("Get-Label"), path="/compliance")

    assert answer.status_code == status
    assert handler.calls[0].host == "compliance"


def test_an_unknown_cmdlet_says_command_not_found(exchange_server: Server) -> None:
    server, _ = exchange_server

    answer = post(server, cmdlet("Get-Nothing"))

    assert answer.status_code == 400
    assert "CommandNotFoundException" in answer.text


def test_a_body_without_cmdlet_input_is_a_bad_request(exchange_server: Server) -> None:
    server, _ = exchange_server

    assert post(server, {"Cmdlet": "Get-RemoteDomain"}).status_code == 400
    assert server.handler_errors == []
