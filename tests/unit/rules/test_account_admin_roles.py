"""1.1.3 and 1.1.11: Global Administrator count, admin roles just in time."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.config import GLOBAL_ADMIN_ROLE_ID
from o365cis.findings import Decision, Finding, NoDecision, Status
from o365cis.rules.account.admin_roles import admin_roles_just_in_time, global_admin_count_in_range
from tests.unit.rules.account_cases import (
    ALICE,
    BG,
    BOB,
    CAROL,
    CONFIG,
    DAVE,
    DIRECTORY_READERS,
    EVE,
    EXCHANGE_ADMIN,
    FRANK,
    NESTED,
    NESTED_OBJECT,
    SP,
    SP_OBJECT,
    TIER0,
    TIER0_OBJECT,
    Patch,
    add_ga,
    decide_global_admins,
    holders_with_pim,
    permanent,
    pim_group_row,
    role_item,
    status_of,
    tenant,
    user_object,
)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),  # alice (active + eligible), breakglass, carol, bob via group = 4
        (add_ga("eligible", EVE), Status.NON_COMPLIANT),
        (lambda t: t["members"][TIER0].append(user_object(EVE)), Status.NON_COMPLIANT),
        (add_ga("active", FRANK), Status.NON_COMPLIANT),  # disabled users still hold the role
        (
            lambda t: t["active"].append(role_item({**SP_OBJECT, "id": "sp-2"})),
            Status.COMPLIANT,
        ),  # service principals not counted
        (
            lambda t: t["active"].append(role_item(user_object(EVE), directoryScopeId="/administrativeUnits/au-1")),
            Status.COMPLIANT,
        ),
        (lambda t: t.update(eligible=[], active=[role_item(user_object(ALICE))]), Status.NON_COMPLIANT),  # one
        (lambda t: t["members"].clear(), None),  # group not expanded: unresolved holder
    ],
)
def test_global_admin_count_in_range(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(decide_global_admins(tenant(patch))) is expected


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, None),
        (
            lambda t: [t["active"].append(role_item(user_object(uid))) for uid in (CAROL, DAVE, EVE)],
            Status.NON_COMPLIANT,
        ),
    ],
)
def test_global_admin_count_when_eligibility_refused_for_permission(
    patch: Patch | None, expected: Status | None
) -> None:
    decision = decide_global_admins(tenant(patch), eligible_read=False)
    assert status_of(decision) is expected
    assert "eligible" in decision.reason.lower()


def test_global_admin_evidence() -> None:
    decision = decide_global_admins(tenant(add_ga("eligible", EVE)))
    assert isinstance(decision, Finding)
    assert (
        decision.reason == "5 global administrators assigned (2 to 4 expected; 2 active, 4 eligible; "
        "1 service principal listed, not counted)"
    )
    details = {(e.id, e.detail) for e in decision.evidence}
    assert (BOB, f"Global Administrator, eligible, via group Tier0 Admins ({TIER0}); enabled") in details
    assert (SP, "Global Administrator, active, direct; service principal: listed, not counted") in details


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (permanent(user_object(CAROL)), Status.NON_COMPLIANT),
        (permanent(TIER0_OBJECT), Status.NON_COMPLIANT),
        (permanent(user_object(CAROL), role=EXCHANGE_ADMIN), Status.NON_COMPLIANT),
        (permanent(user_object(CAROL), end="2024-06-01T00:00:00Z"), Status.COMPLIANT),  # time-bound
        (permanent({**SP_OBJECT, "id": "sp-2"}), Status.COMPLIANT),
        (permanent(user_object(CAROL), role=DIRECTORY_READERS), Status.COMPLIANT),
        (lambda t: t.update(eligible=[]), Status.NON_COMPLIANT),
        (lambda t: t.update(eligible=[role_item(user_object(CAROL), role=DIRECTORY_READERS)]), Status.NON_COMPLIANT),
    ],
)
def test_admin_roles_just_in_time(patch: Patch | None, expected: Status) -> None:
    t = tenant(patch)
    assert status_of(admin_roles_just_in_time(t["eligible"], t["assignment_instances"], CONFIG)) is expected


def test_just_in_time_evidence() -> None:
    t = tenant(permanent(user_object(CAROL)))
    decision = admin_roles_just_in_time(t["eligible"], t["assignment_instances"], CONFIG)
    assert isinstance(decision, Finding)
    assert (
        decision.reason
        == "Privileged access is not just-in-time: 1 permanent active admin role assignment to users or groups"
    )
    by_id = {e.id: e for e in decision.evidence}
    assert by_id[CAROL].detail == "Global Administrator: permanent active assignment"
    assert by_id[BG].detail == "Global Administrator: permanent; break-glass account, excepted"
    assert by_id[SP].type == "servicePrincipal"
    assert by_id[GLOBAL_ADMIN_ROLE_ID].detail == "3 eligible"


# ------------------------------------------------------------------ issue 9: PIM for Groups eligible members


def _decide_ga(t: dict[str, Any], group_eligibility: dict[str, list[dict[str, Any]]]) -> Decision:
    holders = holders_with_pim(t, group_eligibility, [GLOBAL_ADMIN_ROLE_ID], tenant_scope_only=True)
    return global_admin_count_in_range(holders, users=t["users"])


@pytest.mark.parametrize(
    ("rows", "expected", "count"),
    [
        ([], Status.COMPLIANT, 4),  # nobody merely eligible (or no Entra ID P2: read as none)
        ([pim_group_row(user_object(EVE))], Status.NON_COMPLIANT, 5),  # eligible member of the GA group counts
        ([pim_group_row(user_object(EVE), access="owner")], Status.COMPLIANT, 4),  # eligible owner: no role
        ([pim_group_row(user_object(BOB))], Status.COMPLIANT, 4),  # already a member: one user
        ([pim_group_row(NESTED_OBJECT)], Status.NON_COMPLIANT, 5),  # a group principal, expanded
    ],
)
def test_global_admins_include_eligible_group_members(rows: list[dict[str, Any]], expected: Status, count: int) -> None:
    t = tenant(lambda t: t["members"].update({NESTED: [user_object(EVE)]}))
    decision = _decide_ga(t, {TIER0: rows})
    assert isinstance(decision, Finding) and decision.status is expected
    assert decision.reason.startswith(f"{count} global administrators assigned")


def test_eligible_group_member_evidence_says_how_the_role_is_held() -> None:
    decision = _decide_ga(tenant(), {TIER0: [pim_group_row(user_object(EVE))]})
    eve = next(e for e in decision.evidence if e.id == EVE)
    assert eve.detail == (
        f"Global Administrator, eligible, via group Tier0 Admins ({TIER0}) as an eligible member (PIM for Groups); "
        "enabled"
    )


def test_group_eligibility_unread_cannot_prove_the_count() -> None:
    # Four known holders: a fifth may be eligible through the group, so no verdict (the failed read is named upstream).
    assert _decide_ga(tenant(), {}).__class__ is NoDecision
    # Five known holders already exceed four: non_compliant rests on the data read.
    assert status_of(_decide_ga(tenant(add_ga("active", EVE)), {})) is Status.NON_COMPLIANT


def test_nested_group_principal_members_unread_is_unresolved() -> None:
    decision = _decide_ga(tenant(), {TIER0: [pim_group_row(NESTED_OBJECT)]})
    assert isinstance(decision, NoDecision)
