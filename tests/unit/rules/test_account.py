"""Section 1 decisions on one golden compliant tenant (raw Graph JSON) and small patches of it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.config import DEFAULT_ADMIN_ROLE_IDS, GLOBAL_ADMIN_ROLE_ID, ScanConfig
from o365cis.directory_roles import role_holders
from o365cis.findings import Decision, Evidence, Finding, NoDecision, Status
from o365cis.rules.account.admin_roles import admin_roles_just_in_time, global_admin_count_in_range
from o365cis.rules.account.collaboration import invitations_allowed_domains_only, public_groups_approved
from o365cis.rules.account.mfa import admins_require_mfa, all_users_require_mfa
from o365cis.rules.account.modern_auth import sharepoint_modern_auth_required
from o365cis.rules.account.passwords import (
    password_hash_sync_recent,
    password_protection_enforced_on_premises,
    passwords_never_expire,
    sspr_enabled_for_all,
)
from o365cis.rules.account.sign_in_policies import (
    legacy_auth_blocked,
    risk_policies_enabled,
    security_defaults_disabled,
    signin_risk_policy_enabled,
    user_risk_policy_enabled,
)
from o365cis.rules.conditional_access import DIRECTORY_SYNC_ROLE_ID
from o365cis.rules.evidence import capped

NOW = dt.datetime(2024, 5, 2, 6, 0, tzinfo=dt.UTC)
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"

BG, ALICE, BOB, CAROL, DAVE, EVE, GUEST, FRANK = (
    "00000000-0000-4000-8000-0000000000b9",
    "00000000-0000-4000-8000-00000000a11c",
    "00000000-0000-4000-8000-000000000b0b",
    "00000000-0000-4000-8000-00000000ca01",
    "00000000-0000-4000-8000-00000000da7e",
    "00000000-0000-4000-8000-000000000e7e",
    "00000000-0000-4000-8000-0000000006e5",
    "00000000-0000-4000-8000-00000000f4a2",
)
TIER0 = "00000000-0000-4000-8000-0000000070e0"
SP = "00000000-0000-4000-8000-0000000005e1"
APPROVED_GROUP = "00000000-0000-4000-8000-00000000a991"

CONFIG = ScanConfig(break_glass_accounts=frozenset({BG}), approved_public_groups=frozenset({APPROVED_GROUP}))

NAMES = {
    BG: "breakglass",
    ALICE: "alice",
    BOB: "bob",
    CAROL: "carol",
    DAVE: "dave",
    EVE: "eve",
    GUEST: "guest_fabrikam.com#EXT#",
    FRANK: "frank",
}


def user_object(uid: str) -> dict[str, Any]:
    """A principal as $expand=principal returns it (default user properties, no accountEnabled)."""
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": uid,
        "displayName": NAMES[uid].title(),
        "userPrincipalName": f"{NAMES[uid]}@contoso.com",
    }


def user_row(uid: str, *, enabled: bool = True, user_type: str = "Member") -> dict[str, Any]:
    """A /users row with the catalogue's $select."""
    return {
        "id": uid,
        "displayName": NAMES[uid].title(),
        "userPrincipalName": f"{NAMES[uid]}@contoso.com",
        "mail": f"{NAMES[uid]}@contoso.com",
        "userType": user_type,
        "accountEnabled": enabled,
        "createdDateTime": "2023-01-01T00:00:00Z",
        "externalUserState": None,
    }


def registration(uid: str, *, mfa: bool = True, sspr: bool = True, user_type: str = "member") -> dict[str, Any]:
    """A userRegistrationDetails row."""
    return {
        "id": uid,
        "userPrincipalName": f"{NAMES[uid]}@contoso.com",
        "userDisplayName": NAMES[uid].title(),
        "userType": user_type,
        "isAdmin": False,
        "isSsprRegistered": sspr,
        "isSsprEnabled": sspr,
        "isSsprCapable": sspr,
        "isMfaRegistered": mfa,
        "isMfaCapable": mfa,
        "isPasswordlessCapable": False,
        "methodsRegistered": ["microsoftAuthenticatorPush"] if mfa else [],
        "lastUpdatedDateTime": "2024-05-01T00:00:00Z",
    }


def role_item(principal: dict[str, Any], role: str = GLOBAL_ADMIN_ROLE_ID, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{principal['id'][-4:]}-{role[:8]}",
        "principalId": principal["id"],
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "principal": principal,
        **extra,
    }


def ca_policy(
    pid: str, name: str, *, users: dict[str, Any] | None = None, grant: dict[str, Any] | None = None, **conditions: Any
) -> dict[str, Any]:
    """A conditionalAccessPolicy as Graph returns it, for All users and All cloud apps unless told otherwise."""
    base_users = {
        "includeUsers": ["All"],
        "excludeUsers": [BG],
        "includeGroups": [],
        "excludeGroups": [],
        "includeRoles": [],
        "excludeRoles": [DIRECTORY_SYNC_ROLE_ID],
        "includeGuestsOrExternalUsers": None,
        "excludeGuestsOrExternalUsers": None,
    }
    return {
        "id": pid,
        "displayName": name,
        "state": "enabled",
        "sessionControls": None,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "servicePrincipalRiskLevels": [],
            "clientAppTypes": ["all"],
            "platforms": None,
            "locations": None,
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": None,
            "insiderRiskLevels": None,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": {**base_users, **(users or {})},
            **conditions,
        },
        "grantControls": {
            "operator": "OR",
            "builtInControls": ["mfa"],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": None,
            **(grant or {}),
        },
    }


SP_OBJECT = {
    "@odata.type": "#microsoft.graph.servicePrincipal",
    "id": SP,
    "displayName": "Provisioning app",
    "appId": "app-1",
}
TIER0_OBJECT = {
    "@odata.type": "#microsoft.graph.group",
    "id": TIER0,
    "displayName": "Tier0 Admins",
    "isAssignableToRole": True,
}

GOLDEN: dict[str, Any] = {
    "policies": [
        ca_policy(
            "p-admin", "CA001 Admins MFA", users={"includeUsers": [], "includeRoles": list(DEFAULT_ADMIN_ROLE_IDS)}
        ),
        ca_policy("p-all", "CA002 All users MFA"),
        ca_policy(
            "p-legacy",
            "CA003 Block legacy auth",
            clientAppTypes=["exchangeActiveSync", "other"],
            grant={"builtInControls": ["block"]},
        ),
        ca_policy(
            "p-userrisk",
            "CA004 User risk",
            userRiskLevels=["high"],
            grant={"operator": "AND", "builtInControls": ["mfa", "passwordChange"]},
        ),
        ca_policy("p-signinrisk", "CA005 Sign-in risk", signInRiskLevels=["medium", "high"]),
        {**ca_policy("p-draft", "CA006 Draft", grant={"builtInControls": ["block"]}), "state": "disabled"},
    ],
    # GET /roleManagement/directory/roleAssignments?$expand=principal (PIM activations included)
    "active": [
        role_item(user_object(ALICE)),
        role_item(user_object(BG)),
        role_item(SP_OBJECT),
        role_item(user_object(EVE), role=DIRECTORY_READERS),
    ],
    # GET /roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal
    "eligible": [
        role_item(user_object(ALICE), memberType="Direct", endDateTime=None),
        role_item(user_object(CAROL), memberType="Direct", endDateTime=None),
        role_item(TIER0_OBJECT, memberType="Direct", endDateTime=None),
        role_item(user_object(DAVE), role=EXCHANGE_ADMIN, memberType="Direct", endDateTime="2025-01-01T00:00:00Z"),
    ],
    # GET /groups/{id}/transitiveMembers
    "members": {TIER0: [user_object(BOB)]},
    # GET /roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal
    "assignment_instances": [
        role_item(
            user_object(ALICE),
            assignmentType="Activated",
            memberType="Direct",
            startDateTime="2024-05-02T05:00:00Z",
            endDateTime="2024-05-02T13:00:00Z",
        ),
        role_item(
            user_object(BG),
            assignmentType="Assigned",
            memberType="Direct",
            startDateTime="2023-01-01T00:00:00Z",
            endDateTime=None,
        ),
        role_item(
            SP_OBJECT,
            assignmentType="Assigned",
            memberType="Direct",
            startDateTime="2023-01-01T00:00:00Z",
            endDateTime=None,
        ),
        role_item(
            user_object(EVE), role=DIRECTORY_READERS, assignmentType="Assigned", memberType="Direct", endDateTime=None
        ),
    ],
    "users": [
        user_row(BG),
        user_row(ALICE),
        user_row(BOB),
        user_row(CAROL),
        user_row(DAVE),
        user_row(EVE),
        user_row(FRANK, enabled=False),
        user_row(GUEST, user_type="Guest"),
    ],
    "registrations": [
        registration(ALICE),
        registration(BOB),
        registration(CAROL),
        registration(DAVE),
        registration(EVE),
        registration(FRANK, mfa=False, sspr=False),
        registration(GUEST, mfa=False, sspr=False, user_type="guest"),
    ],
    "organization": [
        {
            "id": "tenant-1",
            "displayName": "Contoso",
            "onPremisesSyncEnabled": True,
            "onPremisesLastSyncDateTime": "2024-05-02T05:30:00Z",
            "onPremisesLastPasswordSyncDateTime": "2024-05-02T05:00:00Z",
        }
    ],
    "group_settings": [
        {
            "id": "s-unified",
            "displayName": "Group.Unified",
            "templateId": "62375ab9-6b52-47ed-826b-58e47e0e304b",
            "values": [{"name": "EnableGroupCreation", "value": "true"}],
        },
        {
            "id": "s-password",
            "displayName": "Password Rule Settings",
            "templateId": "5cf42378-d67d-4f36-ba46-e8b86229381d",
            "values": [
                {"name": "BannedPasswordCheckOnPremisesMode", "value": "Enforce"},
                {"name": "EnableBannedPasswordCheckOnPremises", "value": "True"},
                {"name": "EnableBannedPasswordCheck", "value": "True"},
                {"name": "LockoutDurationInSeconds", "value": "60"},
                {"name": "LockoutThreshold", "value": "10"},
                {"name": "BannedPasswordList", "value": ""},
            ],
        },
    ],
    "domains": [
        {
            "id": "contoso.com",
            "authenticationType": "Managed",
            "isDefault": True,
            "isRoot": True,
            "isVerified": True,
            "passwordValidityPeriodInDays": None,
            "supportedServices": ["Email"],
        },
        {
            "id": "contoso.onmicrosoft.com",
            "authenticationType": "Managed",
            "isInitial": True,
            "isRoot": True,
            "isVerified": True,
            "passwordValidityPeriodInDays": 2147483647,
            "supportedServices": ["Email"],
        },
        {
            "id": "corp.fabrikam.net",
            "authenticationType": "Federated",
            "isRoot": True,
            "isVerified": True,
            "passwordValidityPeriodInDays": 90,
        },
        {
            "id": "eu.contoso.com",
            "authenticationType": "Managed",
            "isRoot": False,
            "isVerified": True,
            "passwordValidityPeriodInDays": 90,
        },
        {
            "id": "pending.example",
            "authenticationType": "Managed",
            "isRoot": True,
            "isVerified": False,
            "passwordValidityPeriodInDays": 90,
        },
    ],
    "groups": [
        {
            "id": APPROVED_GROUP,
            "displayName": "All Company",
            "visibility": "Public",
            "createdDateTime": "2023-01-01T00:00:00Z",
        },
        {
            "id": "g-private",
            "displayName": "Finance",
            "visibility": "Private",
            "createdDateTime": "2023-01-01T00:00:00Z",
        },
        {
            "id": "g-hidden",
            "displayName": "Board",
            "visibility": "HiddenMembership",
            "createdDateTime": "2023-01-01T00:00:00Z",
        },
    ],
    "b2b": [
        {
            "id": "b2b-1",
            "displayName": "B2BManagementPolicy",
            "type": "B2BManagementPolicy",
            "isOrganizationDefault": True,
            "definition": [
                json.dumps(
                    {
                        "B2BManagementPolicy": {
                            "InvitationsAllowedAndBlockedDomainsPolicy": {
                                "AllowedDomains": ["fabrikam.com", "northwind.com"]
                            },
                            "AutoRedeemPolicy": {"AdminConsentedForUsersIntoTenantIds": []},
                        }
                    }
                )
            ],
        }
    ],
    "sharepoint": {
        "id": "sp-settings",
        "isLegacyAuthProtocolsEnabled": False,
        "sharingCapability": "externalUserSharingOnly",
    },
    "security_defaults": {
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": "Security Defaults",
        "isEnabled": False,
    },
}

Patch = Callable[[dict[str, Any]], Any]


def tenant(patch: Patch | None = None) -> dict[str, Any]:
    """A deep copy of the golden tenant with one patch applied."""
    data = copy.deepcopy(GOLDEN)
    if patch is not None:
        patch(data)
    return data


def policy(t: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in t["policies"] if p["id"] == pid)


def drop(t: dict[str, Any], key: str, **match: Any) -> list[dict[str, Any]]:
    """Remove the items of t[key] matching every field given; returns the list."""
    items: list[dict[str, Any]] = t[key]
    items[:] = [item for item in items if not all(item.get(k) == v for k, v in match.items())]
    return items


def set_row(t: dict[str, Any], key: str, uid: str, **values: Any) -> dict[str, Any]:
    """Update the row of t[key] with this id; returns the row."""
    row: dict[str, Any] = next(r for r in t[key] if r["id"] == uid)
    row.update(values)
    return row


def status_of(decision: Decision) -> Status | None:
    """The status, or None for a NoDecision (the next source is tried)."""
    return decision.status if isinstance(decision, Finding) else None


# ----------------------------------------------------------------------------------------------- 1.1.1


def decide_admin_mfa(t: dict[str, Any]) -> Decision:
    holders = role_holders(t["active"], t["eligible"], t["members"], CONFIG.admin_role_ids)
    return admins_require_mfa(
        t["policies"], CONFIG, holders=holders, users=t["users"], registrations=t["registrations"]
    )


def only_admin_policy(change: Patch) -> Patch:
    """Drop the All-users policy (it also covers admins) and change the admin policy."""
    return lambda t: (drop(t, "policies", id="p-all"), change(policy(t, "p-admin")))


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


# ----------------------------------------------------------------------------------------------- 1.1.2


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


# ----------------------------------------------------------------------------------------------- 1.1.3


def decide_global_admins(t: dict[str, Any], *, eligible_read: bool = True) -> Decision:
    eligible = t["eligible"] if eligible_read else []
    holders = role_holders(t["active"], eligible, t["members"], [GLOBAL_ADMIN_ROLE_ID], tenant_scope_only=True)
    return global_admin_count_in_range(holders, eligible_read=eligible_read, users=t["users"])


def add_ga(kind: str, uid: str) -> Patch:
    return lambda t: t[kind].append(role_item(user_object(uid)))


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


# ----------------------------------------------------------------------------------------------- 1.1.4


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: set_row(t, "registrations", EVE, isSsprEnabled=False), Status.NON_COMPLIANT),
        (lambda t: set_row(t, "registrations", EVE, isSsprEnabled=None), Status.NON_COMPLIANT),
        (lambda t: set_row(t, "registrations", EVE, userType="Member", isSsprEnabled=False), Status.NON_COMPLIANT),
        (
            lambda t: (
                set_row(t, "users", ALICE, accountEnabled=False),
                set_row(t, "registrations", ALICE, isSsprEnabled=False),
            ),
            Status.COMPLIANT,
        ),
        (
            lambda t: (drop(t, "users", id=EVE), set_row(t, "registrations", EVE, isSsprEnabled=False)),
            Status.COMPLIANT,
        ),  # /users does not show it enabled
        (lambda t: t.update(registrations=[r for r in t["registrations"] if r["userType"] == "guest"]), Status.MANUAL),
    ],
)
def test_sspr_enabled_for_all(patch: Patch | None, expected: Status) -> None:
    t = tenant(patch)
    assert status_of(sspr_enabled_for_all(t["registrations"], t["users"])) is expected


def test_sspr_caps_long_lists_but_counts_exactly() -> None:
    rows = [
        {**registration(EVE, sspr=False), "id": f"u-{i}", "userPrincipalName": f"u{i}@contoso.com"} for i in range(60)
    ]
    users = [{**user_row(EVE), "id": f"u-{i}"} for i in range(60)]
    decision = sspr_enabled_for_all(rows, users)
    assert (
        isinstance(decision, Finding)
        and decision.reason == "Self-service password reset is not enabled for 60 of 60 enabled member users"
    )
    assert (
        len(decision.evidence) == 51
        and decision.evidence[-1].type == "count"
        and decision.evidence[-1].detail == "10 more users not listed (60 in all)"
    )


# ----------------------------------------------------------------------------------------------- 1.1.5


def password_values(t: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = t["group_settings"][1]["values"]
    return values


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: password_values(t)[0].update(value="Audit"), Status.NON_COMPLIANT),
        (lambda t: password_values(t)[1].update(value="False"), Status.NON_COMPLIANT),
        (lambda t: password_values(t).pop(1), Status.NON_COMPLIANT),
        (lambda t: t["group_settings"].pop(1), Status.NON_COMPLIANT),  # defaults: Audit
        (
            lambda t: (
                password_values(t)[0].update(name="bannedpasswordcheckonpremisesmode", value="Enforced"),
                password_values(t)[1].update(value="true"),
            ),
            Status.COMPLIANT,
        ),
        (lambda t: t["organization"][0].update(onPremisesSyncEnabled=None), Status.NOT_APPLICABLE),
        (lambda t: t["organization"][0].update(onPremisesSyncEnabled=False), Status.NOT_APPLICABLE),
    ],
)
def test_password_protection_enforced_on_premises(patch: Patch | None, expected: Status) -> None:
    t = tenant(patch)
    decision = password_protection_enforced_on_premises(t["organization"], t["group_settings"])
    assert status_of(decision) is expected
    if expected is not Status.NOT_APPLICABLE:
        assert any(e.type == "note" and "agents" in (e.detail or "") for e in decision.evidence)


# ----------------------------------------------------------------------------------------------- 1.1.6


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (
            lambda t: policy(t, "p-legacy")["conditions"].update(clientAppTypes=["exchangeActiveSync"]),
            Status.NON_COMPLIANT,
        ),
        (lambda t: policy(t, "p-legacy")["conditions"].update(clientAppTypes=["all"]), Status.NON_COMPLIANT),
        (lambda t: policy(t, "p-legacy")["grantControls"].update(builtInControls=["mfa"]), Status.NON_COMPLIANT),
        (lambda t: policy(t, "p-legacy").update(state="enabledForReportingButNotEnforced"), Status.NON_COMPLIANT),
        (
            lambda t: policy(t, "p-legacy")["conditions"]["users"].update(excludeGroups=["g-legacy-exceptions"]),
            Status.NON_COMPLIANT,
        ),
        (
            lambda t: policy(t, "p-legacy")["conditions"].update(
                platforms={"includePlatforms": ["windows"], "excludePlatforms": []}
            ),
            Status.NON_COMPLIANT,
        ),
        (lambda t: policy(t, "p-legacy").update(displayName="Anything at all"), Status.COMPLIANT),
    ],
)
def test_legacy_auth_blocked(patch: Patch | None, expected: Status) -> None:
    assert status_of(legacy_auth_blocked(tenant(patch)["policies"], CONFIG)) is expected


def test_legacy_auth_near_misses_show_report_only_copy() -> None:
    decision = legacy_auth_blocked(
        tenant(lambda t: policy(t, "p-legacy").update(state="enabledForReportingButNotEnforced"))["policies"], CONFIG
    )
    assert isinstance(decision, Finding)
    first = decision.evidence[0]
    assert (first.id, first.detail) == ("p-legacy", "report-only (state enabledForReportingButNotEnforced)")


# ----------------------------------------------------------------------------------------------- 1.1.7


def org(**values: Any) -> Patch:
    return lambda t: t["organization"][0].update(values)


@pytest.mark.parametrize(
    ("patch", "config", "expected"),
    [
        (None, CONFIG, Status.COMPLIANT),
        (org(onPremisesLastPasswordSyncDateTime=None), CONFIG, Status.NON_COMPLIANT),
        (org(onPremisesLastPasswordSyncDateTime="2024-04-20T00:00:00Z"), CONFIG, Status.MANUAL),
        (
            org(onPremisesLastPasswordSyncDateTime="2024-05-01T00:00:00Z"),
            ScanConfig(phs_max_age_hours=24),
            Status.MANUAL,
        ),
        (org(onPremisesLastPasswordSyncDateTime="2024-05-01T00:00:00Z"), CONFIG, Status.COMPLIANT),
        (org(onPremisesLastPasswordSyncDateTime="2024-05-02T07:00:00Z"), CONFIG, Status.COMPLIANT),  # clock skew
        (lambda t: t["organization"][0].pop("onPremisesLastPasswordSyncDateTime"), CONFIG, None),
        (org(onPremisesLastPasswordSyncDateTime="not a date"), CONFIG, None),
        (org(onPremisesSyncEnabled=None, onPremisesLastPasswordSyncDateTime=None), CONFIG, Status.NOT_APPLICABLE),
    ],
)
def test_password_hash_sync_recent(patch: Patch | None, config: ScanConfig, expected: Status | None) -> None:
    assert status_of(password_hash_sync_recent(tenant(patch)["organization"], config, NOW)) is expected


def test_password_hash_sync_reason_gives_the_age() -> None:
    decision = password_hash_sync_recent(GOLDEN["organization"][0], CONFIG, NOW)
    assert (
        isinstance(decision, Finding)
        and decision.reason == "Password hash sync last ran 1.0 hours ago (within 72 hours)"
    )
    assert decision.evidence[0].detail is not None and decision.evidence[0].detail.endswith("age 1.0 hours")


# ----------------------------------------------------------------------------------------------- 1.1.8 - 1.1.10


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: drop(t, "policies", id="p-signinrisk"), None),
        (lambda t: policy(t, "p-userrisk").update(state="enabledForReportingButNotEnforced"), None),
        # one policy naming both risks applies only when both are present: it counts for neither
        (
            lambda t: (
                drop(t, "policies", id="p-signinrisk"),
                policy(t, "p-userrisk")["conditions"].update(signInRiskLevels=["high"]),
            ),
            None,
        ),
        (
            lambda t: policy(t, "p-signinrisk")["grantControls"].update(builtInControls=["block"]),
            Status.COMPLIANT,
        ),  # any grant
        (lambda t: policy(t, "p-userrisk")["conditions"]["users"].update(excludeUsers=[BG, EVE]), None),
    ],
)
def test_risk_policies_enabled(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(risk_policies_enabled(tenant(patch)["policies"], CONFIG)) is expected


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: policy(t, "p-signinrisk")["conditions"].update(signInRiskLevels=["high"]), None),
        (
            lambda t: policy(t, "p-signinrisk")["conditions"].update(signInRiskLevels=["low", "medium", "high"]),
            Status.COMPLIANT,
        ),
        (lambda t: policy(t, "p-signinrisk")["grantControls"].update(builtInControls=["block"]), Status.COMPLIANT),
        (lambda t: policy(t, "p-signinrisk")["grantControls"].update(builtInControls=["mfa", "compliantDevice"]), None),
        (lambda t: policy(t, "p-signinrisk")["conditions"].update(userRiskLevels=["high"]), None),
        (lambda t: policy(t, "p-signinrisk").update(state="disabled"), None),
    ],
)
def test_signin_risk_policy_enabled(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(signin_risk_policy_enabled(tenant(patch)["policies"], CONFIG)) is expected


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (
            lambda t: policy(t, "p-userrisk")["grantControls"].update(
                operator="OR", builtInControls=["riskRemediation"]
            ),
            Status.COMPLIANT,
        ),
        (
            lambda t: policy(t, "p-userrisk")["grantControls"].update(operator="OR", builtInControls=["block"]),
            Status.COMPLIANT,
        ),
        (lambda t: policy(t, "p-userrisk")["grantControls"].update(builtInControls=["mfa"]), None),
        (lambda t: policy(t, "p-userrisk")["conditions"].update(userRiskLevels=["medium"]), None),
        (lambda t: policy(t, "p-userrisk")["conditions"].update(servicePrincipalRiskLevels=["high"]), None),
    ],
)
def test_user_risk_policy_enabled(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(user_risk_policy_enabled(tenant(patch)["policies"], CONFIG)) is expected


def test_risk_no_decision_lists_candidate_policies() -> None:
    t = tenant(lambda t: policy(t, "p-signinrisk")["conditions"].update(signInRiskLevels=["high"]))
    decision = signin_risk_policy_enabled(t["policies"], CONFIG)
    assert isinstance(decision, NoDecision) and "legacy Identity Protection" in decision.reason
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("p-signinrisk", 'signInRiskLevels lacks "medium" and "high"')
    ]


# ----------------------------------------------------------------------------------------------- 1.1.11


def permanent(principal: dict[str, Any], role: str = GLOBAL_ADMIN_ROLE_ID, end: str | None = None) -> Patch:
    return lambda t: t["assignment_instances"].append(
        role_item(principal, role=role, assignmentType="Assigned", memberType="Direct", endDateTime=end)
    )


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


# ----------------------------------------------------------------------------------------------- 1.1.12


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: t["security_defaults"].update(isEnabled=True), Status.NON_COMPLIANT),
        (lambda t: t["security_defaults"].update(isEnabled=None), None),
        (lambda t: t["security_defaults"].pop("isEnabled"), None),
    ],
)
def test_security_defaults_disabled(patch: Patch | None, expected: Status | None) -> None:
    t = tenant(patch)
    assert status_of(security_defaults_disabled(t["security_defaults"], t["policies"])) is expected


def test_security_defaults_off_without_any_enabled_ca_policy_warns() -> None:
    t = tenant(lambda t: [p.update(state="disabled") for p in t["policies"]])
    decision = security_defaults_disabled(t["security_defaults"], t["policies"])
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT
    assert "no Conditional Access policy is enabled" in decision.reason
    assert Evidence(type="count", name="enabled Conditional Access policies", detail="0") in decision.evidence


# ----------------------------------------------------------------------------------------------- 1.1.13


def group(gid: str, visibility: str | None) -> Patch:
    return lambda t: t["groups"].append(
        {"id": gid, "displayName": gid.title(), "visibility": visibility, "createdDateTime": "2024-01-01T00:00:00Z"}
    )


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (group("g-new", "Public"), Status.NON_COMPLIANT),
        (group("g-new", "public"), Status.NON_COMPLIANT),
        (group("g-new", None), Status.NON_COMPLIANT),  # null visibility is Public
        (group("g-new", "Private"), Status.COMPLIANT),
        (lambda t: t["groups"].clear(), Status.COMPLIANT),  # a prohibition passes on an empty collection
        (lambda t: t["groups"][0].update(id=APPROVED_GROUP.upper()), Status.COMPLIANT),
    ],
)
def test_public_groups_approved(patch: Patch | None, expected: Status) -> None:
    assert status_of(public_groups_approved(tenant(patch)["groups"], CONFIG)) is expected


def test_public_groups_evidence_lists_unapproved_only() -> None:
    decision = public_groups_approved(tenant(group("g-new", None))["groups"], CONFIG)
    assert isinstance(decision, Finding)
    assert decision.reason == "1 public Microsoft 365 group not approved (1 approved public groups)"
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("g-new", "visibility null (Public), created 2024-01-01T00:00:00Z")
    ]


# ----------------------------------------------------------------------------------------------- 1.1.14


def invitations(rule: Any) -> Patch:
    document = (
        {"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": rule}}
        if rule is not None
        else {"B2BManagementPolicy": {"AutoRedeemPolicy": {}}}
    )
    return lambda t: t["b2b"][0].update(definition=[json.dumps(document)])


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (invitations({"AllowedDomains": ["fabrikam.com"], "BlockedDomains": []}), Status.COMPLIANT),
        (invitations({"BlockedDomains": ["gmail.com"]}), Status.NON_COMPLIANT),
        (invitations({"BlockedDomains": []}), Status.NON_COMPLIANT),
        (invitations({"AllowedDomains": []}), Status.NON_COMPLIANT),
        (invitations({"AllowedDomains": ["fabrikam.com"], "BlockedDomains": ["gmail.com"]}), Status.NON_COMPLIANT),
        (invitations({}), Status.NON_COMPLIANT),
        (invitations(None), Status.NON_COMPLIANT),
        (lambda t: t["b2b"].clear(), Status.NON_COMPLIANT),
        (
            lambda t: t["b2b"][0].update(
                definition=[
                    json.dumps(
                        {
                            "b2bmanagementpolicy": {
                                "invitationsAllowedAndBlockedDomainsPolicy": {"allowedDomains": ["a.com"]}
                            }
                        }
                    )
                ]
            ),
            Status.COMPLIANT,
        ),
        (lambda t: t["b2b"][0].update(definition=["{not json"]), None),
    ],
)
def test_invitations_allowed_domains_only(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(invitations_allowed_domains_only(tenant(patch)["b2b"])) is expected


def test_invitations_evidence_shows_mode_and_domains() -> None:
    decision = invitations_allowed_domains_only(GOLDEN["b2b"])
    assert isinstance(decision, Finding) and decision.evidence[0].detail == "allow list: fabrikam.com, northwind.com"
    blocked = invitations_allowed_domains_only(tenant(invitations({"BlockedDomains": ["gmail.com"]}))["b2b"])
    assert (
        isinstance(blocked, Finding)
        and blocked.reason.endswith("a block list is set")
        and blocked.evidence[0].detail == "block list: gmail.com"
    )


# ----------------------------------------------------------------------------------------------- 1.4


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: t["sharepoint"].update(isLegacyAuthProtocolsEnabled=True), Status.NON_COMPLIANT),
        (lambda t: t["sharepoint"].update(isLegacyAuthProtocolsEnabled=None), None),
        (lambda t: t["sharepoint"].pop("isLegacyAuthProtocolsEnabled"), None),
    ],
)
def test_sharepoint_modern_auth_required(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(sharepoint_modern_auth_required(tenant(patch)["sharepoint"])) is expected


# ----------------------------------------------------------------------------------------------- 1.5


def domain(name: str, **values: Any) -> Patch:
    return lambda t: next(d for d in t["domains"] if d["id"] == name).update(values)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),  # the federated, subdomain and unverified 90-day domains are skipped
        (domain("contoso.com", passwordValidityPeriodInDays=90), Status.NON_COMPLIANT),
        (domain("contoso.onmicrosoft.com", passwordValidityPeriodInDays=730), Status.NON_COMPLIANT),
        (domain("contoso.com", passwordValidityPeriodInDays="2147483647"), Status.COMPLIANT),
        (domain("corp.fabrikam.net", authenticationType="Managed"), Status.NON_COMPLIANT),
        (lambda t: [d.update(authenticationType="Federated") for d in t["domains"]], Status.MANUAL),
        (lambda t: t["domains"].clear(), Status.MANUAL),
    ],
)
def test_passwords_never_expire(patch: Patch | None, expected: Status) -> None:
    assert status_of(passwords_never_expire(tenant(patch)["domains"])) is expected


def test_passwords_never_expire_evidence() -> None:
    decision = passwords_never_expire(tenant(domain("contoso.com", passwordValidityPeriodInDays=90))["domains"])
    assert isinstance(decision, Finding)
    assert decision.reason == "Passwords expire in 1 of 2 managed domains: contoso.com (90 days)"
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("contoso.com", "passwordValidityPeriodInDays 90 (passwords expire)"),
        ("contoso.onmicrosoft.com", "passwordValidityPeriodInDays 2147483647 (never expires)"),
        ("corp.fabrikam.net", "Federated: follows the on-premises policy, skipped"),
    ]


def test_capped_keeps_fifty_and_counts_the_rest() -> None:
    items = [Evidence(type="user", id=str(i)) for i in range(51)]
    assert capped(items[:50], "users") == items[:50]
    shown = capped(items, "users")
    assert shown[:50] == items[:50] and shown[50] == Evidence(
        type="count", name="more users", detail="1 more users not listed (51 in all)"
    )
