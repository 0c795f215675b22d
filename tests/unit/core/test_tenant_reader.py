"""o365cis.collectors.tenant: one request chain per read, cached failures, pre-flight, PIM licence meaning."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

import pytest

from o365cis.auth import AppToken, TokenProvider
from o365cis.collectors import reads
from o365cis.collectors.reads import GraphRead
from o365cis.collectors.tenant import TenantReader
from o365cis.findings import FailureKind, ReadError
from o365cis.graph.client import GraphClient, RawResponse, live_fetch
from o365cis.http import HttpSession, RetryPolicy

STARTED = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
ALL_ROLES = frozenset(
    {
        "Directory.Read.All",
        "Policy.Read.All",
        "RoleManagement.Read.Directory",
        "AuditLog.Read.All",
        "User.Read.All",
        "Domain.Read.All",
        "SecurityEvents.Read.All",
    }
)
USERS_URL = "/v1.0/users?$select=" + reads.USER_FIELDS + "&$top=999"
ELIGIBILITY_URL = "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal"


def denied(code: str, message: str, status: int = 403) -> RawResponse:
    return RawResponse(status, {"error": {"code": code, "message": message}})


class FakeGraph:
    """An in-memory Graph transport: answers by relative URL, counts requests, can hold them at a gate."""

    def __init__(self, answers: Mapping[str, RawResponse]) -> None:
        self.answers = dict(answers)
        self.requests: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, relative_url: str, headers: Mapping[str, str]) -> RawResponse:
        with self._lock:
            self.requests[relative_url] += 1
            self.headers[relative_url] = dict(headers)
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(timeout=10)
        return self.answers.get(relative_url, denied("Request_ResourceNotFound", f"no answer for {relative_url}", 404))

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def reader(answers: Mapping[str, RawResponse], roles: frozenset[str] = ALL_ROLES) -> tuple[TenantReader, FakeGraph]:
    graph = FakeGraph(answers)
    return TenantReader(GraphClient("https://graph.microsoft.com", graph), roles, STARTED), graph


USERS_OK = {USERS_URL: RawResponse(200, {"value": [{"id": "u1"}, {"id": "u2"}]})}


# Caching ---------------------------------------------------------------------------------------


def test_a_read_is_fetched_once_and_then_served_from_the_cache() -> None:
    tenant, graph = reader(USERS_OK)
    first = tenant.read(reads.USERS)
    second = tenant.read(reads.USERS)
    assert first == [{"id": "u1"}, {"id": "u2"}]
    assert second is first
    assert graph.requests == Counter({USERS_URL: 1})


def test_a_failure_is_cached_and_raised_again_without_a_request() -> None:
    tenant, graph = reader({USERS_URL: denied("Authorization_RequestDenied", "Insufficient privileges")})
    with pytest.raises(ReadError) as first:
        tenant.read(reads.USERS)
    with pytest.raises(ReadError) as second:
        tenant.read(reads.USERS)
    assert second.value is first.value
    assert first.value.kind is FailureKind.PERMISSION
    assert first.value.permission == "User.Read.All"
    assert graph.total == 1


def test_a_singleton_read_uses_get() -> None:
    url = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
    tenant, _ = reader({url: RawResponse(200, {"isEnabled": False})})
    assert tenant.read(reads.SECURITY_DEFAULTS) == {"isEnabled": False}


def test_a_reads_query_and_headers_are_sent() -> None:
    url = "/v1.0/identity/conditionalAccess/policies"
    tenant, graph = reader({url: RawResponse(200, {"value": []})})
    tenant.read(reads.CONDITIONAL_ACCESS_POLICIES)
    assert graph.headers[url] == {"Prefer": "include-unknown-enum-members"}


def test_attempt_returns_data_or_the_failure() -> None:
    tenant, _ = reader({**USERS_OK, "/v1.0/domains": denied("Authorization_RequestDenied", "no")})
    assert tenant.attempt(reads.USERS) == ([{"id": "u1"}, {"id": "u2"}], None)
    data, failure = tenant.attempt(reads.DOMAINS)
    assert data is None
    assert isinstance(failure, ReadError) and failure.kind is FailureKind.PERMISSION


def test_concurrent_readers_of_one_read_cause_one_request_chain() -> None:
    tenant, graph = reader(USERS_OK)
    graph.gate = threading.Event()
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(tenant.read(reads.USERS))) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert graph.entered.wait(timeout=10)
    time.sleep(0.05)  # let the other readers queue on the read's lock (correctness does not depend on it)
    graph.gate.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 8
    assert all(result is results[0] for result in results)
    assert graph.total == 1


def test_different_reads_do_not_wait_for_each_other() -> None:
    """A slow read holds only its own lock: another read completes meanwhile."""
    tenant, graph = reader({**USERS_OK, "/v1.0/domains": RawResponse(200, {"value": [{"id": "contoso.com"}]})})
    release = threading.Event()
    original = graph.__call__

    def slow_users(url: str, headers: Mapping[str, str]) -> RawResponse:
        if url == USERS_URL:
            release.wait(timeout=10)
        return original(url, headers)

    tenant.client = GraphClient("https://graph.microsoft.com", slow_users)
    worker = threading.Thread(target=tenant.read, args=(reads.USERS,))
    worker.start()
    try:
        assert tenant.read(reads.DOMAINS) == [{"id": "contoso.com"}]
    finally:
        release.set()
        worker.join(timeout=10)


# Prefetch --------------------------------------------------------------------------------------


def test_prefetch_sends_one_request_per_read_and_keeps_failures() -> None:
    answers = {
        **USERS_OK,
        "/v1.0/domains": RawResponse(200, {"value": [{"id": "contoso.com"}]}),
        "/v1.0/organization": RawResponse(200, {"value": [{"displayName": "Contoso"}]}),
        "/v1.0/identity/conditionalAccess/policies": denied("Authorization_RequestDenied", "Insufficient privileges"),
    }
    tenant, graph = reader(answers)
    wanted = [
        reads.USERS,
        reads.DOMAINS,
        reads.USERS,
        reads.ORGANIZATION,
        reads.CONDITIONAL_ACCESS_POLICIES,
        reads.DOMAINS,
    ]
    tenant.prefetch(wanted, workers=4)
    assert graph.requests == Counter({url: 1 for url in answers})
    # The tests that ask afterwards get the cached data and the cached failure, with no new request.
    assert tenant.read(reads.ORGANIZATION) == [{"displayName": "Contoso"}]
    with pytest.raises(ReadError) as caught:
        tenant.read(reads.CONDITIONAL_ACCESS_POLICIES)
    assert caught.value.permission == "Policy.Read.All"
    assert graph.total == 4


def test_prefetch_and_tests_racing_still_send_one_request(https_server: Any, ca_bundle: str) -> None:
    """Over real HTTPS: a prefetch and concurrent readers of the same reads share one request per read."""
    https_server.script(USERS_URL, (200, {"value": [{"id": "u1"}]}))
    https_server.script("/v1.0/domains", (200, {"value": [{"id": "contoso.com"}]}))

    class Tokens:
        def token(self, resource: str, *, force_refresh: bool = False) -> AppToken:
            return AppToken("t", {})

    fetch = live_fetch(
        https_server.url,
        HttpSession(ca_bundle=ca_bundle),
        cast(TokenProvider, Tokens()),
        RetryPolicy(sleep=lambda s: None),
    )
    tenant = TenantReader(GraphClient(https_server.url, fetch), ALL_ROLES, STARTED)
    readers = [threading.Thread(target=tenant.attempt, args=(r,)) for r in (reads.USERS, reads.DOMAINS) * 3]
    for thread in readers:
        thread.start()
    tenant.prefetch([reads.USERS, reads.DOMAINS, reads.USERS])
    for thread in readers:
        thread.join(timeout=10)
    assert sorted(https_server.targets()) == sorted([USERS_URL, "/v1.0/domains"])
    assert tenant.read(reads.USERS) == [{"id": "u1"}]


# Pre-flight ------------------------------------------------------------------------------------


def test_a_read_the_token_cannot_make_is_not_attempted() -> None:
    tenant, graph = reader(USERS_OK, roles=frozenset({"Policy.Read.All"}))
    with pytest.raises(ReadError) as caught:
        tenant.read(reads.USERS)
    failure = caught.value
    assert failure.kind is FailureKind.PERMISSION
    assert failure.permission == "User.Read.All"
    assert (
        str(failure)
        == "GET /v1.0/users: permission User.Read.All not granted to the app (grant it and admin-consent it)"
    )
    assert graph.total == 0


def test_a_pre_flight_refusal_is_cached_like_any_failure() -> None:
    tenant, _ = reader(USERS_OK, roles=frozenset())
    with pytest.raises(ReadError) as first:
        tenant.read(reads.USERS)
    tenant.roles = ALL_ROLES  # a refusal is a fact of this scan, not re-examined
    with pytest.raises(ReadError) as second:
        tenant.read(reads.USERS)
    assert second.value is first.value


@pytest.mark.parametrize(
    ("read", "roles"),
    [
        (reads.USERS, {"User.Read.All"}),
        (reads.USERS, {"Directory.Read.All"}),
        (reads.USERS, {"User.ReadWrite.All"}),
        (reads.ORGANIZATION, {"Organization.Read.All"}),
        (reads.ROLE_ASSIGNMENTS, {"Directory.Read.All"}),
        (reads.ROLE_ELIGIBILITY_INSTANCES, {"RoleEligibilitySchedule.Read.Directory"}),
        (reads.group_transitive_members("g1"), {"GroupMember.Read.All"}),
        (reads.group_transitive_members("g1"), {"Group.Read.All"}),
        (reads.SUBSCRIBED_SKUS, {"LicenseAssignment.Read.All"}),
    ],
)
def test_pre_flight_accepts_the_permission_its_alternatives_and_broader_roles(read: GraphRead, roles: set[str]) -> None:
    tenant, _ = reader({})
    tenant.roles = frozenset(roles)
    assert tenant.preflight(read) is None


@pytest.mark.parametrize(
    ("read", "roles"),
    [
        (reads.USERS, {"User.ReadBasic.All"}),
        (reads.CONDITIONAL_ACCESS_POLICIES, {"Directory.Read.All"}),
        (reads.ROLE_ELIGIBILITY_INSTANCES, {"RoleAssignmentSchedule.Read.Directory"}),
        (reads.DEVICE_COMPLIANCE_POLICIES, {"DeviceManagementManagedDevices.Read.All"}),
    ],
)
def test_pre_flight_refuses_unrelated_roles(read: GraphRead, roles: set[str]) -> None:
    tenant, _ = reader({})
    tenant.roles = frozenset(roles)
    refusal = tenant.preflight(read)
    assert refusal is not None
    assert refusal.permission == read.permission


# Reads whose failure has a meaning ----------------------------------------------------------------


def test_eligibility_refused_for_lack_of_p2_means_no_eligible_holders() -> None:
    tenant, graph = reader(
        {ELIGIBILITY_URL: denied("AadPremiumLicenseRequired", "The tenant needs an AAD Premium 2 license.", 400)}
    )
    assert tenant.eligible_role_instances() == []
    assert tenant.eligible_role_instances() == []
    assert graph.total == 1, "the licence refusal is cached too"


def test_eligibility_refused_for_a_missing_permission_stays_a_failure() -> None:
    tenant, _ = reader({ELIGIBILITY_URL: denied("Authorization_RequestDenied", "Insufficient privileges")})
    with pytest.raises(ReadError) as caught:
        tenant.eligible_role_instances()
    assert caught.value.kind is FailureKind.PERMISSION
    assert caught.value.permission == "RoleManagement.Read.Directory"


def test_eligibility_without_the_permission_granted_stays_a_failure() -> None:
    tenant, graph = reader({}, roles=frozenset({"Directory.Read.All"}))
    with pytest.raises(ReadError) as caught:
        tenant.eligible_role_instances()
    assert caught.value.kind is FailureKind.PERMISSION
    assert graph.total == 0


def test_eligibility_on_a_service_failure_stays_a_failure() -> None:
    tenant, _ = reader(
        {
            ELIGIBILITY_URL: RawResponse(
                0, {"error": {"code": "RetryBudgetExhausted", "message": "HTTP 503 after 8 attempts"}}
            )
        }
    )
    with pytest.raises(ReadError) as caught:
        tenant.eligible_role_instances()
    assert caught.value.kind is FailureKind.BUDGET


def test_eligible_holders_are_returned() -> None:
    holders = [{"id": "e1", "principalId": "u1", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10"}]
    tenant, _ = reader({ELIGIBILITY_URL: RawResponse(200, {"value": holders})})
    assert tenant.eligible_role_instances() == holders


def test_group_members_one_chain_per_distinct_group() -> None:
    def members_url(group_id: str) -> str:
        fields = "id,displayName,userPrincipalName,accountEnabled,userType"
        return f"/v1.0/groups/{group_id}/transitiveMembers?$select={fields}"

    answers = {
        members_url("g1"): RawResponse(200, {"value": [{"id": "u1"}]}),
        members_url("g2"): RawResponse(200, {"value": [{"id": "u2"}, {"id": "u3"}]}),
    }
    tenant, graph = reader(answers)
    members = tenant.group_members(["g1", "g2", "g1"])
    assert members == {"g1": [{"id": "u1"}], "g2": [{"id": "u2"}, {"id": "u3"}]}
    tenant.group_members(["g2"])
    assert graph.requests == Counter({members_url("g1"): 1, members_url("g2"): 1})


def test_since_7_days_is_utc_iso_seven_days_before_the_scan() -> None:
    tenant, _ = reader({})
    assert tenant.since_7_days == "2025-03-03T12:00:00Z"
