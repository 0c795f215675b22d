"""5.1 (unified audit log search) and 5.2 (mailbox auditing on, no bypass), over Exchange cmdlet output."""

from __future__ import annotations

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._exchange import (
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
from o365cis.rules.evidence import capped


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
        return [
            Evidence(
                EvidenceType.NOTE, None, None, "Get-Mailbox was not read: per-mailbox audit settings are not shown"
            )
        ]
    boxes = objects(mailboxes)
    off = [m for m in boxes if prop_bool(m, "AuditEnabled") is False]
    items = [
        Evidence(
            EvidenceType.MAILBOXES,
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
                    EvidenceType.MAILBOX,
                    object_id(box),
                    prop_text(box, "UserPrincipalName") or object_name(box),
                    "; ".join(gaps),
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
        *capped(
            [object_evidence(EvidenceType.AUDIT_BYPASS, b, "AuditBypassEnabled True") for b in bypassing], "accounts"
        ),
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
    unread = [object_name(b) for b in objects(audit_bypass_associations) if prop_bool(b, "AuditBypassEnabled") is None]
    if unread:
        # Missing, null or not a boolean: the account may bypass auditing, so it never passes.
        return no_decision(f"AuditBypassEnabled is missing or unreadable for {', '.join(unread)}", evidence)
    return compliant("Mailbox auditing is on by default for every mailbox and no account bypasses it", evidence)
