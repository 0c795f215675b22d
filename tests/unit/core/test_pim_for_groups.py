"""PIM for Groups in the admin-users assembly (issue 9): the group eligibility read, its licence meaning, and
o365cis.collectors.partial.admin_role_holders reading it only for role-holding groups."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from o365cis.collectors import reads
from o365cis.collectors.partial import PartialReads, admin_role_holders
from o365cis.collectors.tenant import TenantReader
from o365cis.config import GLOBAL_ADMIN_ROLE_ID
from o365cis.findings import FailureKind, ReadError
from o365cis.graph.client import GraphClient, RawResponse
from tests.unit.core.test_tenant_reader import ALL_ROLES, ELIGIBILITY_URL, STARTED, FakeGraph, denied

PIM_GROUPS = "PrivilegedEligibilitySchedule.Read.AzureADGroup"
ROLES = ALL_ROLES | {PIM_GROUPS}
TIER0, NESTED = "g-tier0", "g-nested"
ASSIGNMENTS_URL = "/v1.0/roleManagement/directory/roleAssignments?$expand=principal"


#: The characters GraphClient leaves unquoted in a query string.
URL_SAFE = "$(),:'/"


def _url(read: reads.GraphRead) -> str:
    return f"{read.path}?{urlencode(read.params, safe=URL_SAFE, quote_via=quote)}"


def group_eligibility_url(group_id: str) -> str:
    return _url(reads.group_eligibility_instances(group_id))


def members_url(group_id: str) -> str:
    return _url(reads.group_transitive_members(group_id))


def user(uid: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.user", "id": uid, "userPrincipalName": f"{uid}@contoso.com"}


def group(gid: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": gid}


def assignment(principal: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"a-{principal['id']}",
        "principalId": principal["id"],
        "roleDefinitionId": GLOBAL_ADMIN_ROLE_ID,
        "directoryScopeId": "/",
        "principal": principal,
    }


def eligibility_row(principal: dict[str, Any], access: str = "member") -> dict[str, Any]:
    return {"groupId": TIER0, "principalId": principal["id"], "accessId": access, "principal": principal}


def ok(*items: dict[str, Any]) -> RawResponse:
    return RawResponse(200, {"value": list(items)})


def reader(answers: dict[str, RawResponse], roles: frozenset[str] = ROLES) -> tuple[TenantReader, FakeGraph]:
    graph = FakeGraph(answers)
    return TenantReader(GraphClient("https://graph.microsoft.com", graph), roles, STARTED), graph


P2_REQUIRED = denied("AadPremiumLicenseRequired", "The tenant needs an AAD Premium P2 license.", 400)


def test_not_licensed_means_nobody_eligible() -> None:
    tenant, graph = reader({group_eligibility_url(TIER0): P2_REQUIRED})
    assert tenant.group_eligibility_instances(TIER0) == []
    assert graph.requests[group_eligibility_url(TIER0)] == 1


@pytest.mark.parametrize(
    ("answers", "roles"),
    [
        ({"403": denied("Authorization_RequestDenied", "Insufficient privileges")}, ROLES),
        ({}, ALL_ROLES),  # not granted: the pre-flight names it, nothing is sent
    ],
)
def test_a_permission_refusal_stays_a_failed_read(answers: dict[str, RawResponse], roles: frozenset[str]) -> None:
    refusal = {group_eligibility_url(TIER0): r for r in answers.values()}
    tenant, _ = reader(refusal, roles)
    with pytest.raises(ReadError) as caught:
        tenant.group_eligibility_instances(TIER0)
    assert caught.value.kind is FailureKind.PERMISSION
    assert caught.value.permission == PIM_GROUPS


def _holders(answers: dict[str, RawResponse]) -> tuple[Any, PartialReads, Counter[str]]:
    tenant, graph = reader({ELIGIBILITY_URL: ok(), **answers})
    partial = PartialReads(tenant)
    return admin_role_holders(partial, [GLOBAL_ADMIN_ROLE_ID]), partial, graph.requests


def test_read_only_where_a_group_holds_the_role() -> None:
    holders, partial, requests = _holders({ASSIGNMENTS_URL: ok(assignment(user("u-alice")))})
    assert holders is not None and holders.user_ids() == ["u-alice"]
    assert not any("privilegedAccess" in url for url in requests) and not partial.failures


def test_eligible_members_and_group_principals_are_admin_users() -> None:
    holders, partial, _ = _holders(
        {
            ASSIGNMENTS_URL: ok(assignment(group(TIER0))),
            members_url(TIER0): ok(user("u-bob")),
            group_eligibility_url(TIER0): ok(
                eligibility_row(user("u-carol")),
                eligibility_row(group(NESTED)),
                eligibility_row(user("u-owner"), access="owner"),
            ),
            members_url(NESTED): ok(user("u-dave")),
        }
    )
    assert holders is not None and not partial.failures
    assert holders.user_ids() == ["u-bob", "u-carol", "u-dave"]
    carol = holders.by_user()["u-carol"][0]
    assert (carol.assignment, carol.via_group_id, carol.eligible_member) == ("eligible", TIER0, True)


def test_a_refused_group_read_leaves_the_group_unresolved_and_is_remembered() -> None:
    holders, partial, _ = _holders(
        {
            ASSIGNMENTS_URL: ok(assignment(group(TIER0))),
            members_url(TIER0): ok(user("u-bob")),
            group_eligibility_url(TIER0): denied("Authorization_RequestDenied", "Insufficient privileges"),
        }
    )
    assert holders is not None and holders.user_ids() == ["u-bob"]
    assert [h.principal_id for h in holders.unresolved] == [TIER0]
    assert "PIM for Groups not read" in holders.unresolved[0].describe()
    assert [f.permission for f in partial.failures] == [PIM_GROUPS]


def test_not_licensed_group_read_resolves_to_the_members() -> None:
    holders, partial, _ = _holders(
        {
            ASSIGNMENTS_URL: ok(assignment(group(TIER0))),
            members_url(TIER0): ok(user("u-bob")),
            group_eligibility_url(TIER0): P2_REQUIRED,
        }
    )
    assert holders is not None and holders.user_ids() == ["u-bob"] and not holders.unresolved
    assert not partial.failures
