"""Which application permissions let a token read each Graph path.

From the "Permissions" table of each API's page on learn.microsoft.com/graph/api (least privileged
first, then the higher ones that also work for reading) and the catalogue's shared requests.
A `X.ReadWrite.Y` role also satisfies `X.Read.Y` (Directory.ReadWrite.All covers Directory.Read.All).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_V = r"^/(?:v1\.0|beta)"
_ID = r"[^/]+"

#: (path pattern, any one of these permissions). The first matching pattern wins.
PERMISSION_TABLE: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(p, re.IGNORECASE), perms)
    for p, perms in [
        (rf"{_V}/users(/{_ID})?$", ("User.Read.All", "Directory.Read.All")),
        (
            rf"{_V}/groups/{_ID}/(transitiveMembers|members)$",
            ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"),
        ),
        (rf"{_V}/groups(/{_ID})?$", ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All")),
        (rf"{_V}/servicePrincipals(/{_ID})?$", ("Application.Read.All", "Directory.Read.All")),
        (
            rf"{_V}/identity/conditionalAccess/",
            ("Policy.Read.ConditionalAccess", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
        ),
        (rf"{_V}/reports/authenticationMethods/", ("AuditLog.Read.All", "UserAuthenticationMethod.Read.All")),
        (
            rf"{_V}/roleManagement/directory/roleAssignments(/{_ID})?$",
            (
                "RoleManagement.Read.Directory",
                "RoleManagement.Read.All",
                "Directory.Read.All",
                "EntitlementManagement.Read.All",
            ),
        ),
        (
            rf"{_V}/roleManagement/directory/roleDefinitions(/{_ID})?$",
            ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All"),
        ),
        # PIM reads: Directory.Read.All is not enough (catalogue: "covers roleAssignments but not the PIM reads").
        (
            rf"{_V}/roleManagement/directory/roleEligibilitySchedule(Instance)?s",
            ("RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All"),
        ),
        (
            rf"{_V}/roleManagement/directory/roleAssignmentSchedule(Instance)?s",
            ("RoleAssignmentSchedule.Read.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All"),
        ),
        # PIM for Groups eligibility: neither Directory.Read.All nor RoleManagement.Read.Directory reads it
        # (https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances).
        (
            rf"{_V}/identityGovernance/privilegedAccess/group/eligibilitySchedule(Instance)?s",
            ("PrivilegedEligibilitySchedule.Read.AzureADGroup",),
        ),
        (rf"{_V}/organization(/{_ID})?$", ("Organization.Read.All", "Directory.Read.All")),
        (rf"{_V}/groupSettings(/{_ID})?$", ("GroupSettings.Read.All", "Directory.Read.All")),
        (
            rf"{_V}/subscribedSkus(/{_ID})?$",
            ("LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All"),
        ),
        (rf"{_V}/domains(/{_ID})?(/serviceConfigurationRecords)?$", ("Domain.Read.All", "Directory.Read.All")),
        (rf"{_V}/policies/identitySecurityDefaultsEnforcementPolicy$", ("Policy.Read.All",)),
        (rf"{_V}/policies/authorizationPolicy", ("Policy.Read.All", "Policy.ReadWrite.Authorization")),
        (rf"{_V}/policies/adminConsentRequestPolicy$", ("Policy.Read.All", "Policy.ReadWrite.ConsentRequest")),
        (rf"{_V}/policies/b2bManagementPolicies", ("Policy.Read.B2BManagementPolicy",)),
        (rf"{_V}/admin/sharepoint/settings$", ("SharePointTenantSettings.Read.All",)),
        (rf"{_V}/admin/appsAndServices$", ("OrgSettings-AppsAndServices.Read.All",)),
        (rf"{_V}/admin/forms$", ("OrgSettings-Forms.Read.All",)),
        (rf"{_V}/security/(secureScores|secureScoreControlProfiles)", ("SecurityEvents.Read.All",)),
        (rf"{_V}/security/alerts_v2", ("SecurityAlert.Read.All",)),
        (rf"{_V}/identityProtection/", ("IdentityRiskEvent.Read.All",)),
        (rf"{_V}/auditLogs/(directoryAudits|provisioning)", ("AuditLog.Read.All",)),
        (rf"{_V}/auditLogs/signIns", ("AuditLog.Read.All",)),
        (rf"{_V}/reports/", ("Reports.Read.All",)),
        (
            rf"{_V}/deviceManagement/(deviceCompliancePolicies|deviceConfigurations)",
            ("DeviceManagementConfiguration.Read.All",),
        ),
        (
            rf"{_V}/deviceManagement$",
            ("DeviceManagementConfiguration.Read.All", "DeviceManagementServiceConfig.Read.All"),
        ),
    ]
]

#: What a path the table does not know needs: directory read access, like most of Graph.
DEFAULT_PERMISSIONS: tuple[str, ...] = ("Directory.Read.All",)


def required_permissions(path: str) -> tuple[str, ...]:
    """The permissions, any one of which allows reading `path` (a Graph path without query)."""
    for pattern, permissions in PERMISSION_TABLE:
        if pattern.search(path):
            return permissions
    return DEFAULT_PERMISSIONS


def _satisfies(role: str, permission: str) -> bool:
    role, permission = role.lower(), permission.lower()
    return role == permission or role == permission.replace(".read.", ".readwrite.", 1)


def is_allowed(roles: Iterable[str], path: str) -> bool:
    """Whether a token carrying `roles` may read `path`."""
    held = list(roles)
    return any(_satisfies(role, permission) for permission in required_permissions(path) for role in held)
