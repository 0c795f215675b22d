"""The manual reviews of Entra ID activity (5.3-5.6, 5.10, 5.11, 5.15)."""

from __future__ import annotations

from o365cis.findings import Status
from o365cis.rules.auditing import identity_reviews
from o365cis.rules.evidence import EVIDENCE_CAP
from tests.unit.rules.auditing_cases import (
    RISK_DETECTIONS,
    ROLE_ASSIGNMENTS,
    ROLE_AUDITS,
    SIGN_IN_SUMMARY,
    SSPR_AUDITS,
    USER_1,
    audit,
    names,
    secure_score,
)


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


def test_sspr_activity_groups_and_repeated_resets() -> None:
    finding = identity_reviews.sspr_activity_review(SSPR_AUDITS, secure_score("AccountChanges"))
    assert "Password reset > Audit logs" in finding.reason
    groups = {e.name: e.detail for e in finding.evidence if e.type == "auditActivity"}
    assert groups["Reset password (self-service) / success"] == "2 events"
    assert groups["Reset password (self-service) / failure"] == "1 event"
    repeated = {e.name: e.detail for e in finding.evidence if e.type == "user"}
    assert repeated == {"adele@contoso.com": "2 password reset events in 7 days"}
    assert "1 user with repeated resets" in finding.reason


def test_role_changes_name_role_target_and_initiator() -> None:
    finding = identity_reviews.role_changes_review(ROLE_AUDITS, secure_score("RGChanges"))
    assert "Purview portal > Audit" in finding.reason
    assert "unified audit log" in finding.reason  # Exchange role groups are not covered
    events = [e for e in finding.evidence if e.type == "auditEvent"]
    assert events[0].name == "Remove member from role"  # newest first
    assert "role Global Administrator" in (events[0].detail or "")
    assert "target megan@contoso.com" in (events[0].detail or "")
    assert "by admin@contoso.com" in (events[1].detail or "")


def test_role_assignments_leave_out_global_administrator() -> None:
    finding = identity_reviews.role_assignments_review(ROLE_ASSIGNMENTS, ROLE_AUDITS, secure_score("DelegatedAdmins"))
    assert "Roles & admins" in finding.reason
    assignments = {e.name: e.detail for e in finding.evidence if e.type == "roleAssignment"}
    assert set(assignments) == {"megan@contoso.com", "Backup app"}
    assert assignments["megan@contoso.com"] == "Exchange Administrator (user, scope /)"
    assert "servicePrincipal" in (assignments["Backup app"] or "")
    assert "2 active non-Global-Administrator role assignments" in finding.reason
    assert len([e for e in finding.evidence if e.type == "auditEvent"]) == 2


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
