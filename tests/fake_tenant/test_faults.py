"""Faults armed at run time: counted throttling, 5xx, delays, token expiry and the Conditional Access throttle."""

from __future__ import annotations

import email.utils
from typing import Any

import pytest
import requests

from .conftest import graph_token
from .paths import CONDITIONAL_ACCESS_POLICIES, DOMAINS, ORGANIZATION, USERS
from .server import FakeRequest, FakeTenantServer


def _status(session: requests.Session, server: FakeTenantServer, path: str, auth: dict[str, str]) -> requests.Response:
    return session.get(f"{server.url}{path}", headers=auth)


def test_throttle_with_retry_after_seconds(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    rule = server.faults.throttle(2, retry_after=2)
    first, second, third = (_status(session, server, ORGANIZATION, auth) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["Retry-After"] == "2"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert rule.served == 2 and rule.remaining == 0


def test_throttle_with_an_http_date(server: FakeTenantServer, session: requests.Session, auth: dict[str, str]) -> None:
    server.faults.throttle(1, retry_after=5, as_http_date=True)
    response = _status(session, server, ORGANIZATION, auth)
    assert response.status_code == 429
    assert email.utils.parsedate_to_datetime(response.headers["Retry-After"]).tzinfo is not None


def test_throttle_without_retry_after(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    server.faults.throttle(1, retry_after=None)
    response = _status(session, server, ORGANIZATION, auth)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(("status", "code"), [(503, "serviceNotAvailable"), (504, "timeout")])
def test_transient_server_errors(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str], status: int, code: str
) -> None:
    server.faults.fail(1, status=status)
    failed = _status(session, server, ORGANIZATION, auth)
    assert failed.status_code == status
    assert failed.json()["error"]["code"] == code
    assert {"date", "request-id", "client-request-id"} <= set(failed.json()["error"]["innerError"])
    assert _status(session, server, ORGANIZATION, auth).status_code == 200


def test_path_prefix_targets_only_matching_requests(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    rule = server.faults.fail(5, status=503, path_prefix=DOMAINS)
    assert _status(session, server, ORGANIZATION, auth).status_code == 200
    assert _status(session, server, DOMAINS, auth).status_code == 503
    assert rule.served == 1 and rule.remaining == 4


def test_delay_is_counted_and_the_answer_still_arrives(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    rule = server.faults.delay(50, count=2, path_prefix=USERS)
    assert all(_status(session, server, USERS, auth).status_code == 200 for _ in range(3))
    assert rule.served == 2


def test_identity_endpoints_are_spared_unless_targeted(server: FakeTenantServer, session: requests.Session) -> None:
    server.faults.fail(1, status=503)
    graph_token(server)  # the token endpoint is not an API route: the armed fault waits for Graph
    assert server.faults.rules[0].served == 0
    server.faults.clear()
    server.faults.throttle(1, retry_after=1, path_prefix="/contoso.com/v2.0/")
    response = session.get(f"{server.url}/contoso.com/v2.0/.well-known/openid-configuration")
    assert response.status_code == 429
    assert response.json()["error"] == "temporarily_unavailable"


def test_faults_apply_to_mounted_handlers(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    def answer(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        return 200, {}, {"value": []}

    server.mount("POST", r"/adminapi/beta/[^/]+/InvokeCommand", answer)
    server.faults.throttle(1, retry_after=1, path_prefix="/adminapi/")
    url = f"{server.url}/adminapi/beta/contoso.com/InvokeCommand"
    assert session.post(url, json={}, headers=auth).status_code == 429
    assert session.post(url, json={}, headers=auth).status_code == 200
    assert [entry.status for entry in server.requests if entry.path.startswith("/adminapi/")] == [429, 200]


def test_expired_tokens_force_a_new_token(server: FakeTenantServer, session: requests.Session) -> None:
    old = {"Authorization": f"Bearer {graph_token(server)}"}
    assert _status(session, server, ORGANIZATION, old).status_code == 200
    server.faults.expire_tokens()
    refused = _status(session, server, ORGANIZATION, old)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Access token has expired or is not yet valid."
    fresh = {"Authorization": f"Bearer {graph_token(server, 'contoso.onmicrosoft.com')}"}
    assert _status(session, server, ORGANIZATION, fresh).status_code == 200


def test_shifting_the_clock_past_the_lifetime_expires_tokens(
    server: FakeTenantServer, session: requests.Session
) -> None:
    auth = {"Authorization": f"Bearer {graph_token(server)}"}
    server.faults.shift_clock(3601)
    assert _status(session, server, ORGANIZATION, auth).status_code == 401
    reissued = server.issue_token("contoso.com")
    assert _status(session, server, ORGANIZATION, {"Authorization": f"Bearer {reissued}"}).status_code == 200


def test_conditional_access_throttle(server: FakeTenantServer, session: requests.Session, auth: dict[str, str]) -> None:
    server.faults.conditional_access_throttle(max_per_second=1)
    first = _status(session, server, CONDITIONAL_ACCESS_POLICIES, auth)
    second = _status(session, server, CONDITIONAL_ACCESS_POLICIES, auth)
    assert first.status_code == 200
    assert second.status_code == 429 and "Retry-After" not in second.headers
    assert _status(session, server, USERS, auth).status_code == 200
    server.faults.conditional_access_throttle(None)
    assert _status(session, server, CONDITIONAL_ACCESS_POLICIES, auth).status_code == 200
