"""The manual reviews of mail: 5.7 mail forwarding, 5.8 non-owner mailbox access, 5.12 spoofed senders, 5.14 users
restricted from sending.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from o365cis.findings import Evidence, EvidenceType, Finding
from o365cis.rules._exchange import FORWARDING_ACTIONS
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural
from o365cis.rules.auditing._events import alert_evidence, counts, filled, rows_of
from o365cis.rules.manual_review import ManualReview
from o365cis.rules.securescore import SecureScore

RESTRICTED_SENDER_ALERT = "restricted from sending"


_EXCHANGE_PERMISSION = "Exchange.ManageAsApp and an Entra role such as Global Reader"


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
        rows = rows_of(mailboxes)
        forwarding = [
            r for r in rows if _addresses(r.get("ForwardingSmtpAddress")) or _addresses(r.get("ForwardingAddress"))
        ]
        review.note(f"{plural(len(forwarding), 'mailbox', 'mailboxes')} of {len(rows)} forward mail")
        review.add(
            [
                Evidence(
                    EvidenceType.MAILBOX,
                    filled(r.get("ExternalDirectoryObjectId") or r.get("Guid"), "") or None,
                    filled(r.get("UserPrincipalName") or r.get("PrimarySmtpAddress") or r.get("Identity")),
                    f"ForwardingSmtpAddress {filled(r.get('ForwardingSmtpAddress'), 'none')}, ForwardingAddress "
                    f"{filled(r.get('ForwardingAddress'), 'none')}, DeliverToMailboxAndForward "
                    f"{filled(r.get('DeliverToMailboxAndForward'))}",
                )
                for r in forwarding
            ],
            "forwarding mailboxes",
        )
    if transport_rules is None:
        review.missing("transport_rules", "transport rules (Get-TransportRule)", _EXCHANGE_PERMISSION)
    else:
        rows = rows_of(transport_rules)
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
                    EvidenceType.FORWARDING_TRANSPORT_RULE,
                    filled(rule.get("Guid") or rule.get("Identity"), "") or None,
                    filled(rule.get("Name")),
                    "; ".join(f"{name} {', '.join(values)}" for name, values in actions.items()),
                )
                for rule, actions in redirecting
            ],
            "transport rules",
        )
    review.secure_score(secure_score, ["MailForwardingRules"])
    return review.finding()


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
        rows = rows_of(organization_config)
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
            Evidence(
                EvidenceType.EXCHANGE_SETTING, None, "OrganizationConfig", f"AuditDisabled = {filled(disabled, 'null')}"
            )
        )
    review.secure_score(secure_score, ["NonOwnerAccess"])
    return review.finding()


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
    rows = rows_of(spoof_insights)

    def messages(row: Json) -> int:
        count = row.get("MessageCount")
        if isinstance(count, int):
            return count
        return int(count) if isinstance(count, str) and count.isdigit() else 0

    rows.sort(key=lambda r: -messages(r))
    actions = Counter(filled(r.get("Action"), "unknown") for r in rows)
    review.note(f"{plural(len(rows), 'spoofed sender pair')} ({counts(actions)})")
    review.add(
        [
            Evidence(
                EvidenceType.SPOOFED_SENDER,
                None,
                f"{filled(r.get('SpoofedUser'))} via {filled(r.get('SendingInfrastructure'))}",
                f"{messages(r)} messages, {filled(r.get('SpoofType'), 'type ?')}, action {filled(r.get('Action'))}, "
                f"last seen {filled(r.get('LastSeen'))}",
            )
            for r in rows
        ],
        "spoofed senders",
    )
    return review.finding()


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
        rows = rows_of(blocked_senders)
        review.note(f"{plural(len(rows), 'sender')} currently restricted from sending")
        review.add(
            [
                Evidence(
                    EvidenceType.RESTRICTED_SENDER,
                    None,
                    filled(r.get("SenderAddress")),
                    f"restricted since {filled(r.get('CreatedDatetime') or r.get('CreatedDateTime'))}"
                    + (f"; reason {r.get('Reason')}" if r.get("Reason") else ""),
                )
                for r in rows
            ],
            "restricted senders",
        )
    if alerts is None:
        review.missing("alerts", "security alerts of the last 7 days (alerts_v2)", "SecurityAlert.Read.All")
    else:
        matching = [a for a in rows_of(alerts) if RESTRICTED_SENDER_ALERT in str(a.get("title") or "").lower()]
        review.note(f"{plural(len(matching), 'restricted-sender alert')} in the last 7 days")
        review.add(alert_evidence(matching), "alerts")
    return review.finding()
