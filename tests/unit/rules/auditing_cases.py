"""Section 5 unit tests' evidence reads (raw Graph and cmdlet JSON) and helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from o365cis.findings import Finding
from o365cis.rules.auditing import defender_reviews, identity_reviews, mail_reviews
from o365cis.rules.securescore import SecureScore

USER_1 = "9a1c1d7e-0b5d-4c43-9a0e-6c7f0f1b2a01"


USER_2 = "9a1c1d7e-0b5d-4c43-9a0e-6c7f0f1b2a02"


# GET /v1.0/identityProtection/riskDetections?$filter=detectedDateTime ge ..., trimmed.
RISK_DETECTIONS: list[dict[str, Any]] = [
    {
        "id": "r1",
        "riskEventType": "unfamiliarFeatures",
        "riskLevel": "medium",
        "riskState": "atRisk",
        "detectedDateTime": "2024-05-01T08:00:00Z",
        "userId": USER_1,
        "userPrincipalName": "adele@contoso.com",
    },
    {
        "id": "r2",
        "riskEventType": "anonymizedIPAddress",
        "riskLevel": "high",
        "riskState": "atRisk",
        "detectedDateTime": "2024-05-02T08:00:00Z",
        "userId": USER_1,
        "userPrincipalName": "adele@contoso.com",
    },
    {
        "id": "r3",
        "riskEventType": "unfamiliarFeatures",
        "riskLevel": "medium",
        "riskState": "remediated",
        "detectedDateTime": "2024-05-03T08:00:00Z",
        "userId": USER_2,
        "userPrincipalName": "megan@contoso.com",
    },
]


# GET /beta/reports/getAzureADApplicationSignInSummary(period='D7').
SIGN_IN_SUMMARY: list[dict[str, Any]] = [
    {
        "id": "00000003-0000-0ff1-ce00-000000000000",
        "appDisplayName": "Office 365 SharePoint Online",
        "successfulSignInCount": 120,
        "failedSignInCount": 4,
        "successPercentage": 96.77,
    },
    {
        "id": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": "Graph Explorer",
        "successfulSignInCount": 3,
        "failedSignInCount": 1,
        "successPercentage": 75.0,
    },
]


def audit(
    activity: str,
    *,
    service: str = "Core Directory",
    category: str = "UserManagement",
    result: str = "success",
    user: str | None = "admin@contoso.com",
    app: str | None = None,
    target: str = "adele@contoso.com",
    role: str | None = None,
    when: str = "2024-05-02T10:00:00Z",
) -> dict[str, Any]:
    """A directoryAudit item as /v1.0/auditLogs/directoryAudits returns it."""
    modified = [{"displayName": "Role.DisplayName", "oldValue": None, "newValue": f'"{role}"'}] if role else []
    return {
        "id": f"audit-{activity}-{target}-{when}",
        "category": category,
        "activityDisplayName": activity,
        "activityDateTime": when,
        "loggedByService": service,
        "result": result,
        "initiatedBy": {
            "user": {"id": USER_2, "userPrincipalName": user, "displayName": user} if user else None,
            "app": {"appId": "a0b1", "displayName": app, "servicePrincipalId": "sp1"} if app else None,
        },
        "targetResources": [
            {
                "id": USER_1,
                "type": "User",
                "userPrincipalName": target,
                "displayName": target,
                "modifiedProperties": modified,
            }
        ],
    }


SSPR_AUDITS = [
    audit("Reset password (self-service)", service="Self-service Password Management", user="adele@contoso.com"),
    audit(
        "Reset password (self-service)",
        service="Self-service Password Management",
        user="adele@contoso.com",
        when="2024-05-03T10:00:00Z",
    ),
    audit(
        "Reset password (self-service)",
        service="Self-service Password Management",
        result="failure",
        user="megan@contoso.com",
        target="megan@contoso.com",
    ),
    audit(
        "Self-service password reset flow activity progress",
        service="Self-service Password Management",
        user="megan@contoso.com",
        target="megan@contoso.com",
    ),
]


ROLE_AUDITS = [
    audit("Add member to role", category="RoleManagement", role="Exchange Administrator"),
    audit(
        "Remove member from role",
        category="RoleManagement",
        role="Global Administrator",
        target="megan@contoso.com",
        when="2024-05-04T10:00:00Z",
    ),
]


def secure_score(*names: str) -> SecureScore:
    """A snapshot holding the named controls at full score."""
    return SecureScore(
        [
            {
                "createdDateTime": "2024-05-05T00:00:00Z",
                "controlScores": [{"controlName": n, "score": 1.0, "scoreInPercentage": 100.0} for n in names],
            }
        ],
        [{"id": n, "maxScore": 1.0, "title": f"Review {n}", "controlStateUpdates": []} for n in names],
    )


def names(finding: Finding, kind: str) -> list[str | None]:
    return [e.name for e in finding.evidence if e.type == kind]


def _all_unread() -> list[tuple[str, Callable[..., Finding], dict[str, Any], list[str]]]:
    return [
        (
            "5.3",
            identity_reviews.risky_sign_ins_review,
            {"risk_detections": None},
            ["IdentityRiskEvent.Read.All", "SecurityEvents.Read.All"],
        ),
        ("5.4", identity_reviews.application_usage_review, {"sign_in_summary": None}, ["Reports.Read.All"]),
        (
            "5.5",
            identity_reviews.sspr_activity_review,
            {"sspr_audits": None},
            ["AuditLog.Read.All", "SecurityEvents.Read.All"],
        ),
        ("5.6", identity_reviews.role_changes_review, {"role_audits": None}, ["AuditLog.Read.All"]),
        (
            "5.7",
            mail_reviews.mail_forwarding_review,
            {"mailboxes": None, "transport_rules": None},
            ["Exchange.ManageAsApp"],
        ),
        ("5.8", mail_reviews.non_owner_access_review, {"organization_config": None}, ["Exchange.ManageAsApp"]),
        ("5.9", defender_reviews.malware_detections_review, {"alerts": None}, ["SecurityAlert.Read.All"]),
        (
            "5.10",
            identity_reviews.account_provisioning_review,
            {"add_user_audits": None, "provisioning_events": None},
            ["AuditLog.Read.All"],
        ),
        (
            "5.11",
            identity_reviews.role_assignments_review,
            {"role_assignments": None, "role_audits": None},
            ["RoleManagement.Read.Directory", "AuditLog.Read.All"],
        ),
        ("5.12", mail_reviews.spoofed_domains_review, {"spoof_insights": None}, ["Exchange.ManageAsApp"]),
        (
            "5.13",
            defender_reviews.cloud_app_security_review,
            {"subscribed_skus": None, "alerts": None},
            ["Directory.Read.All", "SecurityAlert.Read.All"],
        ),
        (
            "5.14",
            mail_reviews.restricted_senders_review,
            {"blocked_senders": None, "alerts": None},
            ["Exchange.ManageAsApp", "SecurityAlert.Read.All"],
        ),
        ("5.15", identity_reviews.guest_users_review, {"users": None}, ["User.Read.All"]),
    ]


ROLE_ASSIGNMENTS: list[dict[str, Any]] = [
    {
        "id": "ra1",
        "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        "principalId": USER_1,
        "directoryScopeId": "/",
        "principal": {"@odata.type": "#microsoft.graph.user", "id": USER_1, "userPrincipalName": "adele@contoso.com"},
    },
    {
        "id": "ra2",
        "roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "principalId": USER_2,
        "directoryScopeId": "/",
        "principal": {"@odata.type": "#microsoft.graph.user", "id": USER_2, "userPrincipalName": "megan@contoso.com"},
    },
    {
        "id": "ra3",
        "roleDefinitionId": "aaaaaaaa-0000-4000-8000-000000000001",
        "principalId": "sp1",
        "directoryScopeId": "/",
        "principal": {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp1", "displayName": "Backup app"},
    },
]


MAILBOXES: list[dict[str, Any]] = [
    {
        "UserPrincipalName": "adele@contoso.com",
        "ForwardingSmtpAddress": "smtp:adele@gmail.com",
        "ForwardingAddress": None,
        "DeliverToMailboxAndForward": True,
        "ExternalDirectoryObjectId": USER_1,
    },
    {
        "UserPrincipalName": "megan@contoso.com",
        "ForwardingSmtpAddress": None,
        "ForwardingAddress": None,
        "DeliverToMailboxAndForward": False,
        "ExternalDirectoryObjectId": USER_2,
    },
]


TRANSPORT_RULES: list[dict[str, Any]] = [
    {
        "Name": "Copy CFO mail",
        "State": "Enabled",
        "BlindCopyTo": ["audit@contoso.com"],
        "RedirectMessageTo": None,
        "Guid": "t1",
    },
    {"Name": "Old redirect", "State": "Disabled", "RedirectMessageTo": ["x@example.com"], "Guid": "t2"},
    {"Name": "Disclaimer", "State": "Enabled", "Guid": "t3"},
]


ALERTS: list[dict[str, Any]] = [
    {
        "id": "al1",
        "title": "Email messages containing malicious file removed after delivery",
        "severity": "informational",
        "status": "new",
        "serviceSource": "microsoftDefenderForOffice365",
        "createdDateTime": "2024-05-02T00:00:00Z",
    },
    {
        "id": "al2",
        "title": "User restricted from sending email",
        "severity": "high",
        "status": "new",
        "serviceSource": "microsoftDefenderForOffice365",
        "createdDateTime": "2024-05-03T00:00:00Z",
    },
    {
        "id": "al3",
        "title": "Impossible travel activity",
        "severity": "medium",
        "status": "inProgress",
        "serviceSource": "microsoftDefenderForCloudApps",
        "createdDateTime": "2024-05-04T00:00:00Z",
    },
    {
        "id": "al4",
        "title": "Suspicious process",
        "severity": "low",
        "status": "new",
        "serviceSource": "microsoftDefenderForEndpoint",
        "createdDateTime": "2024-05-04T00:00:00Z",
    },
]
