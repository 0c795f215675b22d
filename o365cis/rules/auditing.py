"""Section 5 (Auditing): the manual reviews 5.3-5.15, each a `manual` finding saying what to review and where,
with a summary of what could be read as evidence.

No API records that a person reviewed a report, so none of these ever decides. 5.1 (audit log search) and 5.2
(mailbox auditing) are decided over Exchange output.

Every function takes the evidence reads as arguments; the wiring passes None for a read that failed and its
one-line failure text in `failures`, keyed by the argument's name (e.g. {"risk_detections": "403 ..."}). An
unread source never changes the status: the reason names it and the permission it needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from o365cis.config import GLOBAL_ADMIN_ROLE_ID
from o365cis.findings import Decision, Evidence, Finding, compliant, no_decision, non_compliant
from o365cis.rules._exchange import (
    FORWARDING_ACTIONS,
    configuration_switch,
    object_evidence,
    object_id,
    object_name,
    objects,
    prop_bool,
    prop_text,
    setting_evidence,
    singleton,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural
from o365cis.rules.directory_roles import ROLE_NAMES
from o365cis.rules.evidence import capped
from o365cis.rules.manual_review import ManualReview
from o365cis.rules.securescore import SecureScore

_TOP = 10


#: alerts_v2 serviceSource values (https://learn.microsoft.com/graph/api/resources/security-alert).
DEFENDER_FOR_OFFICE = "microsoftDefenderForOffice365"
DEFENDER_FOR_CLOUD_APPS = "microsoftDefenderForCloudApps"
#: Defender for Cloud Apps service plans (unverified names, as the catalogue says).
CLOUD_APP_SECURITY_PLANS: tuple[str, ...] = ("ADALLOM_S_STANDALONE", "ADALLOM_S_O365")
RESTRICTED_SENDER_ALERT = "restricted from sending"

_EXCHANGE_PERMISSION = "Exchange.ManageAsApp and an Entra role such as Global Reader"


def _rows(data: JsonList | Mapping[str, Any] | None) -> list[Json]:
    if isinstance(data, Mapping):
        value = data.get("value")
        return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else [data]
    return [r for r in data or () if isinstance(r, Mapping)]


def _filled(value: Any, default: str = "?") -> str:
    """A value for a review note: `default` when it is null or empty."""
    return default if value is None or value == "" else str(value)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common()) or "none"


def _initiator(event: Json) -> str:
    initiated = event.get("initiatedBy") or {}
    user = initiated.get("user") if isinstance(initiated, Mapping) else None
    app = initiated.get("app") if isinstance(initiated, Mapping) else None
    if isinstance(user, Mapping) and (user.get("userPrincipalName") or user.get("displayName") or user.get("id")):
        return _filled(user.get("userPrincipalName") or user.get("displayName") or user.get("id"))
    if isinstance(app, Mapping) and (app.get("displayName") or app.get("appId") or app.get("servicePrincipalName")):
        return "app " + _filled(app.get("displayName") or app.get("servicePrincipalName") or app.get("appId"))
    return "unknown"


def _initiated_by_app(event: Json) -> bool:
    initiated = event.get("initiatedBy") or {}
    user = initiated.get("user") if isinstance(initiated, Mapping) else None
    has_user = isinstance(user, Mapping) and any(user.get(k) for k in ("id", "userPrincipalName", "displayName"))
    return not has_user


def _targets(event: Json) -> list[Json]:
    return [t for t in event.get("targetResources") or [] if isinstance(t, Mapping)]


def _target_text(event: Json, kind: str | None = None) -> str:
    for target in _targets(event):
        if kind is None or str(target.get("type") or "").lower() == kind:
            return _filled(target.get("userPrincipalName") or target.get("displayName") or target.get("id"))
    return "?"


def _target_user(event: Json) -> str:
    """The target user of an audit event, else its first target of any type."""
    user = _target_text(event, "user")
    return user if user != "?" else _target_text(event)


def _unquote(value: Any) -> str:
    # modifiedProperties values are JSON-encoded strings, e.g. "\"Global Administrator\"".
    return str(value or "").strip().strip('"')


def _role_of(event: Json) -> str:
    for target in _targets(event):
        if str(target.get("type") or "").lower() == "role":
            return _filled(target.get("displayName") or target.get("id"))
        for prop in target.get("modifiedProperties") or []:
            if isinstance(prop, Mapping) and prop.get("displayName") in (
                "Role.DisplayName",
                "RoleDefinition.DisplayName",
            ):
                role = _unquote(prop.get("newValue")) or _unquote(prop.get("oldValue"))
                if role:
                    return role
    return "?"


# ----------------------------------------------------------------------------------------------- 5.3


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
        rows = _rows(risk_detections)
        levels = Counter(_filled(r.get("riskLevel"), "unknown") for r in rows)
        types = Counter(_filled(r.get("riskEventType"), "unknown") for r in rows)
        users = Counter(
            _filled(r.get("userPrincipalName") or r.get("userDisplayName") or r.get("userId"), "unknown") for r in rows
        )
        review.note(f"{plural(len(rows), 'risk detection')} in the last 7 days (by riskLevel: {_counts(levels)})")
        review.add(
            [Evidence("riskLevel", None, level, plural(n, "detection")) for level, n in levels.most_common()], "levels"
        )
        review.add(
            [Evidence("riskEventType", None, kind, plural(n, "detection")) for kind, n in types.most_common()], "types"
        )
        review.add(
            [
                Evidence("user", None, upn, f"{plural(n, 'risk detection')} in 7 days")
                for upn, n in users.most_common(_TOP)
            ],
            "users",
        )
    review.secure_score(secure_score, ["SignIns"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.4


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
    rows = _rows(sign_in_summary)

    def total(row: Json) -> int:
        return sum(v for v in (row.get("successfulSignInCount"), row.get("failedSignInCount")) if isinstance(v, int))

    rows.sort(key=lambda r: (-total(r), _filled(r.get("appDisplayName"))))
    sign_ins = sum(total(r) for r in rows)
    review.note(f"{plural(len(rows), 'application')} with sign-ins over 7 days, {plural(sign_ins, 'sign-in')} in all")
    review.add(
        [
            Evidence(
                "application",
                _filled(r.get("id"), "") or None,
                _filled(r.get("appDisplayName")),
                f"{_filled(r.get('successfulSignInCount'), '0')} successful, "
                f"{_filled(r.get('failedSignInCount'), '0')} failed"
                f" sign-ins, success {_filled(r.get('successPercentage'))}%",
            )
            for r in rows
        ],
        "applications",
    )
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.5


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
        rows = _rows(sspr_audits)
        groups = Counter(f"{_filled(r.get('activityDisplayName'))} / {_filled(r.get('result'))}" for r in rows)
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
            [Evidence("auditActivity", None, group, plural(n, "event")) for group, n in groups.most_common()],
            "activities",
        )
        review.add(
            [Evidence("user", None, user, f"{n} password reset events in 7 days") for user, n in repeated], "users"
        )
    review.secure_score(secure_score, ["AccountChanges"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.6


def _role_change_evidence(rows: list[Json]) -> list[Evidence]:
    return [
        Evidence(
            "auditEvent",
            _filled(r.get("id"), "") or None,
            _filled(r.get("activityDisplayName")),
            f"role {_role_of(r)}; target {_target_user(r)}; "
            f"by {_initiator(r)}; {_filled(r.get('activityDateTime'))}; result {_filled(r.get('result'))}",
        )
        for r in sorted(rows, key=lambda r: str(r.get("activityDateTime") or ""), reverse=True)
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
        rows = _rows(role_audits)
        activities = Counter(_filled(r.get("activityDisplayName")) for r in rows)
        review.note(f"{plural(len(rows), 'Entra role change')} in the last 7 days ({_counts(activities)})")
        review.add(_role_change_evidence(rows), "role changes")
    review.secure_score(secure_score, ["RGChanges"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.7


def _addresses(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def mail_forwarding_review(
    mailboxes: JsonList | None,
    transport_rules: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.7: the weekly review of mail forwarding, with forwarding mailboxes and redirecting transport rules."""
    review = ManualReview(
        "Review the Exchange admin center > Reports > Mail flow > Auto forwarded messages report (and inbox rules with "
        "Get-InboxRule per mailbox): confirm forwarding is reviewed at least weekly and each review is recorded. "
        "Per-mailbox inbox rules are not enumerated here",
        failures,
    )
    if mailboxes is None:
        review.missing("mailboxes", "mailboxes (Get-Mailbox)", _EXCHANGE_PERMISSION)
    else:
        rows = _rows(mailboxes)
        forwarding = [
            r for r in rows if _addresses(r.get("ForwardingSmtpAddress")) or _addresses(r.get("ForwardingAddress"))
        ]
        review.note(f"{plural(len(forwarding), 'mailbox', 'mailboxes')} of {len(rows)} forward mail")
        review.add(
            [
                Evidence(
                    "mailbox",
                    _filled(r.get("ExternalDirectoryObjectId") or r.get("Guid"), "") or None,
                    _filled(r.get("UserPrincipalName") or r.get("PrimarySmtpAddress") or r.get("Identity")),
                    f"ForwardingSmtpAddress {_filled(r.get('ForwardingSmtpAddress'), 'none')}, ForwardingAddress "
                    f"{_filled(r.get('ForwardingAddress'), 'none')}, DeliverToMailboxAndForward "
                    f"{_filled(r.get('DeliverToMailboxAndForward'))}",
                )
                for r in forwarding
            ],
            "forwarding mailboxes",
        )
    if transport_rules is None:
        review.missing("transport_rules", "transport rules (Get-TransportRule)", _EXCHANGE_PERMISSION)
    else:
        rows = _rows(transport_rules)
        redirecting = []
        for rule in rows:
            if str(rule.get("State") or "").lower() != "enabled":
                continue
            actions = {name: _addresses(rule.get(name)) for name in FORWARDING_ACTIONS}
            actions = {name: values for name, values in actions.items() if values}
            if actions:
                redirecting.append((rule, actions))
        review.note(f"{plural(len(redirecting), 'enabled transport rule')} of {len(rows)} redirect or copy mail")
        review.add(
            [
                Evidence(
                    "transportRule",
                    _filled(rule.get("Guid") or rule.get("Identity"), "") or None,
                    _filled(rule.get("Name")),
                    "; ".join(f"{name} {', '.join(values)}" for name, values in actions.items()),
                )
                for rule, actions in redirecting
            ],
            "transport rules",
        )
    review.secure_score(secure_score, ["MailForwardingRules"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.8


def non_owner_access_review(
    organization_config: Json | JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.8: the biweekly review of mailbox access by non-owners, with AuditDisabled (the report needs auditing)."""
    review = ManualReview(
        "Review in the Microsoft Purview portal > Audit: search mailbox activities by non-owners (or "
        "Search-UnifiedAuditLog -RecordType ExchangeItem) for the past two weeks; confirm the review happens at least "
        "every two weeks and each review is recorded",
        failures,
    )
    if organization_config is None:
        review.missing("organization_config", "Get-OrganizationConfig", _EXCHANGE_PERMISSION)
    else:
        rows = _rows(organization_config)
        disabled = rows[0].get("AuditDisabled") if rows else None
        if disabled is True or str(disabled).lower() == "true":
            review.note(
                "AuditDisabled is True: mailbox auditing is off, so the non-owner access report is empty "
                "(5.2 fails too)"
            )
        elif disabled is False or str(disabled).lower() == "false":
            review.note("AuditDisabled is False: mailbox auditing is on by default, so the report has data")
        else:
            review.note("Get-OrganizationConfig returned no AuditDisabled value")
        review.evidence.append(
            Evidence("exchangeSetting", None, "OrganizationConfig", f"AuditDisabled = {_filled(disabled, 'null')}")
        )
    review.secure_score(secure_score, ["NonOwnerAccess"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.9


def _alerts_from(alerts: JsonList, service_source: str) -> list[Json]:
    return [a for a in _rows(alerts) if str(a.get("serviceSource") or "").lower() == service_source.lower()]


def _alert_evidence(rows: list[Json]) -> list[Evidence]:
    return [
        Evidence(
            "alert",
            _filled(a.get("id"), "") or None,
            _filled(a.get("title")),
            f"severity {_filled(a.get('severity'))}, status {_filled(a.get('status'))}, "
            f"created {_filled(a.get('createdDateTime'))}",
        )
        for a in sorted(rows, key=lambda a: str(a.get("createdDateTime") or ""), reverse=True)
    ]


def malware_detections_review(
    alerts: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.9: the weekly review of malware detections, with the week's Defender for Office 365 alerts."""
    review = ManualReview(
        "Review in the Defender portal > Reports > Email & collaboration > Threat protection status (malware view): "
        "confirm malware detections are reviewed at least weekly and each review is recorded",
        failures,
    )
    if alerts is None:
        review.missing("alerts", "security alerts of the last 7 days (alerts_v2)", "SecurityAlert.Read.All")
    else:
        office = _alerts_from(alerts, DEFENDER_FOR_OFFICE)
        titles = Counter(_filled(a.get("title")) for a in office)
        review.note(
            f"{plural(len(office), 'Defender for Office 365 alert')} in the last 7 days ({_counts(titles)}); tenants "
            "without Defender for Office 365 show none"
        )
        review.add(_alert_evidence(office), "alerts")
    review.secure_score(secure_score, ["MalwareDetections"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.10


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
        rows = sorted(_rows(add_user_audits), key=lambda r: str(r.get("activityDateTime") or ""), reverse=True)
        by_apps = [r for r in rows if _initiated_by_app(r)]
        by_people = [r for r in rows if not _initiated_by_app(r)]
        review.note(
            f"{plural(len(rows), 'account')} created in the last 7 days: {len(by_people)} by people, "
            f"{len(by_apps)} by applications or provisioning jobs"
        )
        review.add(
            [
                Evidence(
                    "user",
                    _targets(r)[0].get("id") if _targets(r) else None,
                    _target_user(r),
                    f"created by {'application' if _initiated_by_app(r) else 'person'} {_initiator(r)} at "
                    f"{_filled(r.get('activityDateTime'))}",
                )
                for r in by_people + by_apps
            ],
            "new accounts",
        )
    if provisioning_events is None:
        review.missing("provisioning_events", "provisioning logs (need Entra ID P1)", "AuditLog.Read.All")
    else:
        rows = _rows(provisioning_events)

        def job(row: Json) -> str:
            principal = row.get("servicePrincipal")
            name = principal.get("displayName") if isinstance(principal, Mapping) else None
            return _filled(name or row.get("jobId"), "unknown job")

        def outcome(row: Json) -> str:
            info = row.get("provisioningStatusInfo")
            return _filled(info.get("status") if isinstance(info, Mapping) else row.get("statusInfo"), "unknown")

        groups = Counter(f"{job(r)} / {outcome(r)}" for r in rows)
        review.note(f"{plural(len(rows), 'provisioning event')} in the last 7 days")
        review.add(
            [Evidence("provisioningJob", None, group, plural(n, "event")) for group, n in groups.most_common()], "jobs"
        )
    review.secure_score(secure_score, ["NewProvisionedAccounts"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.11


def _principal_text(assignment: Json) -> tuple[str, str]:
    principal = assignment.get("principal")
    if not isinstance(principal, Mapping):
        return _filled(assignment.get("principalId")), "principal"
    kind = str(principal.get("@odata.type") or "").lstrip("#").split(".")[-1] or "principal"
    name = (
        principal.get("userPrincipalName")
        or principal.get("displayName")
        or principal.get("appId")
        or principal.get("id")
    )
    return _filled(name or assignment.get("principalId")), kind


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
            r for r in _rows(role_assignments) if str(r.get("roleDefinitionId") or "").lower() != GLOBAL_ADMIN_ROLE_ID
        ]
        roles = Counter(
            ROLE_NAMES.get(str(r.get("roleDefinitionId") or "").lower(), _filled(r.get("roleDefinitionId")))
            for r in rows
        )
        review.note(f"{plural(len(rows), 'active non-Global-Administrator role assignment')} ({_counts(roles)})")
        items = []
        for assignment in sorted(rows, key=lambda r: str(r.get("roleDefinitionId") or "")):
            role_id = str(assignment.get("roleDefinitionId") or "")
            principal, kind = _principal_text(assignment)
            items.append(
                Evidence(
                    "roleAssignment",
                    _filled(assignment.get("id"), "") or None,
                    principal,
                    f"{ROLE_NAMES.get(role_id.lower(), role_id)} ({kind}, "
                    f"scope {_filled(assignment.get('directoryScopeId'), '/')})",
                )
            )
        review.add(items, "role assignments")
    if role_audits is None:
        review.missing("role_audits", "RoleManagement directory audit events", "AuditLog.Read.All")
    else:
        rows = _rows(role_audits)
        review.note(f"{plural(len(rows), 'role change')} in the last 7 days")
        review.add(_role_change_evidence(rows), "role changes")
    review.secure_score(secure_score, ["DelegatedAdmins"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.12


def spoofed_domains_review(
    spoof_insights: JsonList | None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.12: the weekly review of spoofed senders, with the spoof intelligence insight (Exchange)."""
    review = ManualReview(
        "Review in the Defender portal > Email & collaboration > Policies & rules > Threat policies > "
        "Tenant Allow/Block Lists > Spoofed senders: confirm spoofed senders are reviewed at least weekly and each "
        "review is recorded",
        failures,
    )
    if spoof_insights is None:
        review.missing(
            "spoof_insights", "spoof intelligence insight (Get-SpoofIntelligenceInsight)", _EXCHANGE_PERMISSION
        )
        return review.finding()
    rows = _rows(spoof_insights)

    def messages(row: Json) -> int:
        count = row.get("MessageCount")
        if isinstance(count, int):
            return count
        return int(count) if isinstance(count, str) and count.isdigit() else 0

    rows.sort(key=lambda r: -messages(r))
    actions = Counter(_filled(r.get("Action"), "unknown") for r in rows)
    review.note(f"{plural(len(rows), 'spoofed sender pair')} ({_counts(actions)})")
    review.add(
        [
            Evidence(
                "spoofedSender",
                None,
                f"{_filled(r.get('SpoofedUser'))} via {_filled(r.get('SendingInfrastructure'))}",
                f"{messages(r)} messages, {_filled(r.get('SpoofType'), 'type ?')}, action {_filled(r.get('Action'))}, "
                f"last seen {_filled(r.get('LastSeen'))}",
            )
            for r in rows
        ],
        "spoofed senders",
    )
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.13


def cloud_app_security_review(
    subscribed_skus: JsonList | None,
    alerts: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.13: whether Defender for Cloud Apps is set up, with its plans, the week's alerts and Secure Score controls."""
    review = ManualReview(
        "Review in the Defender portal > Settings > Cloud apps > App connectors: Microsoft 365 must be connected, and "
        "alerting policies must be in use (the connector and policies have no read API among this scanner's sources)",
        failures,
    )
    if subscribed_skus is None:
        review.missing("subscribed_skus", "subscribedSkus", "Directory.Read.All")
    else:
        from o365cis.rules import licensing  # the one "plan present" implementation

        skus = _rows(subscribed_skus)
        present = licensing.plan_present(skus, CLOUD_APP_SECURITY_PLANS)
        review.note(
            f"a Cloud App Security plan ({' or '.join(CLOUD_APP_SECURITY_PLANS)}) is "
            f"{'present' if present else 'not present'} in subscribedSkus"
        )
        review.add(licensing.plan_evidence(skus, CLOUD_APP_SECURITY_PLANS), "plans")
    if alerts is None:
        review.missing("alerts", "security alerts of the last 7 days (alerts_v2)", "SecurityAlert.Read.All")
    else:
        cloud_apps = _alerts_from(alerts, DEFENDER_FOR_CLOUD_APPS)
        review.note(f"{plural(len(cloud_apps), 'Defender for Cloud Apps alert')} in the last 7 days")
        review.add(_alert_evidence(cloud_apps), "alerts")
    review.secure_score(secure_score, ["mcas_mda_enabled", "CloudApplicationSecurityEnabled"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.14


def restricted_senders_review(
    blocked_senders: JsonList | None,
    alerts: JsonList | None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.14: the review of users restricted from sending for spam, with the restricted senders and the week's alerts."""
    review = ManualReview(
        "Review in the Defender portal > Email & collaboration > Review > Restricted entities: confirm users "
        "restricted from sending email are reviewed regularly and each review is recorded",
        failures,
    )
    if blocked_senders is None:
        review.missing("blocked_senders", "restricted senders (Get-BlockedSenderAddress)", _EXCHANGE_PERMISSION)
    else:
        rows = _rows(blocked_senders)
        review.note(f"{plural(len(rows), 'sender')} currently restricted from sending")
        review.add(
            [
                Evidence(
                    "restrictedSender",
                    None,
                    _filled(r.get("SenderAddress")),
                    f"restricted since {_filled(r.get('CreatedDatetime') or r.get('CreatedDateTime'))}"
                    + (f"; reason {r.get('Reason')}" if r.get("Reason") else ""),
                )
                for r in rows
            ],
            "restricted senders",
        )
    if alerts is None:
        review.missing("alerts", "security alerts of the last 7 days (alerts_v2)", "SecurityAlert.Read.All")
    else:
        matching = [a for a in _rows(alerts) if RESTRICTED_SENDER_ALERT in str(a.get("title") or "").lower()]
        review.note(f"{plural(len(matching), 'restricted-sender alert')} in the last 7 days")
        review.add(_alert_evidence(matching), "alerts")
    return review.finding()


# ----------------------------------------------------------------------------------------------- 5.15


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
    guests = [u for u in _rows(users) if str(u.get("userType") or "").lower() == "guest"]
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
                "user",
                _filled(guest.get("id"), "") or None,
                _filled(guest.get("userPrincipalName") or guest.get("mail")),
                f"mail {_filled(guest.get('mail'), 'none')}, created {_filled(guest.get('createdDateTime'))}, "
                f"externalUserState {_filled(guest.get('externalUserState'), 'none')}, accountEnabled "
                f"{_filled(guest.get('accountEnabled'))}" + (f", last sign-in {last}" if last else ""),
            )
        )
    review.add(items, "guests")
    return review.finding()


def audit_log_search_enabled(admin_audit_log_config: JsonList | Json | None) -> Decision:
    """5.1: unified audit log ingestion is on (read through the Exchange host)."""
    return configuration_switch(
        admin_audit_log_config,
        "AdminAuditLogConfig",
        "UnifiedAuditLogIngestionEnabled",
        wanted=True,
        on="Audit log search is enabled",
        off="Audit log search is disabled",
    )


# The action lists of the benchmark's remediation (evidence only: the catalogue does not decide on them).
AUDIT_ADMIN_ACTIONS = frozenset(
    {
        "Copy",
        "Create",
        "FolderBind",
        "HardDelete",
        "MessageBind",
        "Move",
        "MoveToDeletedItems",
        "SendAs",
        "SendOnBehalf",
        "SoftDelete",
        "Update",
        "UpdateCalendarDelegation",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    }
)


AUDIT_DELEGATE_ACTIONS = frozenset(
    {
        "Create",
        "FolderBind",
        "HardDelete",
        "Move",
        "MoveToDeletedItems",
        "SendAs",
        "SendOnBehalf",
        "SoftDelete",
        "Update",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    }
)


AUDIT_OWNER_ACTIONS = frozenset(
    {
        "Create",
        "HardDelete",
        "MailboxLogin",
        "Move",
        "MoveToDeletedItems",
        "SoftDelete",
        "Update",
        "UpdateCalendarDelegation",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    }
)


_AUDIT_LISTS = (
    ("AuditAdmin", AUDIT_ADMIN_ACTIONS),
    ("AuditDelegate", AUDIT_DELEGATE_ACTIONS),
    ("AuditOwner", AUDIT_OWNER_ACTIONS),
)


def _mailbox_evidence(mailboxes: JsonList | None) -> list[Evidence]:
    if mailboxes is None:
        return [Evidence("note", None, None, "Get-Mailbox was not read: per-mailbox audit settings are not shown")]
    boxes = objects(mailboxes)
    off = [m for m in boxes if prop_bool(m, "AuditEnabled") is False]
    items = [
        Evidence(
            "mailboxes",
            None,
            "AuditEnabled False",
            f"{len(off)} of {len(boxes)} mailboxes (evidence only: org-wide default auditing applies regardless)",
        )
    ]
    short: list[Evidence] = []
    for box in boxes:
        gaps = []
        for prop, expected in _AUDIT_LISTS:
            if box.get(prop) is None:
                continue
            missing = sorted(expected - set(text_values(box.get(prop))))
            if missing:
                gaps.append(f"{prop} lacks {', '.join(missing)}")
        if gaps:
            short.append(
                Evidence(
                    "mailbox", object_id(box), prop_text(box, "UserPrincipalName") or object_name(box), "; ".join(gaps)
                )
            )
    return items + capped(short, "mailboxes with short action lists", limit=20)


def mailbox_auditing_enabled(
    organization_config: JsonList | Json | None,
    audit_bypass_associations: JsonList | None,
    mailboxes: JsonList | None = None,
) -> Decision:
    """5.2: mailbox auditing is on by default (AuditDisabled False) and no account bypasses it."""
    org = singleton(organization_config)
    if org is None:
        return no_decision("Get-OrganizationConfig returned no object")
    disabled = prop_bool(org, "AuditDisabled")
    bypassing = [b for b in objects(audit_bypass_associations) if prop_bool(b, "AuditBypassEnabled") is True]
    evidence = [
        setting_evidence("OrganizationConfig", "AuditDisabled", org.get("AuditDisabled")),
        *capped([object_evidence("audit_bypass", b, "AuditBypassEnabled True") for b in bypassing], "accounts"),
        *_mailbox_evidence(mailboxes),
    ]
    failing = []
    if disabled is True:
        failing.append("mailbox auditing is off for the organisation (AuditDisabled True)")
    if bypassing:
        failing.append(f"{plural(len(bypassing), 'account')} bypass mailbox auditing")
    if failing:
        return non_compliant("; ".join(failing).capitalize(), evidence)
    if disabled is None:
        return no_decision("OrganizationConfig carries no AuditDisabled value", evidence)
    return compliant("Mailbox auditing is on by default for every mailbox and no account bypasses it", evidence)
