"""The "qualifying CA policy" and "grant requires X" tests on Graph conditionalAccessPolicy JSON."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.config import DEFAULT_ADMIN_ROLE_IDS, GLOBAL_ADMIN_ROLE_ID
from o365cis.rules.conditional_access import (
    DIRECTORY_SYNC_ROLE_ID,
    check_policies,
    grant_failure,
    grant_requires,
    grant_summary,
    qualification,
)

BREAK_GLASS = "0b1e6f3c-1111-4a5b-9c8d-000000000001"
OTHER_USER = "7d4c2a9e-2222-4b6c-8d7e-000000000002"
EXCHANGE_ADMIN_ROLE = "29232cdf-9323-42fd-ade2-1d097af3e4de"
CONFIG_BREAK_GLASS = frozenset({BREAK_GLASS})

# A policy as GET /v1.0/identity/conditionalAccess/policies returns it: unset conditions are null.
GOLDEN: dict[str, Any] = {
    "id": "5b3c8f9a-0000-4000-8000-000000000001",
    "displayName": "CA001: Require MFA for all users",
    "createdDateTime": "2024-01-10T09:00:00Z",
    "modifiedDateTime": None,
    "state": "enabled",
    "templateId": None,
    "sessionControls": None,
    "conditions": {
        "userRiskLevels": [],
        "signInRiskLevels": [],
        "servicePrincipalRiskLevels": [],
        "clientAppTypes": ["all"],
        "insiderRiskLevels": None,
        "platforms": None,
        "locations": None,
        "devices": None,
        "clientApplications": None,
        "authenticationFlows": None,
        "applications": {
            "includeApplications": ["All"],
            "excludeApplications": [],
            "includeUserActions": [],
            "includeAuthenticationContextClassReferences": [],
            "applicationFilter": None,
        },
        "users": {
            "includeUsers": ["All"],
            "excludeUsers": [BREAK_GLASS],
            "includeGroups": [],
            "excludeGroups": [],
            "includeRoles": [],
            "excludeRoles": [DIRECTORY_SYNC_ROLE_ID],
            "includeGuestsOrExternalUsers": None,
            "excludeGuestsOrExternalUsers": None,
        },
    },
    "grantControls": {
        "operator": "OR",
        "builtInControls": ["mfa"],
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength@odata.context": "https://graph.microsoft.com/v1.0/$metadata#...",
        "authenticationStrength": None,
    },
}

MFA_STRENGTH = {
    "id": "00000000-0000-0000-0000-000000000002",
    "displayName": "Multifactor authentication",
    "policyType": "builtIn",
    "requirementsSatisfied": "mfa",
    "allowedCombinations": ["windowsHelloForBusiness", "fido2", "password,microsoftAuthenticatorPush"],
}


def patched(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """A deep copy of the golden policy with one change applied."""
    policy = copy.deepcopy(GOLDEN)
    change(policy)
    return policy


def users(p: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = p["conditions"]["users"]
    return found


def apps(p: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = p["conditions"]["applications"]
    return found


def test_golden_policy_qualifies() -> None:
    assert qualification(GOLDEN, CONFIG_BREAK_GLASS) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p.update(state="enabledForReportingButNotEnforced"), "report-only"),
        (lambda p: p.update(state="disabled"), "state is disabled"),
        (lambda p: users(p).update(includeUsers=[OTHER_USER]), 'includeUsers does not contain "All"'),
        (lambda p: users(p).update(excludeUsers=[BREAK_GLASS, OTHER_USER]), f"not break-glass accounts: {OTHER_USER}"),
        (lambda p: users(p).update(excludeGroups=["g-1"]), "excludes groups: g-1"),
        (
            lambda p: users(p).update(excludeRoles=[DIRECTORY_SYNC_ROLE_ID, GLOBAL_ADMIN_ROLE_ID]),
            "other than Directory Synchronization",
        ),
        (
            lambda p: users(p).update(
                excludeGuestsOrExternalUsers={
                    "guestOrExternalUserTypes": "b2bCollaborationGuest",
                    "externalTenants": None,
                }
            ),
            "excludes guests or external users",
        ),
        (
            lambda p: apps(p).update(includeApplications=["00000002-0000-0ff1-ce00-000000000000"]),
            'includeApplications does not contain "All"',
        ),
        (lambda p: apps(p).update(excludeApplications=["app-1"]), "excludes applications: app-1"),
        (
            lambda p: apps(p).update(includeUserActions=["urn:user:registersecurityinfo"]),
            "applications.includeUserActions",
        ),
        (
            lambda p: apps(p).update(includeAuthenticationContextClassReferences=["c1"]),
            "includeAuthenticationContextClassReferences",
        ),
        (
            lambda p: apps(p).update(
                applicationFilter={"mode": "include", "rule": "CustomSecurityAttribute.x -eq 'y'"}
            ),
            "applicationFilter",
        ),
        (lambda p: p["conditions"].update(userRiskLevels=["high"]), "userRiskLevels: high"),
        (lambda p: p["conditions"].update(signInRiskLevels=["medium"]), "signInRiskLevels: medium"),
        (lambda p: p["conditions"].update(servicePrincipalRiskLevels=["high"]), "servicePrincipalRiskLevels: high"),
        (
            lambda p: p["conditions"].update(clientAppTypes=["browser", "mobileAppsAndDesktopClients"]),
            "clientAppTypes: browser",
        ),
        (
            lambda p: p["conditions"].update(platforms={"includePlatforms": ["all"], "excludePlatforms": ["iOS"]}),
            "platforms",
        ),
        (
            lambda p: p["conditions"].update(platforms={"includePlatforms": ["android"], "excludePlatforms": []}),
            "platforms",
        ),
        (
            lambda p: p["conditions"].update(locations={"includeLocations": ["AllTrusted"], "excludeLocations": []}),
            "locations",
        ),
        (
            lambda p: p["conditions"].update(
                locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}
            ),
            "locations",
        ),
        (
            lambda p: p["conditions"].update(
                devices={"deviceFilter": {"mode": "exclude", "rule": 'device.trustType -eq "ServerAD"'}}
            ),
            "device",
        ),
        (
            lambda p: p["conditions"].update(authenticationFlows={"transferMethods": "deviceCodeFlow"}),
            "transferMethods",
        ),
        (lambda p: p["conditions"].update(insiderRiskLevels="elevated"), "condition insiderRiskLevels is set"),
        (
            lambda p: p["conditions"].update(
                clientApplications={"includeServicePrincipals": ["All"], "excludeServicePrincipals": []}
            ),
            "workload identities",
        ),
        (lambda p: p["conditions"].update(agentRiskLevels=["high"]), "condition agentRiskLevels is set"),
    ],
)
def test_each_narrowing_or_exclusion_disqualifies(change: Callable[[dict[str, Any]], Any], expected: str) -> None:
    failures = qualification(patched(change), CONFIG_BREAK_GLASS)
    assert len(failures) == 1
    assert expected in failures[0]


@pytest.mark.parametrize(
    "change",
    [
        lambda p: users(p).update(excludeUsers=[BREAK_GLASS.upper()]),
        lambda p: users(p).update(excludeUsers=None, excludeRoles=None, excludeGroups=None),
        lambda p: users(p).update(includeGroups=["g-1"], includeRoles=[GLOBAL_ADMIN_ROLE_ID]),
        lambda p: p["conditions"].update(clientAppTypes=[]),
        lambda p: p["conditions"].update(platforms={"includePlatforms": ["all"], "excludePlatforms": []}),
        lambda p: p["conditions"].update(locations={"includeLocations": ["All"], "excludeLocations": []}),
        lambda p: p["conditions"].update(authenticationFlows={"transferMethods": "none"}),
        lambda p: p["conditions"].update(devices={"includeDevices": [], "excludeDevices": [], "deviceFilter": None}),
        lambda p: p["conditions"].update(userRiskLevels=None, signInRiskLevels=None, servicePrincipalRiskLevels=None),
        lambda p: p["conditions"].update(insiderRiskLevels=None, agentRiskLevels=None),
        lambda p: p["conditions"].update(platforms={"includePlatforms": None, "excludePlatforms": None}),
    ],
)
def test_allowed_shapes_still_qualify(change: Callable[[dict[str, Any]], Any]) -> None:
    assert qualification(patched(change), CONFIG_BREAK_GLASS) == []


def test_break_glass_exclusion_fails_when_not_configured() -> None:
    failures = qualification(GOLDEN, frozenset())
    assert failures == [f"excludes users that are not break-glass accounts: {BREAK_GLASS}"]


def test_null_conditions_do_not_crash_and_fail_the_scope() -> None:
    policy = {"id": "x", "state": "enabled", "conditions": None, "grantControls": None}
    failures = qualification(policy, CONFIG_BREAK_GLASS)
    assert 'includeUsers does not contain "All"' in failures
    assert 'includeApplications does not contain "All"' in failures


def test_rule_named_exceptions() -> None:
    eas = patched(lambda p: p["conditions"].update(clientAppTypes=["exchangeActiveSync", "other"]))
    assert qualification(eas, CONFIG_BREAK_GLASS, allow_client_app_types=True) == []
    risky = patched(lambda p: p["conditions"].update(userRiskLevels=["high"], signInRiskLevels=["high"]))
    assert qualification(risky, CONFIG_BREAK_GLASS, allow_risk=frozenset({"userRiskLevels"})) == [
        "signInRiskLevels: high"
    ]


def test_roles_scope_needs_every_admin_role_or_all_users() -> None:
    for_roles = patched(lambda p: users(p).update(includeUsers=[], includeRoles=list(DEFAULT_ADMIN_ROLE_IDS)))
    assert qualification(for_roles, CONFIG_BREAK_GLASS, required_roles=DEFAULT_ADMIN_ROLE_IDS) == []
    assert qualification(GOLDEN, CONFIG_BREAK_GLASS, required_roles=DEFAULT_ADMIN_ROLE_IDS) == []
    short = patched(
        lambda p: users(p).update(
            includeUsers=[], includeRoles=[r for r in DEFAULT_ADMIN_ROLE_IDS if r != EXCHANGE_ADMIN_ROLE]
        )
    )
    failures = qualification(short, CONFIG_BREAK_GLASS, required_roles=DEFAULT_ADMIN_ROLE_IDS)
    assert len(failures) == 1
    assert "1 missing from includeRoles (Exchange Administrator)" in failures[0]
    assert qualification(for_roles, CONFIG_BREAK_GLASS) == ['includeUsers does not contain "All"']


def grant(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "operator": "OR",
        "builtInControls": [],
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength": None,
    }
    return {"grantControls": {**base, **fields}}


@pytest.mark.parametrize(
    ("policy", "control", "expected"),
    [
        (grant(builtInControls=["mfa"]), "mfa", True),
        (grant(builtInControls=["mfa", "compliantDevice"]), "mfa", False),
        (grant(operator="AND", builtInControls=["mfa", "compliantDevice"]), "mfa", True),
        (grant(operator=None, builtInControls=["mfa"]), "mfa", True),
        (grant(authenticationStrength=MFA_STRENGTH), "mfa", True),
        (grant(authenticationStrength={**MFA_STRENGTH, "requirementsSatisfied": "none"}), "mfa", False),
        (grant(builtInControls=["mfa"], authenticationStrength=MFA_STRENGTH), "mfa", True),
        (
            grant(builtInControls=["mfa"], authenticationStrength={**MFA_STRENGTH, "requirementsSatisfied": "none"}),
            "mfa",
            False,
        ),
        (grant(builtInControls=["mfa"], termsOfUse=["tou-1"]), "mfa", False),
        (grant(builtInControls=["mfa"], customAuthenticationFactors=["duo"]), "mfa", False),
        (grant(operator="AND", builtInControls=["mfa"], termsOfUse=["tou-1"]), "mfa", True),
        (grant(builtInControls=["block"]), "block", True),
        (grant(builtInControls=["block"]), "mfa", False),
        (grant(operator="AND", builtInControls=["mfa", "passwordChange"]), "passwordChange", True),
        (grant(builtInControls=["mfa", "passwordChange"]), "passwordChange", False),
        (grant(builtInControls=["riskRemediation"]), "passwordChange", True),
        (grant(builtInControls=["unknownFutureValue"]), "passwordChange", False),
        (grant(builtInControls=["MFA"]), "mfa", True),
        ({"grantControls": None}, "mfa", False),
        ({}, "block", False),
    ],
)
def test_grant_requires(policy: dict[str, Any], control: str, expected: bool) -> None:
    assert grant_requires(policy, control) is expected


def test_grant_summary_and_failure_describe_the_grant() -> None:
    policy = grant(builtInControls=["mfa", "compliantDevice"], authenticationStrength=MFA_STRENGTH)
    assert (
        grant_summary(policy)
        == "OR: mfa, compliantDevice, strength Multifactor authentication (requirementsSatisfied mfa)"
    )
    assert grant_failure(policy, ("mfa",)) == [f"grant does not require mfa ({grant_summary(policy)})"]
    assert grant_failure(grant(builtInControls=["block"]), ("mfa", "block")) == []
    assert grant_summary({"grantControls": None}) == "no grant controls"


def test_check_policies_orders_passing_first_then_closest() -> None:
    far = patched(lambda p: (p.update(id="far", state="disabled"), users(p).update(excludeGroups=["g"])))
    near = patched(lambda p: p.update(id="near", state="enabledForReportingButNotEnforced"))
    good = patched(lambda p: p.update(id="good"))
    noise: Any = "not a policy"
    checks = check_policies(
        [far, near, good, noise], CONFIG_BREAK_GLASS, requirement=lambda p: grant_failure(p, ("mfa",))
    )
    assert [c.id for c in checks] == ["good", "near", "far"]
    assert checks[0].passes and not checks[1].passes
    assert checks[1].failures == ("report-only (state enabledForReportingButNotEnforced)",)
    assert checks[2].name == GOLDEN["displayName"]


# ------------------------------------------------------------------ issue 9: break-glass groups, client app types

BREAK_GLASS_GROUP = "5e0c1d2b-3333-4c7d-9e8f-000000000003"
OTHER_GROUP = "6f1d2e3c-4444-4d8e-af90-000000000004"


def test_excluding_a_configured_break_glass_group_qualifies() -> None:
    policy = patched(lambda p: users(p).update(excludeGroups=[BREAK_GLASS_GROUP.upper()]))
    assert qualification(policy, CONFIG_BREAK_GLASS, break_glass_groups=frozenset({BREAK_GLASS_GROUP})) == []


@pytest.mark.parametrize(
    ("excluded", "configured", "named"),
    [
        # one allowed group and one unknown: the unknown one disqualifies, and is the one named
        ([BREAK_GLASS_GROUP, OTHER_GROUP], frozenset({BREAK_GLASS_GROUP}), OTHER_GROUP),
        # the group is the break-glass group, but the key is empty: nothing is allowed
        ([BREAK_GLASS_GROUP], frozenset(), BREAK_GLASS_GROUP),
        # a configured break-glass *account* id does not allow a group with that id
        ([BREAK_GLASS], frozenset(), BREAK_GLASS),
    ],
)
def test_other_excluded_groups_still_disqualify(excluded: list[str], configured: frozenset[str], named: str) -> None:
    policy = patched(lambda p: users(p).update(excludeGroups=excluded))
    failures = qualification(policy, CONFIG_BREAK_GLASS, break_glass_groups=configured)
    assert failures == [f"excludes groups: {named}"]


def test_break_glass_groups_do_not_allow_excluded_users() -> None:
    policy = patched(lambda p: users(p).update(excludeUsers=[BREAK_GLASS_GROUP]))
    failures = qualification(policy, frozenset(), break_glass_groups=frozenset({BREAK_GLASS_GROUP}))
    assert failures == [f"excludes users that are not break-glass accounts: {BREAK_GLASS_GROUP}"]


@pytest.mark.parametrize(
    "types",
    [
        ["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"],
        ["other", "exchangeActiveSync", "browser", "mobileAppsAndDesktopClients"],  # any order
        ["Browser", "MobileAppsAndDesktopClients", "ExchangeActiveSync", "Other"],
    ],
)
def test_all_four_client_app_types_mean_all(types: list[str]) -> None:
    assert qualification(patched(lambda p: p["conditions"].update(clientAppTypes=types)), CONFIG_BREAK_GLASS) == []


@pytest.mark.parametrize(
    "types",
    [
        ["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync"],
        ["browser", "mobileAppsAndDesktopClients", "other"],
        ["mobileAppsAndDesktopClients", "exchangeActiveSync", "other"],
        ["browser", "exchangeActiveSync", "other"],
    ],
)
def test_three_of_four_client_app_types_narrow(types: list[str]) -> None:
    failures = qualification(patched(lambda p: p["conditions"].update(clientAppTypes=types)), CONFIG_BREAK_GLASS)
    assert failures == [f"clientAppTypes: {', '.join(types)}"]
