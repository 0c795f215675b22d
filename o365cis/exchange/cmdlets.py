"""The cmdlets the scan runs through InvokeCommand, and which ones the catalogue says a recommendation reads."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Security & Compliance cmdlets: sent to the compliance host first (catalogue `{compliance}` requests).
COMPLIANCE_CMDLETS = frozenset({"Get-Label", "Get-LabelPolicy", "Get-DlpCompliancePolicy"})


@dataclass(frozen=True)
class CmdletCall:
    """One cmdlet with its parameters, as the catalogue spells the request."""

    name: str
    parameters: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    #: The properties the rules read, kept from each page as it arrives (o365cis.projection); None keeps all.
    #: Not part of the call's identity: a call parsed from the catalogue is the same call (see declared_keep).
    keep: tuple[str, ...] | None = field(default=None, compare=False)

    @property
    def compliance(self) -> bool:
        return self.name in COMPLIANCE_CMDLETS

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted((k, str(v)) for k, v in self.parameters.items()))))


UNLIMITED = {"ResultSize": "Unlimited"}

#: How rules and evidence name and identify a cmdlet object (rules/_exchange.py object_name and object_id
#: with their fall-backs; the mailbox evidence of 5.2 and 5.7).
IDENTITY_FIELDS = (
    "Name",
    "DisplayName",
    "Identity",
    "Id",
    "Guid",
    "ExchangeObjectId",
    "ImmutableId",
    "ExternalDirectoryObjectId",
    "UserPrincipalName",
    "PrimarySmtpAddress",
)
#: What the rules read of a mailbox (of about two hundred properties): 5.2 audit settings, 5.7 forwarding,
#: 2.8 the role assignment policy in use, and the kind of mailbox.
MAILBOX_FIELDS = (
    *IDENTITY_FIELDS,
    "RecipientTypeDetails",
    "AuditEnabled",
    "AuditAdmin",
    "AuditDelegate",
    "AuditOwner",
    "AuditBypassEnabled",
    "ForwardingSmtpAddress",
    "ForwardingAddress",
    "DeliverToMailboxAndForward",
    "RoleAssignmentPolicy",
)
#: 5.2 reads which accounts bypass mailbox auditing; the cmdlet answers one object per account. Rules match
#: policies and rules by name with object_names, which also reads DistinguishedName (kept here for that use).
AUDIT_BYPASS_FIELDS = (*IDENTITY_FIELDS, "DistinguishedName", "AuditBypassEnabled")

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
MAILBOX_AUDIT_BYPASS = CmdletCall("Get-MailboxAuditBypassAssociation", dict(UNLIMITED), keep=AUDIT_BYPASS_FIELDS)
MAILBOX = CmdletCall("Get-Mailbox", dict(UNLIMITED), keep=MAILBOX_FIELDS)
OWA_MAILBOX_POLICY = CmdletCall("Get-OwaMailboxPolicy")
MOBILE_DEVICE_MAILBOX_POLICY = CmdletCall("Get-MobileDeviceMailboxPolicy")
SPOOF_INTELLIGENCE_INSIGHT = CmdletCall("Get-SpoofIntelligenceInsight")
BLOCKED_SENDER_ADDRESS = CmdletCall("Get-BlockedSenderAddress")
# The rules of the Standard and Strict preset security policies (Defender part, EOP part) and the custom outbound
# spam filter rules: the "policies that apply" walk of 2.3, 4.4, 4.6-4.8 and 4.10 (rules.email.precedence).
ATP_PROTECTION_POLICY_RULE = CmdletCall("Get-ATPProtectionPolicyRule")
EOP_PROTECTION_POLICY_RULE = CmdletCall("Get-EOPProtectionPolicyRule")
OUTBOUND_SPAM_RULE = CmdletCall("Get-HostedOutboundSpamFilterRule")


def declared_keep(name: str, parameters: Mapping[str, Any] | None = None) -> tuple[str, ...] | None:
    """The `keep` of the declared call with this name and these parameters (None: keep objects whole).

    The clients look it up by name and parameters, so every caller of a cmdlet (the prefetch, which parses the
    catalogue's requests, and the tests) gets the same objects from the one cached call.
    """
    return _KEEP.get((name, _parameters_key(parameters or {})))


def _parameters_key(parameters: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in parameters.items()))


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


#: (name, parameters) -> keep of every declared call that keeps less than the whole object.
_KEEP: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, ...]] = {
    (call.name, _parameters_key(call.parameters)): call.keep
    for call in list(globals().values())
    if isinstance(call, CmdletCall) and call.keep is not None
}
