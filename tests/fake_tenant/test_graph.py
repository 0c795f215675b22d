"""The fake Graph: authorisation, errors, paging, OData options, computed paths and JSON batching."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from .conftest import NARROW_ID, UNLICENSED_ID, graph_token
from .golden import GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET
from .graph import GRAPH_CONTENT_TYPE
from .model import Scenario
from .named import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from .odata import parse_datetime
from .paths import (
    ADMIN_CONSENT_POLICY,
    APP_SIGN_IN_SUMMARY,
    COMPLIANCE_POLICIES,
    CONDITIONAL_ACCESS_POLICIES,
    DIRECTORY_AUDITS,
    DOMAINS,
    GROUPS,
    REGISTRATION_DETAILS,
    ROLE_ASSIGNMENTS,
    ROLE_ELIGIBILITY_INSTANCES,
    SECURE_SCORES,
    SHAREPOINT_SETTINGS,
    USERS,
    transitive_members,
)
from .server import FakeTenantServer


def _get(
    session: requests.Session, server: FakeTenantServer, path: str, auth: dict[str, str], **params: str
) -> requests.Response:
    return session.get(f"{server.url}{path}", params=params or None, headers=auth)


def _all_pages(session: requests.Session, first_url: str, auth: dict[str, str]) -> list[list[dict[str, Any]]]:
    pages, url = [], first_url
    while url:
        body = session.get(url, headers=auth).json()
        pages.append(body["value"])
        url = body.get("@odata.nextLink")
    return pages


# ---------------------------------------------------------------- authorisation and errors


def test_success_carries_graph_headers(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    response = session.get(f"{server.url}{SHAREPOINT_SETTINGS}", headers={**auth, "client-request-id": "abc-123"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == GRAPH_CONTENT_TYPE
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["request-id"]
    body = response.json()
    assert body["@odata.context"].endswith("$metadata#admin/sharepoint/settings/$entity")
    assert body["isLegacyAuthProtocolsEnabled"] is False


def test_missing_or_bad_token_is_invalid_authentication_token(
    server: FakeTenantServer, session: requests.Session
) -> None:
    for headers, message in (
        ({}, "Access token is empty."),
        ({"Authorization": "Bearer not-a-jwt"}, "Access token validation failure. The token is not a well-formed JWT."),
    ):
        response = session.get(f"{server.url}{USERS}", headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "InvalidAuthenticationToken"
        assert error["message"] == message
        assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])


def test_token_for_another_audience_is_refused(server: FakeTenantServer, session: requests.Session) -> None:
    token = server.issue_token("contoso.com", resource="https://outlook.office365.com")
    response = session.get(f"{server.url}{USERS}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Access token validation failure. Invalid audience."


def test_missing_permission_is_authorization_request_denied(
    server: FakeTenantServer, session: requests.Session
) -> None:
    narrow = {"Authorization": f"Bearer {graph_token(server, NARROW_ID)}"}
    denied = session.get(f"{server.url}{DOMAINS}", headers=narrow)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"
    assert denied.json()["error"]["message"] == "Insufficient privileges to complete the operation."
    assert session.get(f"{server.url}{USERS}", headers=narrow).status_code == 200
    # Policy.ReadWrite.ConditionalAccess also grants reading the policies.
    assert session.get(f"{server.url}{CONDITIONAL_ACCESS_POLICIES}", headers=narrow).status_code == 200


def test_licence_refusals_are_configured_per_path(server: FakeTenantServer, session: requests.Session) -> None:
    auth = {"Authorization": f"Bearer {graph_token(server, UNLICENSED_ID)}"}
    pim = session.get(f"{server.url}{ROLE_ELIGIBILITY_INSTANCES}", headers=auth)
    assert (pim.status_code, pim.json()["error"]["code"]) == (400, "AadPremiumLicenseRequired")
    report = session.get(f"{server.url}{REGISTRATION_DETAILS}", headers=auth)
    assert (report.status_code, report.json()["error"]["code"]) == (
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    )
    intune = session.get(f"{server.url}{COMPLIANCE_POLICIES}", headers=auth)
    assert intune.status_code == 400
    assert intune.json()["error"]["message"] == "Request not applicable to target tenant."
    assert "innerError" in intune.json()["error"]


def test_unknown_path_is_resource_not_found(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    response = _get(session, server, "/v1.0/users/00000000-0000-0000-0000-00000000dead", auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"


def test_an_entity_is_found_by_id_in_its_collection(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str], golden: Scenario
) -> None:
    user = golden.graph[USERS][5]
    response = _get(session, server, f"{USERS}/{user['id']}", auth, **{"$select": "id,accountEnabled"})
    assert response.status_code == 200
    assert response.json()["accountEnabled"] == user["accountEnabled"]


# ---------------------------------------------------------------- paging and query options


def test_paging_follows_absolute_next_links(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str], golden: Scenario
) -> None:
    first = f"{server.url}{USERS}?$select=id,userPrincipalName&$top=999"
    body = session.get(first, headers=auth).json()
    next_link = body["@odata.nextLink"]
    assert next_link.startswith(f"{server.url}{USERS}?")
    query = parse_qs(urlsplit(next_link).query)
    assert query["$select"] == ["id,userPrincipalName"] and query["$top"] == ["999"] and query["$skiptoken"]
    pages = _all_pages(session, first, auth)
    assert [len(page) for page in pages] == [25] * 12
    assert [user["id"] for page in pages for user in page] == [user["id"] for user in golden.graph[USERS]]


def test_top_below_the_page_size_sets_the_page(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    pages = _all_pages(session, f"{server.url}{GROUPS}?$top=4", auth)
    assert all(len(page) <= 4 for page in pages)
    assert len(pages[0]) == 4 and len(pages) > 2


def test_secure_score_top_one_is_the_latest_snapshot(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    body = _get(session, server, SECURE_SCORES, auth, **{"$top": "1"}).json()
    assert len(body["value"]) == 1
    assert "@odata.nextLink" not in body
    assert body["value"][0]["controlScores"]


def test_select_keeps_only_named_properties_and_id(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    body = _get(session, server, USERS, auth, **{"$select": "userPrincipalName,accountEnabled"}).json()
    assert set(body["value"][0]) == {"id", "userPrincipalName", "accountEnabled"}
    assert body["@odata.context"].endswith("#users(userPrincipalName,accountEnabled)")


def test_users_without_select_get_default_properties(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    user = _get(session, server, USERS, auth).json()["value"][0]
    assert "accountEnabled" not in user and "userType" not in user
    assert {"id", "displayName", "userPrincipalName"} <= set(user)


def test_invalid_top_and_skiptoken_are_bad_requests(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    assert _get(session, server, USERS, auth, **{"$top": "5000"}).status_code == 400
    bad = _get(session, server, USERS, auth, **{"$skiptoken": "garbage"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "BadRequest"


def test_filter_unified_groups(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str], golden: Scenario
) -> None:
    params = {
        "$filter": "groupTypes/any(c:c eq 'Unified')",
        "$select": "id,displayName,visibility,createdDateTime",
        "$top": "999",
    }
    pages = _all_pages(
        session, requests.Request("GET", f"{server.url}{GROUPS}", params=params).prepare().url or "", auth
    )
    groups = [group for page in pages for group in page]
    expected = [g["id"] for g in golden.graph[GROUPS] if "Unified" in g["groupTypes"]]
    assert [g["id"] for g in groups] == expected
    assert all(set(g) == {"id", "displayName", "visibility", "createdDateTime"} for g in groups)


def test_date_and_equality_filters_on_audit_events(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str], golden: Scenario
) -> None:
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"$filter": f"loggedByService eq 'Self-service Password Management' and activityDateTime ge {since}"}
    events = _get(session, server, DIRECTORY_AUDITS, auth, **params).json()["value"]
    assert events and all(e["loggedByService"] == "Self-service Password Management" for e in events)
    assert all(parse_datetime(e["activityDateTime"]) >= parse_datetime(since) for e in events)
    total_sspr = [
        e for e in golden.graph[DIRECTORY_AUDITS] if e["loggedByService"] == "Self-service Password Management"
    ]
    assert len(events) < len(total_sspr)


def test_expand_principal_adds_the_typed_principal(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    assignments = _get(session, server, ROLE_ASSIGNMENTS, auth, **{"$expand": "principal"}).json()["value"]
    types = {a["principal"]["@odata.type"] for a in assignments}
    assert types == {"#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.servicePrincipal"}
    assert all(a["principal"]["id"] == a["principalId"] for a in assignments)
    plain = _get(session, server, ROLE_ASSIGNMENTS, auth).json()["value"]
    assert "principal" not in plain[0]


def test_assignments_come_back_only_when_expanded(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    expanded = _get(session, server, COMPLIANCE_POLICIES, auth, **{"$expand": "assignments"}).json()["value"]
    assert any(policy["assignments"] for policy in expanded)
    plain = _get(session, server, COMPLIANCE_POLICIES, auth).json()["value"]
    assert all("assignments" not in policy for policy in plain)
    bogus = _get(session, server, COMPLIANCE_POLICIES, auth, **{"$expand": "owners"})
    assert bogus.status_code == 400


def test_transitive_members_expand_nested_groups(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str], golden: Scenario
) -> None:
    groups = golden.extra["groups_by_name"]
    pages = _all_pages(session, f"{server.url}{transitive_members(groups['SG-All-Mobile-Users'])}", auth)
    members = [m for page in pages for m in page]
    nested = set(golden.memberships[groups["SG-Intune-iOS-Users"]]) | set(
        golden.memberships[groups["SG-Intune-Android-Users"]]
    )
    assert {m["id"] for m in members if m["@odata.type"] == "#microsoft.graph.user"} == nested
    assert {m["id"] for m in members if m["@odata.type"] == "#microsoft.graph.group"} == {
        groups["SG-Intune-iOS-Users"],
        groups["SG-Intune-Android-Users"],
    }
    assert _get(session, server, transitive_members("00000000-0000-0000-0000-000000000000"), auth).status_code == 404


def test_domain_service_configuration_records(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    records = _get(session, server, f"{DOMAINS}/contoso.com/serviceConfigurationRecords", auth).json()["value"]
    spf = next(r for r in records if r["recordType"] == "Txt")
    assert spf["text"].startswith("v=spf1 include:spf.protection.outlook.com")
    assert _get(session, server, f"{DOMAINS}/nope.example/serviceConfigurationRecords", auth).status_code == 404


def test_function_path_and_singletons(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    summary = session.get(f"{server.url}{APP_SIGN_IN_SUMMARY}", headers=auth)
    assert summary.status_code == 200 and summary.json()["value"]
    consent = _get(session, server, ADMIN_CONSENT_POLICY, auth).json()
    assert consent["isEnabled"] is True and consent["reviewers"]


def test_two_tenants_are_served_side_by_side(server: FakeTenantServer, session: requests.Session) -> None:
    names = {}
    credentials = {
        "contoso.com": (GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET),
        "northwindtraders.com": (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    }
    for tenant, (client_id, secret) in credentials.items():
        auth = {"Authorization": f"Bearer {graph_token(server, tenant, client_id, secret)}"}
        names[tenant] = _get(session, server, "/v1.0/organization", auth).json()["value"][0]["displayName"]
    assert names == {"contoso.com": "Contoso Ltd", "northwindtraders.com": "Northwind Traders"}


def test_evolvable_enum_members_need_the_prefer_header(
    server: FakeTenantServer, session: requests.Session, golden: Scenario
) -> None:
    from .patching import graph_pointer, patch

    remediating = patch(
        golden,
        [
            (
                "replace",
                graph_pointer(
                    CONDITIONAL_ACCESS_POLICIES,
                    "displayName=CA005: Require password change for high user risk",
                    "grantControls",
                    "builtInControls",
                ),
                ["riskRemediation"],
            )
        ],
    )
    remediating.tenant_id, remediating.domains = "44444444-4444-4444-8444-444444444444", ["enum.example"]
    server.add_scenario(remediating)
    try:
        auth = {"Authorization": f"Bearer {graph_token(server, 'enum.example')}"}

        def controls(headers: dict[str, str]) -> set[str]:
            policies = session.get(f"{server.url}{CONDITIONAL_ACCESS_POLICIES}", headers={**auth, **headers}).json()
            return {c for p in policies["value"] for c in p["grantControls"]["builtInControls"]}

        assert "riskRemediation" not in controls({}) and "unknownFutureValue" in controls({})
        assert "riskRemediation" in controls({"Prefer": "include-unknown-enum-members"})
    finally:
        server.remove_scenario(remediating.tenant_id)


def test_json_batch_answers_each_sub_request(
    server: FakeTenantServer, session: requests.Session, auth: dict[str, str]
) -> None:
    server.faults.throttle(1, retry_after=3, path_prefix=DOMAINS)
    batch = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/organization"},
            {"id": "2", "method": "GET", "url": "/domains"},
            {"id": "3", "method": "GET", "url": "/users?$select=id&$top=5"},
        ]
    }
    response = session.post(f"{server.url}/v1.0/$batch", json=batch, headers=auth)
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["value"]
    assert by_id["2"]["status"] == 429 and by_id["2"]["headers"]["Retry-After"] == "3"
    assert by_id["3"]["status"] == 200 and len(by_id["3"]["body"]["value"]) == 5
    batched = [entry for entry in server.requests if entry.batched]
    assert [entry.path for entry in batched] == ["/v1.0/organization", "/v1.0/domains", "/v1.0/users"]
    too_many = {"requests": [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]}
    assert session.post(f"{server.url}/v1.0/$batch", json=too_many, headers=auth).status_code == 400
