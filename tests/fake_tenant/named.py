"""Named tenants for end-to-end tests and the demo snapshot; each is the golden tenant with visible edits."""

from __future__ import annotations

import dataclasses
from typing import Any

from . import paths
from .data_common import (
    APPLICATION_ADMIN,
    EXCHANGE_ADMIN,
    GLOBAL_ADMIN,
    HELPDESK_ADMIN,
    SECURITY_ADMIN,
    SHAREPOINT_ADMIN,
    USER_ADMIN,
)
from .data_directory import GOLDEN_ADMINS, AdminSpec, TenantProfile
from .data_tenant import ENTERPRISEPACK, FLOW_FREE, OFFICE_E3_PLANS, DomainSpec, Sku, subscribed_skus
from .golden import build_compliant, golden_domains, golden_profile, golden_tenant, tenant_identity
from .model import Scenario
from .patching import PatchOp, graph_pointer, patch, with_roles

#: Microsoft's error texts for a tenant without the licence an API needs.
P2_REQUIRED = (
    400,
    "AadPremiumLicenseRequired",
    "The tenant needs an AAD Premium P2 license to use Privileged Identity Management.",
)
P1_REQUIRED = (
    403,
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)
INTUNE_NOT_LICENSED = (400, "BadRequest", "Request not applicable to target tenant.")


#: The demo tenant's identity (seed 7): tenant id, scanner client id and secret.
DEMO_TENANT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = tenant_identity(7, name="demo")


def _policy(name: str, *rest: str) -> str:
    return graph_pointer(paths.CONDITIONAL_ACCESS_POLICIES, f"displayName={name}", *rest)


def _secure_score(name: str, score: float, max_score: float) -> list[PatchOp]:
    pointer = graph_pointer(paths.SECURE_SCORES, "0", "controlScores", f"controlName={name}")
    return [
        ("replace", f"{pointer}/score", score),
        ("replace", f"{pointer}/scoreInPercentage", round(100 * score / max_score, 2)),
        ("replace", f"{pointer}/implementationStatus", "Not all of the recommended settings are in place."),
    ]


def _members(scenario: Scenario) -> list[dict[str, Any]]:
    named = set(scenario.extra["named_users"].values())
    return [u for u in scenario.graph[paths.USERS] if u["userType"] == "Member" and u["id"] not in named]


def noncompliant_tenant(users: int = 300, seed: int = 1) -> Scenario:
    """The golden tenant after a bad year: every Graph-decided section 1 recommendation fails, and some others.

    Five Global Administrators (two permanent), a helpdesk admin without MFA, legacy-auth block only
    report-only, the all-users MFA policy excluding a group, sign-in risk policy off, security defaults on,
    passwords expiring after 90 days on contoso.com, password protection in Audit mode, no password hash
    sync, SSPR for a pilot group only, an unapproved public group, B2B block list, SharePoint legacy auth on,
    app registration and user consent allowed, no admin consent workflow, iOS passcodes of 4 digits.
    """
    admins = tuple(
        dataclasses.replace(spec, role_id=GLOBAL_ADMIN, how="permanent")
        if spec.alias == "nestor.wilke"
        else dataclasses.replace(spec, role_id=GLOBAL_ADMIN, how="permanent", mfa_capable=False)
        if spec.alias == "isaiah.langer"
        else spec
        for spec in GOLDEN_ADMINS
    )
    profile = dataclasses.replace(golden_profile(users, seed), admins=admins)
    _, _, secret = tenant_identity(seed)
    base = build_compliant(
        profile,
        golden_domains(profile.root_domain, profile.initial_domain, profile.federated_domain),
        client_secret=secret,
    )
    pilot = base.extra["groups_by_name"]["SG-CA-Pilot"]
    unapproved = base.extra["groups_by_name"]["Brand Refresh"]
    sspr_off = [u["id"] for u in _members(base)[::7]]
    ops: list[PatchOp] = [
        ("replace", _policy("CA003: Block legacy authentication", "state"), "enabledForReportingButNotEnforced"),
        ("add", _policy("CA002: Require MFA for all users", "conditions", "users", "excludeGroups", "-"), pilot),
        ("replace", _policy("CA004: Require MFA for medium and high sign-in risk", "state"), "disabled"),
        ("replace", graph_pointer(paths.SECURITY_DEFAULTS, "isEnabled"), True),
        ("replace", graph_pointer(paths.DOMAINS, "id=contoso.com", "passwordValidityPeriodInDays"), 90),
        (
            "replace",
            graph_pointer(paths.GROUP_SETTINGS, "0", "values", "name=BannedPasswordCheckOnPremisesMode", "value"),
            "Audit",
        ),
        ("replace", graph_pointer(paths.ORGANIZATION, "0", "onPremisesLastPasswordSyncDateTime"), None),
        ("replace", graph_pointer(paths.GROUPS, f"id={unapproved}", "visibility"), "Public"),
        (
            "replace",
            graph_pointer(paths.B2B_POLICIES, "0", "definition", "0"),
            '{"B2BManagementPolicy":{"InvitationsAllowedAndBlockedDomainsPolicy":{"BlockedDomains":["gmail.com",'
            '"outlook.com"]},"AutoRedeemPolicy":{"AdminConsentedForUsersIntoTenantIds":[],'
            '"NoAADConsentForUsersFromTenantsIds":[]}}}',
        ),
        ("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "isLegacyAuthProtocolsEnabled"), True),
        (
            "replace",
            graph_pointer(paths.AUTHORIZATION_POLICY, "defaultUserRolePermissions", "allowedToCreateApps"),
            True,
        ),
        (
            "add",
            graph_pointer(
                paths.AUTHORIZATION_POLICY, "defaultUserRolePermissions", "permissionGrantPoliciesAssigned", "0"
            ),
            "ManagePermissionGrantsForSelf.microsoft-user-default-legacy",
        ),
        ("replace", graph_pointer(paths.ADMIN_CONSENT_POLICY, "isEnabled"), False),
        ("replace", graph_pointer(paths.ADMIN_CONSENT_POLICY, "reviewers"), []),
        (
            "replace",
            graph_pointer(paths.COMPLIANCE_POLICIES, "displayName=iOS - Baseline compliance", "passcodeMinimumLength"),
            4,
        ),
        (
            "replace",
            graph_pointer(
                paths.DEVICE_CONFIGURATIONS, "displayName=iOS - Device restrictions", "passcodeMinimumLength"
            ),
            4,
        ),
        *[
            ("replace", graph_pointer(paths.REGISTRATION_DETAILS, f"id={user_id}", "isSsprEnabled"), False)
            for user_id in sspr_off
        ],
        *_secure_score("AdminMFAV2", 7.5, 10),
        *_secure_score("SelfServicePasswordReset", 0, 1),
        *_secure_score("aad_password_protection", 0, 1),
        *_secure_score("BlockLegacyAuthentication", 0, 8),
        *_secure_score("SigninRiskPolicy", 0, 7),
        *_secure_score("aad_linkedin_connection_disables", 0, 1),
        *_secure_score("spo_legacy_auth", 0, 5),
        *_secure_score("PWAgePolicyNew", 0, 8),
        *_secure_score("aad_third_party_apps", 0, 2),
        *_secure_score("IntegratedApps", 0, 4),
        *_secure_score("aad_admin_consent_workflow", 0, 2),
        *_secure_score("MDMMinPW", 0, 1),
    ]
    return patch(base, ops)


def minimal_permissions_tenant(users: int = 300, seed: int = 1) -> Scenario:
    """The golden tenant whose app holds only Directory.Read.All (no Exchange permission)."""
    return with_roles(golden_tenant(users, seed), ["Directory.Read.All"], exchange_roles=[])


def no_consent_tenant(users: int = 300, seed: int = 1) -> Scenario:
    """The golden tenant whose app was never granted admin consent: tokens carry no roles claim."""
    return with_roles(golden_tenant(users, seed), [], exchange_roles=[])


def unlicensed_tenant(users: int = 300, seed: int = 1) -> Scenario:
    """An Office 365 E3-only tenant: no Entra ID P1/P2, no Intune, no Defender for Office 365.

    Without P1 there is no Conditional Access (security defaults are on instead) and no on-premises
    password protection; without P2 no PIM, so admins hold permanent roles. PIM reads (PIM for Groups
    included) answer 400 AadPremiumLicenseRequired; the registration report, risk detections and provisioning logs 403
    Authentication_RequestFromNonPremiumTenantOrB2CTenant; the Intune reads 400 "Request not applicable
    to target tenant.".
    """
    admins = (
        AdminSpec("Emergency Access 01", "emergency01", GLOBAL_ADMIN, "break_glass"),
        AdminSpec("Grady Archie", "grady.archie", GLOBAL_ADMIN, "permanent"),
        AdminSpec("Patti Fernandez", "patti.fernandez", GLOBAL_ADMIN, "permanent"),
        AdminSpec("Lee Gu", "lee.gu", EXCHANGE_ADMIN, "permanent"),
        AdminSpec("Adele Vance", "adele.vance", SHAREPOINT_ADMIN, "permanent"),
        AdminSpec("Nestor Wilke", "nestor.wilke", USER_ADMIN, "permanent"),
    )
    profile = dataclasses.replace(golden_profile(users, seed), admins=admins)
    _, _, secret = tenant_identity(seed)
    base = build_compliant(
        profile,
        golden_domains(profile.root_domain, profile.initial_domain, profile.federated_domain),
        client_secret=secret,
    )
    skus = [
        Sku("ENTERPRISEPACK", ENTERPRISEPACK, OFFICE_E3_PLANS, units=users + 10, consumed=max(users - 30, 0)),
        Sku("FLOW_FREE", FLOW_FREE, ("FLOW_P2_VIRAL",), units=10000, consumed=12),
    ]
    result = patch(
        base,
        [
            ("replace", graph_pointer(paths.SUBSCRIBED_SKUS), subscribed_skus(profile.tenant_id, skus)),
            ("replace", graph_pointer(paths.CONDITIONAL_ACCESS_POLICIES), []),
            ("replace", graph_pointer(paths.SECURITY_DEFAULTS, "isEnabled"), True),
            ("replace", graph_pointer(paths.ROLE_ELIGIBILITY_INSTANCES), []),
            ("replace", graph_pointer(paths.ROLE_ASSIGNMENT_INSTANCES), []),
            # On-premises password protection needs Entra ID P1: its settings stay at the defaults.
            ("remove", graph_pointer(paths.GROUP_SETTINGS, "displayName=Password Rule Settings")),
        ],
    )
    for path, failure in (
        (paths.ROLE_ELIGIBILITY_INSTANCES, P2_REQUIRED),
        (paths.ROLE_ASSIGNMENT_INSTANCES, P2_REQUIRED),
        (paths.GROUP_ELIGIBILITY_INSTANCES, P2_REQUIRED),
        (paths.REGISTRATION_DETAILS, P1_REQUIRED),
        (paths.PROVISIONING, P1_REQUIRED),
        (paths.RISK_DETECTIONS, P1_REQUIRED),
        (paths.COMPLIANCE_POLICIES, INTUNE_NOT_LICENSED),
        (paths.DEVICE_CONFIGURATIONS, INTUNE_NOT_LICENSED),
        (paths.DEVICE_MANAGEMENT, INTUNE_NOT_LICENSED),
    ):
        result.errors[path] = failure
    return result


def demo_tenant(seed: int = 7) -> Scenario:
    """Northwind Traders: ~450 users, 8 Conditional Access policies, 4 domains, a realistic mix of results.

    Compliant: 1.1.2, 1.1.3 (four Global Administrators), 1.1.4, 1.1.7, 1.1.10, 1.1.12, 1.1.14, 1.4, 2.1, 2.7,
    2.10, 3.6, 6.2 and most of section 7. Non-compliant: 1.1.1 (a helpdesk admin without MFA), 1.1.5 (Audit
    mode), 1.1.6 (legacy block report-only), 1.1.8/1.1.9 (sign-in risk policy excludes a group; Secure Score
    partial), 1.1.11 (a permanent Global Administrator), 1.1.13 (an unapproved public group), 1.1.15, 1.5
    (northwindtraders.co.uk expires passwords), 2.6 (low-risk user consent), 2.9 (Office Store), 6.1 (no
    domain restriction), 7.3 (iOS passcodes expire) and 7.6 (Android work profile length 4). 6.3 has no
    Secure Score control, so it is manual.
    """
    tenant_id, client_id, secret = tenant_identity(seed, name="demo")
    admins = (
        AdminSpec("Emergency Access 01", "emergency01", GLOBAL_ADMIN, "break_glass"),
        AdminSpec("Megan Bowen", "megan.bowen", GLOBAL_ADMIN, "permanent"),
        AdminSpec("Grady Archie", "grady.archie", GLOBAL_ADMIN, "group"),
        AdminSpec("Patti Fernandez", "patti.fernandez", GLOBAL_ADMIN, "eligible"),
        AdminSpec("Lee Gu", "lee.gu", EXCHANGE_ADMIN, "activated"),
        AdminSpec("Lidia Holloway", "lidia.holloway", SECURITY_ADMIN, "eligible"),
        AdminSpec("Isaiah Langer", "isaiah.langer", HELPDESK_ADMIN, "eligible", mfa_capable=False),
        AdminSpec("Johanna Lorenz", "johanna.lorenz", APPLICATION_ADMIN, "eligible"),
    )
    profile = TenantProfile(
        tenant_id=tenant_id,
        display_name="Northwind Traders",
        root_domain="northwindtraders.com",
        initial_domain="northwindtraders.onmicrosoft.com",
        federated_domain="nwt-legacy.com",
        users=450,
        seed=seed,
        admins=admins,
        scanner_client_id=client_id,
        unregistered_share=0.06,
    )
    specs = [
        DomainSpec("northwindtraders.onmicrosoft.com", is_initial=True),
        DomainSpec("northwindtraders.com", is_default=True),
        DomainSpec("northwindtraders.co.uk", password_validity_days=90),
        DomainSpec("nwt-legacy.com", authentication="Federated", password_validity_days=90),
    ]
    base = build_compliant(
        profile, specs, client_secret=secret, partner_domains=("contoso.com", "adatum.com", "litwareinc.com")
    )
    groups = base.extra["groups_by_name"]
    ops: list[PatchOp] = [
        ("replace", _policy("CA003: Block legacy authentication", "state"), "enabledForReportingButNotEnforced"),
        (
            "add",
            _policy("CA004: Require MFA for medium and high sign-in risk", "conditions", "users", "excludeGroups", "-"),
            groups["SG-CA-Pilot"],
        ),
        (
            "replace",
            graph_pointer(paths.GROUP_SETTINGS, "0", "values", "name=BannedPasswordCheckOnPremisesMode", "value"),
            "Audit",
        ),
        ("replace", graph_pointer(paths.GROUPS, f"id={groups['Brand Refresh']}", "visibility"), "Public"),
        (
            "add",
            graph_pointer(
                paths.AUTHORIZATION_POLICY, "defaultUserRolePermissions", "permissionGrantPoliciesAssigned", "0"
            ),
            "ManagePermissionGrantsForSelf.microsoft-user-default-low",
        ),
        ("replace", graph_pointer(paths.APPS_AND_SERVICES, "settings", "isOfficeStoreEnabled"), True),
        ("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "sharingDomainRestrictionMode"), "none"),
        ("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "sharingAllowedDomainList"), []),
        (
            "replace",
            graph_pointer(paths.COMPLIANCE_POLICIES, "displayName=iOS - Baseline compliance", "passcodeExpirationDays"),
            90,
        ),
        (
            "replace",
            graph_pointer(
                paths.COMPLIANCE_POLICIES,
                "displayName=Android work profile - Baseline compliance",
                "passwordMinimumLength",
            ),
            4,
        ),
        (
            "replace",
            graph_pointer(
                paths.DEVICE_CONFIGURATIONS,
                "displayName=Android work profile - Device restrictions",
                "passwordMinimumLength",
            ),
            4,
        ),
        (
            "replace",
            graph_pointer(
                paths.DEVICE_CONFIGURATIONS,
                "displayName=Android corporate-owned - Device restrictions",
                "passwordMinimumLength",
            ),
            4,
        ),
        (
            "replace",
            graph_pointer(
                paths.COMPLIANCE_POLICIES,
                "displayName=Android corporate-owned - Baseline compliance",
                "passwordMinimumLength",
            ),
            4,
        ),
        ("remove", graph_pointer(paths.SECURE_SCORES, "0", "controlScores", "controlName=ExternalSharingExpiration")),
        ("remove", graph_pointer(paths.SECURE_SCORE_PROFILES, "id=ExternalSharingExpiration")),
        *_secure_score("AdminMFAV2", 8.9, 10),
        *_secure_score("MFARegistrationV2", 8.1, 9),
        *_secure_score("aad_password_protection", 0, 1),
        *_secure_score("BlockLegacyAuthentication", 0, 8),
        *_secure_score("SigninRiskPolicy", 3.5, 7),
        *_secure_score("aad_linkedin_connection_disables", 0, 1),
        *_secure_score("PWAgePolicyNew", 4, 8),
        *_secure_score("IntegratedApps", 2, 4),
        *_secure_score("MDMPWExpireNew", 0, 1),
        *_secure_score("MDMMinPW", 0, 1),
    ]
    # Its config (extra["config"]) approves the two company-wide public groups, not "Brand Refresh".
    return patch(base, ops)
