"""1.1.1 and 1.1.2: MFA for admin users and for all users."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from o365cis.config import ScanConfig
from o365cis.directory_roles import role_holders
from o365cis.findings import Decision, Finding, NoDecision, Status
from o365cis.rules.account.mfa import admins_require_mfa, all_users_require_mfa
from tests.unit.core.test_config import GLOBAL_READER
from tests.unit.core.test_config import TEMPLATE_ADMIN_ROLES as TEMPLATE_ROLES
from tests.unit.rules.account_cases import (
    ALICE,
    BG,
    BOB,
    CAROL,
    CONFIG,
    DAVE,
    EVE,
    EXCHANGE_ADMIN,
    NESTED,
    NESTED_OBJECT,
    SP,
    TIER0,
    Patch,
    decide_admin_mfa,
    drop,
    holders_with_pim,
    only_admin_policy,
    pim_group_row,
    policy,
    registration,
    role_item,
    set_row,
    status_of,
    tenant,
    user_object,
)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (only_admin_policy(lambda p: None), Status.COMPLIANT),
        (only_admin_policy(lambda p: p.update(state="enabledForReportingButNotEnforced")), Status.NON_COMPLIANT),
        (
            only_admin_policy(lambda p: p["conditions"]["users"]["includeRoles"].remove(EXCHANGE_ADMIN)),
            Status.NON_COMPLIANT,
        ),
        (only_admin_policy(lambda p: p["conditions"]["users"].update(excludeGroups=[TIER0])), Status.NON_COMPLIANT),
        (only_admin_policy(lambda p: p["conditions"]["users"].update(excludeUsers=[BG, ALICE])), Status.NON_COMPLIANT),
        (
            only_admin_policy(lambda p: p["grantControls"].update(builtInControls=["mfa", "compliantDevice"])),
            Status.NON_COMPLIANT,
        ),
        (
            only_admin_policy(
                lambda p: p["grantControls"].update(
                    builtInControls=[],
                    authenticationStrength={
                        "id": "s",
                        "displayName": "Phishing-resistant MFA",
                        "requirementsSatisfied": "mfa",
                    },
                )
            ),
            Status.COMPLIANT,
        ),
        (
            only_admin_policy(
                lambda p: p["conditions"].update(
                    locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}
                )
            ),
            Status.NON_COMPLIANT,
        ),
        (lambda t: set_row(t, "registrations", CAROL, isMfaCapable=False), Status.NON_COMPLIANT),  # eligible admin
        (lambda t: set_row(t, "registrations", BOB, isMfaCapable=False), Status.NON_COMPLIANT),  # admin through a group
        (lambda t: drop(t, "registrations", id=DAVE), Status.NON_COMPLIANT),  # no registration row
        (
            lambda t: (
                set_row(t, "registrations", CAROL, isMfaCapable=False),
                set_row(t, "users", CAROL, accountEnabled=False),
            ),
            Status.COMPLIANT,
        ),
        (lambda t: t["registrations"].append(registration(BG, mfa=False)), Status.COMPLIANT),  # break-glass left out
        (
            lambda t: (drop(t, "users", id=CAROL), set_row(t, "registrations", CAROL, isMfaCapable=False)),
            Status.COMPLIANT,
        ),  # /users does not show it enabled
        (
            lambda t: set_row(t, "registrations", EVE, isMfaCapable=False),
            Status.COMPLIANT,
        ),  # Directory Readers is no admin role
        (lambda t: t["members"].clear(), None),  # group members not read: cannot confirm every admin
        (lambda t: t.update(active=[role_item(user_object(BG))], eligible=[]), Status.MANUAL),
    ],
)
def test_admins_require_mfa(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(decide_admin_mfa(tenant(patch))) is expected


def test_admins_require_mfa_evidence_names_each_failing_admin() -> None:
    t = tenant(lambda t: (set_row(t, "registrations", BOB, isMfaCapable=False), drop(t, "registrations", id=DAVE)))
    decision = decide_admin_mfa(t)
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert decision.reason.startswith("2 admin users of 4 in scope not MFA capable")
    users = {e.id: e for e in decision.evidence if e.type == "user"}
    assert users[BOB].name == "bob@contoso.com"
    assert (
        users[BOB].detail
        == f"not MFA capable (isMfaCapable false); Global Administrator, eligible, via group Tier0 Admins ({TIER0})"
    )
    assert str(users[DAVE].detail).startswith(
        "not MFA capable (no registration row); Exchange Administrator, eligible, direct"
    )
    assert any(e.type == "servicePrincipal" and e.id == SP for e in decision.evidence)


def test_admins_require_mfa_policy_failure_decides_without_the_user_reads() -> None:
    t = tenant(lambda t: [p.update(state="enabledForReportingButNotEnforced") for p in t["policies"]])
    decision = admins_require_mfa(t["policies"], CONFIG, holders=None, users=None, registrations=None)
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert decision.reason.startswith("No qualifying Conditional Access policy requires MFA for every admin role")
    assert "0 enabled" in decision.reason
    assert decision.evidence[0].detail is not None and "report-only" in decision.evidence[0].detail


def test_admins_require_mfa_policy_ok_but_registrations_unread_is_no_decision() -> None:
    t = tenant()
    holders = role_holders(t["active"], t["eligible"], t["members"], CONFIG.admin_role_ids)
    decision = admins_require_mfa(t["policies"], CONFIG, holders=holders, users=t["users"], registrations=None)
    assert isinstance(decision, NoDecision) and "registration details could not be read" in decision.reason


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: policy(t, "p-all").update(state="enabledForReportingButNotEnforced"), Status.NON_COMPLIANT),
        (lambda t: policy(t, "p-all")["conditions"]["users"].update(excludeUsers=[BG, EVE]), Status.NON_COMPLIANT),
        (lambda t: policy(t, "p-all")["grantControls"].update(termsOfUse=["tou-1"]), Status.NON_COMPLIANT),
        (
            lambda t: set_row(t, "registrations", EVE, isMfaCapable=False),
            Status.COMPLIANT,
        ),  # registration is evidence only
    ],
)
def test_all_users_require_mfa(patch: Patch | None, expected: Status) -> None:
    t = tenant(patch)
    assert (
        status_of(all_users_require_mfa(t["policies"], CONFIG, users=t["users"], registrations=t["registrations"]))
        is expected
    )


def test_all_users_require_mfa_lists_members_not_yet_capable() -> None:
    t = tenant(lambda t: set_row(t, "registrations", EVE, isMfaCapable=False))
    decision = all_users_require_mfa(t["policies"], CONFIG, users=t["users"], registrations=t["registrations"])
    assert isinstance(decision, Finding)
    assert "2 enabled members not yet MFA capable" in decision.reason  # frank is disabled, the guest is no member
    assert [(e.id, e.detail) for e in decision.evidence if e.type == "user"] == [
        (BG, "not MFA capable (no registration row); break-glass account"),
        (EVE, "not MFA capable (isMfaCapable false)"),
    ]
    without_evidence = all_users_require_mfa(t["policies"], CONFIG)
    assert (
        isinstance(without_evidence, Finding)
        and without_evidence.reason == "Policy 'CA002 All users MFA' requires MFA for All users and all cloud apps"
    )


# ------------------------------------------------------------------ issue 9: admin roles, break-glass groups

BREAK_GLASS_GROUP = "00000000-0000-4000-8000-0000000b9e00"


def _template_policy(roles: list[str]) -> Patch:
    return only_admin_policy(lambda p: p["conditions"]["users"].update(includeUsers=[], includeRoles=roles))


def test_template_built_policy_is_compliant_and_its_neighbour_is_not() -> None:
    assert len(TEMPLATE_ROLES) == 14
    decision = decide_admin_mfa(tenant(_template_policy(list(TEMPLATE_ROLES))))
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT, decision.reason
    for missing, name in TEMPLATE_ROLES.items():
        short = decide_admin_mfa(tenant(_template_policy([r for r in TEMPLATE_ROLES if r != missing])))
        assert isinstance(short, Finding) and short.status is Status.NON_COMPLIANT
        assert f"1 missing from includeRoles ({name})" in str(short.evidence[0].detail)


def test_admin_role_ids_override_still_decides() -> None:
    config = replace(CONFIG, admin_role_ids=(*TEMPLATE_ROLES, GLOBAL_READER))
    t = tenant(_template_policy(list(TEMPLATE_ROLES)))
    holders = role_holders(t["active"], t["eligible"], t["members"], config.admin_role_ids)
    decision = admins_require_mfa(
        t["policies"], config, holders=holders, users=t["users"], registrations=t["registrations"]
    )
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert "1 missing from includeRoles (Global Reader)" in str(decision.evidence[0].detail)


def _decide_with(config: ScanConfig, t: dict[str, Any]) -> Decision:
    holders = role_holders(t["active"], t["eligible"], t["members"], config.admin_role_ids)
    return admins_require_mfa(
        t["policies"], config, holders=holders, users=t["users"], registrations=t["registrations"]
    )


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (frozenset({BREAK_GLASS_GROUP}), Status.COMPLIANT),
        (frozenset(), Status.NON_COMPLIANT),  # the group is not configured: the exclusion disqualifies
    ],
)
def test_policy_excluding_a_break_glass_group(configured: frozenset[str], expected: Status) -> None:
    t = tenant(only_admin_policy(lambda p: p["conditions"]["users"].update(excludeGroups=[BREAK_GLASS_GROUP])))
    assert status_of(_decide_with(replace(CONFIG, break_glass_groups=configured), t)) is expected


def test_break_glass_groups_exempt_no_admin_user() -> None:
    """The key widens the policy's allowed exclusions only: a member of that group is still an admin user in (b)."""
    t = tenant(
        lambda t: (
            only_admin_policy(lambda p: p["conditions"]["users"].update(excludeGroups=[TIER0]))(t),
            set_row(t, "registrations", BOB, isMfaCapable=False),
        )
    )
    decision = _decide_with(replace(CONFIG, break_glass_groups=frozenset({TIER0})), t)
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert [e.id for e in decision.evidence if e.type == "user"] == [BOB]


def _decide_pim(t: dict[str, Any], group_eligibility: dict[str, list[dict[str, Any]]]) -> Decision:
    holders = holders_with_pim(t, group_eligibility, CONFIG.admin_role_ids)
    return admins_require_mfa(
        t["policies"], CONFIG, holders=holders, users=t["users"], registrations=t["registrations"]
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], Status.COMPLIANT),  # none eligible (or not licensed: read as none)
        ([pim_group_row(user_object(EVE))], Status.NON_COMPLIANT),  # eligible-only member without MFA
        ([pim_group_row(user_object(EVE), access="owner")], Status.COMPLIANT),  # eligible owner holds no role
        ([pim_group_row(NESTED_OBJECT)], Status.NON_COMPLIANT),  # group principal expanded to eve
    ],
)
def test_eligible_group_members_are_admin_users(rows: list[dict[str, Any]], expected: Status) -> None:
    t = tenant(
        lambda t: (
            set_row(t, "registrations", EVE, isMfaCapable=False),
            t["members"].update({NESTED: [user_object(EVE)]}),
        )
    )
    decision = _decide_pim(t, {TIER0: rows})
    assert status_of(decision) is expected
    if expected is Status.NON_COMPLIANT:
        assert [e.id for e in decision.evidence if e.type == "user"] == [EVE]


def test_group_eligibility_unread_blocks_compliant_but_not_a_failing_admin() -> None:
    assert isinstance(_decide_pim(tenant(), {}), NoDecision)
    failing = _decide_pim(tenant(lambda t: set_row(t, "registrations", BOB, isMfaCapable=False)), {})
    assert status_of(failing) is Status.NON_COMPLIANT
    assert any(
        e.type == "group" and e.id == TIER0 and "PIM for Groups not read" in str(e.detail) for e in failing.evidence
    )
