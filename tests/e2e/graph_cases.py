"""Scenario patches for the end-to-end verdict matrix of the Graph- and Secure-Score-decided recommendations.

Every tenant here is the golden one (`full_golden_tenant`: Graph + Exchange + DNS) with a small, visible patch
(STYLE.md point 8): one violation per recommendation (`VIOLATIONS`), Secure Score controls lowered, marked or
removed, permissions withheld, licence refusals. tests/e2e/test_verdicts_graph.py scans each one once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.fake_tenant import paths
from tests.fake_tenant.data_common import GLOBAL_ADMIN
from tests.fake_tenant.data_directory import pim_group_eligibility
from tests.fake_tenant.data_security import CONTROLS
from tests.fake_tenant.data_tenant import E5_PLANS, Sku, subscribed_skus
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.named import INTUNE_NOT_LICENSED, P1_REQUIRED, unlicensed_tenant
from tests.fake_tenant.patching import PatchOp, graph_pointer, patch, with_error, with_roles
from tests.harness.tenants import full_golden_config, full_golden_tenant, with_exchange_and_dns

#: Small tenants keep each scan to a few seconds; every rule still has members, guests and admins to judge.
USERS = 60

#: Graph's refusal of a read for a missing permission (https://learn.microsoft.com/graph/errors: 403
#: Authorization_RequestDenied), injected on one path while the token still carries the role.
PERMISSION_DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

#: Narrower permissions that read, between them, everything Directory.Read.All reads for the scan except users and
#: domains (https://learn.microsoft.com/graph/permissions-reference): withholding Directory.Read.All together with
#: User.Read.All or Domain.Read.All then takes away exactly the reads those two grant.
DIRECTORY_SUBSTITUTES: tuple[str, ...] = (
    "Organization.Read.All",
    "GroupSettings.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
)

MOBILE_POLICY = "Get-MobileDeviceMailboxPolicy"

#: Licence refusals as the fake answers them for the unlicensed tenant, reused on the golden one.
REGISTRATION_NOT_LICENSED = P1_REQUIRED


# ----------------------------------------------------------------------------------------------- building blocks


def golden() -> Scenario:
    """The golden tenant the matrix patches (Graph, Exchange cmdlets and DNS all compliant)."""
    return full_golden_tenant(USERS)


def unlicensed() -> Scenario:
    """The Office 365 E3-only tenant (no Entra ID P1/P2, no Intune) with compliant Exchange and DNS data."""
    return with_exchange_and_dns(unlicensed_tenant(USERS))


def user_id(scenario: Scenario, alias: str) -> str:
    """Object id of one of the tenant's named accounts (admins, break-glass, sync)."""
    return str(scenario.extra["named_users"][alias])


def group_id(scenario: Scenario, name: str) -> str:
    """Object id of one of the tenant's named groups."""
    return str(scenario.extra["groups_by_name"][name])


def ca_policy(name: str, *rest: str) -> str:
    """Pointer into a Conditional Access policy picked by displayName."""
    return graph_pointer(paths.CONDITIONAL_ACCESS_POLICIES, f"displayName={name}", *rest)


def intune(path: str, name: str, *rest: str) -> str:
    """Pointer into an Intune compliance policy or device configuration picked by displayName."""
    return graph_pointer(path, f"displayName={name}", *rest)


def secure_score_fraction(control: str, fraction: float) -> list[PatchOp]:
    """The control at `fraction` of its maximum in the latest snapshot (below 1 = below full score)."""
    pointer = graph_pointer(paths.SECURE_SCORES, "0", "controlScores", f"controlName={control}")
    maximum = CONTROLS[control][2]
    return [
        ("replace", f"{pointer}/score", round(maximum * fraction, 2)),
        ("replace", f"{pointer}/scoreInPercentage", round(100 * fraction, 2)),
        ("replace", f"{pointer}/implementationStatus", f"{int(fraction * 100)}% of the items are set up."),
    ]


def secure_score_marked(control: str, state: str, *, when: dt.datetime | None = None) -> list[PatchOp]:
    """An admin's newer controlStateUpdates entry on the control's profile (Ignored, ThirdParty, Reviewed)."""
    moment = (when or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    update = {
        "assignedTo": "",
        "comment": f"Marked {state} in the quarterly review",
        "state": state,
        "updatedBy": "secops@contoso.com",
        "updatedDateTime": moment,
    }
    return [("add", graph_pointer(paths.SECURE_SCORE_PROFILES, f"id={control}", "controlStateUpdates", "-"), update)]


def secure_score_absent(control: str) -> list[PatchOp]:
    """The control gone from the latest snapshot and from the control profiles (retired or never offered)."""
    return [
        ("remove", graph_pointer(paths.SECURE_SCORES, "0", "controlScores", f"controlName={control}")),
        ("remove", graph_pointer(paths.SECURE_SCORE_PROFILES, f"id={control}")),
    ]


def mobile_policy(field_name: str, value: Any) -> PatchOp:
    """A change to the default Exchange ActiveSync mobile device mailbox policy (the section 7 fallback)."""
    return ("replace", f"/extra/exchange/cmdlets/{MOBILE_POLICY}/IsDefault=True/{field_name}", value)


def withhold(scenario: Scenario, *permissions: str, substitutes: Iterable[str] = ()) -> Scenario:
    """The app's Graph roles without `permissions`, plus `substitutes` (narrower roles that keep other reads open)."""
    drop = {p.lower() for p in permissions}
    roles = [r for r in scenario.granted_roles if r.lower() not in drop]
    roles += [s for s in substitutes if s not in roles]
    return with_roles(scenario, roles)


def without_exchange(scenario: Scenario) -> Scenario:
    """No Exchange.ManageAsApp on the Exchange token: the admin API answers 401."""
    return with_roles(scenario, scenario.granted_roles, exchange_roles=[])


def refused(scenario: Scenario, path: str, failure: tuple[int, str, str]) -> Scenario:
    """Graph answers `path` with this error (licence or permission refusal)."""
    return with_error(scenario, path, *failure)


# ----------------------------------------------------------------------------------------------- violations

Violation = Callable[[Scenario], list[PatchOp]]


def _admin_not_mfa_capable(s: Scenario) -> list[PatchOp]:
    # Isaiah Langer (Helpdesk Administrator, PIM-eligible) has no MFA method: only 1.1.1 reads isMfaCapable decisively.
    return [
        (
            "replace",
            graph_pointer(paths.REGISTRATION_DETAILS, f"id={user_id(s, 'isaiah.langer')}", "isMfaCapable"),
            False,
        )
    ]


def _five_global_admins(s: Scenario) -> list[PatchOp]:
    # Two more PIM-eligible Global Administrators (both already MFA-capable admins, eligible rather than permanent,
    # so 1.1.1 and 1.1.11 are unaffected).
    ops: list[PatchOp] = []
    for alias in ("lidia.holloway", "adele.vance"):
        ops.append(
            (
                "add",
                graph_pointer(paths.ROLE_ELIGIBILITY_INSTANCES, "-"),
                {
                    "id": f"e2e-ga-eligible-{alias}",
                    "principalId": user_id(s, alias),
                    "roleDefinitionId": GLOBAL_ADMIN,
                    "directoryScopeId": "/",
                    "appScopeId": None,
                    "startDateTime": "2025-01-01T00:00:00Z",
                    "endDateTime": None,
                    "memberType": "Direct",
                    "roleEligibilityScheduleId": f"e2e-schedule-{alias}",
                },
            )
        )
    return ops


def _sspr_off_for_one_member(s: Scenario) -> list[PatchOp]:
    named = set(s.extra["named_users"].values())
    users = {u["id"]: u for u in s.graph[paths.USERS]}
    row = next(
        r
        for r in s.graph[paths.REGISTRATION_DETAILS]
        if r["id"] not in named
        and users.get(r["id"], {}).get("accountEnabled") is True
        and r.get("userType") == "member"
    )
    return [("replace", graph_pointer(paths.REGISTRATION_DETAILS, f"id={row['id']}", "isSsprEnabled"), False)]


def _permanent_admin(s: Scenario) -> list[PatchOp]:
    # Lee Gu's PIM activation of Exchange Administrator turned into a permanent assignment (roleAssignments, which
    # 1.1.1 and 1.1.3 read, already lists the role as active; only the schedule instance changes).
    instance = graph_pointer(paths.ROLE_ASSIGNMENT_INSTANCES, f"principalId={user_id(s, 'lee.gu')}")
    return [("replace", f"{instance}/assignmentType", "Assigned"), ("replace", f"{instance}/endDateTime", None)]


def _ios_both(field_name: str, value: Any) -> Violation:
    # iOS has one compliance policy and one device restriction profile; a platform is covered when either meets
    # the threshold, so both are changed.
    return lambda s: [
        ("replace", intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", field_name), value),
        ("replace", intune(paths.DEVICE_CONFIGURATIONS, "iOS - Device restrictions", field_name), value),
    ]


#: One violation per recommendation, each touching data that only that recommendation decides on (two of them
#: can share a scan). 1.1.8 and 7.13 cannot join the others: CA005 and the iOS passcode switch feed 1.1.10 and
#: the other section 7 thresholds too (see SOLO_VIOLATIONS).
VIOLATIONS: dict[str, Violation] = {
    "1.1.1": _admin_not_mfa_capable,
    "1.1.2": lambda s: [
        (
            "add",
            ca_policy("CA002: Require MFA for all users", "conditions", "users", "excludeGroups", "-"),
            group_id(s, "SG-CA-Pilot"),
        )
    ],
    "1.1.3": _five_global_admins,
    "1.1.4": _sspr_off_for_one_member,
    "1.1.5": lambda s: [
        (
            "replace",
            graph_pointer(paths.GROUP_SETTINGS, "0", "values", "name=BannedPasswordCheckOnPremisesMode", "value"),
            "Audit",
        )
    ],
    "1.1.6": lambda s: [
        ("replace", ca_policy("CA003: Block legacy authentication", "state"), "enabledForReportingButNotEnforced")
    ],
    "1.1.7": lambda s: [
        ("replace", graph_pointer(paths.ORGANIZATION, "0", "onPremisesLastPasswordSyncDateTime"), None)
    ],
    # 1.1.9 / 1.1.10: no qualifying CA policy and the legacy Identity Protection policy below full in Secure Score.
    # CA004 / CA005 keep a non-empty risk list, so 1.1.8 (any grant) still sees both risk policies.
    "1.1.9": lambda s: [
        (
            "replace",
            ca_policy("CA004: Require MFA for medium and high sign-in risk", "conditions", "signInRiskLevels"),
            ["high"],
        ),
        *secure_score_fraction("SigninRiskPolicy", 0.5),
    ],
    "1.1.10": lambda s: [
        (
            "replace",
            ca_policy("CA005: Require password change for high user risk", "grantControls", "builtInControls"),
            ["mfa"],
        ),
        *secure_score_fraction("UserRiskPolicy", 0),
    ],
    "1.1.11": _permanent_admin,
    "1.1.12": lambda s: [("replace", graph_pointer(paths.SECURITY_DEFAULTS, "isEnabled"), True)],
    "1.1.13": lambda s: [
        ("replace", graph_pointer(paths.GROUPS, f"id={group_id(s, 'Brand Refresh')}", "visibility"), "Public")
    ],
    "1.1.14": lambda s: [
        (
            "replace",
            graph_pointer(paths.B2B_POLICIES, "0", "definition", "0"),
            '{"B2BManagementPolicy":{"InvitationsAllowedAndBlockedDomainsPolicy":{"BlockedDomains":["gmail.com"]}}}',
        )
    ],
    "1.1.15": lambda s: secure_score_fraction("aad_linkedin_connection_disables", 0),
    "1.4": lambda s: [("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "isLegacyAuthProtocolsEnabled"), True)],
    "1.5": lambda s: [("replace", graph_pointer(paths.DOMAINS, "id=contoso.com", "passwordValidityPeriodInDays"), 90)],
    "2.1": lambda s: [
        (
            "replace",
            graph_pointer(paths.AUTHORIZATION_POLICY, "defaultUserRolePermissions", "allowedToCreateApps"),
            True,
        )
    ],
    "2.6": lambda s: [
        (
            "add",
            graph_pointer(
                paths.AUTHORIZATION_POLICY, "defaultUserRolePermissions", "permissionGrantPoliciesAssigned", "0"
            ),
            "ManagePermissionGrantsForSelf.microsoft-user-default-low",
        )
    ],
    "2.7": lambda s: [("replace", graph_pointer(paths.ADMIN_CONSENT_POLICY, "reviewers"), [])],
    "2.9": lambda s: [("replace", graph_pointer(paths.APPS_AND_SERVICES, "settings", "isOfficeStoreEnabled"), True)],
    "2.10": lambda s: [("replace", graph_pointer(paths.FORMS, "settings", "isInOrgFormsPhishingScanEnabled"), False)],
    "3.6": lambda s: [("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "isResharingByExternalUsersEnabled"), True)],
    "6.1": lambda s: [("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "sharingDomainRestrictionMode"), "none")],
    "6.2": lambda s: [("replace", graph_pointer(paths.SHAREPOINT_SETTINGS, "isMacSyncAppEnabled"), True)],
    # Anyone links are allowed in the golden tenant, so Graph hands 6.3 to Secure Score.
    "6.3": lambda s: secure_score_fraction("ExternalSharingExpiration", 0),
    "7.2": _ios_both("passcodePreviousPasscodeBlockCount", 2),
    "7.3": lambda s: [
        ("replace", intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", "passcodeExpirationDays"), 90)
    ],
    "7.4": lambda s: [
        (
            "replace",
            intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", "securityBlockJailbrokenDevices"),
            False,
        )
    ],
    "7.5": lambda s: [
        (
            "replace",
            intune(paths.DEVICE_CONFIGURATIONS, "iOS - Device restrictions", "passcodeSignInFailureCountBeforeWipe"),
            20,
        )
    ],
    "7.6": _ios_both("passcodeMinimumLength", 4),
    "7.7": lambda s: [
        (
            "replace",
            intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", "passcodeMinutesOfInactivityBeforeLock"),
            15,
        ),
        (
            "replace",
            intune(
                paths.DEVICE_CONFIGURATIONS,
                "iOS - Device restrictions",
                "passcodeMinutesOfInactivityBeforeScreenTimeout",
            ),
            15,
        ),
    ],
    # iOS encrypts whenever a passcode is set, so the violation is on Android (both compliance types).
    "7.8": lambda s: [
        (
            "replace",
            intune(paths.COMPLIANCE_POLICIES, "Android work profile - Baseline compliance", "storageRequireEncryption"),
            False,
        ),
        (
            "replace",
            intune(
                paths.COMPLIANCE_POLICIES, "Android corporate-owned - Baseline compliance", "storageRequireEncryption"
            ),
            False,
        ),
    ],
    "7.9": _ios_both("passcodeRequiredType", "numeric"),
    "7.10": _ios_both("passcodeBlockSimple", False),
    "7.11": lambda s: [
        (
            "replace",
            intune(paths.COMPLIANCE_POLICIES, "Windows 10/11 - Baseline compliance", "activeFirewallRequired"),
            False,
        )
    ],
    "7.12": lambda s: [
        (
            "replace",
            intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", "managedEmailProfileRequired"),
            False,
        )
    ],
}

#: Violations that also fail other recommendations (the ids listed): each needs a scan where no other violation
#: touches those ids. 1.1.8: no user risk policy at all (1.1.10 loses it too) and UserRiskPolicy below full.
#: 7.13: iOS passcodes off (every password threshold of 7.x reads that switch).
SOLO_VIOLATIONS: dict[str, tuple[Violation, frozenset[str]]] = {
    "1.1.8": (
        lambda s: [
            ("replace", ca_policy("CA005: Require password change for high user risk", "state"), "disabled"),
            *secure_score_fraction("UserRiskPolicy", 0.25),
        ],
        frozenset({"1.1.10"}),
    ),
    "7.13": (
        _ios_both("passcodeRequired", False),
        frozenset({"7.2", "7.3", "7.5", "7.6", "7.7", "7.8", "7.9", "7.10"}),
    ),
}

#: The Exchange ActiveSync fallback's violation per section 7 recommendation (the default mailbox policy).
ACTIVESYNC_VIOLATIONS: dict[str, PatchOp] = {
    "7.2": mobile_policy("PasswordHistory", 0),
    "7.3": mobile_policy("PasswordExpiration", "90.00:00:00"),
    "7.5": mobile_policy("MaxPasswordFailedAttempts", "Unlimited"),
    "7.6": mobile_policy("MinPasswordLength", 4),
    "7.7": mobile_policy("MaxInactivityTimeLock", "00:30:00"),
    "7.8": mobile_policy("RequireDeviceEncryption", False),
    "7.9": mobile_policy("AlphanumericPasswordRequired", False),
    "7.10": mobile_policy("AllowSimplePassword", True),
}
#: 7.13's ActiveSync violation (PasswordEnabled false) fails every ActiveSync rule, so it stands alone.
ACTIVESYNC_PASSWORD_OFF: PatchOp = mobile_policy("PasswordEnabled", False)


def with_violations(scenario: Scenario, ids: Iterable[str]) -> Scenario:
    """The scenario with the listed recommendations' violations applied (each from VIOLATIONS)."""
    ops: list[PatchOp] = []
    for rec_id in ids:
        ops += VIOLATIONS[rec_id](scenario)
    return patch(scenario, ops)


# ----------------------------------------------------------------------------------------------- scan cases


@dataclass(frozen=True)
class ScanCase:
    """One scenario to scan, and the extra command-line arguments of its scan (selection)."""

    scenario: Scenario
    args: tuple[str, ...] = ("-m", "not section4")
    #: The --cis-config of the scan; None: the golden tenant's (full_golden_config).
    config: dict[str, Any] | None = None


#: Graph permissions the product's decisive reads need, each withheld in its own scan (or with others whose
#: catalogue sets are disjoint, so every changed result is attributed to exactly one of them). Directory.Read.All
#: also grants users and domains, so User.Read.All and Domain.Read.All are withheld with it and the narrower
#: DIRECTORY_SUBSTITUTES keep its other reads (organization, group settings, groups, licences) open.
PERMISSION_SCANS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "withheld_policy": (("Policy.Read.All",), ()),
    "withheld_directory": (("Directory.Read.All",), ()),
    "withheld_role_management": (("RoleManagement.Read.Directory",), ()),
    "withheld_audit_log": (("AuditLog.Read.All",), ()),
    "withheld_users_domains": (("User.Read.All", "Domain.Read.All"), ("Directory.Read.All",)),
    "withheld_secure_score_and_settings": (
        (
            "SecurityEvents.Read.All",
            "Policy.Read.B2BManagementPolicy",
            "OrgSettings-AppsAndServices.Read.All",
            "OrgSettings-Forms.Read.All",
            "IdentityRiskEvent.Read.All",
            "Reports.Read.All",
            "SecurityAlert.Read.All",
        ),
        (),
    ),
    "withheld_sharepoint_intune": (("SharePointTenantSettings.Read.All", "DeviceManagementConfiguration.Read.All"), ()),
    # Issue 9: PIM for Groups eligibility of the role-assignable tier0 group (1.1.1, 1.1.3).
    "withheld_pim_groups": (("PrivilegedEligibilitySchedule.Read.AzureADGroup",), ()),
}

#: Evidence-only permissions kept in the "nothing readable" scan (a token needs at least one role to be valid).
EVIDENCE_ONLY_KEPT: tuple[str, ...] = ("IdentityRiskEvent.Read.All", "Reports.Read.All", "SecurityAlert.Read.All")


def permission_case(name: str) -> ScanCase:
    """The golden tenant with one PERMISSION_SCANS entry withheld."""
    tested, also = PERMISSION_SCANS[name]
    substitutes = DIRECTORY_SUBSTITUTES if "Directory.Read.All" in also else ()
    return ScanCase(withhold(golden(), *tested, *also, substitutes=substitutes))


def noncompliant_case() -> ScanCase:
    """Every recommendation of VIOLATIONS violated once, in one tenant."""
    return ScanCase(with_violations(golden(), VIOLATIONS))


def five_active_global_admins(s: Scenario) -> list[PatchOp]:
    """Three more permanent Global Administrators (5 active with the break-glass account and the tier0 group)."""
    ops: list[PatchOp] = []
    for alias in ("nestor.wilke", "diego.siciliani", "alex.wilber"):
        ops.append(
            (
                "add",
                graph_pointer(paths.ROLE_ASSIGNMENTS, "-"),
                {
                    "id": f"e2e-ga-active-{alias}",
                    "principalId": user_id(s, alias),
                    "roleDefinitionId": GLOBAL_ADMIN,
                    "directoryScopeId": "/",
                    "appScopeId": None,
                    "condition": None,
                },
            )
        )
    return ops


def solo_violations_case() -> ScanCase:
    """1.1.8 and 7.13 violated (they fail neighbours too), five active Global Administrators with PIM eligibility
    refused for a permission (403), and SharePoint settings withheld while spo_legacy_auth is below full."""
    base = golden()
    ops: list[PatchOp] = []
    for violation, _ in SOLO_VIOLATIONS.values():
        ops += violation(base)
    ops += five_active_global_admins(base)
    ops += secure_score_fraction("spo_legacy_auth", 0.4)
    scenario = refused(patch(base, ops), paths.ROLE_ELIGIBILITY_INSTANCES, PERMISSION_DENIED)
    return ScanCase(withhold(scenario, "SharePointTenantSettings.Read.All"))


def nothing_readable_case() -> ScanCase:
    """Every decisive Graph permission, Secure Score included, and Exchange withheld: nothing can be compliant."""
    return ScanCase(without_exchange(with_roles(golden(), EVIDENCE_ONLY_KEPT)))


def secure_score_handover_case() -> ScanCase:
    """Secure Score controls absent or marked by an admin where Secure Score is the deciding source."""
    base = golden()
    ops: list[PatchOp] = [
        *secure_score_marked("aad_linkedin_connection_disables", "Ignored"),  # 1.1.15 -> manual
        *secure_score_absent("ExternalSharingExpiration"),  # 6.3 -> manual
        # 1.1.9: no qualifying CA sign-in risk policy (CA004 keeps "high", so 1.1.8 still sees it), control absent.
        (
            "replace",
            ca_policy("CA004: Require MFA for medium and high sign-in risk", "conditions", "signInRiskLevels"),
            ["high"],
        ),
        *secure_score_absent("SigninRiskPolicy"),
        # 1.1.10: no qualifying CA user risk policy (CA005 keeps its risk list for 1.1.8), control third-party.
        (
            "replace",
            ca_policy("CA005: Require password change for high user risk", "grantControls", "builtInControls"),
            ["mfa"],
        ),
        *secure_score_marked("UserRiskPolicy", "ThirdParty"),
        # 1.1.1 / 1.1.4 lose their registration read (AuditLog.Read.All withheld below); their controls are marked.
        *secure_score_marked("AdminMFAV2", "Ignored"),
        *secure_score_marked("SelfServicePasswordReset", "Reviewed"),
        # 7.4 / 7.12 lose Intune (DeviceManagementConfiguration.Read.All withheld below); no control decides.
        *secure_score_marked("MDMRootedBlock", "Ignored"),
        *secure_score_absent("MDMManageEmail"),
    ]
    return ScanCase(withhold(patch(base, ops), "AuditLog.Read.All", "DeviceManagementConfiguration.Read.All"))


def unlicensed_case() -> ScanCase:
    """The E3-only tenant as it is: no P2 (PIM, risk policies), no P1 reports, no Intune."""
    return ScanCase(unlicensed())


def unlicensed_activesync_violations_case() -> ScanCase:
    """The E3-only tenant whose default ActiveSync policy fails 7.2, 7.3 and 7.5-7.10 (one property each), and
    without the SelfServicePasswordReset control (1.1.4's registration report is refused as non-premium)."""
    base = unlicensed()
    return ScanCase(patch(base, [*ACTIVESYNC_VIOLATIONS.values(), *secure_score_absent("SelfServicePasswordReset")]))


def unlicensed_without_exchange_case() -> ScanCase:
    """The E3-only tenant without Exchange access: section 7 goes on to Secure Score (MDMMinPW below full,
    MDMPWReq absent)."""
    base = unlicensed()
    ops = [*secure_score_fraction("MDMMinPW", 0.0), *secure_score_absent("MDMPWReq")]
    return ScanCase(without_exchange(patch(base, ops)))


def refusals_case() -> ScanCase:
    """The golden tenant with the registration report refused as non-premium and Intune as not licensed, the
    ActiveSync default policy without a password, AdminMFAV2 absent, the user risk CA policy off with its control
    marked Ignored, and ExternalSharingExpiration below full after an Ignored marking was reverted."""
    base = golden()
    now = dt.datetime.now(dt.UTC)
    ops: list[PatchOp] = [
        ACTIVESYNC_PASSWORD_OFF,
        *secure_score_absent("AdminMFAV2"),
        ("replace", ca_policy("CA005: Require password change for high user risk", "state"), "disabled"),
        *secure_score_marked("UserRiskPolicy", "Ignored"),
        # The newest controlStateUpdates entry wins, not the last one listed: back to Default yesterday, listed
        # before the Ignored marking of ten days ago.
        *secure_score_marked("ExternalSharingExpiration", "Default", when=now - dt.timedelta(days=1)),
        *secure_score_marked("ExternalSharingExpiration", "Ignored", when=now - dt.timedelta(days=10)),
        *secure_score_fraction("ExternalSharingExpiration", 0.0),
    ]
    scenario = patch(base, ops)
    scenario = refused(scenario, paths.REGISTRATION_DETAILS, REGISTRATION_NOT_LICENSED)
    for path in (paths.COMPLIANCE_POLICIES, paths.DEVICE_CONFIGURATIONS, paths.DEVICE_MANAGEMENT):
        scenario = refused(scenario, path, INTUNE_NOT_LICENSED)
    return ScanCase(scenario)


def plain_members(s: Scenario, count: int) -> list[str]:
    """Ids of enabled member users that hold no role and are not named accounts, with an MFA-capable row."""
    named = set(s.extra["named_users"].values())
    users = {u["id"]: u for u in s.graph[paths.USERS]}
    return [
        r["id"]
        for r in s.graph[paths.REGISTRATION_DETAILS]
        if r["id"] not in named
        and users.get(r["id"], {}).get("accountEnabled") is True
        and r.get("userType") == "member"
        and r.get("isMfaCapable") is True
    ][:count]


def pim_groups_eligible_case() -> ScanCase:
    """Issue 9: two users only eligible (PIM for Groups) for membership of the tier0 group, which holds Global
    Administrator; the first has no MFA method. A third is an eligible owner only (ownership holds no role).
    1.1.1: non_compliant naming the first; 1.1.3: 3 + 2 = 5 Global Administrators, non_compliant."""
    base = golden()
    tier0 = group_id(base, "tier0")
    first, second, owner = plain_members(base, 3)
    since = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = [
        pim_group_eligibility(tier0, first, start=since),
        pim_group_eligibility(tier0, second, start=since),
        pim_group_eligibility(tier0, owner, start=since, access="owner"),
    ]
    ops: list[PatchOp] = [("add", graph_pointer(paths.GROUP_ELIGIBILITY_INSTANCES, "-"), row) for row in rows]
    ops.append(("replace", graph_pointer(paths.REGISTRATION_DETAILS, f"id={first}", "isMfaCapable"), False))
    return ScanCase(patch(base, ops))


def unlicensed_tier0_group_case() -> ScanCase:
    """Issue 9: the E3-only tenant (no Entra ID P2) where the role-assignable tier0 group holds Global
    Administrator with one member: its PIM for Groups read is refused as not licensed, which means nobody is
    eligible; 1.1.3 counts the member (3 + 1 = 4, compliant) and names no failed read."""
    base = unlicensed()
    tier0 = group_id(base, "tier0")
    (member,) = plain_members(base, 1)
    assignment = {
        "id": "e2e-ga-active-tier0",
        "principalId": tier0,
        "roleDefinitionId": GLOBAL_ADMIN,
        "directoryScopeId": "/",
        "appScopeId": None,
        "condition": None,
    }
    scenario = patch(base, [("add", graph_pointer(paths.ROLE_ASSIGNMENTS, "-"), assignment)])
    return ScanCase(dataclasses.replace(scenario, memberships={**scenario.memberships, tier0: [member]}))


#: A break-glass group (config break_glass_groups) the admin and all-users MFA policies exclude; 1.1.6's policy
#: excludes a group the config does not name (its near neighbour in the same scan).
BREAK_GLASS_GROUP = "b9e0b9e0-0000-4000-8000-00000000b9e0"
UNLISTED_GROUP = "b9e0b9e0-0000-4000-8000-0000000bad00"
ALL_FOUR_CLIENT_APPS = ["other", "browser", "exchangeActiveSync", "mobileAppsAndDesktopClients"]


def break_glass_group_client_apps_case() -> ScanCase:
    """Issue 9: CA001 (admins) and CA002 (all users) exclude the configured break-glass group and list all four
    client app types: both still qualify (1.1.1, 1.1.2 compliant). CA003 (legacy authentication) excludes a group
    the config does not list: 1.1.6 non_compliant naming it."""
    base = golden()
    ops: list[PatchOp] = []
    for name in ("CA001: Require MFA for administrators", "CA002: Require MFA for all users"):
        ops.append(("add", ca_policy(name, "conditions", "users", "excludeGroups", "-"), BREAK_GLASS_GROUP))
        ops.append(("add", ca_policy(name, "conditions", "clientAppTypes"), ALL_FOUR_CLIENT_APPS))
    ops.append(
        (
            "add",
            ca_policy("CA003: Block legacy authentication", "conditions", "users", "excludeGroups", "-"),
            UNLISTED_GROUP,
        )
    )
    config = {**full_golden_config(), "break_glass_groups": [BREAK_GLASS_GROUP]}
    return ScanCase(patch(base, ops), config=config)


# ----------------------------------------------------------------------------------------------- issue 9 (graph)

#: Microsoft's "Product names and service plan identifiers for licensing": Office 365 GCC G5 without Audio
#: Conferencing (ENTERPRISEPREMIUM_NOPSTNCONF_NOPBI_GOV) carries the government plan names of Defender for Office 365.
GCC_SKU_PART = "ENTERPRISEPREMIUM_NOPSTNCONF_NOPBI_GOV"
GCC_SKU_ID = "1341559b-49df-443c-8e79-fa604fed2d82"
COMMERCIAL_GATED_PLANS = frozenset({"ATP_ENTERPRISE", "THREAT_INTELLIGENCE", "LOCKBOX_ENTERPRISE"})


def gcc_plans_case() -> ScanCase:
    """A GCC-shaped tenant: the golden one whose only licence carries ATP_ENTERPRISE_GOV and THREAT_INTELLIGENCE_GOV
    instead of the commercial Defender plans, and no Customer Lockbox plan at all (3.1 stays not licensed)."""
    base = golden()
    plans = [p for p in E5_PLANS if p not in COMMERCIAL_GATED_PLANS] + ["ATP_ENTERPRISE_GOV", "THREAT_INTELLIGENCE_GOV"]
    skus = subscribed_skus(
        base.tenant_id, [Sku(GCC_SKU_PART, GCC_SKU_ID, tuple(plans), units=USERS + 25, consumed=USERS)]
    )
    scenario = patch(base, [("replace", graph_pointer(paths.SUBSCRIBED_SKUS), skus)])
    return ScanCase(scenario, ("-m", "section2 or section3 or section4"))


def _app_scoped_b2b_policy(rule: dict[str, Any]) -> PatchOp:
    """A b2bManagementPolicies item that is not the organisation default (it applies to one application only)."""
    definition = json.dumps({"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": rule}})
    item = {
        "id": "6f0c1b7e-0000-4000-8000-0000000b2b01",
        "deletedDateTime": None,
        "definition": [definition],
        "displayName": "Contractor portal invitations",
        "isOrganizationDefault": False,
        "type": "B2BManagementPolicy",
    }
    return ("add", graph_pointer(paths.B2B_POLICIES, "-"), item)


def issue9_graph_case() -> ScanCase:
    """Issue 9's Graph-side crafted inputs, one per recommendation (each touches data only its rule reads):
    1.5 a managed domain with passwordValidityPeriodInDays null; 1.1.14 an app-scoped block list beside the default
    allow list; 7.7 the iOS compliance policy with BeforeLock 0 and no screen timeout (the restriction profile's
    screen timeout 15); 7.3 the Android work-profile password expiring after 90 days; 1.1.15 its control deprecated
    (at full score); 6.3 its control with maxScore 0, score 0 and no percentage."""
    base = golden()
    ios_lock = "passcodeMinutesOfInactivity"
    ops: list[PatchOp] = [
        ("replace", graph_pointer(paths.DOMAINS, "id=contoso.com", "passwordValidityPeriodInDays"), None),
        _app_scoped_b2b_policy({"BlockedDomains": ["gmail.com"]}),
        ("replace", intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", f"{ios_lock}BeforeLock"), 0),
        (
            "replace",
            intune(paths.COMPLIANCE_POLICIES, "iOS - Baseline compliance", f"{ios_lock}BeforeScreenTimeout"),
            None,
        ),
        (
            "replace",
            intune(paths.DEVICE_CONFIGURATIONS, "iOS - Device restrictions", f"{ios_lock}BeforeScreenTimeout"),
            15,
        ),
        (
            "replace",
            intune(
                paths.COMPLIANCE_POLICIES,
                "Android work profile - Baseline compliance",
                "workProfilePasswordExpirationInDays",
            ),
            90,
        ),
        (
            "replace",
            graph_pointer(paths.SECURE_SCORE_PROFILES, "id=aad_linkedin_connection_disables", "deprecated"),
            True,
        ),
        ("replace", graph_pointer(paths.SECURE_SCORE_PROFILES, "id=ExternalSharingExpiration", "maxScore"), 0.0),
        *secure_score_fraction("ExternalSharingExpiration", 0),
        (
            "replace",
            graph_pointer(
                paths.SECURE_SCORES, "0", "controlScores", "controlName=ExternalSharingExpiration", "scoreInPercentage"
            ),
            None,
        ),
    ]
    return ScanCase(patch(base, ops))


def issue9_secure_score_all_case() -> ScanCase:
    """Exchange unreadable (401), so 4.10 falls to Secure Score: mdo_antiphishingpolicies full, mdo_phishthresholdlevel
    at 0% (the "all" rule); and 1.1.14's default item allows every domain while an app-scoped item has an allow list."""
    base = golden()
    ops: list[PatchOp] = [
        *secure_score_fraction("mdo_phishthresholdlevel", 0),
        ("replace", graph_pointer(paths.B2B_POLICIES, "0", "definition", "0"), '{"B2BManagementPolicy":{}}'),
        _app_scoped_b2b_policy({"AllowedDomains": ["fabrikam.com"]}),
    ]
    return ScanCase(without_exchange(patch(base, ops)), ("-m", "section1 or section4"))


#: Every scan of the matrix by name; test_verdicts_graph.py scans each one at most once.
CASES: dict[str, Callable[[], ScanCase]] = {
    "golden": lambda: ScanCase(golden()),
    "noncompliant": noncompliant_case,
    "solo_violations": solo_violations_case,
    **{name: functools.partial(permission_case, name) for name in PERMISSION_SCANS},
    "nothing_readable": nothing_readable_case,
    "secure_score_handover": secure_score_handover_case,
    "unlicensed": unlicensed_case,
    "unlicensed_activesync_violations": unlicensed_activesync_violations_case,
    "unlicensed_without_exchange": unlicensed_without_exchange_case,
    "refusals": refusals_case,
    "pim_groups_eligible": pim_groups_eligible_case,
    "break_glass_group_client_apps": break_glass_group_client_apps_case,
    "unlicensed_tier0_group": unlicensed_tier0_group_case,
    "gcc_plans": gcc_plans_case,
    "issue9_graph": issue9_graph_case,
    "issue9_secure_score_all": issue9_secure_score_all_case,
}
