"""Section 5 manual reviews: always `manual`, the reason says what to review and where, the evidence summarises
what was read, and an unread source is named with the permission it needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from o365cis.findings import Finding, Status
from o365cis.rules.auditing import defender_reviews, identity_reviews, mail_reviews
from o365cis.rules.evidence import EVIDENCE_CAP
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


# ------------------------------------------------------------------------------------------------ every review


def _all_unread() -> list[tuple[str, Callable[..., Finding], dict[str, Any], list[str]]]:
    return [
        (
            "5.3",
            identity_reviews.risky_sign_ins_review,
            {"risk_detections": None},
            ["IdentityRiskEvent.Read.All", "SecurityEvents.Read.All"],
        ),
        ("5.4", identity_reviews.application_usage_review, {"sign_in_summary": None}, ["Reports.Read.All"]),
        ("5.5", identity_reviews.sspr_activity_review, {"sspr_audits": None}, ["AuditLog.Read.All", "SecurityEvents.Read.All"]),
        ("5.6", identity_reviews.role_changes_review, {"role_audits": None}, ["AuditLog.Read.All"]),
        ("5.7", mail_reviews.mail_forwarding_review, {"mailboxes": None, "transport_rules": None}, ["Exchange.ManageAsApp"]),
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


@pytest.mark.parametrize(("rec", "review", "unread", "permissions"), _all_unread(), ids=[r[0] for r in _all_unread()])
def test_nothing_read_is_still_manual_and_names_permissions(
    rec: str, review: Callable[..., Finding], unread: dict[str, Any], permissions: list[str]
) -> None:
    failure = "403 Authorization_RequestDenied: Insufficient privileges to complete the operation."
    finding = review(**unread, failures={key: failure for key in unread})
    assert finding.status is Status.MANUAL
    assert finding.reason.startswith("Review ")
    assert "Not read:" in finding.reason
    for permission in permissions:
        assert permission in finding.reason, permission
    assert failure in finding.reason
    assert all(e.type != "secureScoreControl" for e in finding.evidence)


@pytest.mark.parametrize(("rec", "review", "unread", "permissions"), _all_unread(), ids=[r[0] for r in _all_unread()])
def test_empty_reads_are_manual_and_say_so(
    rec: str, review: Callable[..., Finding], unread: dict[str, Any], permissions: list[str]
) -> None:
    finding = review(**{key: [] for key in unread})
    assert finding.status is Status.MANUAL
    assert "Read:" in finding.reason
    # every periodic review asks for a record of it; 5.13 asks whether the connector and policies are in use
    assert ("in use" if rec == "5.13" else "recorded") in finding.reason


# ------------------------------------------------------------------------------------------------ 5.3


def test_risky_sign_ins_summary() -> None:
    finding = identity_reviews.risky_sign_ins_review(RISK_DETECTIONS, secure_score("SignIns"))
    assert finding.status is Status.MANUAL
    assert "Identity Protection > Risky sign-ins" in finding.reason
    assert "3 risk detections in the last 7 days (by riskLevel: medium 2, high 1)" in finding.reason
    levels = {e.name: e.detail for e in finding.evidence if e.type == "riskLevel"}
    assert levels == {"medium": "2 detections", "high": "1 detection"}
    assert names(finding, "riskEventType") == ["unfamiliarFeatures", "anonymizedIPAddress"]
    users = {e.name: e.detail for e in finding.evidence if e.type == "user"}
    assert users["adele@contoso.com"] == "2 risk detections in 7 days"
    assert names(finding, "secureScoreControl") == ["Review SignIns"]
    assert "shown only" in finding.reason


def test_secure_score_control_absent_is_said() -> None:
    finding = identity_reviews.risky_sign_ins_review([], secure_score("SomethingElse"))
    assert "Secure Score control SignIns is not in the latest snapshot" in finding.reason
    assert finding.status is Status.MANUAL


# ------------------------------------------------------------------------------------------------ 5.4


def test_application_usage_lists_busiest_apps_first() -> None:
    finding = identity_reviews.application_usage_review(list(reversed(SIGN_IN_SUMMARY)))
    assert finding.status is Status.MANUAL
    assert "2 applications with sign-ins over 7 days, 128 sign-ins in all" in finding.reason
    apps = [e for e in finding.evidence if e.type == "application"]
    assert apps[0].name == "Office 365 SharePoint Online"
    assert apps[0].detail == "120 successful, 4 failed sign-ins, success 96.77%"


def test_application_usage_accepts_value_wrapper() -> None:
    finding = identity_reviews.application_usage_review({"value": SIGN_IN_SUMMARY})
    assert len(names(finding, "application")) == 2


# ------------------------------------------------------------------------------------------------ 5.5


def test_sspr_activity_groups_and_repeated_resets() -> None:
    finding = identity_reviews.sspr_activity_review(SSPR_AUDITS, secure_score("AccountChanges"))
    assert "Password reset > Audit logs" in finding.reason
    groups = {e.name: e.detail for e in finding.evidence if e.type == "auditActivity"}
    assert groups["Reset password (self-service) / success"] == "2 events"
    assert groups["Reset password (self-service) / failure"] == "1 event"
    repeated = {e.name: e.detail for e in finding.evidence if e.type == "user"}
    assert repeated == {"adele@contoso.com": "2 password reset events in 7 days"}
    assert "1 user with repeated resets" in finding.reason


# ------------------------------------------------------------------------------------------------ 5.6, 5.11


def test_role_changes_name_role_target_and_initiator() -> None:
    finding = identity_reviews.role_changes_review(ROLE_AUDITS, secure_score("RGChanges"))
    assert "Purview portal > Audit" in finding.reason
    assert "unified audit log" in finding.reason  # Exchange role groups are not covered
    events = [e for e in finding.evidence if e.type == "auditEvent"]
    assert events[0].name == "Remove member from role"  # newest first
    assert "role Global Administrator" in (events[0].detail or "")
    assert "target megan@contoso.com" in (events[0].detail or "")
    assert "by admin@contoso.com" in (events[1].detail or "")


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


def test_role_assignments_leave_out_global_administrator() -> None:
    finding = identity_reviews.role_assignments_review(ROLE_ASSIGNMENTS, ROLE_AUDITS, secure_score("DelegatedAdmins"))
    assert "Roles & admins" in finding.reason
    assignments = {e.name: e.detail for e in finding.evidence if e.type == "roleAssignment"}
    assert set(assignments) == {"megan@contoso.com", "Backup app"}
    assert assignments["megan@contoso.com"] == "Exchange Administrator (user, scope /)"
    assert "servicePrincipal" in (assignments["Backup app"] or "")
    assert "2 active non-Global-Administrator role assignments" in finding.reason
    assert len([e for e in finding.evidence if e.type == "auditEvent"]) == 2


# ------------------------------------------------------------------------------------------------ 5.7, 5.8


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


def test_mail_forwarding_lists_forwarding_mailboxes_and_redirecting_rules() -> None:
    finding = mail_reviews.mail_forwarding_review(MAILBOXES, TRANSPORT_RULES, secure_score("MailForwardingRules"))
    assert "Auto forwarded messages report" in finding.reason
    assert names(finding, "mailbox") == ["adele@contoso.com"]
    assert "smtp:adele@gmail.com" in (finding.evidence[0].detail or "")
    rules = {e.name: e.detail for e in finding.evidence if e.type == "transportRule"}
    assert rules == {"Copy CFO mail": "BlindCopyTo audit@contoso.com"}  # the disabled rule is not listed
    assert "1 mailbox of 2 forward mail" in finding.reason


def test_mail_forwarding_with_one_source_unread() -> None:
    finding = mail_reviews.mail_forwarding_review(MAILBOXES, None, failures={"transport_rules": "401 Unauthorized"})
    assert "transport rules (Get-TransportRule) (needs Exchange.ManageAsApp" in finding.reason
    assert "401 Unauthorized" in finding.reason
    assert names(finding, "mailbox") == ["adele@contoso.com"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"AuditDisabled": False}, "mailbox auditing is on"),
        ([{"AuditDisabled": True}], "report is empty"),
        ({"AuditDisabled": "True"}, "report is empty"),
        ({}, "no AuditDisabled value"),
    ],
)
def test_non_owner_access_reports_audit_state(config: Any, expected: str) -> None:
    finding = mail_reviews.non_owner_access_review(config, secure_score("NonOwnerAccess"))
    assert finding.status is Status.MANUAL
    assert expected in finding.reason
    assert "every two weeks" in finding.reason


# ---------------------------------------------------------------------------------------- 5.9, 5.13, 5.14 alerts


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


def test_malware_review_keeps_defender_for_office_alerts_only() -> None:
    finding = defender_reviews.malware_detections_review(ALERTS, secure_score("MalwareDetections"))
    assert "Threat protection status" in finding.reason
    assert [e.id for e in finding.evidence if e.type == "alert"] == ["al2", "al1"]
    assert "2 Defender for Office 365 alerts" in finding.reason


def test_cloud_app_security_plans_alerts_and_controls() -> None:
    skus = [
        {
            "capabilityStatus": "Enabled",
            "skuId": "s1",
            "skuPartNumber": "SPE_E5",
            "servicePlans": [{"servicePlanName": "ADALLOM_S_STANDALONE", "provisioningStatus": "Success"}],
        }
    ]
    finding = defender_reviews.cloud_app_security_review(
        skus, ALERTS, secure_score("mcas_mda_enabled", "CloudApplicationSecurityEnabled")
    )
    assert "App connectors" in finding.reason
    assert "is present in subscribedSkus" in finding.reason
    assert [e.id for e in finding.evidence if e.type == "alert"] == ["al3"]
    assert len([e for e in finding.evidence if e.type == "secureScoreControl"]) == 2
    absent = defender_reviews.cloud_app_security_review([], [], None)
    assert "is not present" in absent.reason


def test_restricted_senders_and_matching_alerts() -> None:
    blocked = [
        {"SenderAddress": "spammer@contoso.com", "CreatedDatetime": "2024-05-03T01:00:00Z", "Reason": "Outbound spam"}
    ]
    finding = mail_reviews.restricted_senders_review(blocked, ALERTS)
    assert "Restricted entities" in finding.reason
    assert names(finding, "restrictedSender") == ["spammer@contoso.com"]
    assert "2024-05-03T01:00:00Z" in (finding.evidence[0].detail or "")
    assert [e.id for e in finding.evidence if e.type == "alert"] == ["al2"]


# ------------------------------------------------------------------------------------------------ 5.10


def test_account_provisioning_splits_people_and_applications() -> None:
    adds = [
        audit("Add user", target="new.hire@contoso.com"),
        audit(
            "Add user",
            user=None,
            app="Microsoft Entra Connect",
            target="synced@contoso.com",
            when="2024-05-01T00:00:00Z",
        ),
    ]
    provisioning = [
        {
            "id": "p1",
            "jobId": "job1",
            "servicePrincipal": {"id": "sp", "displayName": "Workday"},
            "provisioningStatusInfo": {"status": "success"},
            "activityDateTime": "2024-05-02T00:00:00Z",
        },
        {
            "id": "p2",
            "jobId": "job1",
            "servicePrincipal": {"id": "sp", "displayName": "Workday"},
            "provisioningStatusInfo": {"status": "failure"},
            "activityDateTime": "2024-05-02T00:00:00Z",
        },
    ]
    finding = identity_reviews.account_provisioning_review(adds, provisioning, secure_score("NewProvisionedAccounts"))
    assert "Provisioning logs" in finding.reason
    assert (
        "2 accounts created in the last 7 days: 1 by people, 1 by applications or provisioning jobs" in finding.reason
    )
    users = {e.name: e.detail for e in finding.evidence if e.type == "user"}
    assert (users["new.hire@contoso.com"] or "").startswith("created by person admin@contoso.com")
    assert (users["synced@contoso.com"] or "").startswith("created by application app Microsoft Entra Connect")
    jobs = {e.name: e.detail for e in finding.evidence if e.type == "provisioningJob"}
    assert jobs == {"Workday / success": "1 event", "Workday / failure": "1 event"}


def test_provisioning_logs_unread_without_p1() -> None:
    finding = identity_reviews.account_provisioning_review(
        [], None, failures={"provisioning_events": "403 Authentication_RequestFromNonPremiumTenantOrB2CTenant"}
    )
    assert "provisioning logs (need Entra ID P1)" in finding.reason
    assert "NonPremiumTenant" in finding.reason


# ------------------------------------------------------------------------------------------------ 5.12


def test_spoofed_senders_sorted_by_volume() -> None:
    insights: list[dict[str, Any]] = [
        {
            "SpoofedUser": "ceo@contoso.com",
            "SendingInfrastructure": "mail.example.net",
            "MessageCount": 3,
            "SpoofType": "Internal",
            "Action": "Block",
            "LastSeen": "2024-05-02",
        },
        {
            "SpoofedUser": "news@partner.com",
            "SendingInfrastructure": "bulkmailer.com",
            "MessageCount": "250",
            "SpoofType": "External",
            "Action": "Allow",
            "LastSeen": "2024-05-03",
        },
    ]
    finding = mail_reviews.spoofed_domains_review(insights)
    assert "Spoofed senders" in finding.reason
    assert "2 spoofed sender pairs (Block 1, Allow 1)" in finding.reason or "(Allow 1, Block 1)" in finding.reason
    first = finding.evidence[0]
    assert first.name == "news@partner.com via bulkmailer.com"
    assert (first.detail or "").startswith("250 messages, External, action Allow")


# ------------------------------------------------------------------------------------------------ 5.15


def test_guest_users_listed_oldest_first_with_state() -> None:
    users = [
        {"id": USER_1, "userPrincipalName": "adele@contoso.com", "userType": "Member", "accountEnabled": True},
        {
            "id": "g2",
            "userPrincipalName": "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            "mail": "bob@fabrikam.com",
            "userType": "Guest",
            "accountEnabled": True,
            "createdDateTime": "2024-03-01T00:00:00Z",
            "externalUserState": "Accepted",
        },
        {
            "id": "g1",
            "userPrincipalName": "eve_example.com#EXT#@contoso.onmicrosoft.com",
            "mail": "eve@example.com",
            "userType": "Guest",
            "accountEnabled": False,
            "createdDateTime": "2023-01-01T00:00:00Z",
            "externalUserState": "PendingAcceptance",
            "signInActivity": {"lastSignInDateTime": "2023-02-01T00:00:00Z"},
        },
    ]
    finding = identity_reviews.guest_users_review(users)
    assert "user type Guest" in finding.reason
    assert "2 guest users (1 enabled, 1 not yet accepted)" in finding.reason
    guests = [e for e in finding.evidence if e.type == "user"]
    assert [g.id for g in guests] == ["g1", "g2"]
    assert "externalUserState PendingAcceptance" in (guests[0].detail or "")
    assert "last sign-in 2023-02-01T00:00:00Z" in (guests[0].detail or "")
    assert "created 2024-03-01T00:00:00Z" in (guests[1].detail or "")


def test_long_guest_list_is_capped_with_exact_count() -> None:
    users = [
        {
            "id": f"g{i:03d}",
            "userType": "Guest",
            "userPrincipalName": f"g{i}@x.com",
            "accountEnabled": True,
            "createdDateTime": f"2024-01-01T00:00:{i % 60:02d}Z",
        }
        for i in range(120)
    ]
    finding = identity_reviews.guest_users_review(users)
    assert "120 guest users" in finding.reason
    assert len(finding.evidence) == EVIDENCE_CAP + 1
    assert finding.evidence[-1].detail == "70 more guests not listed (120 in all)"
