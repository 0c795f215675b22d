"""Section 4 (Email Security / Exchange Online): the Defender and Exchange Online Protection threat policies.

Anti-malware (4.1, 4.14), outbound anti-spam notifications (4.2), Safe Links (4.7), Safe Attachments (4.8) and
anti-phishing (4.10), over the policies and rules their Get- cmdlets return. The Defender for Office 365 plan gate
(4.7, 4.8, 4.10) is applied by the wiring, not here.
"""

from __future__ import annotations

from o365cis.findings import Decision, EvidenceType, compliant, manual, no_decision, non_compliant
from o365cis.rules._exchange import (
    Check,
    Unreadable,
    cannot_decide,
    default_object,
    expect,
    merge_checks,
    need_bool,
    object_evidence,
    object_name,
    objects,
    powershell_text,
    prop_bool,
    prop_int,
    prop_text,
    setting_evidence,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules.email.precedence import accepted_domain_names, decide_applying, defender_walk, walk


def common_attachment_filter_enabled(malware_filter_policies: JsonList | None) -> Decision:
    """4.1: the default malware filter policy has the common attachments filter on."""
    policies = objects(malware_filter_policies)
    default = default_object(policies)
    if default is None:
        return no_decision("Get-MalwareFilterPolicy shows no default policy (IsDefault True)")
    evidence = [
        object_evidence(
            EvidenceType.MALWARE_FILTER_POLICY,
            default,
            f"default; EnableFileFilter {powershell_text(default.get('EnableFileFilter'))}; "
            f"{len(text_values(default.get('FileTypes')))} file types",
        )
    ]
    evidence += [
        object_evidence(
            EvidenceType.MALWARE_FILTER_POLICY,
            p,
            "warning: custom policy with the common attachments filter off (its rules are not read)",
        )
        for p in policies
        if p is not default and prop_bool(p, "EnableFileFilter") is False
    ]
    try:
        value = need_bool(default, "EnableFileFilter")
    except Unreadable as error:
        return cannot_decide([error], evidence)
    if value:
        return compliant("The common attachments filter is on in the default malware filter policy", evidence)
    return non_compliant("The common attachments filter is off in the default malware filter policy", evidence)


def outbound_spam_notifications_set(outbound_spam_policies: JsonList | None) -> Decision:
    """4.2: the default outbound spam policy copies suspicious mail to someone.

    It also notifies someone of blocked senders.
    """
    default = default_object(objects(outbound_spam_policies))
    if default is None:
        return no_decision("Get-HostedOutboundSpamFilterPolicy shows no default policy (IsDefault True)")
    props = (
        "BccSuspiciousOutboundMail",
        "BccSuspiciousOutboundAdditionalRecipients",
        "NotifyOutboundSpam",
        "NotifyOutboundSpamRecipients",
    )
    evidence = [
        setting_evidence(f"HostedOutboundSpamFilterPolicy {object_name(default)}", p, default.get(p)) for p in props
    ]
    failing: list[str] = []
    bcc = prop_bool(default, "BccSuspiciousOutboundMail")
    if bcc is False:
        failing.append("suspicious outgoing mail is not copied (BccSuspiciousOutboundMail False)")
    elif bcc and not text_values(default.get("BccSuspiciousOutboundAdditionalRecipients")):
        failing.append("no BccSuspiciousOutboundAdditionalRecipients")
    notify_read = "NotifyOutboundSpam" in default or "NotifyOutboundSpamRecipients" in default
    notify = prop_bool(default, "NotifyOutboundSpam")
    if notify is False:
        failing.append("blocked senders are not notified (NotifyOutboundSpam False)")
    elif notify and not text_values(default.get("NotifyOutboundSpamRecipients")):
        failing.append("no NotifyOutboundSpamRecipients")
    if failing:
        return non_compliant("The default outbound spam policy falls short: " + "; ".join(failing), evidence)
    if not notify_read:
        return manual(
            "The Notify* properties are absent from the default outbound spam policy (the notice may have moved to "
            "alert policies): review who is told when a sender is blocked",
            evidence,
        )
    if bcc is None or notify is None:
        return no_decision("The default outbound spam policy lacks some of the values the rule reads", evidence)
    return compliant("Suspicious outgoing mail is copied and blocked senders are notified", evidence)


def _safe_links_email(policy: Json) -> Check:
    email = (
        "EnableSafeLinksForEmail" if "EnableSafeLinksForEmail" in policy or "IsEnabled" not in policy else "IsEnabled"
    )
    return expect(
        policy,
        {
            email: True,
            "EnableSafeLinksForTeams": True,
            "ScanUrls": True,
            "EnableForInternalSenders": True,
            "AllowClickThrough": False,
        },
    )


def safe_links_policy_enabled(
    safe_links_policies: JsonList | None,
    safe_links_rules: JsonList | None,
    atp_protection_rules: JsonList | None,
    accepted_domains: JsonList | None,
) -> Decision:
    """4.7: every Safe Links policy that applies rewrites URLs in mail and Teams, scans them, covers internal senders.

    Policies that apply: the Strict / Standard preset (Get-ATPProtectionPolicyRule), custom policies by rule priority,
    then the Built-In Protection Policy (see precedence.walk).
    """
    result = defender_walk(
        safe_links_policies, safe_links_rules, "SafeLinksPolicy", atp_protection_rules, accepted_domains
    )
    return decide_applying(
        EvidenceType.SAFE_LINKS_POLICY,
        "Safe Links",
        result,
        _safe_links_email,
        (
            "EnableSafeLinksForEmail",
            "IsEnabled",
            "EnableSafeLinksForTeams",
            "ScanUrls",
            "EnableForInternalSenders",
            "AllowClickThrough",
        ),
    )


def _safe_attachments(policy: Json) -> Check:
    check = expect(policy, {"Enable": True})
    action = prop_text(policy, "Action")
    if not action:
        return merge_checks(check, Check((), ("Action",)))
    if action.lower() != "block":
        return merge_checks(check, Check((f"Action is {action} (Block expected)",), ()))
    return check


def safe_attachments_policy_enabled(
    safe_attachment_policies: JsonList | None,
    safe_attachment_rules: JsonList | None,
    atp_protection_rules: JsonList | None,
    accepted_domains: JsonList | None,
) -> Decision:
    """4.8: every Safe Attachments policy that applies is on with the Block action (presets, custom, built-in)."""
    result = defender_walk(
        safe_attachment_policies, safe_attachment_rules, "SafeAttachmentPolicy", atp_protection_rules, accepted_domains
    )
    return decide_applying(
        EvidenceType.SAFE_ATTACHMENT_POLICY,
        "Safe Attachments with Block",
        result,
        _safe_attachments,
        ("Enable", "Action"),
    )


def _anti_phish(policy: Json) -> Check:
    threshold = prop_int(policy, "PhishThresholdLevel")
    level = (
        Check((), ("PhishThresholdLevel",))
        if threshold is None
        else Check(() if threshold >= 2 else (f"PhishThresholdLevel is {threshold} (2 or more expected)",), ())
    )
    switches = expect(
        policy,
        {
            "Enabled": True,
            "EnableMailboxIntelligence": True,
            "EnableMailboxIntelligenceProtection": True,
            "EnableSpoofIntelligence": True,
        },
    )
    return merge_checks(switches, level)


def anti_phishing_policy_set(
    anti_phish_policies: JsonList | None,
    anti_phish_rules: JsonList | None,
    atp_protection_rules: JsonList | None,
    eop_protection_rules: JsonList | None,
    accepted_domains: JsonList | None,
) -> Decision:
    """4.10: every anti-phishing policy that applies has threshold 2+, mailbox intelligence (and protection) and
    spoof intelligence on.

    A preset's anti-phishing policy is scoped by two rules: the EOP rule for its spoof settings, the ATP rule for
    impersonation and mailbox intelligence ("Policies in preset security policies" on
    https://learn.microsoft.com/defender-office-365/preset-security-policies). The preset applies when either is
    enabled, and shadows the later policies only when both cover everyone; otherwise the next policy applies too.
    """
    result = walk(
        anti_phish_policies,
        anti_phish_rules,
        "AntiPhishPolicy",
        accepted_domain_names(accepted_domains),
        preset_rules=(eop_protection_rules, atp_protection_rules),
        preset_key="AntiPhishPolicy",
    )
    return decide_applying(
        EvidenceType.ANTI_PHISH_POLICY,
        "anti-phishing",
        result,
        _anti_phish,
        (
            "Enabled",
            "PhishThresholdLevel",
            "EnableMailboxIntelligence",
            "EnableMailboxIntelligenceProtection",
            "EnableSpoofIntelligence",
        ),
    )


def internal_malware_notifications_enabled(malware_filter_policies: JsonList | None) -> Decision:
    """4.14: the default malware filter policy notifies an admin about malware sent by internal users."""
    default = default_object(objects(malware_filter_policies))
    if default is None:
        return no_decision("Get-MalwareFilterPolicy shows no default policy (IsDefault True)")
    props = ("EnableInternalSenderAdminNotifications", "InternalSenderAdminAddress")
    evidence = [setting_evidence(f"MalwareFilterPolicy {object_name(default)}", p, default.get(p)) for p in props]
    enabled = prop_bool(default, props[0])
    if enabled is False:
        return non_compliant(
            "Admins are not notified of malware sent by internal users (EnableInternalSenderAdminNotifications False)",
            evidence,
        )
    if enabled is None or props[1] not in default:
        return manual(
            "The internal-sender notification properties are absent from the default malware filter policy: "
            "review them in the Defender portal",
            evidence,
        )
    if not prop_text(default, props[1]):
        return non_compliant("Internal-sender notifications are on but no InternalSenderAdminAddress is set", evidence)
    return compliant(f"Malware sent by internal users is reported to {prop_text(default, props[1])}", evidence)
