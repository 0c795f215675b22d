"""The Exchange Online admin API client against the fake tenant server over real HTTPS."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from o365cis.exchange import (
    COMPLIANCE_ROLE,
    EXCHANGE_PERMISSION,
    EXCHANGE_ROLE,
    ExchangeAdminClient,
    ExchangeReplay,
    record_key,
)
from o365cis.exchange.errors import error_code_and_message
from o365cis.findings import FailureKind, ReadError
from o365cis.http import HttpSession, RetryPolicy
from o365cis.snapshot import Snapshot
from tests.fake_exchange import fixtures
from tests.fake_exchange.exchange_handler import ExchangeHandler
from tests.fake_exchange.fixtures import INITIAL_DOMAIN, TENANT_ID, exchange_scenario
from tests.fake_tenant.server import FakeTenantServer

tenant_server = fixtures.tenant_server
exchange_server = fixtures.exchange_server

Server = tuple[FakeTenantServer, ExchangeHandler]


def no_wait(_: float) -> None:
    return None


def make_client(
    server: FakeTenantServer,
    *,
    roles: list[str] | None = None,
    compliance: bool = True,
    recorder: Any = None,
    policy: RetryPolicy | None = None,
) -> ExchangeAdminClient:
    token = server.issue_token(TENANT_ID, resource=server.url, roles=roles)
    scopes: list[str] = []

    def tokens(scope: str) -> str:
        scopes.append(scope)
        return token

    client = ExchangeAdminClient(
        TENANT_ID,
        server.url,
        tokens,
        compliance_url=f"{server.url}/compliance" if compliance else None,
        organization=INITIAL_DOMAIN,
        session=HttpSession(server.ca_pem_path),
        policy=policy or RetryPolicy(sleep=no_wait, base_delay=0.01, max_attempts=4),
        recorder=recorder,
    )
    client.scopes = scopes  # type: ignore[attr-defined]
    return client


def use(server: FakeTenantServer, **exchange: Any) -> None:
    server.add_scenario(exchange_scenario(**exchange))


def test_invoke_posts_the_cmdlet_with_the_module_headers(exchange_server: Server) -> None:
    server, handler = exchange_server
    client = make_client(server)

    config = client.invoke("Get-OrganizationConfig")

    assert config[0]["OAuth2ClientProfileEnabled"] is True
    [call] = handler.calls
    assert (call.host, call.tenant, call.cmdlet, call.parameters) == (
        "exchange",
        TENANT_ID,
        "Get-OrganizationConfig",
        {},
    )
    assert (
        call.headers["X-AnchorMailbox"] == f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{INITIAL_DOMAIN}"
    )
    assert call.headers["X-ResponseFormat"] == "json"
    assert call.headers["Authorization"].startswith("Bearer ")
    assert client.scopes == [f"{server.url}/.default"]  # type: ignore[attr-defined]


def test_parameters_travel_in_the_cmdlet_input(exchange_server: Server) -> None:
    server, handler = exchange_server
    client = make_client(server)

    client.invoke("Get-Mailbox", {"ResultSize": "Unlimited"})

    assert handler.calls[0].parameters == {"ResultSize": "Unlimited"}


def test_pages_are_followed_through_next_link(exchange_server: Server) -> None:
    server, handler = exchange_server
    use(server, page_size=2)
    client = make_client(server)

    domains = client.invoke("Get-AcceptedDomain")

    assert [d["DomainName"] for d in domains] == ["contoso.com", "fabrikam.com", INITIAL_DOMAIN]
    assert [c.skip for c in handler.calls] == [0, 2]
    assert client.request_count == 2


def test_an_empty_answer_is_an_empty_list(exchange_server: Server) -> None:
    server, _ = exchange_server
    assert make_client(server).invoke("Get-AntiPhishRule") == []


def test_throttling_is_retried_until_the_answer_comes(exchange_server: Server) -> None:
    server, handler = exchange_server
    use(
        server,
        errors={
            "Get-RemoteDomain": {"status": 429, "code": "TooManyRequests", "headers": {"Retry-After": "0"}, "times": 2}
        },
    )
    client = make_client(server)

    remote = client.invoke("Get-RemoteDomain")

    assert remote[0]["DomainName"] == "*"
    assert [c.status for c in handler.calls] == [429, 429, 200]


def test_throttling_past_the_budget_is_a_budget_failure(exchange_server: Server) -> None:
    server, _ = exchange_server
    use(
        server,
        errors={"Get-RemoteDomain": {"status": 503, "code": "ServiceUnavailable", "headers": {"Retry-After": "0"}}},
    )
    client = make_client(server, policy=RetryPolicy(sleep=no_wait, max_attempts=3))

    with pytest.raises(ReadError) as failure:
        client.invoke("Get-RemoteDomain")

    assert failure.value.kind is FailureKind.BUDGET
    assert "Get-RemoteDomain" in failure.value.request


def test_a_server_error_is_a_service_failure_with_the_cmdlet_message(exchange_server: Server) -> None:
    server, _ = exchange_server
    use(
        server,
        errors={
            "Get-TransportRule": {
                "status": 500,
                "code": "InternalServerError",
                "message": "Backend mailbox database is offline.",
            }
        },
    )

    with pytest.raises(ReadError) as failure:
        make_client(server).invoke("Get-TransportRule")

    assert failure.value.kind is FailureKind.SERVICE
    assert failure.value.status == 500
    assert "Backend mailbox database is offline." in failure.value.detail


def test_401_without_exchange_manage_as_app_names_the_permission(exchange_server: Server) -> None:
    server, _ = exchange_server
    client = make_client(server, roles=["Domain.Read.All"])

    with pytest.raises(ReadError) as failure:
        client.invoke("Get-OrganizationConfig")

    assert failure.value.kind is FailureKind.PERMISSION
    assert failure.value.permission == EXCHANGE_PERMISSION
    assert failure.value.status == 401
    assert EXCHANGE_PERMISSION in str(failure.value)


@pytest.mark.parametrize(
    ("cmdlet", "role"),
    [("Get-OrganizationConfig", EXCHANGE_ROLE), ("Get-DlpCompliancePolicy", COMPLIANCE_ROLE)],
)
def test_403_without_an_entra_role_names_the_role(exchange_server: Server, cmdlet: str, role: str) -> None:
    server, handler = exchange_server
    use(server, entra_role=False)

    with pytest.raises(ReadError) as failure:
        make_client(server).invoke(cmdlet)

    assert failure.value.kind is FailureKind.PERMISSION
    assert failure.value.permission == role
    assert len(handler.calls) == 1  # a 403 is not a reason to try the other host


def test_compliance_cmdlets_go_to_the_compliance_host(exchange_server: Server) -> None:
    server, handler = exchange_server
    client = make_client(server)

    labels = client.invoke("Get-Label")

    assert {label["Name"] for label in labels} == {"General", "Confidential"}
    assert [(c.host, c.cmdlet) for c in handler.calls] == [("compliance", "Get-Label")]
    assert client.scopes == [f"{server.url}/compliance/.default"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("compliance", ["missing", "unknown"])
def test_compliance_host_404_or_unknown_cmdlet_falls_back_to_exchange(exchange_server: Server, compliance: str) -> None:
    server, handler = exchange_server
    use(server, compliance=compliance)

    policies = make_client(server).invoke("Get-DlpCompliancePolicy")

    assert policies[0]["Mode"] == "Enable"
    assert [c.host for c in handler.calls] == ["compliance", "exchange"]


def test_a_refused_token_on_the_compliance_host_does_not_switch_hosts(exchange_server: Server) -> None:
    server, handler = exchange_server

    with pytest.raises(ReadError) as failure:
        make_client(server, roles=[]).invoke("Get-LabelPolicy")

    assert failure.value.permission == EXCHANGE_PERMISSION
    assert [c.host for c in handler.calls] == ["compliance"]


def test_without_a_separate_compliance_host_everything_goes_to_exchange(exchange_server: Server) -> None:
    server, handler = exchange_server

    make_client(server, compliance=False).invoke("Get-Label")

    assert [c.host for c in handler.calls] == ["exchange"]


def test_an_unknown_cmdlet_on_exchange_is_a_named_failure(exchange_server: Server) -> None:
    server, _ = exchange_server
    cmdlets = dict(exchange_scenario().extra["exchange"]["cmdlets"])
    del cmdlets["Get-SafeLinksPolicy"]  # no Defender for Office 365: the cmdlet does not exist
    use(server, cmdlets=cmdlets)

    with pytest.raises(ReadError) as failure:
        make_client(server).invoke("Get-SafeLinksPolicy")

    assert failure.value.kind is FailureKind.PERMISSION
    assert "not recognized" in failure.value.detail


def test_each_cmdlet_is_called_once_even_from_many_threads(exchange_server: Server) -> None:
    server, handler = exchange_server
    client = make_client(server)
    results: list[list[dict[str, Any]]] = []

    def read() -> None:
        results.append(client.invoke("Get-MalwareFilterPolicy"))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.invoke("Get-MalwareFilterPolicy")

    assert len(handler.calls_for("Get-MalwareFilterPolicy")) == 1
    assert len(results) == 8 and all(r == results[0] for r in results)


def test_cached_results_are_new_lists_of_the_same_objects(exchange_server: Server) -> None:
    # Objects are shared, not copied (rules are pure; a copy per reader of 100,000 mailboxes cost memory).
    server, _ = exchange_server
    client = make_client(server)

    first = client.invoke("Get-AcceptedDomain")
    first.clear()
    second = client.invoke("Get-AcceptedDomain")

    assert second and second is not first and second[0] is client.invoke("Get-AcceptedDomain")[0]


def test_a_failure_is_remembered_not_retried(exchange_server: Server) -> None:
    server, handler = exchange_server
    use(server, errors={"Get-OwaMailboxPolicy": {"status": 500, "code": "InternalServerError"}})
    client = make_client(server)

    for _ in range(2):
        with pytest.raises(ReadError):
            client.invoke("Get-OwaMailboxPolicy")

    assert len(handler.calls_for("Get-OwaMailboxPolicy")) == 1


def test_different_parameters_are_different_calls(exchange_server: Server) -> None:
    server, handler = exchange_server
    client = make_client(server)

    client.invoke("Get-Mailbox")
    client.invoke("Get-Mailbox", {"ResultSize": "Unlimited"})

    assert len(handler.calls_for("Get-Mailbox")) == 2


def test_a_next_link_to_another_host_is_refused(exchange_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server, handler = exchange_server
    use(server, page_size=1)
    original = handler._answer

    def elsewhere(*args: Any) -> Any:
        status, headers, body = original(*args)
        if isinstance(body, dict) and "@odata.nextLink" in body:
            body["@odata.nextLink"] = "https://attacker.example/adminapi/beta/x/InvokeCommand?$skiptoken=1"
        return status, headers, body

    monkeypatch.setattr(handler, "_answer", elsewhere)

    with pytest.raises(ReadError) as failure:
        make_client(server).invoke("Get-AcceptedDomain")

    assert failure.value.kind is FailureKind.SERVICE
    assert "another host" in failure.value.detail
    assert len(handler.calls) == 1


def test_a_token_failure_is_a_read_failure_without_a_request(exchange_server: Server) -> None:
    server, handler = exchange_server

    def no_token(scope: str) -> str:
        raise RuntimeError("AADSTS500011: the resource principal was not found")

    client = ExchangeAdminClient(TENANT_ID, server.url, no_token, session=HttpSession(server.ca_pem_path))

    with pytest.raises(ReadError) as failure:
        client.invoke("Get-OrganizationConfig")

    assert failure.value.kind is FailureKind.SERVICE
    assert "AADSTS500011" in failure.value.detail
    assert handler.calls == []


def test_answers_and_failures_replay_from_a_snapshot(exchange_server: Server) -> None:
    server, handler = exchange_server
    use(
        server,
        page_size=2,
        errors={"Get-TransportRule": {"status": 500, "code": "InternalServerError", "message": "offline"}},
    )
    snapshot = Snapshot(tenant_id=TENANT_ID)
    live = make_client(server, recorder=snapshot.record)
    domains = live.invoke("Get-AcceptedDomain")
    with pytest.raises(ReadError) as live_failure:
        live.invoke("Get-TransportRule")
    live.invoke("Get-Label")
    calls = len(handler.calls)

    replay = ExchangeReplay(TENANT_ID, snapshot.lookup)

    assert replay.invoke("Get-AcceptedDomain") == domains
    assert replay.invoke("Get-Label") == live.invoke("Get-Label")
    with pytest.raises(ReadError) as replayed_failure:
        replay.invoke("Get-TransportRule")
    assert (replayed_failure.value.kind, replayed_failure.value.detail) == (
        live_failure.value.kind,
        live_failure.value.detail,
    )
    with pytest.raises(ReadError) as absent:
        replay.invoke("Get-RemoteDomain")
    assert absent.value.kind is FailureKind.NOT_IN_SNAPSHOT
    assert len(handler.calls) == calls  # replay used no network
    assert record_key(TENANT_ID, "Get-AcceptedDomain") in snapshot.to_json()["responses"]


def test_replay_accepts_plain_dict_records() -> None:
    key = record_key(TENANT_ID, "Get-OrganizationConfig")
    records = {key: {"status": 200, "body": {"value": [{"AuditDisabled": False}]}}}

    assert ExchangeReplay(TENANT_ID, records.get).invoke("Get-OrganizationConfig") == [{"AuditDisabled": False}]


def test_record_key_is_stable_whatever_the_parameter_order() -> None:
    first = record_key(TENANT_ID, "Get-Mailbox", {"ResultSize": "Unlimited", "Filter": "x"})
    second = record_key(TENANT_ID, "Get-Mailbox", {"Filter": "x", "ResultSize": "Unlimited"})

    assert (
        first
        == second
        == f'POST /adminapi/beta/{TENANT_ID}/InvokeCommand Get-Mailbox {{"Filter":"x","ResultSize":"Unlimited"}}'
    )


def test_the_cmdlet_error_is_read_from_the_nested_details() -> None:
    body = {
        "error": {
            "code": "BadRequest",
            "message": "Error executing cmdlet",
            "details": [
                {
                    "code": "Context",
                    "message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
                    "|The object couldn't be found.",
                }
            ],
        }
    }

    assert error_code_and_message(body) == ("BadRequest", "The object couldn't be found.")
