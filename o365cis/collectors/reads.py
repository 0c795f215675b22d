"""Every Graph read the benchmark needs, declared once: path, query, permission, paging.

Each is one of the catalogue's shared requests; a scan performs each at most once (TenantReader).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphRead:
    """A Graph request and the application permission(s) that allow it."""

    key: str
    path: str
    permission: str
    params: tuple[tuple[str, str], ...] = ()
    collection: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    #: Other permissions Graph also accepts for this call (besides the broader ones catalogue.satisfied_by knows).
    alternatives: tuple[str, ...] = ()

    @property
    def permissions(self) -> tuple[str, ...]:
        return (self.permission, *self.alternatives)


_TOP = ("$top", "999")
USER_FIELDS = "id,displayName,userPrincipalName,mail,userType,accountEnabled,createdDateTime,externalUserState"

# Evolvable enums (e.g. the riskRemediation grant) arrive as unknownFutureValue unless asked for by name:
# https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations
_UNKNOWN_ENUMS = (("Prefer", "include-unknown-enum-members"),)

CONDITIONAL_ACCESS_POLICIES = GraphRead(
    "conditional_access_policies",
    "/v1.0/identity/conditionalAccess/policies",
    "Policy.Read.All",
    headers=_UNKNOWN_ENUMS,
)
REGISTRATION_DETAILS = GraphRead(
    "registration_details", "/v1.0/reports/authenticationMethods/userRegistrationDetails", "AuditLog.Read.All", (_TOP,)
)
USERS = GraphRead("users", "/v1.0/users", "User.Read.All", (("$select", USER_FIELDS), _TOP))
SECURE_SCORES = GraphRead("secure_scores", "/v1.0/security/secureScores", "SecurityEvents.Read.All", (("$top", "1"),))
SECURE_SCORE_PROFILES = GraphRead(
    "secure_score_profiles", "/v1.0/security/secureScoreControlProfiles", "SecurityEvents.Read.All"
)
ROLE_ASSIGNMENTS = GraphRead(
    "role_assignments",
    "/v1.0/roleManagement/directory/roleAssignments",
    "RoleManagement.Read.Directory",
    (("$expand", "principal"),),
    alternatives=("Directory.Read.All",),
)
ROLE_ELIGIBILITY_INSTANCES = GraphRead(
    "role_eligibility_instances",
    "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
    "RoleManagement.Read.Directory",
    (("$expand", "principal"),),
    alternatives=("RoleEligibilitySchedule.Read.Directory",),
)
ROLE_ASSIGNMENT_INSTANCES = GraphRead(
    "role_assignment_instances",
    "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
    "RoleManagement.Read.Directory",
    (("$expand", "principal"),),
    alternatives=("RoleAssignmentSchedule.Read.Directory",),
)
ORGANIZATION = GraphRead(
    "organization", "/v1.0/organization", "Directory.Read.All", alternatives=("Organization.Read.All",)
)
GROUP_SETTINGS = GraphRead(
    "group_settings", "/v1.0/groupSettings", "Directory.Read.All", alternatives=("GroupSettings.Read.All",)
)
SUBSCRIBED_SKUS = GraphRead(
    "subscribed_skus",
    "/v1.0/subscribedSkus",
    "Directory.Read.All",
    alternatives=("LicenseAssignment.Read.All", "Organization.Read.All"),
)
SECURITY_DEFAULTS = GraphRead(
    "security_defaults", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All", collection=False
)
UNIFIED_GROUPS = GraphRead(
    "unified_groups",
    "/v1.0/groups",
    "Directory.Read.All",
    (("$filter", "groupTypes/any(c:c eq 'Unified')"), ("$select", "id,displayName,visibility,createdDateTime"), _TOP),
    alternatives=("Group.Read.All",),
)
SHAREPOINT_SETTINGS = GraphRead(
    "sharepoint_settings", "/v1.0/admin/sharepoint/settings", "SharePointTenantSettings.Read.All", collection=False
)
DOMAINS = GraphRead("domains", "/v1.0/domains", "Domain.Read.All")
AUTHORIZATION_POLICY = GraphRead(
    "authorization_policy", "/v1.0/policies/authorizationPolicy", "Policy.Read.All", collection=False
)
ADMIN_CONSENT_POLICY = GraphRead(
    "admin_consent_policy", "/v1.0/policies/adminConsentRequestPolicy", "Policy.Read.All", collection=False
)
DEVICE_MANAGEMENT = GraphRead(
    "device_management", "/v1.0/deviceManagement", "DeviceManagementConfiguration.Read.All", collection=False
)
# Beta: v1.0 leaves out the Android device-owner compliance types (Microsoft Graph beta deviceCompliancePolicy types).
DEVICE_COMPLIANCE_POLICIES = GraphRead(
    "device_compliance_policies",
    "/beta/deviceManagement/deviceCompliancePolicies",
    "DeviceManagementConfiguration.Read.All",
    (("$expand", "assignments"),),
)
DEVICE_CONFIGURATIONS = GraphRead(
    "device_configurations",
    "/beta/deviceManagement/deviceConfigurations",
    "DeviceManagementConfiguration.Read.All",
    (("$expand", "assignments"),),
)
B2B_MANAGEMENT_POLICIES = GraphRead(
    "b2b_management_policies", "/beta/policies/b2bManagementPolicies", "Policy.Read.B2BManagementPolicy"
)
APPS_AND_SERVICES = GraphRead(
    "apps_and_services", "/beta/admin/appsAndServices", "OrgSettings-AppsAndServices.Read.All", collection=False
)
FORMS_SETTINGS = GraphRead("forms_settings", "/beta/admin/forms", "OrgSettings-Forms.Read.All", collection=False)
APP_SIGN_IN_SUMMARY = GraphRead(
    "app_sign_in_summary", "/beta/reports/getAzureADApplicationSignInSummary(period='D7')", "Reports.Read.All"
)


def group_transitive_members(group_id: str) -> GraphRead:
    """Members of a role-holding group, nested groups expanded."""
    return GraphRead(
        f"group_members:{group_id}",
        f"/v1.0/groups/{group_id}/transitiveMembers",
        "Directory.Read.All",
        (("$select", "id,displayName,userPrincipalName,accountEnabled,userType"),),
        alternatives=("GroupMember.Read.All",),
    )


#: PIM for Groups eligibility; the list answers only with a groupId or principalId filter
#: (https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances).
GROUP_ELIGIBILITY_PATH = "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"


def group_eligibility_instances(group_id: str) -> GraphRead:
    """Who is eligible for membership (or ownership) of a role-holding group through PIM for Groups.

    $expand=principal tells users from groups (a group principal is expanded through its transitive members).
    """
    return GraphRead(
        f"group_eligibility:{group_id}",
        GROUP_ELIGIBILITY_PATH,
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        (("$filter", f"groupId eq '{group_id}'"), ("$expand", "principal")),
        alternatives=("PrivilegedAccess.Read.AzureADGroup",),
    )


def domain_service_records(domain_id: str) -> GraphRead:
    """Microsoft's expected DNS records for a domain (evidence only)."""
    return GraphRead(
        f"domain_records:{domain_id}", f"/v1.0/domains/{domain_id}/serviceConfigurationRecords", "Domain.Read.All"
    )


def since_filter(prop: str, since: str, extra: str | None = None) -> tuple[tuple[str, str], ...]:
    """`$filter` of events newer than `since` (ISO 8601 UTC), optionally and-ed with another condition."""
    condition = f"{prop} ge {since}"
    return (("$filter", f"{extra} and {condition}" if extra else condition),)


def risk_detections(since: str) -> GraphRead:
    return GraphRead(
        "risk_detections",
        "/v1.0/identityProtection/riskDetections",
        "IdentityRiskEvent.Read.All",
        since_filter("detectedDateTime", since),
    )


def directory_audits(name: str, condition: str, since: str) -> GraphRead:
    return GraphRead(
        f"directory_audits:{name}",
        "/v1.0/auditLogs/directoryAudits",
        "AuditLog.Read.All",
        since_filter("activityDateTime", since, condition),
    )


def provisioning_events(since: str) -> GraphRead:
    return GraphRead(
        "provisioning_events",
        "/v1.0/auditLogs/provisioning",
        "AuditLog.Read.All",
        since_filter("activityDateTime", since),
    )


def security_alerts(since: str) -> GraphRead:
    return GraphRead(
        "security_alerts", "/v1.0/security/alerts_v2", "SecurityAlert.Read.All", since_filter("createdDateTime", since)
    )


#: The fixed (parameter-free) reads, for the prefetch.
STATIC_READS: tuple[GraphRead, ...] = tuple(v for v in list(globals().values()) if isinstance(v, GraphRead))


def reads_for_requests(requests: tuple[str, ...] | list[str]) -> list[GraphRead]:
    """The static reads among a recommendation's catalogue requests ("GET /v1.0/path?query [(evidence)]")."""
    by_path = {read.path: read for read in STATIC_READS}
    found: list[GraphRead] = []
    for request in requests:
        if not request.startswith("GET "):
            continue
        path = request[4:].split("?", 1)[0].split(" ", 1)[0]
        if path in by_path:
            found.append(by_path[path])
    return found
