"""The Exchange-decided rules of sections 1-6 over cmdlet output: the golden tenant passes, each patch fails as the rule
says. One table, because every one of them reads cmdlet output through the same readers (rules/_exchange.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.catalogue import load_catalogue
from o365cis.findings import Decision, Finding, NoDecision, Status
from o365cis.rules import applications, data_management, storage
from o365cis.rules.account import modern_auth
from o365cis.rules.auditing import audit_settings
from o365cis.rules.email import organization, threat_policies, transport
from tests.fake_exchange.scenarios import golden_exchange_data
from tests.unit.rules.email_cases import GOOD_PHISH

INITIAL = "contoso.onmicrosoft.com"
Cmdlets = dict[str, list[dict[str, Any]]]


def golden() -> Cmdlets:
    return copy.deepcopy(golden_exchange_data(["contoso.com"], INITIAL)["cmdlets"])


def status(decision: Decision) -> Status | None:
    """The finding's status, or None for a NoDecision."""
    return decision.status if isinstance(decision, Finding) else None


# Each recommendation's decision over the cmdlet outputs it needs.
DECIDE: dict[str, Callable[[Cmdlets], Decision]] = {
    "1.2": lambda c: modern_auth.exchange_modern_auth_enabled(c["Get-OrganizationConfig"]),
    "2.2": lambda c: applications.calendar_sharing_disabled(c["Get-SharingPolicy"]),
    "2.3": lambda c: applications.safe_links_for_office_apps(
        c["Get-SafeLinksPolicy"],
        c["Get-SafeLinksRule"],
        c["Get-ATPProtectionPolicyRule"],
        c["Get-AcceptedDomain"],
        c["Get-AtpPolicyForO365"],
    ),
    "2.4": lambda c: applications.atp_for_spo_teams_odb(c["Get-AtpPolicyForO365"]),
    "2.8": lambda c: applications.outlook_addins_blocked(c["Get-RoleAssignmentPolicy"], c["Get-Mailbox"]),
    "3.1": lambda c: data_management.customer_lockbox_enabled(c["Get-OrganizationConfig"]),
    "3.2": lambda c: data_management.sensitivity_labels_published(c["Get-Label"], c["Get-LabelPolicy"]),
    "3.4": lambda c: data_management.dlp_policies_enabled(c["Get-DlpCompliancePolicy"]),
    "3.5": lambda c: data_management.dlp_policies_for_teams(c["Get-DlpCompliancePolicy"]),
    "4.1": lambda c: threat_policies.common_attachment_filter_enabled(c["Get-MalwareFilterPolicy"]),
    "4.2": lambda c: threat_policies.outbound_spam_notifications_set(c["Get-HostedOutboundSpamFilterPolicy"]),
    "4.3": lambda c: transport.transport_rules_do_not_forward_externally(
        c["Get-TransportRule"], c["Get-AcceptedDomain"]
    ),
    "4.4": lambda c: transport.automatic_forwarding_disabled(
        c["Get-RemoteDomain"],
        c["Get-HostedOutboundSpamFilterPolicy"],
        c["Get-HostedOutboundSpamFilterRule"],
        c["Get-AcceptedDomain"],
    ),
    "4.5": lambda c: transport.transport_rules_do_not_allowlist_domains(c["Get-TransportRule"]),
    "4.6": lambda c: transport.client_rules_forwarding_blocked(
        c["Get-TransportRule"],
        c["Get-HostedOutboundSpamFilterPolicy"],
        c["Get-HostedOutboundSpamFilterRule"],
        c["Get-AcceptedDomain"],
    ),
    "4.7": lambda c: threat_policies.safe_links_policy_enabled(
        c["Get-SafeLinksPolicy"], c["Get-SafeLinksRule"], c["Get-ATPProtectionPolicyRule"], c["Get-AcceptedDomain"]
    ),
    "4.8": lambda c: threat_policies.safe_attachments_policy_enabled(
        c["Get-SafeAttachmentPolicy"],
        c["Get-SafeAttachmentRule"],
        c["Get-ATPProtectionPolicyRule"],
        c["Get-AcceptedDomain"],
    ),
    "4.9": lambda c: organization.basic_auth_disabled(
        c["Get-OrganizationConfig"], c["Get-AuthenticationPolicy"], c["Get-TransportConfig"]
    ),
    "4.10": lambda c: threat_policies.anti_phishing_policy_set(
        c["Get-AntiPhishPolicy"],
        c["Get-AntiPhishRule"],
        c["Get-ATPProtectionPolicyRule"],
        c["Get-EOPProtectionPolicyRule"],
        c["Get-AcceptedDomain"],
    ),
    "4.14": lambda c: threat_policies.internal_malware_notifications_enabled(c["Get-MalwareFilterPolicy"]),
    "4.15": lambda c: organization.mailtips_enabled(c["Get-OrganizationConfig"]),
    "5.1": lambda c: audit_settings.audit_log_search_enabled(c["Get-AdminAuditLogConfig"]),
    "5.2": lambda c: audit_settings.mailbox_auditing_enabled(
        c["Get-OrganizationConfig"], c["Get-MailboxAuditBypassAssociation"], c["Get-Mailbox"]
    ),
    "6.4": lambda c: storage.owa_storage_providers_restricted(c["Get-OwaMailboxPolicy"]),
}


def decide(rec: str, change: Callable[[Cmdlets], Any] | None = None) -> Decision:
    cmdlets = golden()
    if change is not None:
        change(cmdlets)
    return DECIDE[rec](cmdlets)


def first(cmdlet: str) -> Callable[[Cmdlets], dict[str, Any]]:
    return lambda c: c[cmdlet][0]


def set_on(cmdlet: str, index: int = 0, **values: Any) -> Callable[[Cmdlets], None]:
    return lambda c: c[cmdlet][index].update(values)


def drop(cmdlet: str, *props: str, index: int = 0) -> Callable[[Cmdlets], None]:
    def change(c: Cmdlets) -> None:
        for prop in props:
            c[cmdlet][index].pop(prop, None)

    return change


def replace(cmdlet: str, items: list[dict[str, Any]]) -> Callable[[Cmdlets], None]:
    return lambda c: c.__setitem__(cmdlet, items)


def add_good_strict_phish_policy(c: Cmdlets) -> None:
    """A custom anti-phishing policy "Strict" that meets 4.10; it applies only where an enabled rule names it."""
    c["Get-AntiPhishPolicy"].append({"Name": "Strict", "IsDefault": False, **GOOD_PHISH})


def scope_strict_phish_policy(domains: list[str]) -> Callable[[Cmdlets], None]:
    """An enabled rule applying "Strict" to the recipients of `domains`."""
    rule = {"Name": "Strict", "AntiPhishPolicy": "Strict", "State": "Enabled", "RecipientDomainIs": domains}
    return lambda c: c["Get-AntiPhishRule"].append(dict(rule))


def both(*changes: Callable[[Cmdlets], Any]) -> Callable[[Cmdlets], None]:
    def change(c: Cmdlets) -> None:
        for step in changes:
            step(c)

    return change


# ------------------------------------------------------------------------------------------------ Exchange rules
@pytest.mark.parametrize("rec", sorted(DECIDE))
def test_the_golden_tenant_is_compliant(rec: str) -> None:
    decision = decide(rec)

    assert status(decision) is Status.COMPLIANT, decision.reason
    assert decision.evidence, "every verdict lists what it saw"


def test_every_exchange_decided_recommendation_has_a_decision() -> None:
    assert {r.id for r in load_catalogue().values() if r.evaluation == "exchange"} == set(DECIDE)


CASES: list[tuple[str, str, Callable[[Cmdlets], Any], Status | None, str]] = [
    # (recommendation, case, patch of the golden cmdlets, expected status (None: no decision), text in the reason)
    (
        "1.2",
        "modern auth off",
        set_on("Get-OrganizationConfig", OAuth2ClientProfileEnabled=False),
        Status.NON_COMPLIANT,
        "disabled",
    ),
    (
        "1.2",
        "property absent",
        drop("Get-OrganizationConfig", "OAuth2ClientProfileEnabled"),
        None,
        "OAuth2ClientProfileEnabled",
    ),
    ("1.2", "no object", replace("Get-OrganizationConfig", []), None, "no object"),
    (
        "1.2",
        "string switch",
        set_on("Get-OrganizationConfig", OAuth2ClientProfileEnabled="False"),
        Status.NON_COMPLIANT,
        "False",
    ),
    (
        "2.2",
        "default policy enabled",
        set_on("Get-SharingPolicy", Enabled=True),
        Status.NON_COMPLIANT,
        "Default Sharing Policy",
    ),
    (
        "2.2",
        "custom policy shares with everyone",
        lambda c: c["Get-SharingPolicy"].append(
            {"Name": "Open", "Default": False, "Enabled": True, "Domains": ["*:CalendarSharingFreeBusyDetail"]}
        ),
        Status.NON_COMPLIANT,
        "Open",
    ),
    (
        "2.2",
        "anonymous sharing policy",
        lambda c: c["Get-SharingPolicy"].append(
            {"Name": "Anon", "Default": False, "Enabled": True, "Domains": ["Anonymous:CalendarSharingFreeBusySimple"]}
        ),
        Status.NON_COMPLIANT,
        "Anon",
    ),
    (
        "2.2",
        "partner-only policy passes",
        lambda c: c["Get-SharingPolicy"].append(
            {
                "Name": "Partner",
                "Default": False,
                "Enabled": True,
                "Domains": ["fabrikam.com:CalendarSharingFreeBusyDetail"],
            }
        ),
        Status.COMPLIANT,
        "disabled",
    ),
    (
        "2.2",
        "disabled open policy passes",
        lambda c: c["Get-SharingPolicy"].append(
            {"Name": "Old", "Default": False, "Enabled": False, "Domains": ["*:CalendarSharingFreeBusyDetail"]}
        ),
        Status.COMPLIANT,
        "disabled",
    ),
    ("2.2", "no default policy", set_on("Get-SharingPolicy", Default=False), None, "no default policy"),
    ("2.2", "default lacks Enabled", drop("Get-SharingPolicy", "Enabled"), None, "Enabled"),
    (
        "2.2",
        "policy sharing with everyone, Enabled null",
        lambda c: c["Get-SharingPolicy"].append(
            {"Name": "Open", "Default": False, "Enabled": None, "Domains": ["*:CalendarSharingFreeBusyDetail"]}
        ),
        None,
        "Open",
    ),
    (
        "2.2",
        "policy sharing with everyone, Enabled absent",
        lambda c: c["Get-SharingPolicy"].append(
            {"Name": "Open", "Default": False, "Domains": ["*:CalendarSharingFreeBusyDetail"]}
        ),
        None,
        "Open",
    ),
    (
        "2.3",
        "click-through allowed everywhere",
        both(
            set_on("Get-SafeLinksPolicy", 0, AllowClickThrough=True),
            set_on("Get-SafeLinksPolicy", 1, AllowClickThrough=True),
        ),
        Status.NON_COMPLIANT,
        "Safe Links for Office apps",
    ),
    (
        "2.3",
        "only a policy without an enabled rule passes",
        both(
            set_on("Get-SafeLinksPolicy", 0, EnableSafeLinksForOffice=False),
            set_on("Get-SafeLinksRule", State="Disabled"),
        ),
        Status.NON_COMPLIANT,
        "Safe Links for Office apps",
    ),
    (
        "2.3",
        "older output: DoNotTrackUserClicks false",
        both(
            replace(
                "Get-SafeLinksPolicy",
                [
                    {
                        "Name": "Legacy",
                        "IsDefault": False,
                        "EnableSafeLinksForOffice": True,
                        "AllowClickThrough": False,
                        "DoNotTrackUserClicks": False,
                    }
                ],
            ),
            replace(
                "Get-SafeLinksRule",
                [{"Name": "Legacy", "SafeLinksPolicy": "Legacy", "State": "Enabled", "Priority": 0}],
            ),
        ),
        Status.COMPLIANT,
        "Legacy",
    ),
    (
        "2.3",
        "v1.3-era AtpPolicyForO365 settings",
        both(
            replace("Get-SafeLinksPolicy", []),
            replace("Get-SafeLinksRule", []),
            set_on(
                "Get-AtpPolicyForO365", EnableSafeLinksForO365Clients=True, AllowClickThrough=False, TrackClicks=True
            ),
        ),
        Status.COMPLIANT,
        "AtpPolicyForO365",
    ),
    (
        "2.3",
        "no Safe Links policy at all: the built-in one is missing",
        both(replace("Get-SafeLinksPolicy", []), replace("Get-SafeLinksRule", [])),
        None,
        "missing from the response",
    ),
    ("2.3", "values absent", lambda c: [p.pop("TrackClicks") for p in c["Get-SafeLinksPolicy"]], None, "absent"),
    (
        "2.4",
        "ATP for SPO/Teams/ODB off",
        set_on("Get-AtpPolicyForO365", EnableATPForSPOTeamsODB=False),
        Status.NON_COMPLIANT,
        "off",
    ),
    (
        "2.4",
        "property absent",
        drop("Get-AtpPolicyForO365", "EnableATPForSPOTeamsODB"),
        None,
        "EnableATPForSPOTeamsODB",
    ),
    ("2.4", "no object", replace("Get-AtpPolicyForO365", []), None, "no object"),
    (
        "2.8",
        "default policy grants My Custom Apps",
        lambda c: c["Get-RoleAssignmentPolicy"][0]["AssignedRoles"].append("My Custom Apps"),
        Status.NON_COMPLIANT,
        "Default Role Assignment Policy",
    ),
    (
        "2.8",
        "a policy a mailbox uses grants a marketplace role (any spelling)",
        both(
            lambda c: c["Get-RoleAssignmentPolicy"].append(
                {"Name": "Sales", "IsDefault": False, "AssignedRoles": ["MyMarketplaceApps"]}
            ),
            set_on("Get-Mailbox", RoleAssignmentPolicy="sales"),
        ),
        Status.NON_COMPLIANT,
        "Sales",
    ),
    (
        "2.8",
        "a policy no mailbox uses is listed, not counted",
        lambda c: c["Get-RoleAssignmentPolicy"].append(
            {"Name": "Sales", "IsDefault": False, "AssignedRoles": ["MyMarketplaceApps"]}
        ),
        Status.COMPLIANT,
        "not in use",
    ),
    ("2.8", "no policy at all (every tenant has one)", replace("Get-RoleAssignmentPolicy", []), None, "no policy"),
    ("2.8", "AssignedRoles absent", drop("Get-RoleAssignmentPolicy", "AssignedRoles"), None, "AssignedRoles"),
    (
        "3.1",
        "lockbox off",
        set_on("Get-OrganizationConfig", CustomerLockBoxEnabled=False),
        Status.NON_COMPLIANT,
        "disabled",
    ),
    (
        "3.1",
        "property absent",
        drop("Get-OrganizationConfig", "CustomerLockBoxEnabled"),
        None,
        "CustomerLockBoxEnabled",
    ),
    ("3.2", "no label", replace("Get-Label", []), Status.NON_COMPLIANT, "no sensitivity label"),
    (
        "3.2",
        "policy disabled",
        set_on("Get-LabelPolicy", Enabled=False),
        Status.NON_COMPLIANT,
        "no enabled label policy",
    ),
    (
        "3.2",
        "policy publishes nothing",
        set_on("Get-LabelPolicy", Labels=[]),
        Status.NON_COMPLIANT,
        "no enabled label policy",
    ),
    # Issue 9's code defect: a missing, null or non-boolean Enabled is never read as "not disabled".
    ("3.2", "Enabled absent", drop("Get-LabelPolicy", "Enabled"), None, "Enabled is missing"),
    ("3.2", "Enabled null", set_on("Get-LabelPolicy", Enabled=None), None, "Enabled is missing"),
    ("3.2", "Enabled a number", set_on("Get-LabelPolicy", Enabled=1), None, "Enabled is missing"),
    (
        "3.2",
        "Enabled absent but no label exists",
        both(drop("Get-LabelPolicy", "Enabled"), replace("Get-Label", [])),
        Status.NON_COMPLIANT,
        "no sensitivity label",
    ),
    (
        "3.4",
        "simulation mode only",
        set_on("Get-DlpCompliancePolicy", Mode="TestWithNotifications"),
        Status.NON_COMPLIANT,
        "test mode",
    ),
    (
        "3.4",
        "policy disabled",
        set_on("Get-DlpCompliancePolicy", Enabled=False),
        Status.NON_COMPLIANT,
        "test mode or disabled",
    ),
    ("3.4", "no DLP policy", replace("Get-DlpCompliancePolicy", []), Status.NON_COMPLIANT, "No DLP policy exists"),
    ("3.5", "no Teams location", set_on("Get-DlpCompliancePolicy", TeamsLocation=[]), Status.NON_COMPLIANT, "Teams"),
    ("3.5", "Enabled absent", drop("Get-DlpCompliancePolicy", "Enabled"), None, "Enabled"),
    ("3.4", "Enabled null", set_on("Get-DlpCompliancePolicy", Enabled=None), None, "Enabled"),
    ("3.4", "Mode absent", drop("Get-DlpCompliancePolicy", "Mode"), None, "Mode"),
    (
        "3.4",
        "Mode absent but disabled",
        both(drop("Get-DlpCompliancePolicy", "Mode"), set_on("Get-DlpCompliancePolicy", Enabled=False)),
        Status.NON_COMPLIANT,
        "disabled",
    ),
    (
        "3.5",
        "Teams covered only in test mode",
        set_on("Get-DlpCompliancePolicy", Mode="TestWithoutNotifications"),
        Status.NON_COMPLIANT,
        "Teams",
    ),
    (
        "3.5",
        "location objects count",
        set_on("Get-DlpCompliancePolicy", TeamsLocation=[{"Name": "All", "DisplayName": "All"}]),
        Status.COMPLIANT,
        "cover Teams",
    ),
    ("4.1", "filter off", set_on("Get-MalwareFilterPolicy", EnableFileFilter=False), Status.NON_COMPLIANT, "off"),
    (
        "4.1",
        "custom policy off is only a warning",
        lambda c: c["Get-MalwareFilterPolicy"].append({"Name": "Lax", "IsDefault": False, "EnableFileFilter": False}),
        Status.COMPLIANT,
        "on",
    ),
    ("4.1", "no default policy", set_on("Get-MalwareFilterPolicy", IsDefault=False), None, "no default policy"),
    ("4.1", "property absent", drop("Get-MalwareFilterPolicy", "EnableFileFilter"), None, "EnableFileFilter"),
    (
        "4.2",
        "no copy of suspicious mail",
        set_on("Get-HostedOutboundSpamFilterPolicy", BccSuspiciousOutboundMail=False),
        Status.NON_COMPLIANT,
        "not copied",
    ),
    (
        "4.2",
        "copy without recipient",
        set_on("Get-HostedOutboundSpamFilterPolicy", BccSuspiciousOutboundAdditionalRecipients=[]),
        Status.NON_COMPLIANT,
        "BccSuspiciousOutboundAdditionalRecipients",
    ),
    (
        "4.2",
        "no notification",
        set_on("Get-HostedOutboundSpamFilterPolicy", NotifyOutboundSpam=False),
        Status.NON_COMPLIANT,
        "not notified",
    ),
    (
        "4.2",
        "notify without recipient",
        set_on("Get-HostedOutboundSpamFilterPolicy", NotifyOutboundSpamRecipients=None),
        Status.NON_COMPLIANT,
        "NotifyOutboundSpamRecipients",
    ),
    (
        "4.2",
        "Notify properties retired",
        drop("Get-HostedOutboundSpamFilterPolicy", "NotifyOutboundSpam", "NotifyOutboundSpamRecipients"),
        Status.MANUAL,
        "alert policies",
    ),
    (
        "4.2",
        "Notify retired but Bcc off still fails",
        both(
            drop("Get-HostedOutboundSpamFilterPolicy", "NotifyOutboundSpam", "NotifyOutboundSpamRecipients"),
            set_on("Get-HostedOutboundSpamFilterPolicy", BccSuspiciousOutboundMail=False),
        ),
        Status.NON_COMPLIANT,
        "not copied",
    ),
    ("4.2", "no default policy", replace("Get-HostedOutboundSpamFilterPolicy", []), None, "no default policy"),
    (
        "4.3",
        "rule redirects outside",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "To partner", "State": "Enabled", "RedirectMessageTo": ["ops@fabrikam.net"]}
        ),
        Status.NON_COMPLIANT,
        "external",
    ),
    (
        "4.3",
        "rule blind-copies outside (display form)",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "Archive", "State": "Enabled", "BlindCopyTo": ["Archive <archive@vendor.example>"]}
        ),
        Status.NON_COMPLIANT,
        "external",
    ),
    (
        "4.3",
        "internal copy passes",
        lambda c: c["Get-TransportRule"].append({"Name": "Legal", "State": "Enabled", "CopyTo": ["legal@CONTOSO.com"]}),
        Status.COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.3",
        "subdomain of an accepted domain that matches subdomains",
        both(
            set_on("Get-AcceptedDomain", 0, MatchSubDomains=True),
            lambda c: c["Get-TransportRule"].append(
                {"Name": "Branch", "State": "Enabled", "CopyTo": ["x@branch.contoso.com"]}
            ),
        ),
        Status.COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.3",
        "disabled rule is listed only",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "Old", "State": "Disabled", "RedirectMessageTo": ["ops@fabrikam.net"]}
        ),
        Status.COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.3",
        "recipient names are reviewed",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "Names", "State": "Enabled", "AddToRecipients": ["Partner Contact"]}
        ),
        Status.MANUAL,
        "not SMTP",
    ),
    (
        "4.3",
        "no transport rule at all",
        replace("Get-TransportRule", []),
        Status.COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.3",
        "no accepted domain to compare with",
        both(
            replace("Get-AcceptedDomain", []),
            lambda c: c["Get-TransportRule"].append(
                {"Name": "Legal", "State": "Enabled", "CopyTo": ["legal@contoso.com"]}
            ),
        ),
        None,
        "Get-AcceptedDomain",
    ),
    (
        "4.4",
        "both mechanisms allow forwarding",
        both(
            set_on("Get-RemoteDomain", AutoForwardEnabled=True),
            set_on("Get-HostedOutboundSpamFilterPolicy", AutoForwardingMode="Automatic"),
        ),
        Status.NON_COMPLIANT,
        "now behaves as Off",
    ),
    (
        "4.4",
        "outbound policy alone stops it",
        set_on("Get-RemoteDomain", AutoForwardEnabled=True),
        Status.COMPLIANT,
        "AutoForwardingMode Off",
    ),
    (
        "4.4",
        "remote domain alone stops it",
        set_on("Get-HostedOutboundSpamFilterPolicy", AutoForwardingMode="On"),
        Status.COMPLIANT,
        "every remote domain",
    ),
    (
        "4.4",
        "no Default remote domain and outbound not Off",
        both(
            replace("Get-RemoteDomain", []),
            set_on("Get-HostedOutboundSpamFilterPolicy", AutoForwardingMode="Automatic"),
        ),
        None,
        "missing",
    ),
    (
        "4.5",
        "enabled allow-list rule",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "Trust vendor", "State": "Enabled", "SenderDomainIs": ["vendor.example"], "SetSCL": -1}
        ),
        Status.NON_COMPLIANT,
        "spam filtering for sender domains",
    ),
    (
        "4.5",
        "SetSCL as text",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "Trust vendor", "State": "Enabled", "SenderDomainIs": ["vendor.example"], "SetSCL": "-1"}
        ),
        Status.NON_COMPLIANT,
        "spam filtering for sender domains",
    ),
    (
        "4.5",
        "disabled allow-list rule is listed only",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "Old", "State": "Disabled", "SenderDomainIs": ["vendor.example"], "SetSCL": -1}
        ),
        Status.COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.5",
        "sender-address rule is not a domain allow-list",
        lambda c: c["Get-TransportRule"].append(
            {"Name": "CEO", "State": "Enabled", "SenderDomainIs": None, "From": ["ceo@vendor.example"], "SetSCL": -1}
        ),
        Status.COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.6",
        "rule disabled and outbound policy allows",
        both(
            set_on("Get-TransportRule", State="Disabled"),
            set_on("Get-HostedOutboundSpamFilterPolicy", AutoForwardingMode="Automatic"),
        ),
        Status.NON_COMPLIANT,
        "No transport rule in force",
    ),
    (
        "4.6",
        "rule only warns and a custom outbound policy allows",
        both(
            drop("Get-TransportRule", "RejectMessageReasonText", "RejectMessageEnhancedStatusCode"),
            lambda c: c["Get-HostedOutboundSpamFilterPolicy"].append(
                {"Name": "Execs", "IsDefault": False, "AutoForwardingMode": "On"}
            ),
            lambda c: c["Get-HostedOutboundSpamFilterRule"].append(
                {
                    "Name": "Execs",
                    "HostedOutboundSpamFilterPolicy": "Execs",
                    "State": "Enabled",
                    "Priority": 0,
                    "FromMemberOf": ["Executives"],
                }
            ),
        ),
        Status.NON_COMPLIANT,
        "Execs",
    ),
    (
        "4.6",
        "delete action blocks too",
        both(
            drop("Get-TransportRule", "RejectMessageReasonText", "RejectMessageEnhancedStatusCode"),
            set_on("Get-TransportRule", DeleteMessage=True),
        ),
        Status.COMPLIANT,
        "rejects",
    ),
    (
        "4.6",
        "outbound policies alone block",
        replace("Get-TransportRule", []),
        Status.COMPLIANT,
        "outbound spam policy that applies",
    ),
    (
        "4.6",
        "no rule and no default outbound policy",
        both(replace("Get-TransportRule", []), replace("Get-HostedOutboundSpamFilterPolicy", [])),
        None,
        "missing",
    ),
    (
        "4.7",
        "Teams not protected in any policy in force",
        lambda c: [p.update(EnableSafeLinksForTeams=False) for p in c["Get-SafeLinksPolicy"]],
        Status.NON_COMPLIANT,
        "Safe Links",
    ),
    (
        "4.7",
        "older IsEnabled output",
        both(
            replace(
                "Get-SafeLinksPolicy",
                [
                    {
                        "Name": "Legacy",
                        "IsDefault": False,
                        "IsEnabled": True,
                        "EnableSafeLinksForTeams": True,
                        "ScanUrls": True,
                        "EnableForInternalSenders": True,
                        "AllowClickThrough": False,
                    }
                ],
            ),
            replace(
                "Get-SafeLinksRule",
                [{"Name": "Legacy", "SafeLinksPolicy": "Legacy", "State": "Enabled", "Priority": 0}],
            ),
        ),
        Status.COMPLIANT,
        "Legacy",
    ),
    (
        "4.7",
        "passing policy whose rule is disabled does not count",
        both(set_on("Get-SafeLinksPolicy", 0, ScanUrls=False), set_on("Get-SafeLinksRule", State="Disabled")),
        Status.NON_COMPLIANT,
        "Safe Links",
    ),
    (
        "4.7",
        "values absent",
        lambda c: [p.pop("EnableForInternalSenders") for p in c["Get-SafeLinksPolicy"]],
        None,
        "absent",
    ),
    (
        "4.8",
        "dynamic delivery is not Block",
        lambda c: [p.update(Action="DynamicDelivery") for p in c["Get-SafeAttachmentPolicy"]],
        Status.NON_COMPLIANT,
        "Safe Attachments",
    ),
    (
        "4.8",
        "policy off",
        lambda c: [p.update(Enable=False) for p in c["Get-SafeAttachmentPolicy"]],
        Status.NON_COMPLIANT,
        "Safe Attachments",
    ),
    (
        "4.8",
        "no policy: the built-in one is missing",
        both(replace("Get-SafeAttachmentPolicy", []), replace("Get-SafeAttachmentRule", [])),
        None,
        "missing from the response",
    ),
    ("4.8", "Action absent", lambda c: [p.pop("Action") for p in c["Get-SafeAttachmentPolicy"]], None, "absent"),
    (
        "4.9",
        "no default authentication policy",
        set_on("Get-OrganizationConfig", DefaultAuthenticationPolicy=None),
        Status.NON_COMPLIANT,
        "No default",
    ),
    (
        "4.9",
        "a protocol allows basic auth",
        set_on("Get-AuthenticationPolicy", AllowBasicAuthSmtp=True),
        Status.NON_COMPLIANT,
        "AllowBasicAuthSmtp",
    ),
    ("4.9", "named policy missing", replace("Get-AuthenticationPolicy", []), None, "not among"),
    (
        "4.9",
        "named by distinguished name",
        set_on(
            "Get-OrganizationConfig",
            DefaultAuthenticationPolicy="CN=Block Basic Auth,CN=Auth Policies,CN=Configuration",
        ),
        Status.COMPLIANT,
        "blocks",
    ),
    (
        "4.9",
        "property absent",
        drop("Get-OrganizationConfig", "DefaultAuthenticationPolicy"),
        None,
        "DefaultAuthenticationPolicy",
    ),
    (
        "4.10",
        "threshold too low",
        set_on("Get-AntiPhishPolicy", PhishThresholdLevel=1),
        Status.NON_COMPLIANT,
        "anti-phishing",
    ),
    (
        "4.10",
        "mailbox intelligence protection off",
        set_on("Get-AntiPhishPolicy", EnableMailboxIntelligenceProtection=False),
        Status.NON_COMPLIANT,
        "anti-phishing",
    ),
    (
        "4.10",
        "a good custom policy covering one of two domains leaves the failing default applying",
        both(
            set_on("Get-AntiPhishPolicy", EnableSpoofIntelligence=False),
            add_good_strict_phish_policy,
            scope_strict_phish_policy(["contoso.com"]),
        ),
        Status.NON_COMPLIANT,
        "Office365 AntiPhish Default",
    ),
    (
        "4.10",
        "a good custom policy covering every accepted domain shadows the failing default",
        both(
            set_on("Get-AntiPhishPolicy", EnableSpoofIntelligence=False),
            add_good_strict_phish_policy,
            scope_strict_phish_policy(["contoso.com", INITIAL]),
        ),
        Status.COMPLIANT,
        "Strict",
    ),
    (
        "4.10",
        "a passing custom policy without enabled rule is not in force",
        both(
            set_on("Get-AntiPhishPolicy", EnableSpoofIntelligence=False),
            add_good_strict_phish_policy,
        ),
        Status.NON_COMPLIANT,
        "anti-phishing",
    ),
    ("4.10", "threshold absent", drop("Get-AntiPhishPolicy", "PhishThresholdLevel"), None, "absent"),
    (
        "4.14",
        "notifications off",
        set_on("Get-MalwareFilterPolicy", EnableInternalSenderAdminNotifications=False),
        Status.NON_COMPLIANT,
        "not notified",
    ),
    (
        "4.14",
        "no address",
        set_on("Get-MalwareFilterPolicy", InternalSenderAdminAddress=""),
        Status.NON_COMPLIANT,
        "InternalSenderAdminAddress",
    ),
    (
        "4.14",
        "properties absent",
        drop("Get-MalwareFilterPolicy", "EnableInternalSenderAdminNotifications", "InternalSenderAdminAddress"),
        Status.MANUAL,
        "absent",
    ),
    ("4.14", "no default policy", replace("Get-MalwareFilterPolicy", []), None, "no default policy"),
    (
        "4.15",
        "threshold above 25",
        set_on("Get-OrganizationConfig", MailTipsLargeAudienceThreshold=50),
        Status.NON_COMPLIANT,
        "MailTipsLargeAudienceThreshold is 50",
    ),
    (
        "4.15",
        "group metrics off",
        set_on("Get-OrganizationConfig", MailTipsGroupMetricsEnabled=False),
        Status.NON_COMPLIANT,
        "MailTipsGroupMetricsEnabled",
    ),
    (
        "4.15",
        "a switch absent",
        drop("Get-OrganizationConfig", "MailTipsAllTipsEnabled"),
        None,
        "MailTipsAllTipsEnabled",
    ),
    (
        "4.15",
        "absent and failing: the failure decides",
        both(
            drop("Get-OrganizationConfig", "MailTipsAllTipsEnabled"),
            set_on("Get-OrganizationConfig", MailTipsExternalRecipientsTipsEnabled=False),
        ),
        Status.NON_COMPLIANT,
        "MailTipsExternalRecipientsTipsEnabled",
    ),
    (
        "5.1",
        "ingestion off",
        set_on("Get-AdminAuditLogConfig", UnifiedAuditLogIngestionEnabled=False),
        Status.NON_COMPLIANT,
        "disabled",
    ),
    (
        "5.1",
        "property absent",
        drop("Get-AdminAuditLogConfig", "UnifiedAuditLogIngestionEnabled"),
        None,
        "UnifiedAuditLogIngestionEnabled",
    ),
    (
        "5.2",
        "auditing off for the organisation",
        set_on("Get-OrganizationConfig", AuditDisabled=True),
        Status.NON_COMPLIANT,
        "AuditDisabled True",
    ),
    (
        "5.2",
        "an account bypasses auditing",
        set_on("Get-MailboxAuditBypassAssociation", AuditBypassEnabled=True),
        Status.NON_COMPLIANT,
        "bypass",
    ),
    (
        "5.2",
        "no bypass entries at all",
        replace("Get-MailboxAuditBypassAssociation", []),
        Status.COMPLIANT,
        "no account",
    ),
    (
        "5.2",
        "per-mailbox AuditEnabled false is evidence only",
        set_on("Get-Mailbox", AuditEnabled=False),
        Status.COMPLIANT,
        "no account",
    ),
    ("5.2", "AuditDisabled absent", drop("Get-OrganizationConfig", "AuditDisabled"), None, "AuditDisabled"),
    (
        "5.2",
        "AuditBypassEnabled absent",
        drop("Get-MailboxAuditBypassAssociation", "AuditBypassEnabled"),
        None,
        "svc-backup",
    ),
    (
        "5.2",
        "AuditBypassEnabled a string",
        set_on("Get-MailboxAuditBypassAssociation", AuditBypassEnabled="maybe"),
        None,
        "AuditBypassEnabled",
    ),
    (
        "4.9",
        "DefaultAuthenticationPolicy not a name",
        set_on("Get-OrganizationConfig", DefaultAuthenticationPolicy=7),
        None,
        "not a policy name",
    ),
    (
        "6.4",
        "a non-default policy allows providers",
        lambda c: c["Get-OwaMailboxPolicy"].append(
            {"Name": "Contractors", "IsDefault": False, "AdditionalStorageProvidersAvailable": True}
        ),
        Status.NON_COMPLIANT,
        "Contractors",
    ),
    ("6.4", "no policy (every tenant has one)", replace("Get-OwaMailboxPolicy", []), None, "no policy"),
    ("6.4", "property absent", drop("Get-OwaMailboxPolicy", "AdditionalStorageProvidersAvailable"), None, "absent"),
]


@pytest.mark.parametrize(("rec", "case", "change", "expected", "said"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_patched_tenant(
    rec: str, case: str, change: Callable[[Cmdlets], Any], expected: Status | None, said: str
) -> None:
    decision = decide(rec, change)

    assert status(decision) is expected, decision.reason
    assert said.lower() in decision.reason.lower()


def test_every_exchange_rule_has_a_failing_and_an_undecided_case() -> None:
    failing = {c[0] for c in CASES if c[3] is Status.NON_COMPLIANT}
    undecided = {c[0] for c in CASES if c[3] is None or c[3] is Status.MANUAL}

    assert failing == set(DECIDE)
    # Rules over collections that may rightly be empty, or that only count what exists, always decide.
    assert set(DECIDE) - undecided == {"4.5"}


def test_sharing_evidence_names_the_offending_entry() -> None:
    decision = decide(
        "2.2",
        lambda c: c["Get-SharingPolicy"].append(
            {"Name": "Open", "Default": False, "Enabled": True, "Domains": ["*:CalendarSharingFreeBusyDetail"]}
        ),
    )

    assert decision.evidence[0].name == "Open"
    assert "*:CalendarSharingFreeBusyDetail" in (decision.evidence[0].detail or "")


def test_safe_links_evidence_reports_the_rule_scope() -> None:
    decision = decide("4.7")

    strict = next(e for e in decision.evidence if e.name == "Strict Safe Links")
    assert "RecipientDomainIs contoso.com" in (strict.detail or "")
    assert "applies (rule Strict Safe Links" in (strict.detail or "")


def test_basic_auth_evidence_carries_smtp_auth_and_a_note() -> None:
    decision = decide("4.9", set_on("Get-OrganizationConfig", DefaultAuthenticationPolicy=""))

    assert any(e.name == "SmtpClientAuthenticationDisabled" and e.detail == "True" for e in decision.evidence)
    assert any(e.type == "note" for e in decision.evidence)


def test_basic_auth_without_the_transport_config_still_decides() -> None:
    cmdlets = golden()

    decision = organization.basic_auth_disabled(
        cmdlets["Get-OrganizationConfig"], cmdlets["Get-AuthenticationPolicy"], None
    )

    assert status(decision) is Status.COMPLIANT
    assert any(e.detail == "not read" for e in decision.evidence)


def test_mailbox_auditing_lists_short_action_lists_and_disabled_mailboxes() -> None:
    cmdlets = golden()
    cmdlets["Get-Mailbox"][0]["AuditOwner"] = ["Update"]
    cmdlets["Get-Mailbox"][1]["AuditEnabled"] = False

    decision = audit_settings.mailbox_auditing_enabled(
        cmdlets["Get-OrganizationConfig"], cmdlets["Get-MailboxAuditBypassAssociation"], cmdlets["Get-Mailbox"]
    )

    assert status(decision) is Status.COMPLIANT
    assert any(e.name == "AuditEnabled False" and (e.detail or "").startswith("1 of 2") for e in decision.evidence)
    short = next(e for e in decision.evidence if e.type == "mailbox")
    assert (
        short.name == "adele@contoso.com"
        and "AuditOwner lacks" in (short.detail or "")
        and "MailboxLogin" in (short.detail or "")
    )


def test_mailbox_evidence_says_when_mailboxes_were_not_read() -> None:
    cmdlets = golden()

    decision = audit_settings.mailbox_auditing_enabled(
        cmdlets["Get-OrganizationConfig"], cmdlets["Get-MailboxAuditBypassAssociation"], None
    )

    assert any("Get-Mailbox was not read" in (e.detail or "") for e in decision.evidence)


def test_long_evidence_lists_are_capped() -> None:
    rules = [
        {"Name": f"Rule {i}", "State": "Enabled", "RedirectMessageTo": [f"x{i}@elsewhere.example"]} for i in range(80)
    ]

    decision = transport.transport_rules_do_not_forward_externally(rules, golden()["Get-AcceptedDomain"])

    assert status(decision) is Status.NON_COMPLIANT
    assert "80 transport rules in force" in decision.reason
    assert any(
        e.type == "count" and "30 more" in (e.detail or "") and "(80 in all)" in (e.detail or "")
        for e in decision.evidence
    )


def test_no_decision_keeps_its_evidence_for_the_report() -> None:
    decision = decide("6.4", drop("Get-OwaMailboxPolicy", "AdditionalStorageProvidersAvailable"))

    assert isinstance(decision, NoDecision)
    assert decision.evidence[0].name == "OwaMailboxPolicy-Default"
