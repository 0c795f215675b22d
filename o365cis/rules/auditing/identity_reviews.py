"""The manual reviews of Entra ID activity: 5.3 risky sign-ins, 5.4 application usage, 5.5 self-service password
reset, 5.6 role changes, 5.10 account provisioning, 5.11 role assignments, 5.15 guest users.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from o365cis.config import GLOBAL_ADMIN_ROLE_ID
from o365cis.directory_roles import ROLE_NAMES
from o365cis.findings import Evidence, EvidenceType, Finding
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural
from o365cis.rules.auditing._events import counts, filled, newest_first, role_of, rows_of, targets
from o365cis.rules.manual_review import ManualReview
from o365cis.rules.securescore import SecureScore

_TOP = 10


def _initiator(event: Json) -> str:
    initiated = event.get("initiatedBy") or {}
    user = initiated.get("user") if isinstance(initiated, Mapping) else None
    app = initiated.get("app") if isinstance(initiated, Mapping) else None
    if isinstance(user, Mapping) and (user.get("userPrincipalName") or user.get("displayName") or user.get("id")):
        return filled(user.get("userPrincipalName") or user.get("displayName") or user.get("id"))
    if isinstance(app, Mapping) and (app.get("displayName") or app.get("appId") or app.get("servicePrincipalName")):
        return "app " + filled(app.get("displayName") or app.get("servicePrincipalName") or app.get("appId"))
    return "unknown"


def _initiated_by_app(event: Json) -> bool:
    initiated = event.get("initiatedBy") or {}
    user = initiated.get("user") if isinstance(initiated, Mapping) else None
    has_user = isinstance(user, Mapping) and any(user.get(k) for k in ("id", "userPrincipalName", "displayName"))
    return not has_user


def _target_text(event: Json, kind: str | None = None) -> str:
    for target in targets(event):
        if kind is None or str(target.get("type") or "").lower() == kind:
            return filled(target.get("userPrincipalName") or target.get("displayName") or target.get("id"))
    return "?"


def _target_user(event: Json) -> str:
    """The target user of an audit event, else its first target of any type."""
    user = _target_text(event, "user")
    return user if user != "?" else _target_text(event)


def risky_sign_ins_review(
    risk_detections: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.3: the weekly review of risky sign-ins, with the last 7 days' risk detections summarised."""
    review = ManualReview(
        "Review in the Entra admin center > Protection > Identity Protection > Risky sign-ins (and Risk detections): "
        "confirm the report is reviewed at least weekly and each review is recorded (ticket or sign-off)",
        failures,
    )
    if risk_detections is None:
        review.missing("risk_detections", "risk detections of the last 7 days", "IdentityRiskEvent.Read.All")
    else:
        rows = rows_of(risk_detections)
        levels = Counter(filled(r.get("riskLevel"), "unknown") for r in rows)
        types = Counter(filled(r.get("riskEventType"), "unknown") for r in rows)
        users = Counter(
            filled(r.get("userPrincipalName") or r.get("userDisplayName") or r.get("userId"), "unknown") for r in rows
        )
        review.note(f"{plural(len(rows), 'risk detection')} in the last 7 days (by riskLevel: {counts(levels)})")
        review.add(
            [
                Evidence(EvidenceType.RISK_LEVEL, None, level, plural(n, "detection"))
                for level, n in levels.most_common()
            ],
            "levels",
        )
        review.add(
            [
                Evidence(EvidenceType.RISK_EVENT_TYPE, None, kind, plural(n, "detection"))
                for kind, n in types.most_common()
            ],
            "types",
        )
        review.add(
            [
                Evidence(EvidenceType.USER, None, upn, f"{plural(n, 'risk detection')} in 7 days")
                for upn, n in users.most_common(_TOP)
            ],
            "users",
        )
    review.secure_score(secure_score, ["SignIns"])
    return review.finding()


def application_usage_review(
    sign_in_summary: JsonList | Mapping[str, Any] | None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.4: the weekly review of application usage, with the beta 7-day application sign-in summary."""
    review = ManualReview(
        "Review the Microsoft 365 admin center > Reports > Usage and the Entra admin center > Monitoring & health > "
        "Usage & insights: confirm application usage is reviewed at least weekly and each review is recorded",
        failures,
    )
    if sign_in_summary is None:
        review.missing("sign_in_summary", "application sign-in summary (beta, 7 days)", "Reports.Read.All")
        return review.finding()
    rows = rows_of(sign_in_summary)

    def total(row: Json) -> int:
        return sum(v for v in (row.get("successfulSignInCount"), row.get("failedSignInCount")) if isinstance(v, int))

    rows.sort(key=lambda r: (-total(r), filled(r.get("appDisplayName"))))
    sign_ins = sum(total(r) for r in rows)
    review.note(f"{plural(len(rows), 'application')} with sign-ins over 7 days, {plural(sign_ins, 'sign-in')} in all")
    review.add(
        [
            Evidence(
                EvidenceType.APPLICATION,
                filled(r.get("id"), "") or None,
                filled(r.get("appDisplayName")),
                f"{filled(r.get('successfulSignInCount'), '0')} successful, "
                f"{filled(r.get('failedSignInCount'), '0')} failed"
                f" sign-ins, success {filled(r.get('successPercentage'))}%",
            )
            for r in rows
        ],
        "applications",
    )
    return review.finding()


def sspr_activity_review(
    sspr_audits: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.5: the weekly review of self-service password reset activity, with the week's SSPR audit events."""
    review = ManualReview(
        "Review in the Entra admin center > Protection > Password reset > Audit logs: confirm self-service password "
        "reset activity is reviewed at least weekly and each review is recorded",
        failures,
    )
    if sspr_audits is None:
        review.missing("sspr_audits", "self-service password reset audit events", "AuditLog.Read.All")
    else:
        rows = rows_of(sspr_audits)
        groups = Counter(f"{filled(r.get('activityDisplayName'))} / {filled(r.get('result'))}" for r in rows)
        resets = Counter(
            _target_text(r, "user") if _target_text(r, "user") != "?" else _initiator(r)
            for r in rows
            # "Reset password (self-service)" is the reset itself; "...flow activity progress" rows are its steps.
            if str(r.get("activityDisplayName") or "").lower().startswith("reset password")
        )
        repeated = [(user, n) for user, n in resets.most_common() if n > 1]
        review.note(
            f"{plural(len(rows), 'SSPR audit event')} in the last 7 days; "
            f"{plural(len(repeated), 'user')} with repeated resets"
        )
        review.add(
            [
                Evidence(EvidenceType.AUDIT_ACTIVITY, None, group, plural(n, "event"))
                for group, n in groups.most_common()
            ],
            "activities",
        )
        review.add(
            [Evidence(EvidenceType.USER, None, user, f"{n} password reset events in 7 days") for user, n in repeated],
            "users",
        )
    review.secure_score(secure_score, ["AccountChanges"])
    return review.finding()


def _role_change_evidence(rows: list[Json]) -> list[Evidence]:
    return [
        Evidence(
            EvidenceType.AUDIT_EVENT,
            filled(r.get("id"), "") or None,
            filled(r.get("activityDisplayName")),
            f"role {role_of(r)}; target {_target_user(r)}; "
            f"by {_initiator(r)}; {filled(r.get('activityDateTime'))}; result {filled(r.get('result'))}",
        )
        for r in newest_first(rows, "activityDateTime")
    ]


def role_changes_review(
    role_audits: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.6: the weekly review of role group changes, with the week's Entra role management audit events."""
    review = ManualReview(
        "Review in the Microsoft Purview portal > Audit: search role and role group membership activities (Entra and "
        "Exchange) for the past week; confirm the changes are reviewed at least weekly and each review is recorded. "
        "Exchange role group changes are only in the unified audit log, which this scanner does not query",
        failures,
    )
    if role_audits is None:
        review.missing("role_audits", "RoleManagement directory audit events", "AuditLog.Read.All")
    else:
        rows = rows_of(role_audits)
        activities = Counter(filled(r.get("activityDisplayName")) for r in rows)
        review.note(f"{plural(len(rows), 'Entra role change')} in the last 7 days ({counts(activities)})")
        review.add(_role_change_evidence(rows), "role changes")
    review.secure_score(secure_score, ["RGChanges"])
    return review.finding()


def account_provisioning_review(
    add_user_audits: JsonList | None,
    provisioning_events: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.10: the weekly review of account provisioning, with the week's new accounts and provisioning events."""
    review = ManualReview(
        "Review in the Entra admin center > Monitoring & health > Audit logs (activity 'Add user') and Provisioning "
        "logs: confirm account provisioning is reviewed at least weekly and each review is recorded",
        failures,
    )
    if add_user_audits is None:
        review.missing("add_user_audits", "'Add user' audit events", "AuditLog.Read.All")
    else:
        rows = newest_first(rows_of(add_user_audits), "activityDateTime")
        by_apps = [r for r in rows if _initiated_by_app(r)]
        by_people = [r for r in rows if not _initiated_by_app(r)]
        review.note(
            f"{plural(len(rows), 'account')} created in the last 7 days: {len(by_people)} by people, "
            f"{len(by_apps)} by applications or provisioning jobs"
        )
        review.add(
            [
                Evidence(
                    EvidenceType.USER,
                    targets(r)[0].get("id") if targets(r) else None,
                    _target_user(r),
                    f"created by {'application' if _initiated_by_app(r) else 'person'} {_initiator(r)} at "
                    f"{filled(r.get('activityDateTime'))}",
                )
                for r in by_people + by_apps
            ],
            "new accounts",
        )
    if provisioning_events is None:
        review.missing("provisioning_events", "provisioning logs (need Entra ID P1)", "AuditLog.Read.All")
    else:
        rows = rows_of(provisioning_events)

        def job(row: Json) -> str:
            principal = row.get("servicePrincipal")
            name = principal.get("displayName") if isinstance(principal, Mapping) else None
            return filled(name or row.get("jobId"), "unknown job")

        def outcome(row: Json) -> str:
            info = row.get("provisioningStatusInfo")
            return filled(info.get("status") if isinstance(info, Mapping) else row.get("statusInfo"), "unknown")

        groups = Counter(f"{job(r)} / {outcome(r)}" for r in rows)
        review.note(f"{plural(len(rows), 'provisioning event')} in the last 7 days")
        review.add(
            [
                Evidence(EvidenceType.PROVISIONING_JOB, None, group, plural(n, "event"))
                for group, n in groups.most_common()
            ],
            "jobs",
        )
    review.secure_score(secure_score, ["NewProvisionedAccounts"])
    return review.finding()


def _principal_text(assignment: Json) -> tuple[str, str]:
    principal = assignment.get("principal")
    if not isinstance(principal, Mapping):
        return filled(assignment.get("principalId")), "principal"
    kind = str(principal.get("@odata.type") or "").lstrip("#").split(".")[-1] or "principal"
    name = (
        principal.get("userPrincipalName")
        or principal.get("displayName")
        or principal.get("appId")
        or principal.get("id")
    )
    return filled(name or assignment.get("principalId")), kind


def role_assignments_review(
    role_assignments: JsonList | None,
    role_audits: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.11: the weekly review of non-Global-Administrator role assignments, with current ones and recent changes."""
    review = ManualReview(
        "Review in the Entra admin center > Roles & admins: the assignments of every role except Global Administrator; "
        "confirm they are reviewed at least weekly and each review is recorded",
        failures,
    )
    if role_assignments is None:
        review.missing("role_assignments", "directory role assignments", "RoleManagement.Read.Directory")
    else:
        rows = [
            r for r in rows_of(role_assignments) if str(r.get("roleDefinitionId") or "").lower() != GLOBAL_ADMIN_ROLE_ID
        ]
        roles = Counter(
            ROLE_NAMES.get(str(r.get("roleDefinitionId") or "").lower(), filled(r.get("roleDefinitionId")))
            for r in rows
        )
        review.note(f"{plural(len(rows), 'active non-Global-Administrator role assignment')} ({counts(roles)})")
        items = []
        for assignment in sorted(rows, key=lambda r: str(r.get("roleDefinitionId") or "")):
            role_id = str(assignment.get("roleDefinitionId") or "")
            principal, kind = _principal_text(assignment)
            items.append(
                Evidence(
                    EvidenceType.ROLE_ASSIGNMENT,
                    filled(assignment.get("id"), "") or None,
                    principal,
                    f"{ROLE_NAMES.get(role_id.lower(), role_id)} ({kind}, "
                    f"scope {filled(assignment.get('directoryScopeId'), '/')})",
                )
            )
        review.add(items, "role assignments")
    if role_audits is None:
        review.missing("role_audits", "RoleManagement directory audit events", "AuditLog.Read.All")
    else:
        rows = rows_of(role_audits)
        review.note(f"{plural(len(rows), 'role change')} in the last 7 days")
        review.add(_role_change_evidence(rows), "role changes")
    review.secure_score(secure_score, ["DelegatedAdmins"])
    return review.finding()


def guest_users_review(
    users: JsonList | None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.15: the biweekly review of guest users, with every guest from the shared user read."""
    review = ManualReview(
        "Review in the Entra admin center > Identity > Users (filter: user type Guest), or with an access review: "
        "confirm guest users are reviewed at least every two weeks and each review is recorded",
        failures,
    )
    if users is None:
        review.missing("users", "users", "User.Read.All")
        return review.finding()
    guests = [u for u in rows_of(users) if str(u.get("userType") or "").lower() == "guest"]
    guests.sort(key=lambda u: str(u.get("createdDateTime") or ""))
    enabled = sum(1 for u in guests if u.get("accountEnabled") is True)
    pending = sum(1 for u in guests if str(u.get("externalUserState") or "").lower() == "pendingacceptance")
    review.note(f"{plural(len(guests), 'guest user')} ({enabled} enabled, {pending} not yet accepted), oldest first")
    items = []
    for guest in guests:
        activity = guest.get("signInActivity")
        last = activity.get("lastSignInDateTime") if isinstance(activity, Mapping) else None
        items.append(
            Evidence(
                EvidenceType.USER,
                filled(guest.get("id"), "") or None,
                filled(guest.get("userPrincipalName") or guest.get("mail")),
                f"mail {filled(guest.get('mail'), 'none')}, created {filled(guest.get('createdDateTime'))}, "
                f"externalUserState {filled(guest.get('externalUserState'), 'none')}, accountEnabled "
                f"{filled(guest.get('accountEnabled'))}" + (f", last sign-in {last}" if last else ""),
            )
        )
    review.add(items, "guests")
    return review.finding()
