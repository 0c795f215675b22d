"""Golden (fully compliant) Exchange cmdlet outputs and DNS zones, for the fake tenants' `extra` data.

    scenario.extra["exchange"] = golden_exchange_data(["contoso.com"], "contoso.onmicrosoft.com")
    scenario.extra["dns"] = golden_dns_zone(["contoso.com"], "contoso.onmicrosoft.com")

Failing cases are small patches of these (see tests/fake_tenant/patching.py), as STYLE.md point 8 asks; the
helpers at the end build the patches for the revised catalogue's cases (preset security policies, outbound spam
rules, transport rule Mode, mailboxes' role assignment policy, DKIM signing).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from tests.fake_tenant.patching import PatchOp, cmdlet_pointer

DEFAULT_ROLE_ASSIGNMENT_POLICY = "Default Role Assignment Policy"
#: A stand-in 2048-bit RSA public key (base64 of random bytes, the length of a real one: split over two strings).
_KEY_BYTES = 294


def _guid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]))


def _fake_key(seed: str) -> str:
    digest = b"".join(hashlib.sha256(f"{seed}/{i}".encode()).digest() for i in range(10))
    return base64.b64encode(digest[:_KEY_BYTES]).decode()


def _domains(domains: Sequence[str], initial: str | None) -> tuple[list[str], str]:
    custom = [d.lower() for d in domains if not d.lower().endswith(".onmicrosoft.com")]
    fallback = next((d.lower() for d in domains if d.lower().endswith(".onmicrosoft.com")), None)
    tenant_initial = (
        initial or fallback or (custom[0].split(".")[0] + ".onmicrosoft.com" if custom else "contoso.onmicrosoft.com")
    ).lower()
    return custom, tenant_initial


def dkim_cname_target(domain: str, selector: str, initial_domain: str) -> str:
    """Where Microsoft asks a custom domain's selector CNAME to point (selector1-contoso-com._domainkey.<initial>)."""
    return f"{selector}-{domain.replace('.', '-')}._domainkey.{initial_domain}"


def golden_dns_zone(domains: Sequence[str], tenant_initial_domain: str | None = None) -> dict[str, dict[str, Any]]:
    """SPF, DKIM (two CNAMEs to keys in the initial domain, split strings) and DMARC for every custom domain."""
    custom, initial = _domains(domains, tenant_initial_domain)
    zone: dict[str, dict[str, Any]] = {}
    for domain in custom:
        zone[domain] = {
            "TXT": ["v=spf1 include:spf.protection.outlook.com -all", f"MS=ms{int(_guid(domain)[:8], 16) % 10**8:08d}"]
        }
        zone[f"_dmarc.{domain}"] = {"TXT": [f"v=DMARC1; p=reject; pct=100; rua=mailto:dmarc-reports@{domain}"]}
        for selector in ("selector1", "selector2"):
            target = dkim_cname_target(domain, selector, initial)
            zone[f"{selector}._domainkey.{domain}"] = {"CNAME": target}
            key = _fake_key(target)
            # Published keys exceed 255 bytes, so DNS hosts split them into several strings.
            zone[target] = {"TXT": [[f"v=DKIM1; k=rsa; p={key[:200]}", key[200:]]]}
    return zone


def golden_exchange_data(domains: Sequence[str], tenant_initial_domain: str | None = None) -> dict[str, Any]:
    """Cmdlet outputs under which every Exchange-decided recommendation (1.2-6.4) is compliant."""
    custom, initial = _domains(domains, tenant_initial_domain)
    primary = custom[0] if custom else initial
    secops = f"secops@{primary}"
    all_domains = [*custom, initial]
    switched_off = dict.fromkeys(
        (
            "AllowBasicAuthActiveSync",
            "AllowBasicAuthAutodiscover",
            "AllowBasicAuthImap",
            "AllowBasicAuthMapi",
            "AllowBasicAuthOfflineAddressBook",
            "AllowBasicAuthOutlookService",
            "AllowBasicAuthPop",
            "AllowBasicAuthPowershell",
            "AllowBasicAuthReportingWebServices",
            "AllowBasicAuthRpc",
            "AllowBasicAuthSmtp",
            "AllowBasicAuthWebServices",
        ),
        False,
    )
    audit_admin = [
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
    ]
    audit_delegate = [
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
    ]
    audit_owner = [
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
    ]
    cmdlets: dict[str, list[dict[str, Any]]] = {
        "Get-OrganizationConfig": [
            {
                "Name": initial.split(".")[0],
                "Identity": initial,
                "Guid": _guid(initial, "org"),
                "OAuth2ClientProfileEnabled": True,
                "CustomerLockBoxEnabled": True,
                "AuditDisabled": False,
                "DefaultAuthenticationPolicy": "Block Basic Auth",
                "MailTipsAllTipsEnabled": True,
                "MailTipsExternalRecipientsTipsEnabled": True,
                "MailTipsGroupMetricsEnabled": True,
                "MailTipsLargeAudienceThreshold": 25,
            }
        ],
        "Get-SharingPolicy": [
            {
                "Name": "Default Sharing Policy",
                "Identity": "Default Sharing Policy",
                "Default": True,
                "Enabled": False,
                "Domains": ["Anonymous:CalendarSharingFreeBusyReviewer", "*:CalendarSharingFreeBusySimple"],
            }
        ],
        "Get-SafeLinksPolicy": [
            {
                "Name": "Built-In Protection Policy",
                "Identity": "Built-In Protection Policy",
                "IsDefault": False,
                "IsBuiltInProtection": True,
                "EnableSafeLinksForEmail": True,
                "EnableSafeLinksForTeams": True,
                "EnableSafeLinksForOffice": True,
                "ScanUrls": True,
                "EnableForInternalSenders": True,
                "AllowClickThrough": False,
                "TrackClicks": True,
            },
            {
                "Name": "Strict Safe Links",
                "Identity": "Strict Safe Links",
                "IsDefault": False,
                "EnableSafeLinksForEmail": True,
                "EnableSafeLinksForTeams": True,
                "EnableSafeLinksForOffice": True,
                "ScanUrls": True,
                "EnableForInternalSenders": True,
                "AllowClickThrough": False,
                "TrackClicks": True,
            },
        ],
        "Get-SafeLinksRule": [
            {
                "Name": "Strict Safe Links",
                "SafeLinksPolicy": "Strict Safe Links",
                "State": "Enabled",
                "Priority": 0,
                "RecipientDomainIs": all_domains,
            }
        ],
        "Get-AtpPolicyForO365": [
            {
                "Name": "Default",
                "Identity": "Default",
                "EnableATPForSPOTeamsODB": True,
                "EnableSafeDocs": True,
                "AllowSafeDocsOpen": False,
            }
        ],
        "Get-RoleAssignmentPolicy": [
            {
                "Name": DEFAULT_ROLE_ASSIGNMENT_POLICY,
                "Identity": DEFAULT_ROLE_ASSIGNMENT_POLICY,
                "IsDefault": True,
                "AssignedRoles": [
                    "MyBaseOptions",
                    "MyContactInformation",
                    "MyProfileInformation",
                    "MyDistributionGroupMembership",
                    "MyRetentionPolicies",
                    "MyVoiceMail",
                    "MyTextMessaging",
                ],
            }
        ],
        "Get-Label": [
            {"Name": "General", "DisplayName": "General", "Guid": _guid(initial, "label", "general"), "Priority": 0},
            {
                "Name": "Confidential",
                "DisplayName": "Confidential",
                "Guid": _guid(initial, "label", "confidential"),
                "Priority": 1,
            },
        ],
        "Get-LabelPolicy": [
            {
                "Name": "Global sensitivity label policy",
                "Guid": _guid(initial, "labelpolicy"),
                "Enabled": True,
                "Mode": "Enable",
                "Labels": ["General", "Confidential"],
                "ExchangeLocation": ["All"],
                "SharePointLocation": ["All"],
                "OneDriveLocation": ["All"],
                "ModernGroupLocation": ["All"],
            }
        ],
        "Get-DlpCompliancePolicy": [
            {
                "Name": "Financial data (all locations)",
                "Guid": _guid(initial, "dlp"),
                "Mode": "Enable",
                "Enabled": True,
                "Workload": "Exchange, SharePoint, OneDriveForBusiness, Teams",
                "ExchangeLocation": ["All"],
                "SharePointLocation": ["All"],
                "OneDriveLocation": ["All"],
                "TeamsLocation": ["All"],
            }
        ],
        "Get-MalwareFilterPolicy": [
            {
                "Name": "Default",
                "Identity": "Default",
                "IsDefault": True,
                "EnableFileFilter": True,
                "FileTypes": [
                    "ace",
                    "ani",
                    "apk",
                    "app",
                    "cab",
                    "cmd",
                    "com",
                    "deb",
                    "dmg",
                    "exe",
                    "hta",
                    "img",
                    "iso",
                    "jar",
                    "js",
                    "lnk",
                    "msi",
                    "pif",
                    "reg",
                    "scr",
                    "vbe",
                    "vbs",
                    "wsf",
                    "xll",
                ],
                "EnableInternalSenderAdminNotifications": True,
                "InternalSenderAdminAddress": secops,
            }
        ],
        "Get-HostedOutboundSpamFilterPolicy": [
            {
                "Name": "Default",
                "Identity": "Default",
                "IsDefault": True,
                "AutoForwardingMode": "Off",
                "BccSuspiciousOutboundMail": True,
                "BccSuspiciousOutboundAdditionalRecipients": [secops],
                "NotifyOutboundSpam": True,
                "NotifyOutboundSpamRecipients": [secops],
            }
        ],
        "Get-TransportRule": [
            {
                "Name": "Block client forwarding to external recipients",
                "Guid": _guid(initial, "rule", "forwarding"),
                "State": "Enabled",
                "Mode": "Enforce",
                "Priority": 0,
                "FromScope": "InOrganization",
                "SentToScope": "NotInOrganization",
                "MessageTypeMatches": "AutoForward",
                "RejectMessageReasonText": "External forwarding is not allowed.",
                "RejectMessageEnhancedStatusCode": "5.7.1",
                "SenderDomainIs": None,
                "SetSCL": None,
                "RedirectMessageTo": None,
                "BlindCopyTo": None,
                "CopyTo": None,
                "AddToRecipients": None,
            }
        ],
        "Get-AcceptedDomain": [
            {
                "Name": d,
                "DomainName": d,
                "DomainType": "Authoritative",
                "Default": d == primary,
                "MatchSubDomains": False,
            }
            for d in all_domains
        ],
        "Get-RemoteDomain": [
            {"Name": "Default", "Identity": "Default", "DomainName": "*", "AutoForwardEnabled": False}
        ],
        "Get-SafeAttachmentPolicy": [
            {
                "Name": "Built-In Protection Policy",
                "Identity": "Built-In Protection Policy",
                "IsBuiltInProtection": True,
                "Enable": True,
                "Action": "Block",
            },
            {
                "Name": "Strict Safe Attachments",
                "Identity": "Strict Safe Attachments",
                "Enable": True,
                "Action": "Block",
            },
        ],
        "Get-SafeAttachmentRule": [
            {
                "Name": "Strict Safe Attachments",
                "SafeAttachmentPolicy": "Strict Safe Attachments",
                "State": "Enabled",
                "RecipientDomainIs": all_domains,
            }
        ],
        "Get-AuthenticationPolicy": [{"Name": "Block Basic Auth", "Identity": "Block Basic Auth", **switched_off}],
        "Get-TransportConfig": [{"Identity": "Transport Settings", "SmtpClientAuthenticationDisabled": True}],
        "Get-AntiPhishPolicy": [
            {
                "Name": "Office365 AntiPhish Default",
                "Identity": "Office365 AntiPhish Default",
                "IsDefault": True,
                "Enabled": True,
                "PhishThresholdLevel": 2,
                "EnableMailboxIntelligence": True,
                "EnableMailboxIntelligenceProtection": True,
                "EnableSpoofIntelligence": True,
            }
        ],
        "Get-AntiPhishRule": [],
        # The preset security policies were never turned on: Microsoft creates their rules (and policies) the first
        # time an admin turns a preset on (https://learn.microsoft.com/defender-office-365/preset-security-policies).
        # with_preset() turns one on.
        "Get-ATPProtectionPolicyRule": [],
        "Get-EOPProtectionPolicyRule": [],
        # Only the default outbound spam policy: it applies to every sender. outbound_spam_policy() adds a custom one.
        "Get-HostedOutboundSpamFilterRule": [],
        "Get-DkimSigningConfig": [
            {
                "Name": d,
                "Domain": d,
                "Identity": d,
                "Enabled": True,
                "Status": "Valid",
                "Selector1CNAME": dkim_cname_target(d, "selector1", initial),
                "Selector2CNAME": dkim_cname_target(d, "selector2", initial),
            }
            for d in all_domains
        ],
        "Get-AdminAuditLogConfig": [
            {"Name": "Admin Audit Log Settings", "UnifiedAuditLogIngestionEnabled": True, "AdminAuditLogEnabled": True}
        ],
        "Get-MailboxAuditBypassAssociation": [
            {"Name": "svc-backup", "Identity": "svc-backup", "AuditBypassEnabled": False}
        ],
        "Get-Mailbox": [
            {
                "Name": "Adele Vance",
                "UserPrincipalName": f"adele@{primary}",
                "ExchangeGuid": _guid(initial, "mbx", "adele"),
                "AuditEnabled": True,
                "AuditAdmin": audit_admin,
                "AuditDelegate": audit_delegate,
                "AuditOwner": audit_owner,
                "RoleAssignmentPolicy": DEFAULT_ROLE_ASSIGNMENT_POLICY,
            },
            {
                "Name": "Security Operations",
                "UserPrincipalName": secops,
                "ExchangeGuid": _guid(initial, "mbx", "secops"),
                "AuditEnabled": True,
                "AuditAdmin": audit_admin,
                "AuditDelegate": audit_delegate,
                "AuditOwner": audit_owner,
                "RoleAssignmentPolicy": DEFAULT_ROLE_ASSIGNMENT_POLICY,
            },
        ],
        "Get-OwaMailboxPolicy": [
            {
                "Name": "OwaMailboxPolicy-Default",
                "Identity": "OwaMailboxPolicy-Default",
                "IsDefault": True,
                "AdditionalStorageProvidersAvailable": False,
            }
        ],
        # Evidence-only reads of 5.12 and 5.14: nothing to show in a healthy tenant.
        "Get-SpoofIntelligenceInsight": [],
        "Get-BlockedSenderAddress": [],
    }
    return {"cmdlets": cmdlets}


# ------------------------------------------------------------------------------------------------ case builders
#: Preset rule priorities: Strict is evaluated before Standard
#: (Get-EOPProtectionPolicyRule / Get-ATPProtectionPolicyRule).
PRESET_PRIORITY: dict[str, int] = {"Strict": 0, "Standard": 1}
#: Recipient conditions and exceptions of a protection rule; a preset set to "All recipients" has none of them.
RECIPIENT_CONDITIONS = ("SentTo", "SentToMemberOf", "RecipientDomainIs")
RECIPIENT_EXCEPTIONS = ("ExceptIfSentTo", "ExceptIfSentToMemberOf", "ExceptIfRecipientDomainIs")
#: Sender conditions and exceptions of an outbound spam filter rule (Get-HostedOutboundSpamFilterRule).
SENDER_CONDITIONS = ("From", "FromMemberOf", "SenderDomainIs")
SENDER_EXCEPTIONS = ("ExceptIfFrom", "ExceptIfFromMemberOf", "ExceptIfSenderDomainIs")


def preset_policy_name(preset: str) -> str:
    """The name Microsoft gives a preset's policies: "Standard Preset Security Policy" and a creation timestamp."""
    return f"{preset} Preset Security Policy{1622146223434 + PRESET_PRIORITY[preset]}"


def preset_policies(preset: str) -> dict[str, dict[str, Any]]:
    """The policies a preset ("Standard" or "Strict") creates, with Microsoft's preset values, by Get-* cmdlet.

    Its inbound anti-spam policy is left out: the catalogue reads no Get-HostedContentFilterPolicy, so the fake
    serves none (the EOP rule still names it, as Exchange does).

    Values from "Recommended settings for EOP and Microsoft Defender for Office 365 security"
    (https://learn.microsoft.com/defender-office-365/recommended-settings-for-eop-and-office365).
    """
    name = preset_policy_name(preset)
    common = {"Name": name, "Identity": name, "IsDefault": False, "RecommendedPolicyType": preset}
    return {
        "Get-SafeLinksPolicy": {
            **common,
            "EnableSafeLinksForEmail": True,
            "EnableSafeLinksForTeams": True,
            "EnableSafeLinksForOffice": True,
            "ScanUrls": True,
            "EnableForInternalSenders": True,
            "DeliverMessageAfterScan": True,
            "DisableUrlRewrite": False,
            "AllowClickThrough": False,
            "TrackClicks": True,
        },
        "Get-SafeAttachmentPolicy": {**common, "Enable": True, "Action": "Block"},
        "Get-AntiPhishPolicy": {
            **common,
            "Enabled": True,
            "PhishThresholdLevel": 4 if preset == "Strict" else 3,
            "EnableMailboxIntelligence": True,
            "EnableMailboxIntelligenceProtection": True,
            "EnableSpoofIntelligence": True,
        },
        "Get-MalwareFilterPolicy": {**common, "EnableFileFilter": True, "ZapEnabled": True},
    }


def preset_rules(preset: str, *, state: str = "Enabled", **conditions: Any) -> dict[str, dict[str, Any]]:
    """The two rules that scope a preset, by Get-* cmdlet; no conditions = "All recipients".

    `conditions` sets recipient conditions or exceptions (e.g. SentTo=["adele@contoso.com"]).
    """
    unknown = set(conditions) - {*RECIPIENT_CONDITIONS, *RECIPIENT_EXCEPTIONS}
    if unknown:
        raise ValueError(f"not a recipient condition or exception of a preset rule: {sorted(unknown)}")
    name = f"{preset} Preset Security Policy"
    policy = preset_policy_name(preset)
    scope = {key: conditions.get(key) for key in (*RECIPIENT_CONDITIONS, *RECIPIENT_EXCEPTIONS)}
    common = {"Name": name, "Identity": name, "State": state, "Priority": PRESET_PRIORITY[preset], "Comments": None}
    return {
        "Get-ATPProtectionPolicyRule": {**common, "SafeLinksPolicy": policy, "SafeAttachmentPolicy": policy, **scope},
        "Get-EOPProtectionPolicyRule": {
            **common,
            "HostedContentFilterPolicy": policy,
            "AntiPhishPolicy": policy,
            "MalwareFilterPolicy": policy,
            **scope,
        },
    }


def with_preset(
    preset: str,
    *,
    state: str = "Enabled",
    policy_settings: Mapping[str, Mapping[str, Any]] | None = None,
    **conditions: Any,
) -> list[PatchOp]:
    """Patches that turn a preset on: its two rules and the policies of preset_policies().

    `policy_settings` overrides preset values per cmdlet, e.g. {"Get-AntiPhishPolicy": {"PhishThresholdLevel": 1}}
    (an admin cannot change them in the portal, but the rules must not trust the name).
    """
    ops: list[PatchOp] = []
    for cmdlet, rule in preset_rules(preset, state=state, **conditions).items():
        ops.append(("add", cmdlet_pointer(cmdlet, "-"), rule))
    for cmdlet, policy in preset_policies(preset).items():
        ops.append(("add", cmdlet_pointer(cmdlet, "-"), {**policy, **(policy_settings or {}).get(cmdlet, {})}))
    return ops


def preset_rule_setting(cmdlet: str, preset: str, key: str, value: Any) -> PatchOp:
    """Change one field of a preset's rule (State, SentTo, ExceptIfRecipientDomainIs ...) once with_preset added it."""
    return ("replace", cmdlet_pointer(cmdlet, f"Name={preset} Preset Security Policy", key), value)


def outbound_spam_policy(
    name: str, *, priority: int = 0, state: str = "Enabled", auto_forwarding: str = "Off", **conditions: Any
) -> list[PatchOp]:
    """Patches adding a custom outbound spam filter policy and its rule; no sender condition = every sender."""
    unknown = set(conditions) - {*SENDER_CONDITIONS, *SENDER_EXCEPTIONS}
    if unknown:
        raise ValueError(f"not a sender condition or exception of an outbound spam rule: {sorted(unknown)}")
    policy = {
        "Name": name,
        "Identity": name,
        "IsDefault": False,
        "AutoForwardingMode": auto_forwarding,
        "BccSuspiciousOutboundMail": False,
        "NotifyOutboundSpam": False,
    }
    rule = {
        "Name": name,
        "Identity": name,
        "HostedOutboundSpamFilterPolicy": name,
        "State": state,
        "Priority": priority,
        **{key: conditions.get(key) for key in (*SENDER_CONDITIONS, *SENDER_EXCEPTIONS)},
    }
    return [
        ("add", cmdlet_pointer("Get-HostedOutboundSpamFilterPolicy", "-"), policy),
        ("add", cmdlet_pointer("Get-HostedOutboundSpamFilterRule", "-"), rule),
    ]


def transport_rule_mode(rule_name: str, mode: str | None) -> PatchOp:
    """Set a transport rule's Mode: "Enforce", "Audit" or "AuditAndNotify" (None: the property is absent)."""
    if mode is None:
        return ("remove", cmdlet_pointer("Get-TransportRule", f"Name={rule_name}", "Mode"))
    return ("replace", cmdlet_pointer("Get-TransportRule", f"Name={rule_name}", "Mode"), mode)


def role_assignment_policy(name: str, roles: Sequence[str], *, is_default: bool = False) -> PatchOp:
    """A patch adding a role assignment policy (in use only once a mailbox names it, or when it is the default)."""
    return (
        "add",
        cmdlet_pointer("Get-RoleAssignmentPolicy", "-"),
        {"Name": name, "Identity": name, "IsDefault": is_default, "AssignedRoles": list(roles)},
    )


def mailbox_role_assignment_policy(user_principal_name: str, policy: str | None) -> PatchOp:
    """Point a mailbox at a role assignment policy (None: the mailbox has none, as Exchange shows for some types)."""
    return (
        "replace",
        cmdlet_pointer("Get-Mailbox", f"UserPrincipalName={user_principal_name}", "RoleAssignmentPolicy"),
        policy,
    )


def dkim_signing(domain: str, *, enabled: bool, status: str | None = None) -> list[PatchOp]:
    """Switch DKIM signing of a domain on or off in Get-DkimSigningConfig (the DNS CNAMEs stay as they are)."""
    ops: list[PatchOp] = [("replace", cmdlet_pointer("Get-DkimSigningConfig", f"Domain={domain}", "Enabled"), enabled)]
    if status is not None:
        ops.append(("replace", cmdlet_pointer("Get-DkimSigningConfig", f"Domain={domain}", "Status"), status))
    return ops
