"""Section 1 unit tests' golden compliant tenant (raw Graph JSON), its patches and helpers."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from o365cis.config import DEFAULT_ADMIN_ROLE_IDS, GLOBAL_ADMIN_ROLE_ID, ScanConfig
from o365cis.directory_roles import RoleHolders, role_holders
from o365cis.findings import Decision, Finding, Status
from o365cis.rules.account.admin_roles import global_admin_count_in_range
from o365cis.rules.account.mfa import admins_require_mfa
from o365cis.rules.conditional_access import DIRECTORY_SYNC_ROLE_ID

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
            "passwordValidityPeriodInDays": 2147483647,
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


def decide_admin_mfa(t: dict[str, Any]) -> Decision:
    holders = role_holders(t["active"], t["eligible"], t["members"], CONFIG.admin_role_ids)
    return admins_require_mfa(
        t["policies"], CONFIG, holders=holders, users=t["users"], registrations=t["registrations"]
    )


def only_admin_policy(change: Patch) -> Patch:
    """Drop the All-users policy (it also covers admins) and change the admin policy."""
    return lambda t: (drop(t, "policies", id="p-all"), change(policy(t, "p-admin")))


def decide_global_admins(t: dict[str, Any], *, eligible_read: bool = True) -> Decision:
    eligible = t["eligible"] if eligible_read else []
    holders = role_holders(t["active"], eligible, t["members"], [GLOBAL_ADMIN_ROLE_ID], tenant_scope_only=True)
    return global_admin_count_in_range(holders, eligible_read=eligible_read, users=t["users"])


def add_ga(kind: str, uid: str) -> Patch:
    return lambda t: t[kind].append(role_item(user_object(uid)))


def password_values(t: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = t["group_settings"][1]["values"]
    return values


def org(**values: Any) -> Patch:
    return lambda t: t["organization"][0].update(values)


def permanent(principal: dict[str, Any], role: str = GLOBAL_ADMIN_ROLE_ID, end: str | None = None) -> Patch:
    return lambda t: t["assignment_instances"].append(
        role_item(principal, role=role, assignmentType="Assigned", memberType="Direct", endDateTime=end)
    )


def group(gid: str, visibility: str | None) -> Patch:
    return lambda t: t["groups"].append(
        {"id": gid, "displayName": gid.title(), "visibility": visibility, "createdDateTime": "2024-01-01T00:00:00Z"}
    )


def invitations(rule: Any) -> Patch:
    document = (
        {"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": rule}}
        if rule is not None
        else {"B2BManagementPolicy": {"AutoRedeemPolicy": {}}}
    )
    return lambda t: t["b2b"][0].update(definition=[json.dumps(document)])


def domain(name: str, **values: Any) -> Patch:
    return lambda t: next(d for d in t["domains"] if d["id"] == name).update(values)


NESTED = "00000000-0000-4000-8000-00000000e57e"
NESTED_OBJECT = {"@odata.type": "#microsoft.graph.group", "id": NESTED, "displayName": "Tier0 Candidates"}


def pim_group_row(principal: dict[str, Any], *, group: str = TIER0, access: str = "member") -> dict[str, Any]:
    """A PIM for Groups eligibilityScheduleInstance ($expand=principal): `principal` may activate `access`."""
    return {
        "id": f"{group[-4:]}-{principal['id'][-4:]}-{access}",
        "groupId": group,
        "principalId": principal["id"],
        "accessId": access,
        "memberType": "direct",
        "startDateTime": "2024-04-01T00:00:00Z",
        "endDateTime": None,
        "principal": principal,
    }


def holders_with_pim(
    t: dict[str, Any], group_eligibility: dict[str, list[dict[str, Any]]], roles: Any, **options: Any
) -> RoleHolders:
    """Role holders with PIM for Groups eligibility per group (a group missing from the mapping: read failed)."""
    return role_holders(t["active"], t["eligible"], t["members"], roles, group_eligibility=group_eligibility, **options)
