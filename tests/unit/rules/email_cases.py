"""Section 4 threat-policy and mail-flow unit tests' shared helpers: the golden cmdlet output and each rule's call
with the reads the wiring gives it (cis_tests/test_2_application_permissions.py, cis_tests/test_4_email_security.py)."""

from __future__ import annotations

import copy
from typing import Any

from o365cis.findings import Decision, Finding, Status
from o365cis.rules import applications
from o365cis.rules.email import threat_policies, transport
from tests.fake_exchange.scenarios import golden_exchange_data

INITIAL = "contoso.onmicrosoft.com"
#: Every accepted domain of the golden cmdlet output, the initial *.onmicrosoft.com one included.
EVERY_DOMAIN = ["contoso.com", INITIAL]
Cmdlets = dict[str, list[dict[str, Any]]]
#: The settings of an anti-phishing policy that meets 4.10.
GOOD_PHISH: dict[str, Any] = {
    "Enabled": True,
    "PhishThresholdLevel": 3,
    "EnableMailboxIntelligence": True,
    "EnableMailboxIntelligenceProtection": True,
    "EnableSpoofIntelligence": True,
}


def golden() -> Cmdlets:
    """The golden tenant's cmdlet output (every Exchange-decided recommendation compliant), a fresh copy."""
    return copy.deepcopy(golden_exchange_data(["contoso.com"], INITIAL)["cmdlets"])


def status(decision: Decision) -> Status | None:
    """The finding's status, or None for a NoDecision."""
    return decision.status if isinstance(decision, Finding) else None


def anti_phish(c: Cmdlets) -> Decision:
    """4.10 over the cmdlet output."""
    return threat_policies.anti_phishing_policy_set(
        c["Get-AntiPhishPolicy"],
        c["Get-AntiPhishRule"],
        c["Get-ATPProtectionPolicyRule"],
        c["Get-EOPProtectionPolicyRule"],
        c["Get-AcceptedDomain"],
    )


def safe_links(c: Cmdlets) -> Decision:
    """4.7 over the cmdlet output."""
    return threat_policies.safe_links_policy_enabled(
        c["Get-SafeLinksPolicy"], c["Get-SafeLinksRule"], c["Get-ATPProtectionPolicyRule"], c["Get-AcceptedDomain"]
    )


def safe_links_office(c: Cmdlets) -> Decision:
    """2.3 over the cmdlet output."""
    return applications.safe_links_for_office_apps(
        c["Get-SafeLinksPolicy"],
        c["Get-SafeLinksRule"],
        c["Get-ATPProtectionPolicyRule"],
        c["Get-AcceptedDomain"],
        c["Get-AtpPolicyForO365"],
    )


def safe_attachments(c: Cmdlets) -> Decision:
    """4.8 over the cmdlet output."""
    return threat_policies.safe_attachments_policy_enabled(
        c["Get-SafeAttachmentPolicy"],
        c["Get-SafeAttachmentRule"],
        c["Get-ATPProtectionPolicyRule"],
        c["Get-AcceptedDomain"],
    )


def forwarding(c: Cmdlets) -> Decision:
    """4.4 over the cmdlet output."""
    return transport.automatic_forwarding_disabled(
        c["Get-RemoteDomain"],
        c["Get-HostedOutboundSpamFilterPolicy"],
        c["Get-HostedOutboundSpamFilterRule"],
        c["Get-AcceptedDomain"],
    )


def client_rules(c: Cmdlets) -> Decision:
    """4.6 over the cmdlet output."""
    return transport.client_rules_forwarding_blocked(
        c["Get-TransportRule"],
        c["Get-HostedOutboundSpamFilterPolicy"],
        c["Get-HostedOutboundSpamFilterRule"],
        c["Get-AcceptedDomain"],
    )
