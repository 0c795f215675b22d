"""The cmdlets the scan runs through InvokeCommand, and which recommendations read which."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Security & Compliance cmdlets: sent to the compliance host first (catalogue `{compliance}` requests).
COMPLIANCE_CMDLETS = frozenset({"Get-Label", "Get-LabelPolicy", "Get-DlpCompliancePolicy"})


@dataclass(frozen=True)
class CmdletCall:
    """One cmdlet with its parameters, as the catalogue spells the request."""

    name: str
    parameters: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def compliance(self) -> bool:
        return self.name in COMPLIANCE_CMDLETS

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted((k, str(v)) for k, v in self.parameters.items()))))


UNLIMITED = {"ResultSize": "Unlimited"}

ORGANIZATION_CONFIG = CmdletCall("Get-OrganizationConfig")
SHARING_POLICY = CmdletCall("Get-SharingPolicy")
SAFE_LINKS_POLICY = CmdletCall("Get-SafeLinksPolicy")
SAFE_LINKS_RULE = CmdletCall("Get-SafeLinksRule")
ATP_POLICY_FOR_O365 = CmdletCall("Get-AtpPolicyForO365")
ROLE_ASSIGNMENT_POLICY = CmdletCall("Get-RoleAssignmentPolicy")
LABEL = CmdletCall("Get-Label")
LABEL_POLICY = CmdletCall("Get-LabelPolicy")
DLP_COMPLIANCE_POLICY = CmdletCall("Get-DlpCompliancePolicy")
MALWARE_FILTER_POLICY = CmdletCall("Get-MalwareFilterPolicy")
OUTBOUND_SPAM_POLICY = CmdletCall("Get-HostedOutboundSpamFilterPolicy")
TRANSPORT_RULE = CmdletCall("Get-TransportRule")
ACCEPTED_DOMAIN = CmdletCall("Get-AcceptedDomain")
REMOTE_DOMAIN = CmdletCall("Get-RemoteDomain")
SAFE_ATTACHMENT_POLICY = CmdletCall("Get-SafeAttachmentPolicy")
SAFE_ATTACHMENT_RULE = CmdletCall("Get-SafeAttachmentRule")
AUTHENTICATION_POLICY = CmdletCall("Get-AuthenticationPolicy")
TRANSPORT_CONFIG = CmdletCall("Get-TransportConfig")
ANTI_PHISH_POLICY = CmdletCall("Get-AntiPhishPolicy")
ANTI_PHISH_RULE = CmdletCall("Get-AntiPhishRule")
DKIM_SIGNING_CONFIG = CmdletCall("Get-DkimSigningConfig")
ADMIN_AUDIT_LOG_CONFIG = CmdletCall("Get-AdminAuditLogConfig")
MAILBOX_AUDIT_BYPASS = CmdletCall("Get-MailboxAuditBypassAssociation", dict(UNLIMITED))
MAILBOX = CmdletCall("Get-Mailbox", dict(UNLIMITED))
OWA_MAILBOX_POLICY = CmdletCall("Get-OwaMailboxPolicy")

#: Decisive cmdlets per recommendation decided over Exchange output (evidence reads separate).
DECISIVE_CMDLETS: dict[str, tuple[CmdletCall, ...]] = {
    "1.2": (ORGANIZATION_CONFIG,),
    "2.2": (SHARING_POLICY,),
    "2.3": (SAFE_LINKS_POLICY, SAFE_LINKS_RULE, ATP_POLICY_FOR_O365),
    "2.4": (ATP_POLICY_FOR_O365,),
    "2.8": (ROLE_ASSIGNMENT_POLICY,),
    "3.1": (ORGANIZATION_CONFIG,),
    "3.2": (LABEL, LABEL_POLICY),
    "3.4": (DLP_COMPLIANCE_POLICY,),
    "3.5": (DLP_COMPLIANCE_POLICY,),
    "4.1": (MALWARE_FILTER_POLICY,),
    "4.2": (OUTBOUND_SPAM_POLICY,),
    "4.3": (TRANSPORT_RULE, ACCEPTED_DOMAIN),
    "4.4": (REMOTE_DOMAIN, OUTBOUND_SPAM_POLICY),
    "4.5": (TRANSPORT_RULE,),
    "4.6": (TRANSPORT_RULE, OUTBOUND_SPAM_POLICY),
    "4.7": (SAFE_LINKS_POLICY, SAFE_LINKS_RULE),
    "4.8": (SAFE_ATTACHMENT_POLICY, SAFE_ATTACHMENT_RULE),
    "4.9": (ORGANIZATION_CONFIG, AUTHENTICATION_POLICY),
    "4.10": (ANTI_PHISH_POLICY, ANTI_PHISH_RULE),
    "4.11": (DKIM_SIGNING_CONFIG,),  # only when some domain's DNS look-ups failed
    "4.14": (MALWARE_FILTER_POLICY,),
    "4.15": (ORGANIZATION_CONFIG,),
    "5.1": (ADMIN_AUDIT_LOG_CONFIG,),
    "5.2": (ORGANIZATION_CONFIG, MAILBOX_AUDIT_BYPASS),
    "6.4": (OWA_MAILBOX_POLICY,),
}

#: Evidence-only cmdlets per recommendation (their failure never makes the result error).
EVIDENCE_CMDLETS: dict[str, tuple[CmdletCall, ...]] = {
    "4.9": (TRANSPORT_CONFIG,),
    "5.2": (MAILBOX,),
}
