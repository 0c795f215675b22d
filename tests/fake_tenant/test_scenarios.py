"""The scenario data: the golden tenant meets the catalogue's rules, the named tenants fail where they say,
and patches are small, exact edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .certificates import make_app_certificate
from .data_common import ADMIN_ROLES, DIRECTORY_SYNC_ACCOUNTS, GLOBAL_ADMIN
from .golden import golden_config, golden_tenant
from .model import Scenario
from .named import demo_tenant, minimal_permissions_tenant, no_consent_tenant, noncompliant_tenant, unlicensed_tenant
from .patching import PatchError, graph_pointer, patch, with_certificate, with_error, without_roles
from .paths import (
    ADMIN_CONSENT_POLICY,
    APPS_AND_SERVICES,
    AUTHORIZATION_POLICY,
    B2B_POLICIES,
    COMPLIANCE_POLICIES,
    CONDITIONAL_ACCESS_POLICIES,
    DEVICE_CONFIGURATIONS,
    DOMAINS,
    FORMS,
    GROUP_SETTINGS,
    GROUPS,
    ORGANIZATION,
    REGISTRATION_DETAILS,
    ROLE_ASSIGNMENT_INSTANCES,
    ROLE_ASSIGNMENTS,
    ROLE_ELIGIBILITY_INSTANCES,
    SECURE_SCORE_PROFILES,
    SECURE_SCORES,
    SECURITY_DEFAULTS,
    SHAREPOINT_SETTINGS,
    SUBSCRIBED_SKUS,
    USERS,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "o365cis" / "catalogue.json"


# ---------------------------------------------------------------- small restatements of catalogue terms


def _qualifies(policy: dict[str, Any], break_glass: set[str]) -> bool:
    """The catalogue's "qualifying CA policy" conditions that the golden policies exercise."""
    users, apps, cond = policy["conditions"]["users"], policy["conditions"]["applications"], policy["conditions"]
    return (
        policy["state"] == "enabled"
        and ("All" in users["includeUsers"] or set(users["includeRoles"]) >= set(ADMIN_ROLES))
        and apps["includeApplications"] == ["All"]
        and not apps["excludeApplications"]
        and set(users["excludeUsers"]) <= break_glass
        and set(users["excludeRoles"]) <= {DIRECTORY_SYNC_ACCOUNTS}
        and not users["excludeGroups"]
        and not users["excludeGuestsOrExternalUsers"]
        and not cond["servicePrincipalRiskLevels"]
        and cond["devices"] is None
        and cond["platforms"] is None
        and cond["locations"] is None
    )


def _policies(scenario: Scenario, **wanted: Any) -> list[dict[str, Any]]:
    break_glass = set(scenario.extra["config"]["break_glass_accounts"])
    return [
        p
        for p in scenario.graph[CONDITIONAL_ACCESS_POLICIES]
        if _qualifies(p, break_glass) and all(predicate(p) for predicate in wanted.values())
    ]


def _global_admin_users(scenario: Scenario) -> set[str]:
    holders = {a["principalId"] for a in scenario.graph[ROLE_ASSIGNMENTS] if a["roleDefinitionId"] == GLOBAL_ADMIN}
    holders |= {
        e["principalId"]
        for e in scenario.graph.get(ROLE_ELIGIBILITY_INSTANCES, [])
        if e["roleDefinitionId"] == GLOBAL_ADMIN
    }
    users = {u["id"] for u in scenario.graph[USERS]}
    expanded: set[str] = set()
    for holder in holders:
        expanded |= {holder} if holder in users else set(scenario.memberships.get(holder, [])) & users
    return expanded


def _admin_users(scenario: Scenario) -> set[str]:
    users = {u["id"] for u in scenario.graph[USERS]}
    rows = [*scenario.graph[ROLE_ASSIGNMENTS], *scenario.graph.get(ROLE_ELIGIBILITY_INSTANCES, [])]
    result: set[str] = set()
    for row in rows:
        if row["roleDefinitionId"] in ADMIN_ROLES:
            principal = row["principalId"]
            result |= {principal} if principal in users else set(scenario.memberships.get(principal, [])) & users
    return result


def _plans(scenario: Scenario) -> set[str]:
    return {
        plan["servicePlanName"]
        for sku in scenario.graph[SUBSCRIBED_SKUS]
        if sku["capabilityStatus"] == "Enabled"
        for plan in sku["servicePlans"]
        if plan["provisioningStatus"] == "Success"
    }


# ---------------------------------------------------------------- the golden tenant


@pytest.fixture(scope="module")
def golden() -> Scenario:
    return golden_tenant()


def test_golden_has_members_guests_and_disabled_accounts(golden: Scenario) -> None:
    users = golden.graph[USERS]
    assert len(users) == 300
    assert {u["userType"] for u in users} == {"Member", "Guest"}
    assert any(not u["accountEnabled"] for u in users)
    assert len({u["id"] for u in users}) == len({u["userPrincipalName"].lower() for u in users}) == 300
    assert {r["id"] for r in golden.graph[REGISTRATION_DETAILS]} == {u["id"] for u in users}
    assert {r["userType"] for r in golden.graph[REGISTRATION_DETAILS]} == {"member", "guest"}


def test_golden_admins_use_mfa_under_a_qualifying_policy(golden: Scenario) -> None:
    assert _policies(
        golden,
        roles=lambda p: set(p["conditions"]["users"]["includeRoles"]) >= set(ADMIN_ROLES),
        mfa=lambda p: "mfa" in p["grantControls"]["builtInControls"],
    )
    capable = {r["id"] for r in golden.graph[REGISTRATION_DETAILS] if r["isMfaCapable"]}
    break_glass = set(golden_config()["break_glass_accounts"])
    assert _admin_users(golden) - break_glass <= capable
    assert len(_admin_users(golden)) >= 8


def test_golden_has_three_global_admins_one_via_group_one_eligible(golden: Scenario) -> None:
    assert len(_global_admin_users(golden)) == 3
    group_ids = {g["id"] for g in golden.graph[GROUPS]}
    assert any(
        a["principalId"] in group_ids and a["roleDefinitionId"] == GLOBAL_ADMIN for a in golden.graph[ROLE_ASSIGNMENTS]
    )
    assert any(e["roleDefinitionId"] == GLOBAL_ADMIN for e in golden.graph[ROLE_ELIGIBILITY_INSTANCES])
    service_principals = {s["id"] for s in golden.graph["/v1.0/servicePrincipals"]}
    assert any(a["principalId"] in service_principals for a in golden.graph[ROLE_ASSIGNMENTS])


def test_golden_policies_cover_all_users_legacy_auth_and_risk(golden: Scenario) -> None:
    def grant(control: str) -> Any:
        return lambda p: control in p["grantControls"]["builtInControls"]

    def everyone(p: dict[str, Any]) -> bool:
        return "All" in p["conditions"]["users"]["includeUsers"]

    assert _policies(
        golden,
        everyone=everyone,
        mfa=grant("mfa"),
        plain=lambda p: p["conditions"]["clientAppTypes"] == ["all"] and not p["conditions"]["signInRiskLevels"],
    )
    assert _policies(
        golden,
        everyone=everyone,
        block=grant("block"),
        legacy=lambda p: {"exchangeActiveSync", "other"} <= set(p["conditions"]["clientAppTypes"]),
    )
    assert _policies(
        golden,
        signin=lambda p: {"medium", "high"} <= set(p["conditions"]["signInRiskLevels"]),
        only=lambda p: not p["conditions"]["userRiskLevels"],
        mfa=grant("mfa"),
    )
    assert _policies(
        golden,
        user=lambda p: "high" in p["conditions"]["userRiskLevels"],
        only=lambda p: not p["conditions"]["signInRiskLevels"],
        change=grant("passwordChange"),
    )
    states = [p["state"] for p in golden.graph[CONDITIONAL_ACCESS_POLICIES]]
    assert "enabledForReportingButNotEnforced" in states and "disabled" in states


def test_golden_tenant_settings_meet_the_rules(golden: Scenario) -> None:
    graph = golden.graph
    enabled = {u["id"] for u in graph[USERS] if u["accountEnabled"]}
    members = [r for r in graph[REGISTRATION_DETAILS] if r["userType"] == "member" and r["id"] in enabled]
    assert members and all(r["isSsprEnabled"] for r in members)
    settings = {v["name"]: v["value"] for v in graph[GROUP_SETTINGS][0]["values"]}
    assert settings["EnableBannedPasswordCheckOnPremises"].lower() == "true"
    assert settings["BannedPasswordCheckOnPremisesMode"].lower().startswith("enforce")
    organization = graph[ORGANIZATION][0]
    assert organization["onPremisesSyncEnabled"] is True and organization["onPremisesLastPasswordSyncDateTime"]
    assert {"AAD_PREMIUM_P2", "ATP_ENTERPRISE", "THREAT_INTELLIGENCE", "LOCKBOX_ENTERPRISE", "INTUNE_A"} <= _plans(
        golden
    )
    assert graph[SECURITY_DEFAULTS]["isEnabled"] is False
    managed = [d for d in graph[DOMAINS] if d["isVerified"] and d["isRoot"] and d["authenticationType"] == "Managed"]
    assert len(managed) == 2 and all(d["passwordValidityPeriodInDays"] == 2147483647 for d in managed)
    assert any(d["authenticationType"] == "Federated" for d in graph[DOMAINS])
    public = {
        g["id"] for g in graph[GROUPS] if "Unified" in g["groupTypes"] and (g["visibility"] or "Public") == "Public"
    }
    assert public == set(golden_config()["approved_public_groups"])
    b2b = json.loads(graph[B2B_POLICIES][0]["definition"][0])["B2BManagementPolicy"][
        "InvitationsAllowedAndBlockedDomainsPolicy"
    ]
    assert b2b["AllowedDomains"] and not b2b.get("BlockedDomains")
    permissions = graph[AUTHORIZATION_POLICY]["defaultUserRolePermissions"]
    assert permissions["allowedToCreateApps"] is False
    assert not any(
        p.startswith("ManagePermissionGrantsForSelf.") for p in permissions["permissionGrantPoliciesAssigned"]
    )
    assert graph[ADMIN_CONSENT_POLICY]["isEnabled"] and graph[ADMIN_CONSENT_POLICY]["reviewers"]
    assert graph[APPS_AND_SERVICES]["settings"]["isOfficeStoreEnabled"] is False
    assert graph[FORMS]["settings"]["isInOrgFormsPhishingScanEnabled"] is True
    sharepoint = graph[SHAREPOINT_SETTINGS]
    assert (
        sharepoint["isLegacyAuthProtocolsEnabled"] is False and sharepoint["isResharingByExternalUsersEnabled"] is False
    )
    assert sharepoint["sharingDomainRestrictionMode"] == "allowList" and sharepoint["sharingAllowedDomainList"]
    assert sharepoint["isUnmanagedSyncAppForTenantRestricted"] and sharepoint["allowedDomainGuidsForSyncApp"]
    assert sharepoint["isMacSyncAppEnabled"] is False


def test_golden_admins_are_eligible_not_permanent(golden: Scenario) -> None:
    break_glass = set(golden_config()["break_glass_accounts"])
    users_and_groups = {u["id"] for u in golden.graph[USERS]} | {g["id"] for g in golden.graph[GROUPS]}
    permanent = {
        i["principalId"]
        for i in golden.graph[ROLE_ASSIGNMENT_INSTANCES]
        if i["assignmentType"] == "Assigned"
        and i["endDateTime"] is None
        and i["roleDefinitionId"] in ADMIN_ROLES
        and i["principalId"] in users_and_groups
    }
    assert permanent == break_glass


def test_golden_mobile_policies_meet_section_7(golden: Scenario) -> None:
    def assigned(kind: str, path: str) -> dict[str, Any]:
        return next(p for p in golden.graph[path] if p["@odata.type"].endswith(kind) and p["assignments"])

    ios, android = (
        assigned("iosCompliancePolicy", COMPLIANCE_POLICIES),
        assigned("androidWorkProfileCompliancePolicy", COMPLIANCE_POLICIES),
    )
    assert (
        ios["passcodeRequired"] and ios["passcodeMinimumLength"] >= 6 and ios["passcodePreviousPasscodeBlockCount"] >= 5
    )
    assert (
        ios["passcodeRequiredType"] == "alphanumeric"
        and ios["passcodeBlockSimple"]
        and ios["managedEmailProfileRequired"]
    )
    assert ios["passcodeMinutesOfInactivityBeforeLock"] <= 5 and ios["securityBlockJailbrokenDevices"]
    assert not ios["passcodeExpirationDays"]
    assert android["passwordRequired"] and android["passwordMinimumLength"] >= 6 and android["storageRequireEncryption"]
    assert android["passwordPreviousPasswordBlockCount"] >= 5 and android["securityBlockJailbrokenDevices"]
    assert (
        assigned("iosGeneralDeviceConfiguration", DEVICE_CONFIGURATIONS)["passcodeSignInFailureCountBeforeWipe"] <= 10
    )
    profile = assigned("androidWorkProfileGeneralDeviceConfiguration", DEVICE_CONFIGURATIONS)
    assert profile["passwordSignInFailureCountBeforeFactoryReset"] <= 10
    windows = assigned("windows10CompliancePolicy", COMPLIANCE_POLICIES)
    assert windows["activeFirewallRequired"] and windows["antivirusRequired"]


def test_secure_score_covers_every_catalogue_control_at_full_score(golden: Scenario) -> None:
    catalogue = json.loads(CATALOGUE.read_text())
    wanted = {name for rec in catalogue["recommendations"] for name in rec["securescore"]}
    snapshot = golden.graph[SECURE_SCORES]
    assert len(snapshot) == 1
    scores = {c["controlName"]: c for c in snapshot[0]["controlScores"]}
    profiles = {p["id"]: p for p in golden.graph[SECURE_SCORE_PROFILES]}
    assert wanted <= set(scores) and wanted <= set(profiles)
    for name in wanted:
        assert scores[name]["scoreInPercentage"] >= 100 and scores[name]["score"] >= profiles[name]["maxScore"]
        latest = max(profiles[name]["controlStateUpdates"], key=lambda u: u["updatedDateTime"])
        assert latest["state"] not in ("Ignored", "ThirdParty", "Reviewed")


def test_golden_is_deterministic_and_scales() -> None:
    first, second = golden_tenant(users=50), golden_tenant(users=50)
    assert [u["id"] for u in first.graph[USERS]] == [u["id"] for u in second.graph[USERS]]
    big = golden_tenant(users=10_000)
    users = big.graph[USERS]
    assert len(users) == 10_000 and len({u["id"] for u in users}) == 10_000
    assert len({u["userPrincipalName"].lower() for u in users}) == 10_000
    assert big.extra["config"] == golden_config()
    assert golden_tenant(seed=2).tenant_id != big.tenant_id


# ---------------------------------------------------------------- the named tenants


def test_noncompliant_tenant_fails_section_1() -> None:
    tenant = noncompliant_tenant()
    assert len(_global_admin_users(tenant)) == 5
    capable = {r["id"] for r in tenant.graph[REGISTRATION_DETAILS] if r["isMfaCapable"]}
    assert _admin_users(tenant) - set(tenant.extra["config"]["break_glass_accounts"]) - capable
    legacy = next(p for p in tenant.graph[CONDITIONAL_ACCESS_POLICIES] if "legacy" in p["displayName"])
    assert legacy["state"] == "enabledForReportingButNotEnforced"
    assert next(d for d in tenant.graph[DOMAINS] if d["id"] == "contoso.com")["passwordValidityPeriodInDays"] == 90
    assert tenant.graph[SECURITY_DEFAULTS]["isEnabled"] is True
    assert tenant.graph[ORGANIZATION][0]["onPremisesLastPasswordSyncDateTime"] is None
    assert not _policies(
        tenant,
        everyone=lambda p: (
            "All" in p["conditions"]["users"]["includeUsers"]
            and p["conditions"]["clientAppTypes"] == ["all"]
            and not p["conditions"]["signInRiskLevels"]
            and not p["conditions"]["userRiskLevels"]
        ),
    )


def test_permission_and_licence_variants() -> None:
    assert minimal_permissions_tenant().granted_roles == ["Directory.Read.All"]
    assert no_consent_tenant().granted_roles == [] and no_consent_tenant().exchange_roles == []
    unlicensed = unlicensed_tenant()
    assert "AAD_PREMIUM_P2" not in _plans(unlicensed) and "INTUNE_A" not in _plans(unlicensed)
    assert unlicensed.errors[ROLE_ELIGIBILITY_INSTANCES][1] == "AadPremiumLicenseRequired"
    assert unlicensed.errors[REGISTRATION_DETAILS][0] == 403
    assert unlicensed.errors[COMPLIANCE_POLICIES][2] == "Request not applicable to target tenant."


def test_demo_tenant_is_a_believable_mix() -> None:
    demo = demo_tenant()
    assert 440 <= len(demo.graph[USERS]) <= 460
    policies = demo.graph[CONDITIONAL_ACCESS_POLICIES]
    assert len(policies) == 8
    assert sum(p["state"] == "enabledForReportingButNotEnforced" for p in policies) == 2
    assert any(p["conditions"]["users"]["excludeGroups"] for p in policies)
    assert len(demo.graph[DOMAINS]) == 4
    capable = {r["id"] for r in demo.graph[REGISTRATION_DETAILS] if r["isMfaCapable"]}
    admins = _admin_users(demo) - set(demo.extra["config"]["break_glass_accounts"])
    assert admins & capable and admins - capable
    assert len(_global_admin_users(demo)) == 4
    assert demo.tenant_id != golden_tenant().tenant_id


# ---------------------------------------------------------------- patch helpers


def test_patch_replaces_adds_and_removes_without_touching_the_original(golden: Scenario) -> None:
    pointer = graph_pointer(SECURITY_DEFAULTS, "isEnabled")
    assert pointer == "/graph/~1v1.0~1policies~1identitySecurityDefaultsEnforcementPolicy/isEnabled"
    target = golden.graph[USERS][3]["id"]
    changed = patch(
        golden,
        [
            ("replace", pointer, True),
            ("add", graph_pointer(SHAREPOINT_SETTINGS, "sharingBlockedDomainList", "-"), "evil.example"),
            ("remove", graph_pointer(USERS, f"id={target}")),
            ("replace", "/granted_roles", ["User.Read.All"]),
            ("add", "/extra/dns", {"contoso.com": {"TXT": ["v=spf1 -all"]}}),
        ],
    )
    assert changed.graph[SECURITY_DEFAULTS]["isEnabled"] is True
    assert changed.graph[SHAREPOINT_SETTINGS]["sharingBlockedDomainList"] == ["evil.example"]
    assert target not in {u["id"] for u in changed.graph[USERS]}
    assert changed.granted_roles == ["User.Read.All"] and changed.extra["dns"]["contoso.com"]
    assert golden.graph[SECURITY_DEFAULTS]["isEnabled"] is False
    assert target in {u["id"] for u in golden.graph[USERS]} and "dns" not in golden.extra


@pytest.mark.parametrize(
    "op",
    [
        ("replace", "/graph/~1v1.0~1nothing/x", 1),
        ("remove", graph_pointer(USERS, "id=no-such-user")),
        ("replace", graph_pointer(USERS, "99999", "id"), "x"),
        ("move", "/graph", None),
        ("replace", "no-leading-slash", 1),
    ],
)
def test_bad_patches_are_refused(golden: Scenario, op: tuple[Any, ...]) -> None:
    with pytest.raises(PatchError):
        patch(golden, [op])


def test_convenience_builders(golden: Scenario, tmp_path: Path) -> None:
    narrowed = without_roles(golden, "Policy.Read.All", "exchange.manageasapp")
    assert "Policy.Read.All" not in narrowed.granted_roles and narrowed.exchange_roles == []
    assert "Policy.Read.All" in golden.granted_roles
    failing = with_error(golden, USERS, 503, "serviceNotAvailable", "down")
    assert failing.errors[USERS] == (503, "serviceNotAvailable", "down") and not golden.errors
    certificate = make_app_certificate(tmp_path, password="pw")
    certified = with_certificate(golden, certificate)
    app = next(iter(certified.clients.values()))
    assert app.certificate_pem == certificate.certificate_pem and app.secret
    assert next(iter(golden.clients.values())).certificate_pem is None


def test_app_certificate_files(tmp_path: Path) -> None:
    certificate = make_app_certificate(tmp_path, password="pw")
    text = certificate.pem_path.read_text()
    assert "BEGIN CERTIFICATE" in text and "BEGIN ENCRYPTED PRIVATE KEY" in text
    key = serialization.load_pem_private_key(certificate.private_key_pem.encode(), b"pw")
    cert = x509.load_pem_x509_certificate(certificate.certificate_pem.encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert len(certificate.thumbprint) == 40 and certificate.thumbprint.isupper()
    plain = make_app_certificate(tmp_path / "plain")
    assert "BEGIN PRIVATE KEY" in plain.pem_path.read_text()
