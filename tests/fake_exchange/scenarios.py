"""Golden (fully compliant) Exchange cmdlet outputs and DNS zones, for the fake tenants' `extra` data.

    scenario.extra["exchange"] = golden_exchange_data(["contoso.com"], "contoso.onmicrosoft.com")
    scenario.extra["dns"] = golden_dns_zone(["contoso.com"], "contoso.onmicrosoft.com")

Failing cases are small patches of these (see tests/fake_tenant/patching.py), as STYLE.md point 8 asks.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

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
    tenant_initial = (initial or fallback or (custom[0].split(".")[0] + ".onmicrosoft.com" if custom else "contoso.onmicrosoft.com")).lower()
    return custom, tenant_initial


def dkim_cname_target(domain: str, selector: str, initial_domain: str) -> str:
    """Where Microsoft asks a custom domain's selector CNAME to point (selector1-contoso-com._domainkey.<initial>)."""
    return f"{selector}-{domain.replace('.', '-')}._domainkey.{initial_domain}"


def golden_dns_zone(domains: Sequence[str], tenant_initial_domain: str | None = None) -> dict[str, dict[str, Any]]:
    """SPF, DKIM (two CNAMEs to keys in the initial domain, split strings) and DMARC for every custom domain."""
    custom, initial = _domains(domains, tenant_initial_domain)
    zone: dict[str, dict[str, Any]] = {}
    for domain in custom:
        zone[domain] = {"TXT": ["v=spf1 include:spf.protection.outlook.com -all", f"MS=ms{int(_guid(domain)[:8], 16) % 10**8:08d}"]}
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
            "AllowBasicAuthActiveSync", "AllowBasicAuthAutodiscover", "AllowBasicAuthImap", "AllowBasicAuthMapi",
            "AllowBasicAuthOfflineAddressBook", "AllowBasicAuthOutlookService", "AllowBasicAuthPop",
            "AllowBasicAuthPowershell", "AllowBasicAuthReportingWebServices", "AllowBasicAuthRpc", "AllowBasicAuthSmtp",
            "AllowBasicAuthWebServices",
        ),
        False,
    )
    audit_admin = ["Copy", "Create", "FolderBind", "HardDelete", "MessageBind", "Move", "MoveToDeletedItems", "SendAs",
                   "SendOnBehalf", "SoftDelete", "Update", "UpdateCalendarDelegation", "UpdateFolderPermissions", "UpdateInboxRules"]
    audit_delegate = ["Create", "FolderBind", "HardDelete", "Move", "MoveToDeletedItems", "SendAs", "SendOnBehalf",
                      "SoftDelete", "Update", "UpdateFolderPermissions", "UpdateInboxRules"]
    audit_owner = ["Create", "HardDelete", "MailboxLogin", "Move", "MoveToDeletedItems", "SoftDelete", "Update",
                   "UpdateCalendarDelegation", "UpdateFolderPermissions", "UpdateInboxRules"]
    cmdlets: dict[str, list[dict[str, Any]]] = {
        "Get-OrganizationConfig": [{
            "Name": initial.split(".")[0], "Identity": initial, "Guid": _guid(initial, "org"),
            "OAuth2ClientProfileEnabled": True, "CustomerLockBoxEnabled": True, "AuditDisabled": False,
            "DefaultAuthenticationPolicy": "Block Basic Auth",
            "MailTipsAllTipsEnabled": True, "MailTipsExternalRecipientsTipsEnabled": True,
            "MailTipsGroupMetricsEnabled": True, "MailTipsLargeAudienceThreshold": 25,
        }],
        "Get-SharingPolicy": [{
            "Name": "Default Sharing Policy", "Identity": "Default Sharing Policy", "Default": True, "Enabled": False,
            "Domains": ["Anonymous:CalendarSharingFreeBusyReviewer", "*:CalendarSharingFreeBusySimple"],
        }],
        "Get-SafeLinksPolicy": [
            {
                "Name": "Built-In Protection Policy", "Identity": "Built-In Protection Policy", "IsDefault": False,
                "IsBuiltInProtection": True, "EnableSafeLinksForEmail": True, "EnableSafeLinksForTeams": True,
                "EnableSafeLinksForOffice": True, "ScanUrls": True, "EnableForInternalSenders": True,
                "AllowClickThrough": False, "TrackClicks": True,
            },
            {
                "Name": "Strict Safe Links", "Identity": "Strict Safe Links", "IsDefault": False,
                "EnableSafeLinksForEmail": True, "EnableSafeLinksForTeams": True, "EnableSafeLinksForOffice": True,
                "ScanUrls": True, "EnableForInternalSenders": True, "AllowClickThrough": False, "TrackClicks": True,
            },
        ],
        "Get-SafeLinksRule": [{"Name": "Strict Safe Links", "SafeLinksPolicy": "Strict Safe Links", "State": "Enabled", "Priority": 0, "RecipientDomainIs": all_domains}],
        "Get-AtpPolicyForO365": [{"Name": "Default", "Identity": "Default", "EnableATPForSPOTeamsODB": True, "EnableSafeDocs": True, "AllowSafeDocsOpen": False}],
        "Get-RoleAssignmentPolicy": [{
            "Name": "Default Role Assignment Policy", "Identity": "Default Role Assignment Policy", "IsDefault": True,
            "AssignedRoles": ["MyBaseOptions", "MyContactInformation", "MyProfileInformation", "MyDistributionGroupMembership",
                              "MyRetentionPolicies", "MyVoiceMail", "MyTextMessaging"],
        }],
        "Get-Label": [
            {"Name": "General", "DisplayName": "General", "Guid": _guid(initial, "label", "general"), "Priority": 0},
            {"Name": "Confidential", "DisplayName": "Confidential", "Guid": _guid(initial, "label", "confidential"), "Priority": 1},
        ],
        "Get-LabelPolicy": [{
            "Name": "Global sensitivity label policy", "Guid": _guid(initial, "labelpolicy"), "Enabled": True, "Mode": "Enable",
            "Labels": ["General", "Confidential"], "ExchangeLocation": ["All"], "SharePointLocation": ["All"],
            "OneDriveLocation": ["All"], "ModernGroupLocation": ["All"],
        }],
        "Get-DlpCompliancePolicy": [{
            "Name": "Financial data (all locations)", "Guid": _guid(initial, "dlp"), "Mode": "Enable", "Enabled": True,
            "Workload": "Exchange, SharePoint, OneDriveForBusiness, Teams", "ExchangeLocation": ["All"],
            "SharePointLocation": ["All"], "OneDriveLocation": ["All"], "TeamsLocation": ["All"],
        }],
        "Get-MalwareFilterPolicy": [{
            "Name": "Default", "Identity": "Default", "IsDefault": True, "EnableFileFilter": True,
            "FileTypes": ["ace", "ani", "apk", "app", "cab", "cmd", "com", "deb", "dmg", "exe", "hta", "img", "iso", "jar", "js",
                          "lnk", "msi", "pif", "reg", "scr", "vbe", "vbs", "wsf", "xll"],
            "EnableInternalSenderAdminNotifications": True, "InternalSenderAdminAddress": secops,
        }],
        "Get-HostedOutboundSpamFilterPolicy": [{
            "Name": "Default", "Identity": "Default", "IsDefault": True, "AutoForwardingMode": "Off",
            "BccSuspiciousOutboundMail": True, "BccSuspiciousOutboundAdditionalRecipients": [secops],
            "NotifyOutboundSpam": True, "NotifyOutboundSpamRecipients": [secops],
        }],
        "Get-TransportRule": [{
            "Name": "Block client forwarding to external recipients", "Guid": _guid(initial, "rule", "forwarding"),
            "State": "Enabled", "Mode": "Enforce", "Priority": 0, "FromScope": "InOrganization",
            "SentToScope": "NotInOrganization", "MessageTypeMatches": "AutoForward",
            "RejectMessageReasonText": "External forwarding is not allowed.", "RejectMessageEnhancedStatusCode": "5.7.1",
            "SenderDomainIs": None, "SetSCL": None, "RedirectMessageTo": None, "BlindCopyTo": None, "CopyTo": None,
            "AddToRecipients": None,
        }],
        "Get-AcceptedDomain": [
            {"Name": d, "DomainName": d, "DomainType": "Authoritative", "Default": d == primary, "MatchSubDomains": False}
            for d in all_domains
        ],
        "Get-RemoteDomain": [{"Name": "Default", "Identity": "Default", "DomainName": "*", "AutoForwardEnabled": False}],
        "Get-SafeAttachmentPolicy": [
            {"Name": "Built-In Protection Policy", "Identity": "Built-In Protection Policy", "IsBuiltInProtection": True, "Enable": True, "Action": "Block"},
            {"Name": "Strict Safe Attachments", "Identity": "Strict Safe Attachments", "Enable": True, "Action": "Block"},
        ],
        "Get-SafeAttachmentRule": [{"Name": "Strict Safe Attachments", "SafeAttachmentPolicy": "Strict Safe Attachments", "State": "Enabled", "RecipientDomainIs": all_domains}],
        "Get-AuthenticationPolicy": [{"Name": "Block Basic Auth", "Identity": "Block Basic Auth", **switched_off}],
        "Get-TransportConfig": [{"Identity": "Transport Settings", "SmtpClientAuthenticationDisabled": True}],
        "Get-AntiPhishPolicy": [{
            "Name": "Office365 AntiPhish Default", "Identity": "Office365 AntiPhish Default", "IsDefault": True, "Enabled": True,
            "PhishThresholdLevel": 2, "EnableMailboxIntelligence": True, "EnableMailboxIntelligenceProtection": True,
            "EnableSpoofIntelligence": True,
        }],
        "Get-AntiPhishRule": [],
        "Get-DkimSigningConfig": [
            {"Name": d, "Domain": d, "Identity": d, "Enabled": True, "Status": "Valid",
             "Selector1CNAME": dkim_cname_target(d, "selector1", initial), "Selector2CNAME": dkim_cname_target(d, "selector2", initial)}
            for d in all_domains
        ],
        "Get-AdminAuditLogConfig": [{"Name": "Admin Audit Log Settings", "UnifiedAuditLogIngestionEnabled": True, "AdminAuditLogEnabled": True}],
        "Get-MailboxAuditBypassAssociation": [{"Name": "svc-backup", "Identity": "svc-backup", "AuditBypassEnabled": False}],
        "Get-Mailbox": [
            {"Name": "Adele Vance", "UserPrincipalName": f"adele@{primary}", "ExchangeGuid": _guid(initial, "mbx", "adele"),
             "AuditEnabled": True, "AuditAdmin": audit_admin, "AuditDelegate": audit_delegate, "AuditOwner": audit_owner},
            {"Name": "Security Operations", "UserPrincipalName": secops, "ExchangeGuid": _guid(initial, "mbx", "secops"),
             "AuditEnabled": True, "AuditAdmin": audit_admin, "AuditDelegate": audit_delegate, "AuditOwner": audit_owner},
        ],
        "Get-OwaMailboxPolicy": [{"Name": "OwaMailboxPolicy-Default", "Identity": "OwaMailboxPolicy-Default", "IsDefault": True, "AdditionalStorageProvidersAvailable": False}],
        # Evidence-only reads of 5.12 and 5.14: nothing to show in a healthy tenant.
        "Get-SpoofIntelligenceInsight": [],
        "Get-BlockedSenderAddress": [],
    }
    return {"cmdlets": cmdlets}
