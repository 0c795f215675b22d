"""o365cis.graph.client: the pager, Graph error classification, live HTTPS transport and snapshot replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
import requests

from o365cis.auth import AppToken, AuthError, TokenProvider
from o365cis.findings import FailureKind, ReadError
from o365cis.graph.client import (
    Fetch,
    GraphClient,
    RawResponse,
    classify_failure,
    graph_error,
    live_fetch,
    replay_fetch,
    request_key,
)
from o365cis.http import HttpSession, RateLimiter, RetryPolicy
from o365cis.snapshot import Snapshot

TOKEN = "eyJ0eXAiOiJKV1QifQ.TOKEN-PAYLOAD-must-never-leak.SIG"
FRESH_TOKEN = "eyJ0eXAiOiJKV1QifQ.FRESH-PAYLOAD-must-never-leak.SIG"
USERS = "/v1.0/users"


class StaticTokens:
    """Stands in for TokenProvider (no identity server here): a fixed token, a new one on refresh."""

    def __init__(self, fail: AuthError | None = None) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.fail = fail

    def token(self, resource: str, *, force_refresh: bool = False) -> AppToken:
        self.calls.append((resource, force_refresh))
        if self.fail is not None:
            raise self.fail
        return AppToken(FRESH_TOKEN if force_refresh else TOKEN, {"roles": ["User.Read.All"]})


def transport(
    base: str, session: requests.Session, tokens: StaticTokens, policy: RetryPolicy, limiter: RateLimiter | None = None
) -> Fetch:
    """live_fetch with the stand-in token provider."""
    return live_fetch(base, session, cast(TokenProvider, tokens), policy, limiter)


def graph_error_body(code: str, message: str) -> dict[str, Any]:
    """An error body shaped as Graph sends it (https://learn.microsoft.com/graph/errors)."""
    return {
        "error": {"code": code, "message": message, "innerError": {"request-id": "r-1", "date": "2025-01-01T00:00:00"}}
    }


@pytest.fixture
def waits() -> list[float]:
    """The retry waits the policy asked for (recorded, never slept)."""
    return []


@pytest.fixture
def tokens() -> StaticTokens:
    """The stand-in token provider."""
    return StaticTokens()


@pytest.fixture
def client(https_server: Any, ca_bundle: str, tokens: StaticTokens, waits: list[float]) -> Iterator[GraphClient]:
    """A GraphClient over HTTPS to the scripted server, trusting the private CA, recording its waits."""
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, sleep=waits.append, timeout=5)
    with HttpSession(ca_bundle=ca_bundle) as session:
        yield GraphClient(https_server.url, transport(https_server.url, session, tokens, policy))


# The pager -------------------------------------------------------------------------------------


def test_pager_follows_next_links_exactly_as_given(https_server: Any, client: GraphClient) -> None:
    # Graph's skip tokens are opaque: the pager must send them back byte for byte, never rebuild them.
    page2 = f"{USERS}?$top=2&$skiptoken=RFNwdAIAAQAAACE6%3D%3D'x'"
    page3 = f"{USERS}?$top=2&$skiptoken=X%2BY%2FZ"
    https_server.script(
        f"{USERS}?$top=2", (200, {"value": [{"id": "1"}, {"id": "2"}], "@odata.nextLink": https_server.url + page2})
    )
    https_server.script(
        page2, (200, {"value": [{"id": "3"}, {"id": "4"}], "@odata.nextLink": https_server.url + page3})
    )
    https_server.script(page3, (200, {"value": [{"id": "5"}]}))
    items = client.get_all(USERS, {"$top": "2"})
    assert [item["id"] for item in items] == ["1", "2", "3", "4", "5"]
    assert https_server.targets() == [f"{USERS}?$top=2", page2, page3], "one request per page"
    assert client.request_count == 3


def test_an_empty_collection_is_one_request(https_server: Any, client: GraphClient) -> None:
    https_server.script(USERS, (200, {"value": []}))
    assert client.get_all(USERS) == []
    assert https_server.targets() == [USERS]


def test_an_empty_next_link_ends_the_paging(https_server: Any, client: GraphClient) -> None:
    https_server.script(USERS, (200, {"value": [{"id": "1"}], "@odata.nextLink": ""}))
    assert client.get_all(USERS) == [{"id": "1"}]
    assert len(https_server.seen) == 1


def test_odata_query_options_are_sent_literally(https_server: Any, client: GraphClient) -> None:
    target = "/v1.0/groups?$filter=groupTypes/any(c:c%20eq%20'Unified')&$select=id,displayName&$top=999"
    https_server.script(target, (200, {"value": [{"id": "g"}]}))
    items = client.get_all(
        "/v1.0/groups", {"$filter": "groupTypes/any(c:c eq 'Unified')", "$select": "id,displayName", "$top": "999"}
    )
    assert items == [{"id": "g"}]
    assert https_server.targets() == [target]


def test_token_accept_and_extra_headers_are_sent(https_server: Any, client: GraphClient, tokens: StaticTokens) -> None:
    https_server.script(USERS, (200, {"value": []}))
    client.get_all(USERS, headers={"ConsistencyLevel": "eventual"})
    headers = https_server.seen[0].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/json"
    assert headers["ConsistencyLevel"] == "eventual"
    assert tokens.calls == [(https_server.url, False)], "the token is asked for the Graph host"


def test_a_page_without_a_value_list_is_a_service_failure(https_server: Any, client: GraphClient) -> None:
    https_server.script(USERS, (200, {"id": "not-a-collection"}))
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.SERVICE
    assert "without a value list" in str(caught.value)


def test_a_failing_later_page_fails_the_whole_read(https_server: Any, client: GraphClient) -> None:
    https_server.script(
        USERS, (200, {"value": [{"id": "1"}], "@odata.nextLink": f"{https_server.url}{USERS}?$skiptoken=2"})
    )
    https_server.script(
        f"{USERS}?$skiptoken=2", (403, graph_error_body("Authorization_RequestDenied", "Insufficient privileges"))
    )
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS, permission="User.Read.All")
    assert caught.value.kind is FailureKind.PERMISSION
    assert caught.value.request == f"GET {USERS}"


def test_get_returns_a_singleton(https_server: Any, client: GraphClient) -> None:
    body = {"id": "00000000-0000-0000-0000-000000000000", "isEnabled": True}
    https_server.script("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", (200, body))
    assert client.get("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy") == body


def test_get_with_an_empty_answer_is_an_empty_dict(https_server: Any, client: GraphClient) -> None:
    https_server.script("/v1.0/admin/forms", (204, None))
    assert client.get("/v1.0/admin/forms") == {}


# Failures through the live transport ----------------------------------------------------------


def test_403_is_a_missing_permission_named_with_graphs_own_words(https_server: Any, client: GraphClient) -> None:
    https_server.script(
        USERS,
        (403, graph_error_body("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")),
    )
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS, permission="User.Read.All")
    failure = caught.value
    assert failure.kind is FailureKind.PERMISSION
    assert failure.permission == "User.Read.All"
    assert (failure.status, failure.code) == (403, "Authorization_RequestDenied")
    text = str(failure)
    assert text.startswith(f"GET {USERS}: grant the application permission User.Read.All")
    assert "Authorization_RequestDenied: Insufficient privileges to complete the operation." in text


def test_503_past_the_retry_budget_is_a_budget_failure(
    https_server: Any, client: GraphClient, waits: list[float]
) -> None:
    https_server.script(USERS, (503, graph_error_body("serviceNotAvailable", "try later"), {"Retry-After": "2"}))
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.BUDGET
    assert "HTTP 503 after 3 attempts" in str(caught.value)
    assert len(https_server.seen) == 3
    assert waits == [2.0, 2.0]


def test_an_unreachable_graph_is_a_budget_failure(refused_url: str, tokens: StaticTokens, waits: list[float]) -> None:
    base = refused_url.removesuffix(USERS).replace("http://", "https://")
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, sleep=waits.append, timeout=5)
    client = GraphClient(base, transport(base, requests.Session(), tokens, policy))
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.BUDGET
    assert "ConnectionError after 2 attempts" in str(caught.value)


def test_401_gets_a_fresh_token_once_and_resends(https_server: Any, client: GraphClient, tokens: StaticTokens) -> None:
    def by_token(seen: Any) -> tuple[int, dict[str, Any]]:
        if seen.headers["Authorization"] == f"Bearer {FRESH_TOKEN}":
            return (200, {"value": [{"id": "1"}]})
        return (
            401,
            graph_error_body("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."),
        )

    https_server.script(USERS, by_token)
    assert client.get_all(USERS) == [{"id": "1"}]
    assert tokens.calls == [(https_server.url, False), (https_server.url, True)]


def test_a_token_that_stays_refused_is_a_permission_failure(https_server: Any, client: GraphClient) -> None:
    https_server.script(
        USERS, (401, graph_error_body("InvalidAuthenticationToken", "Access token validation failure."))
    )
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.PERMISSION
    assert "the access token was refused" in str(caught.value)
    assert len(https_server.seen) == 2


def test_no_token_is_a_service_failure_with_the_sign_in_error(https_server: Any, ca_bundle: str) -> None:
    tokens = StaticTokens(
        fail=AuthError("bad_credentials", "sign-in failed: the client secret has expired (AADSTS7000222)")
    )
    fetch = transport(https_server.url, HttpSession(ca_bundle=ca_bundle), tokens, RetryPolicy(sleep=lambda s: None))
    with pytest.raises(ReadError) as caught:
        GraphClient(https_server.url, fetch).get_all(USERS)
    assert caught.value.kind is FailureKind.SERVICE
    assert "AADSTS7000222" in str(caught.value)
    assert https_server.seen == [], "nothing is sent without a token"


def test_a_non_json_answer_is_a_service_failure(https_server: Any, client: GraphClient) -> None:
    https_server.script(USERS, (502, "<html><body>Bad gateway</body></html>"))
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.SERVICE
    assert "Graph answered 502" in str(caught.value)
    assert "InvalidJson" in str(caught.value)


def test_the_rate_limiter_is_used_for_every_request(https_server: Any, ca_bundle: str, tokens: StaticTokens) -> None:
    class CountingLimiter(RateLimiter):
        def __init__(self) -> None:
            super().__init__(1000.0)
            self.count = 0

        def wait(self) -> None:
            self.count += 1

    limiter = CountingLimiter()
    https_server.script(USERS, (200, {"value": [1], "@odata.nextLink": f"{https_server.url}{USERS}?p=2"}))
    https_server.script(f"{USERS}?p=2", (200, {"value": [2]}))
    fetch = transport(
        https_server.url, HttpSession(ca_bundle=ca_bundle), tokens, RetryPolicy(sleep=lambda s: None), limiter
    )
    assert GraphClient(https_server.url, fetch).get_all(USERS) == [1, 2]
    assert limiter.count == 2


# No token in any failure text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        (401, graph_error_body("InvalidAuthenticationToken", "Access token validation failure.")),
        (403, graph_error_body("Authorization_RequestDenied", "Insufficient privileges")),
        (400, graph_error_body("AadPremiumLicenseRequired", "P2 needed")),
        (429, graph_error_body("TooManyRequests", "slow down")),
        (500, "<html>oops</html>"),
        (404, None),
    ],
)
def test_no_failure_text_holds_the_token(https_server: Any, client: GraphClient, answer: tuple[int, Any]) -> None:
    https_server.script(USERS, answer)
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS, permission="User.Read.All")
    text = f"{caught.value} {caught.value.detail} {caught.value.request} {caught.value!r}"
    assert TOKEN not in text and FRESH_TOKEN not in text
    assert "TOKEN-PAYLOAD" not in text and "FRESH-PAYLOAD" not in text


def test_a_reflected_token_is_scrubbed_from_the_failure_text(https_server: Any, client: GraphClient) -> None:
    https_server.script(
        USERS, lambda seen: (400, graph_error_body("BadRequest", f"Malformed header: {seen.headers['Authorization']}"))
    )
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert "TOKEN-PAYLOAD" not in str(caught.value)


# classify_failure ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message", "kind", "says"),
    [
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            FailureKind.PERMISSION,
            "grant the application permission Policy.Read.All",
        ),
        (
            400,
            "AadPremiumLicenseRequired",
            "Tenant does not have a SKU required for this feature.",
            FailureKind.NOT_LICENSED,
            "Entra ID P2 required",
        ),
        (
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
            FailureKind.NOT_LICENSED,
            "Entra ID P1 required",
        ),
        (
            400,
            "BadRequest",
            "Request not applicable to target tenant.",
            FailureKind.NOT_LICENSED,
            "no Intune subscription",
        ),
        (
            403,
            "Forbidden",
            "Request not applicable to target tenant.",
            FailureKind.NOT_LICENSED,
            "no Intune subscription",
        ),
        (
            401,
            "InvalidAuthenticationToken",
            "Access token has expired.",
            FailureKind.PERMISSION,
            "the access token was refused",
        ),
        (500, "UnknownError", "An internal error occurred.", FailureKind.SERVICE, "Graph answered 500"),
        (404, "Request_ResourceNotFound", "Resource does not exist.", FailureKind.SERVICE, "Graph answered 404"),
        (
            0,
            "RetryBudgetExhausted",
            "HTTP 429 after 8 attempts",
            FailureKind.BUDGET,
            "service failure: HTTP 429 after 8 attempts",
        ),
        (0, "NotInSnapshot", "the snapshot holds no answer", FailureKind.NOT_IN_SNAPSHOT, "no answer"),
        (0, "TokenAcquisitionFailed", "sign-in failed", FailureKind.SERVICE, "sign-in failed"),
    ],
)
def test_classify_failure(status: int, code: str, message: str, kind: FailureKind, says: str) -> None:
    failure = classify_failure(status, graph_error_body(code, message), "GET /v1.0/x", "Policy.Read.All")
    assert failure.kind is kind
    assert failure.request == "GET /v1.0/x"
    text = str(failure)
    assert text.startswith("GET /v1.0/x: ")
    assert says in text
    assert message in text, "Graph's own message is kept"
    if status:
        assert code in text and failure.code == code and failure.status == status


def test_permission_failure_carries_the_permission() -> None:
    failure = classify_failure(
        403, graph_error_body("Authorization_RequestDenied", "no"), "GET /v1.0/x", "AuditLog.Read.All"
    )
    assert failure.permission == "AuditLog.Read.All"
    assert "admin-consent" in str(failure)


def test_403_without_a_known_permission_still_says_refused() -> None:
    failure = classify_failure(403, graph_error_body("Authorization_RequestDenied", "no"), "GET /v1.0/x", None)
    assert failure.kind is FailureKind.PERMISSION
    assert "permission refused" in str(failure)


@pytest.mark.parametrize("body", [None, "<html/>", {"value": []}, {"error": "flat string"}, []])
def test_a_body_that_is_not_a_graph_error_names_the_status(body: Any) -> None:
    assert graph_error(body) == ("", "")
    failure = classify_failure(404, body, "GET /v1.0/x", None)
    assert "HTTP 404" in str(failure)


def test_graph_messages_are_one_line_and_bounded() -> None:
    failure = classify_failure(
        500, graph_error_body("UnknownError", "line one\nline two\r\n" + "x" * 1000), "GET /v1.0/x", None
    )
    assert "\n" not in str(failure)
    assert "line one line two" in str(failure)
    assert len(failure.detail) < 400


# Snapshots: record and replay ------------------------------------------------------------------


def test_a_recorded_scan_replays_without_network(https_server: Any, ca_bundle: str, tokens: StaticTokens) -> None:
    https_server.script(
        f"{USERS}?$top=1",
        (200, {"value": [{"id": "1"}], "@odata.nextLink": f"{https_server.url}{USERS}?$top=1&$skiptoken=a%3D"}),
    )
    https_server.script(f"{USERS}?$top=1&$skiptoken=a%3D", (200, {"value": [{"id": "2"}]}))
    https_server.script(
        "/v1.0/domains", (403, graph_error_body("Authorization_RequestDenied", "Insufficient privileges"))
    )
    snapshot = Snapshot()
    live = GraphClient(
        https_server.url,
        transport(https_server.url, HttpSession(ca_bundle=ca_bundle), tokens, RetryPolicy(sleep=lambda s: None)),
        recorder=snapshot,
    )
    live_users = live.get_all(USERS, {"$top": "1"})
    with pytest.raises(ReadError):
        live.get_all("/v1.0/domains", permission="Domain.Read.All")

    assert set(snapshot.responses) == {
        f"GET {USERS}?$top=1",
        f"GET {USERS}?$top=1&$skiptoken=a%3D",
        "GET /v1.0/domains",
    }, "keys are relative to the Graph host, next links included"
    assert TOKEN not in json.dumps(snapshot.to_json())

    sent = len(https_server.seen)
    offline = GraphClient(https_server.url, replay_fetch(snapshot))
    assert offline.get_all(USERS, {"$top": "1"}) == live_users == [{"id": "1"}, {"id": "2"}]
    with pytest.raises(ReadError) as caught:
        offline.get_all("/v1.0/domains", permission="Domain.Read.All")
    assert caught.value.kind is FailureKind.PERMISSION
    assert caught.value.permission == "Domain.Read.All"
    assert len(https_server.seen) == sent, "replay sends nothing"


def test_replay_of_an_unrecorded_request_is_not_in_snapshot() -> None:
    client = GraphClient("https://graph.microsoft.com", replay_fetch(Snapshot()))
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.NOT_IN_SNAPSHOT
    assert f"GET {USERS}" in str(caught.value)


def recorded_two_pages() -> Snapshot:
    """What the recorder writes for a two-page collection: relative keys, Graph's absolute next link in the body."""
    snapshot = Snapshot()
    snapshot.record(
        f"GET {USERS}", 200, {"value": [1], "@odata.nextLink": f"https://graph.microsoft.com{USERS}?$skiptoken=z"}
    )
    snapshot.record(f"GET {USERS}?$skiptoken=z", 200, {"value": [2]})
    return snapshot


def test_replay_follows_absolute_next_links_of_the_graph_host() -> None:
    client = GraphClient("https://graph.microsoft.com/", replay_fetch(recorded_two_pages()))
    assert client.get_all(USERS) == [1, 2]
    assert client.request_count == 2


def test_replay_as_open_replay_scan_builds_it_follows_next_links() -> None:
    client = GraphClient("", replay_fetch(recorded_two_pages()))
    assert client.get_all(USERS) == [1, 2]


def test_replay_does_not_depend_on_the_recording_host() -> None:
    client = GraphClient("https://graph.microsoft.us", replay_fetch(recorded_two_pages()), pin_links=False)
    assert client.get_all(USERS) == [1, 2]


def test_request_key() -> None:
    assert request_key("/v1.0/users?$top=999") == "GET /v1.0/users?$top=999"


def test_a_transport_answer_of_status_0_is_never_data() -> None:
    client = GraphClient("https://graph.microsoft.com", lambda url, headers: RawResponse(0, {"value": [1]}))
    with pytest.raises(ReadError) as caught:
        client.get_all(USERS)
    assert caught.value.kind is FailureKind.SERVICE
