"""Role holders from roleAssignments, roleEligibilityScheduleInstances and group transitive members."""

from __future__ import annotations

from typing import Any

from o365cis.config import GLOBAL_ADMIN_ROLE_ID
from o365cis.directory_roles import groups_to_expand, principal_kind, role_holders, role_name

EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SOME_OTHER_ROLE = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers: not an admin role


def user(uid: str, upn: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": uid,
        "displayName": upn.split("@")[0],
        "userPrincipalName": upn,
    }


def assignment(
    principal: dict[str, Any] | None,
    role: str = GLOBAL_ADMIN_ROLE_ID,
    scope: str = "/",
    principal_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"a-{(principal or {}).get('id', principal_id)}-{role[:4]}",
        "principalId": principal_id or (principal or {}).get("id"),
        "roleDefinitionId": role,
        "directoryScopeId": scope,
        "principal": principal,
    }


GROUP = {
    "@odata.type": "#microsoft.graph.group",
    "id": "g-tier0",
    "displayName": "Tier0 Admins",
    "isAssignableToRole": True,
}
SP = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp-1", "displayName": "Automation", "appId": "app-1"}
ALICE = user("u-alice", "alice@contoso.com")
BOB = user("u-bob", "bob@contoso.com")
CAROL = user("u-carol", "carol@contoso.com")

ACTIVE = [
    assignment(ALICE),
    assignment(SP),
    assignment(GROUP),
    assignment(BOB, role=EXCHANGE_ADMIN),
    assignment(user("u-reader", "reader@contoso.com"), role=SOME_OTHER_ROLE),
]
ELIGIBLE = [
    {**assignment(CAROL), "memberType": "Direct", "startDateTime": "2024-01-01T00:00:00Z", "endDateTime": None},
    {**assignment(ALICE), "memberType": "Direct", "startDateTime": "2024-01-01T00:00:00Z", "endDateTime": None},
]
MEMBERS = {
    "g-tier0": [
        BOB,
        {"@odata.type": "#microsoft.graph.group", "id": "g-nested", "displayName": "Nested"},
        {"@odata.type": "#microsoft.graph.device", "id": "d-1", "displayName": "PAW-01"},
        {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp-2", "displayName": "Member app"},
    ]
}


def test_principal_kind_reads_odata_type() -> None:
    assert principal_kind(ALICE) == "user"
    assert principal_kind(GROUP) == "group"
    assert principal_kind(SP) == "servicePrincipal"
    assert principal_kind({"@odata.type": "#microsoft.graph.device"}) is None
    assert principal_kind(None) is None


def test_groups_to_expand_lists_group_principals_of_the_roles_once() -> None:
    eligible_group = [assignment(GROUP)]
    assert groups_to_expand(ACTIVE, eligible_group, [GLOBAL_ADMIN_ROLE_ID]) == ["g-tier0"]
    assert groups_to_expand(ACTIVE, [], [EXCHANGE_ADMIN]) == []


def test_role_holders_for_global_admin() -> None:
    holders = role_holders(ACTIVE, ELIGIBLE, MEMBERS, [GLOBAL_ADMIN_ROLE_ID])
    assert holders.user_ids() == ["u-alice", "u-bob", "u-carol"]
    bob = holders.by_user()["u-bob"]
    assert len(bob) == 1 and bob[0].via_group_id == "g-tier0" and bob[0].via_group_name == "Tier0 Admins"
    assert bob[0].describe() == "Global Administrator, active, via group Tier0 Admins (g-tier0)"
    alice = holders.by_user()["u-alice"]
    assert [(h.assignment, h.direct) for h in alice] == [("active", True), ("eligible", True)]
    assert [h.principal_id for h in holders.service_principals] == ["sp-1", "sp-2"]
    assert holders.service_principals[1].via_group_id == "g-tier0"
    assert holders.unresolved == ()


def test_role_holders_over_several_roles_keeps_each_holding() -> None:
    holders = role_holders(ACTIVE, ELIGIBLE, MEMBERS, [GLOBAL_ADMIN_ROLE_ID, EXCHANGE_ADMIN])
    assert {h.role_id for h in holders.by_user()["u-bob"]} == {GLOBAL_ADMIN_ROLE_ID, EXCHANGE_ADMIN}
    assert "u-reader" not in holders.user_ids()


def test_unexpanded_group_and_missing_principal_are_unresolved() -> None:
    active = [assignment(GROUP), assignment(None, principal_id="u-ghost")]
    holders = role_holders(active, [], {}, [GLOBAL_ADMIN_ROLE_ID])
    assert holders.users == ()
    assert [(h.principal_id, h.principal_type) for h in holders.unresolved] == [
        ("g-tier0", "group"),
        ("u-ghost", "unknown"),
    ]
    evidence = holders.unresolved[1].evidence("could not be resolved")
    assert (
        evidence.type == "principal"
        and evidence.id == "u-ghost"
        and evidence.detail is not None
        and "could not be resolved" in evidence.detail
    )


def test_group_without_expanded_principal_is_expanded_when_members_were_read() -> None:
    holders = role_holders([assignment(None, principal_id="g-tier0")], [], MEMBERS, [GLOBAL_ADMIN_ROLE_ID])
    assert holders.user_ids() == ["u-bob"]


def test_tenant_scope_only_drops_scoped_assignments() -> None:
    scoped = [assignment(ALICE, scope="/administrativeUnits/au-1")]
    assert role_holders(scoped, [], {}, [GLOBAL_ADMIN_ROLE_ID]).user_ids() == ["u-alice"]
    assert role_holders(scoped, [], {}, [GLOBAL_ADMIN_ROLE_ID], tenant_scope_only=True).user_ids() == []
    holder = role_holders(scoped, [], {}, [GLOBAL_ADMIN_ROLE_ID]).users[0]
    assert holder.describe().endswith("scope /administrativeUnits/au-1")


def test_role_ids_compare_case_insensitively_and_names_resolve() -> None:
    holders = role_holders([assignment(ALICE, role=GLOBAL_ADMIN_ROLE_ID.upper())], [], {}, [GLOBAL_ADMIN_ROLE_ID])
    assert holders.user_ids() == ["u-alice"]
    assert role_name(GLOBAL_ADMIN_ROLE_ID.upper()) == "Global Administrator"
    assert role_name("unknown-role") == "unknown-role"


def test_holder_evidence_names_the_user() -> None:
    holder = role_holders([assignment(ALICE)], [], {}, [GLOBAL_ADMIN_ROLE_ID]).users[0]
    item = holder.evidence("enabled")
    assert (item.type, item.id, item.name) == ("user", "u-alice", "alice@contoso.com")
    assert item.detail == "Global Administrator, active, direct; enabled"
