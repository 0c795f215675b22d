"""The Graph paths (without query) a scenario answers, as keys of `Scenario.graph`."""

from __future__ import annotations

USERS = "/v1.0/users"
GROUPS = "/v1.0/groups"
SERVICE_PRINCIPALS = "/v1.0/servicePrincipals"
CONDITIONAL_ACCESS_POLICIES = "/v1.0/identity/conditionalAccess/policies"
REGISTRATION_DETAILS = "/v1.0/reports/authenticationMethods/userRegistrationDetails"
ROLE_ASSIGNMENTS = "/v1.0/roleManagement/directory/roleAssignments"
ROLE_ELIGIBILITY_INSTANCES = "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"
ROLE_ASSIGNMENT_INSTANCES = "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances"
#: PIM for Groups: who is eligible for membership or ownership of a group (answered only with a groupId or
#: principalId $filter).
GROUP_ELIGIBILITY_INSTANCES = "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
ORGANIZATION = "/v1.0/organization"
GROUP_SETTINGS = "/v1.0/groupSettings"
SUBSCRIBED_SKUS = "/v1.0/subscribedSkus"
SECURITY_DEFAULTS = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
AUTHORIZATION_POLICY = "/v1.0/policies/authorizationPolicy"
ADMIN_CONSENT_POLICY = "/v1.0/policies/adminConsentRequestPolicy"
SHAREPOINT_SETTINGS = "/v1.0/admin/sharepoint/settings"
DOMAINS = "/v1.0/domains"
SECURE_SCORES = "/v1.0/security/secureScores"
SECURE_SCORE_PROFILES = "/v1.0/security/secureScoreControlProfiles"
ALERTS = "/v1.0/security/alerts_v2"
RISK_DETECTIONS = "/v1.0/identityProtection/riskDetections"
DIRECTORY_AUDITS = "/v1.0/auditLogs/directoryAudits"
PROVISIONING = "/v1.0/auditLogs/provisioning"
DEVICE_MANAGEMENT = "/v1.0/deviceManagement"
B2B_POLICIES = "/beta/policies/b2bManagementPolicies"
APPS_AND_SERVICES = "/beta/admin/appsAndServices"
FORMS = "/beta/admin/forms"
APP_SIGN_IN_SUMMARY = "/beta/reports/getAzureADApplicationSignInSummary(period='D7')"
COMPLIANCE_POLICIES = "/beta/deviceManagement/deviceCompliancePolicies"
DEVICE_CONFIGURATIONS = "/beta/deviceManagement/deviceConfigurations"


def transitive_members(group_id: str) -> str:
    """/groups/{id}/transitiveMembers (computed by the server from `Scenario.memberships`)."""
    return f"{GROUPS}/{group_id}/transitiveMembers"
