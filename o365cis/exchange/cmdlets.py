"""The cmdlets the scan runs through InvokeCommand, and which ones the catalogue says a recommendation reads."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
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
MOBILE_DEVICE_MAILBOX_POLICY = CmdletCall("Get-MobileDeviceMailboxPolicy")
SPOOF_INTELLIGENCE_INSIGHT = CmdletCall("Get-SpoofIntelligenceInsight")
BLOCKED_SENDER_ADDRESS = CmdletCall("Get-BlockedSenderAddress")
# The rules of the Standard and Strict preset security policies (Defender part, EOP part) and the custom outbound
# spam filter rules: the "policies that apply" walk of 2.3, 4.4, 4.6-4.8 and 4.10 (rules.email.precedence).
ATP_PROTECTION_POLICY_RULE = CmdletCall("Get-ATPProtectionPolicyRule")
EOP_PROTECTION_POLICY_RULE = CmdletCall("Get-EOPProtectionPolicyRule")
OUTBOUND_SPAM_RULE = CmdletCall("Get-HostedOutboundSpamFilterRule")


@dataclass(frozen=True)
class CmdletRequest:
    """A catalogue request for a cmdlet: the call, the host it is sent to, and whether it only shows evidence."""

    call: CmdletCall
    host: str
    evidence: bool


# "POST {exchange}/adminapi/beta/{tenant}/InvokeCommand Get-Mailbox -ResultSize Unlimited (evidence)"
_INVOKE_COMMAND = re.compile(
    r"POST \{(?P<host>\w+)\}/adminapi/beta/\{tenant\}/InvokeCommand\s+(?P<command>.+?)(?P<evidence>\s+\(evidence\))?"
)
_CMDLET_NAME = re.compile(r"[A-Z][A-Za-z]*-[A-Za-z0-9]+")


def parse_cmdlet_request(request: str) -> CmdletRequest | None:
    """The cmdlet a catalogue request runs, with its `-Name value` parameters (a bare `-Switch` is True).

    None for a request that is not an InvokeCommand (a Graph GET, a DNS look-up).
    """
    match = _INVOKE_COMMAND.fullmatch(request.strip())
    if match is None:
        return None
    name, *words = shlex.split(match["command"])  # a quoted value may hold spaces
    if not _CMDLET_NAME.fullmatch(name):
        raise ValueError(f"catalogue request {request!r}: {name!r} is not a cmdlet name")
    parameters: dict[str, Any] = {}
    for word in words:
        if word.startswith("-"):
            parameters[word[1:]] = True
        elif parameters and parameters[last := next(reversed(parameters))] is True:
            parameters[last] = word
        else:
            raise ValueError(f"catalogue request {request!r}: {word!r} follows no -Parameter")
    return CmdletRequest(CmdletCall(name, parameters), match["host"], bool(match["evidence"]))


def cmdlets_for_requests(requests: Iterable[str], *, evidence: bool = False) -> list[CmdletCall]:
    """The cmdlets among a recommendation's catalogue requests: the decisive ones, or else the evidence-only ones."""
    parsed = (parse_cmdlet_request(request) for request in requests)
    return list(dict.fromkeys(r.call for r in parsed if r is not None and r.evidence is evidence))
