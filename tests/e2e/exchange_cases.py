"""Whole-tenant scan cases for the Exchange- and DNS-decided recommendations, and a runner that scans them.

Each case is the full golden tenant (Graph + Exchange cmdlets + DNS zone, tests/harness/tenants.py) with a
small, visible patch: JSON pointers into `extra["exchange"]["cmdlets"]`, `extra["dns"]` or the Graph data
(STYLE.md point 8). Within one case every recommendation has at most one cause to fail, so a verdict can be
pinned on it. `run_scans` serves every case from its own fake cloud (HTTPS + DNS on loopback) and runs the
real suite against each as a child process, a few at a time; `replay_all` evaluates saved snapshots with no
server listening.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fake_exchange.exchange_handler import InvokeCall
from tests.fake_exchange.scenarios import (
    dkim_signing,
    mailbox_role_assignment_policy,
    outbound_spam_policy,
    role_assignment_policy,
    transport_rule_mode,
    with_preset,
)
from tests.fake_tenant import paths
from tests.fake_tenant.data_tenant import DomainSpec
from tests.fake_tenant.golden import build_compliant, golden_domains, golden_profile, tenant_identity
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.named import INTUNE_NOT_LICENSED
from tests.fake_tenant.patching import PatchOp, cmdlet_pointer, graph_pointer, patch, without_roles
from tests.fake_tenant.patching import escape_token as _escape
from tests.fake_tenant.server import LoggedRequest
from tests.harness.scan import fake_cloud, scan_command, write_config
from tests.harness.tenants import full_golden_config, full_golden_tenant, with_exchange_and_dns

#: Users per fake tenant: enough for every Graph rule to have a population, small enough to scan fast.
USERS = 40
ROOT, FEDERATED, INITIAL = "contoso.com", "fabrikam.com", "contoso.onmicrosoft.com"
#: Where the harness's fake cloud mounts the Security & Compliance host (tests/fake_exchange/exchange_handler.py).
COMPLIANCE_PREFIX = "/compliance"
#: A scan should never take this long; the limit only stops a hung child from hanging the test run.
SCAN_TIMEOUT = 300
#: Scans running at once: a scan mostly waits (interpreter start-up, loopback HTTPS, DNS timeouts and retry
#: back-off), so more than the two cores pay off; many more would starve the fakes serving them.
PARALLEL_SCANS = 4

# ------------------------------------------------------------------------------------------------ ids under test
#: Decided by an Exchange cmdlet (evaluation exchange).
EXCHANGE_DECIDED: tuple[str, ...] = (
    "1.2",
    "2.2",
    "2.3",
    "2.4",
    "2.8",
    "3.1",
    "3.2",
    "3.4",
    "3.5",
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "4.5",
    "4.6",
    "4.7",
    "4.8",
    "4.9",
    "4.10",
    "4.14",
    "4.15",
    "5.1",
    "5.2",
    "6.4",
)
#: Decided by DNS look-ups of the mail domains (4.11 also reads Get-DkimSigningConfig, a decisive read of that source).
DNS_DECIDED: tuple[str, ...] = ("4.11", "4.12", "4.13")
#: Always manual; Exchange output is attached as evidence only.
EXCHANGE_EVIDENCE_ONLY: tuple[str, ...] = ("2.5", "5.7", "5.8", "5.12", "5.14")
#: Section 7 recommendations with the Exchange ActiveSync fallback (Get-MobileDeviceMailboxPolicy).
ACTIVESYNC_FALLBACK: tuple[str, ...] = ("7.2", "7.3", "7.5", "7.6", "7.7", "7.8", "7.9", "7.10", "7.13")
#: Exchange-decided recommendations with no Secure Score fallback: without Exchange they end in error.
EXCHANGE_WITHOUT_FALLBACK: tuple[str, ...] = ("4.2", "4.3", "4.9", "4.14")
EXCHANGE_WITH_SECURESCORE: tuple[str, ...] = tuple(i for i in EXCHANGE_DECIDED if i not in EXCHANGE_WITHOUT_FALLBACK)
#: The Security & Compliance cmdlets' recommendations.
COMPLIANCE_DECIDED: tuple[str, ...] = ("3.2", "3.4", "3.5")
ALL_UNDER_TEST: tuple[str, ...] = EXCHANGE_DECIDED + DNS_DECIDED + EXCHANGE_EVIDENCE_ONLY + ACTIVESYNC_FALLBACK


# ------------------------------------------------------------------------------------------------ pointers
def dns_pointer(name: str, *rest: str) -> str:
    """JSON pointer to a DNS name's entry in the scenario's zone."""
    return "/extra/dns/" + "/".join(_escape(t) for t in (name, *rest))


def exchange_setting(key: str) -> str:
    """JSON pointer to a setting of the fake admin API itself (page_size, compliance, entra_role)."""
    return f"/extra/exchange/{_escape(key)}"


def _without_secure_score_control(name: str) -> list[PatchOp]:
    """Remove a control from the latest Secure Score and its profile, as if Microsoft had retired it."""
    return [
        ("remove", graph_pointer(paths.SECURE_SCORES, "0", "controlScores", f"controlName={name}")),
        ("remove", graph_pointer(paths.SECURE_SCORE_PROFILES, f"id={name}")),
    ]


def _intune_refused_for_licence(scenario: Scenario) -> Scenario:
    """The Intune lists answer 400 "Request not applicable to target tenant" (no Intune licence)."""
    result = dataclasses.replace(scenario, errors=dict(scenario.errors))
    for path in (paths.COMPLIANCE_POLICIES, paths.DEVICE_CONFIGURATIONS, paths.DEVICE_MANAGEMENT):
        result.errors[path] = INTUNE_NOT_LICENSED
    return result


# ------------------------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class ScanCase:
    """One scan: the tenant served, extra pytest options, environment, and whether to save a snapshot."""

    name: str
    scenario: Scenario
    options: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    #: Pass --compliance-url pointing at the fake's separate Security & Compliance host.
    compliance_host: bool = False
    save_snapshot: bool = False


def golden_scenario(users: int = USERS) -> Scenario:
    """The full golden tenant: every recommendation here compliant (or manual) through its direct source."""
    return full_golden_tenant(users)


def golden_case() -> ScanCase:
    """The golden tenant, with a snapshot saved for the offline replay."""
    return ScanCase("golden", golden_scenario(), save_snapshot=True)


#: The ActiveSync default policy of noncompliant_case: each section 7 threshold missed, a password still required.
WEAK_MOBILE_POLICY: dict[str, Any] = {
    "PasswordHistory": 0,
    "PasswordExpiration": "90.00:00:00",
    "MaxPasswordFailedAttempts": "Unlimited",
    "MinPasswordLength": 4,
    "MaxInactivityTimeLock": "00:15:00",
    "RequireDeviceEncryption": False,
    "AlphanumericPasswordRequired": False,
    "AllowSimplePassword": True,
}
EXTERNAL_ARCHIVE = "journal@archive-partner.example"


def good_anti_phish_policy(name: str) -> dict[str, Any]:
    """A custom anti-phishing policy meeting 4.10 (it applies only where an enabled rule names it)."""
    return {
        "Name": name,
        "Identity": name,
        "IsDefault": False,
        "Enabled": True,
        "PhishThresholdLevel": 3,
        "EnableMailboxIntelligence": True,
        "EnableMailboxIntelligenceProtection": True,
        "EnableSpoofIntelligence": True,
    }


def noncompliant_ops() -> list[PatchOp]:
    """One violation per Exchange- and DNS-decided recommendation (independent of each other)."""
    org = cmdlet_pointer("Get-OrganizationConfig", "0")
    malware = cmdlet_pointer("Get-MalwareFilterPolicy", "Name=Default")
    outbound = cmdlet_pointer("Get-HostedOutboundSpamFilterPolicy", "Name=Default")
    rule_fields = {
        "SenderDomainIs": None,
        "SetSCL": None,
        "RedirectMessageTo": None,
        "BlindCopyTo": None,
        "CopyTo": None,
        "AddToRecipients": None,
    }
    return [
        ("replace", f"{org}/OAuth2ClientProfileEnabled", False),  # 1.2
        ("replace", cmdlet_pointer("Get-SharingPolicy", "Name=Default Sharing Policy", "Enabled"), True),  # 2.2
        *[  # 2.3 and 4.7 (both require click-through off)
            ("replace", cmdlet_pointer("Get-SafeLinksPolicy", f"Name={name}", "AllowClickThrough"), True)
            for name in ("Built-In Protection Policy", "Strict Safe Links")
        ],
        (
            "replace",
            cmdlet_pointer("Get-AtpPolicyForO365", "0", "EnableATPForSPOTeamsODB"),
            False,
        ),  # 2.4 (2.5 evidence)
        (
            "add",
            cmdlet_pointer("Get-RoleAssignmentPolicy", "Name=Default Role Assignment Policy", "AssignedRoles", "-"),
            "My Marketplace Apps",
        ),  # 2.8
        ("replace", f"{org}/CustomerLockBoxEnabled", False),  # 3.1
        ("replace", cmdlet_pointer("Get-LabelPolicy", "0", "Enabled"), False),  # 3.2: labels exist, none published
        ("replace", cmdlet_pointer("Get-DlpCompliancePolicy", "0", "Mode"), "TestWithNotifications"),  # 3.4, 3.5
        ("replace", f"{malware}/EnableFileFilter", False),  # 4.1
        ("replace", f"{outbound}/NotifyOutboundSpamRecipients", []),  # 4.2
        # 4.3 (a redirect outside), 4.5 (a sender-domain allow-list), 4.6 (the forwarding block rule is gone).
        ("remove", cmdlet_pointer("Get-TransportRule", "Name=Block client forwarding to external recipients")),
        (
            "add",
            cmdlet_pointer("Get-TransportRule", "-"),
            {
                **rule_fields,
                "Name": "Journal legal mail to archive",
                "Guid": "7d0cf1a4-58a4-4c7e-9b0e-1f0a6a3d2b11",
                "State": "Enabled",
                "Mode": "Enforce",
                "Priority": 0,
                "RedirectMessageTo": [EXTERNAL_ARCHIVE],
            },
        ),
        (
            "add",
            cmdlet_pointer("Get-TransportRule", "-"),
            {
                **rule_fields,
                "Name": "Trust partner mail",
                "Guid": "0b7e3c55-3f5e-4a53-8f4e-6d0f2b9c1a22",
                "State": "Enabled",
                "Mode": "Enforce",
                "Priority": 1,
                "SenderDomainIs": ["northwindtraders.com"],
                "SetSCL": -1,
            },
        ),
        # 4.4: forwarding on for the Default remote domain and left to Microsoft in the outbound policy.
        ("replace", cmdlet_pointer("Get-RemoteDomain", "Name=Default", "AutoForwardEnabled"), True),
        ("replace", f"{outbound}/AutoForwardingMode", "Automatic"),
        *[  # 4.8
            ("replace", cmdlet_pointer("Get-SafeAttachmentPolicy", f"Name={name}", "Action"), "Replace")
            for name in ("Built-In Protection Policy", "Strict Safe Attachments")
        ],
        (
            "replace",
            cmdlet_pointer("Get-AuthenticationPolicy", "Name=Block Basic Auth", "AllowBasicAuthSmtp"),
            True,
        ),  # 4.9
        # 4.10: a good custom policy scoped to the Executives group does not rescue the failing default, which
        # still applies to everyone else (issue 9: "policies that apply").
        (
            "replace",
            cmdlet_pointer("Get-AntiPhishPolicy", "Name=Office365 AntiPhish Default", "PhishThresholdLevel"),
            1,
        ),
        (
            "add",
            cmdlet_pointer("Get-AntiPhishPolicy", "-"),
            good_anti_phish_policy("Executive protection"),
        ),
        (
            "replace",
            cmdlet_pointer("Get-AntiPhishRule"),
            [
                {
                    "Name": "Executive protection",
                    "AntiPhishPolicy": "Executive protection",
                    "State": "Enabled",
                    "Priority": 0,
                    "SentToMemberOf": ["Executives"],
                },
            ],
        ),
        ("remove", dns_pointer(f"selector2._domainkey.{ROOT}")),  # 4.11: a DKIM CNAME missing
        ("replace", dns_pointer(ROOT, "TXT"), ["MS=ms31415926"]),  # 4.12: no SPF record left
        ("remove", dns_pointer(f"_dmarc.{ROOT}")),  # 4.13: NXDOMAIN
        ("replace", f"{malware}/EnableInternalSenderAdminNotifications", False),  # 4.14
        ("replace", f"{org}/MailTipsAllTipsEnabled", False),  # 4.15
        ("replace", cmdlet_pointer("Get-AdminAuditLogConfig", "0", "UnifiedAuditLogIngestionEnabled"), False),  # 5.1
        (
            "replace",
            cmdlet_pointer("Get-MailboxAuditBypassAssociation", "Name=svc-backup", "AuditBypassEnabled"),
            True,
        ),  # 5.2
        ("replace", cmdlet_pointer("Get-OwaMailboxPolicy", "0", "AdditionalStorageProvidersAvailable"), True),  # 6.4
        # Evidence of the manual recommendations 5.7, 5.12 and 5.14.
        ("add", cmdlet_pointer("Get-Mailbox", "0", "ForwardingSmtpAddress"), "smtp:adele.private@outlook.example"),
        (
            "add",
            cmdlet_pointer("Get-SpoofIntelligenceInsight", "-"),
            {
                "SpoofedUser": "ceo@contoso.com",
                "SendingInfrastructure": "bulkmailer.example",
                "MessageCount": 42,
                "SpoofType": "Internal",
                "Action": "Allow",
            },
        ),
        (
            "add",
            cmdlet_pointer("Get-BlockedSenderAddress", "-"),
            {
                "SenderAddress": "lynne.robbins@contoso.com",
                "CreatedDatetime": "2025-01-02T10:00:00Z",
                "Reason": "OutboundSpamLast24Hours",
            },
        ),
        # Section 7: the ActiveSync default policy misses every threshold but still requires a password.
        *[
            ("replace", cmdlet_pointer("Get-MobileDeviceMailboxPolicy", "0", key), value)
            for key, value in WEAK_MOBILE_POLICY.items()
        ],
    ]


def noncompliant_case() -> ScanCase:
    """Each Exchange- and DNS-decided recommendation violated once; no Intune licence, so ActiveSync decides 7.x."""
    return ScanCase(
        "noncompliant", _intune_refused_for_licence(patch(golden_scenario(), noncompliant_ops())), save_snapshot=True
    )


def no_exchange_permission_case() -> ScanCase:
    """The token lacks Exchange.ManageAsApp (401 on every cmdlet) and Intune is unlicensed.

    Two Secure Score controls are gone, so 1.2 and 7.2 have no deciding fallback and must end in error.
    """
    scenario = dataclasses.replace(golden_scenario(), exchange_roles=[])
    scenario = patch(
        scenario,
        [
            *_without_secure_score_control("exo_oauth2clientprofileenabled"),
            *_without_secure_score_control("MDMPWReuse"),
        ],
    )
    return ScanCase("no_exchange_permission", _intune_refused_for_licence(scenario))


def no_entra_role_case() -> ScanCase:
    """The app's service principal holds no Entra role (403 on every cmdlet) and lacks the Intune permission.

    Without mip_sensitivitylabelspolicies and MDMMinPW in Secure Score, 3.2 and 7.6 must end in error.
    """
    scenario = without_roles(golden_scenario(), "DeviceManagementConfiguration.Read.All")
    scenario = patch(
        scenario,
        [
            ("add", exchange_setting("entra_role"), False),
            *_without_secure_score_control("mip_sensitivitylabelspolicies"),
            *_without_secure_score_control("MDMMinPW"),
        ],
    )
    return ScanCase("no_entra_role", scenario)


#: Extra role assignment policies for the paging case; only the last one (on the last page) grants an add-in role.
PAGED_ROLE_POLICIES: tuple[dict[str, Any], ...] = (
    {
        "Name": "Frontline Role Assignment Policy",
        "Identity": "Frontline Role Assignment Policy",
        "IsDefault": False,
        "AssignedRoles": ["MyBaseOptions", "MyContactInformation"],
    },
    {
        "Name": "Developers Role Assignment Policy",
        "Identity": "Developers Role Assignment Policy",
        "IsDefault": False,
        "AssignedRoles": ["MyBaseOptions", "My Custom Apps"],
    },
)
FAILING_CMDLET = "Get-MalwareFilterPolicy"
REVIEW_SPF = "v=spf1 include:_spf.mailgateway.example -all"


def service_faults_case() -> ScanCase:
    """Admin API behaviour rather than settings, each on different recommendations.

    * the compliance host answers 404: 3.2, 3.4, 3.5 are read again on the Exchange host (compliant);
    * one object per page: a role assignment policy on the last page fails 2.8;
    * Get-MalwareFilterPolicy answers 503 past a 2 s budget: 4.1 falls back to Secure Score, 4.14 errs;
    * fabrikam.com's DKIM selectors answer SERVFAIL and Exchange has its signing off: 4.11 non_compliant;
    * contoso.com's SPF names a gateway, not Exchange Online: 4.12 needs review (manual);
    * Intune unlicensed and the ActiveSync default policy requires no password: section 7 non_compliant.
    """
    ops: list[PatchOp] = [
        ("add", exchange_setting("compliance"), "missing"),
        ("add", exchange_setting("page_size"), 1),
        *[("add", cmdlet_pointer("Get-RoleAssignmentPolicy", "-"), policy) for policy in PAGED_ROLE_POLICIES],
        # 2.8 counts only policies in use: a mailbox on the offending one.
        mailbox_role_assignment_policy(f"adele@{ROOT}", "Developers Role Assignment Policy"),
        (
            "add",
            exchange_setting("errors"),
            {
                FAILING_CMDLET: {
                    "status": 503,
                    "code": "ServiceUnavailable",
                    "message": "The service is temporarily unavailable.",
                }
            },
        ),
        ("replace", dns_pointer(f"selector1._domainkey.{FEDERATED}"), {"rcode": "SERVFAIL"}),
        ("replace", dns_pointer(f"selector2._domainkey.{FEDERATED}"), {"rcode": "SERVFAIL"}),
        ("replace", cmdlet_pointer("Get-DkimSigningConfig", f"Name={FEDERATED}", "Enabled"), False),
        ("replace", dns_pointer(ROOT, "TXT", "0"), REVIEW_SPF),
        ("replace", cmdlet_pointer("Get-MobileDeviceMailboxPolicy", "0", "PasswordEnabled"), False),
    ]
    scenario = _intune_refused_for_licence(patch(golden_scenario(), ops))
    return ScanCase("service_faults", scenario, env={"O365CIS_RETRY_BUDGET": "2"}, compliance_host=True)


def dns_failures_case() -> ScanCase:
    """DNS failing on fabrikam.com, truncated answers on contoso.com, and a compliance host that knows no cmdlet.

    * fabrikam.com: selector1 times out, selector2 SERVFAIL -> 4.11 error (signing Enabled proves no key published);
      its apex TXT times out -> 4.12 error; _dmarc SERVFAIL -> 4.13 error;
    * contoso.com: selector1 and the apex answer truncated over UDP -> asked again over TCP, decided normally;
    * the compliance host answers "unknown cmdlet": 3.2, 3.4, 3.5 are read on the Exchange host.
    """
    ops: list[PatchOp] = [
        ("add", exchange_setting("compliance"), "unknown"),
        ("replace", dns_pointer(f"selector1._domainkey.{FEDERATED}"), {"timeout": True}),
        ("replace", dns_pointer(f"selector2._domainkey.{FEDERATED}"), {"rcode": "SERVFAIL"}),
        ("replace", dns_pointer(FEDERATED), {"timeout": True}),
        ("replace", dns_pointer(f"_dmarc.{FEDERATED}"), {"rcode": "SERVFAIL"}),
        ("add", dns_pointer(f"selector1._domainkey.{ROOT}", "truncate"), True),
        ("add", dns_pointer(ROOT, "truncate"), True),
    ]
    return ScanCase("dns_failures", patch(golden_scenario(), ops), compliance_host=True, save_snapshot=True)


def no_mail_domain_case() -> ScanCase:
    """No custom domain supports Email (4.11-4.13 not applicable); Intune unlicensed, ActiveSync compliant."""
    ops: list[PatchOp] = [
        ("replace", graph_pointer(paths.DOMAINS, f"id={name}", "supportedServices"), ["OfficeCommunicationsOnline"])
        for name in (ROOT, FEDERATED)
    ]
    return ScanCase("no_mail_domain", _intune_refused_for_licence(patch(golden_scenario(), ops)))


def no_domain_permission_case() -> ScanCase:
    """Domain.Read.All not granted: no mail-domain list, so nothing is looked up (only 4.11-4.13 are run).

    Graph also lists domains for Directory.Read.All (https://learn.microsoft.com/graph/api/domain-list), and the
    scanner accepts it as broader, so the app lacks both here.
    """
    scenario = without_roles(golden_scenario(), "Domain.Read.All", "Directory.Read.All")
    return ScanCase("no_domain_permission", scenario, options=("-k", "dkim or spf or dmarc"))


#: A third-party add-in policy CIS's remediation leaves in place (2.8), no longer the default.
LEGACY_ADDIN_POLICY = "Legacy Add-ins Policy"
#: 4.12: `-all` ends evaluation before Exchange Online's include (RFC 7208 4.6).
SPF_ALL_FIRST = "v=spf1 -all include:spf.protection.outlook.com"
#: 4.12: `+all` authorises every sender before anything else is read.
SPF_PLUS_ALL_FIRST = "v=spf1 +all include:spf.protection.outlook.com"
#: 4.12: a modifier after -all is legal and changes nothing.
SPF_WITH_EXP = "v=spf1 include:spf.protection.outlook.com -all exp=explain._spf.fabrikam.com"
#: The three recommendations of issue 9 items 11, 12 and 14 (pytest -k over their test names).
ISSUE9_SELECTION = ("-k", "dkim or spf or outlook_addins")


def issue9_crafted_case() -> ScanCase:
    """Issue 9 items 11, 12 and 14, each on its crafted input (one cause per recommendation):

    * contoso.com's DKIM CNAMEs and keys are in place, signing is off in Exchange -> 4.11 non_compliant (was compliant);
    * contoso.com's SPF has -all before include:spf.protection.outlook.com -> 4.12 non_compliant (was compliant);
      fabrikam.com's `include:... -all exp=...` stays valid;
    * CIS's 2.8 remediation: the old add-in policy left in place, not the default, no mailbox on it -> compliant
      (was non_compliant).
    """
    ops: list[PatchOp] = [
        *dkim_signing(ROOT, enabled=False),
        ("replace", dns_pointer(ROOT, "TXT", "0"), SPF_ALL_FIRST),
        ("replace", dns_pointer(FEDERATED, "TXT", "0"), SPF_WITH_EXP),
        role_assignment_policy(LEGACY_ADDIN_POLICY, ["MyBaseOptions", "My Custom Apps", "My Marketplace Apps"]),
    ]
    return ScanCase("issue9_crafted", patch(golden_scenario(), ops), options=ISSUE9_SELECTION)


def issue9_neighbours_case() -> ScanCase:
    """The crafted inputs' neighbours, one setting away:

    * no Exchange access at all, contoso.com's DKIM selector2 missing -> 4.11 non_compliant from DNS alone;
    * contoso.com's SPF has +all first -> 4.12 non_compliant.

    2.8's neighbour needs Exchange: issue9_addin_in_use_case.
    """
    scenario = dataclasses.replace(golden_scenario(), exchange_roles=[])
    ops: list[PatchOp] = [
        ("remove", dns_pointer(f"selector2._domainkey.{ROOT}")),
        ("replace", dns_pointer(ROOT, "TXT", "0"), SPF_PLUS_ALL_FIRST),
    ]
    return ScanCase("issue9_neighbours", patch(scenario, ops), options=("-k", "dkim or spf"))


def issue9_addin_in_use_case() -> ScanCase:
    """2.8's neighbour: the legacy add-in policy left in place and one mailbox still on it -> non_compliant."""
    ops: list[PatchOp] = [
        role_assignment_policy(LEGACY_ADDIN_POLICY, ["MyBaseOptions", "My Custom Apps"]),
        mailbox_role_assignment_policy(f"adele@{ROOT}", LEGACY_ADDIN_POLICY),
    ]
    return ScanCase("issue9_addin_in_use", patch(golden_scenario(), ops), options=("-k", "outlook_addins"))


def policies_that_apply_case() -> ScanCase:
    """Issue 9 item 7, custom policies: each recommendation's verdict turns on which policies apply.

    * 2.3, 4.7: the custom "Strict Safe Links" policy, whose rule lists every accepted domain, has everything off;
      the good Built-In Protection Policy is shadowed and does not rescue it -> non_compliant;
    * 4.8: the Built-In Protection Policy uses Replace, but "Strict Safe Attachments" covers every accepted domain
      with Block, so the built-in one applies to no one -> compliant;
    * 4.10: the default anti-phishing policy fails (threshold 1), but a good custom policy whose rule lists every
      accepted domain (*.onmicrosoft.com included) shadows it -> compliant.
    """
    links = "Name=Strict Safe Links"
    ops: list[PatchOp] = [
        *[
            ("replace", cmdlet_pointer("Get-SafeLinksPolicy", links, key), False)
            for key in (
                "EnableSafeLinksForEmail",
                "EnableSafeLinksForTeams",
                "EnableSafeLinksForOffice",
                "ScanUrls",
                "EnableForInternalSenders",
                "TrackClicks",
            )
        ],
        ("replace", cmdlet_pointer("Get-SafeLinksPolicy", links, "AllowClickThrough"), True),
        ("replace", cmdlet_pointer("Get-SafeAttachmentPolicy", "Name=Built-In Protection Policy", "Action"), "Replace"),
        (
            "replace",
            cmdlet_pointer("Get-AntiPhishPolicy", "Name=Office365 AntiPhish Default", "PhishThresholdLevel"),
            1,
        ),
        (
            "add",
            cmdlet_pointer("Get-AntiPhishPolicy", "-"),
            good_anti_phish_policy("Whole organisation"),
        ),
        (
            "add",
            cmdlet_pointer("Get-AntiPhishRule", "-"),
            {
                "Name": "Whole organisation",
                "AntiPhishPolicy": "Whole organisation",
                "State": "Enabled",
                "Priority": 0,
                "RecipientDomainIs": [ROOT, FEDERATED, INITIAL],
            },
        ),
    ]
    return ScanCase("policies_that_apply", patch(golden_scenario(), ops))


FORWARDING_BLOCK = "Block client forwarding to external recipients"


def presets_and_audit_rules_case() -> ScanCase:
    """Issue 9 items 7-9: a preset for everyone, transport rules in Audit mode, an outbound policy for a group.

    * 2.3, 4.7, 4.8, 4.10: the Standard preset is on for all recipients; the custom Safe Links policy, the
      built-in Safe Attachments policy and the default anti-phishing policy all fail, but the preset shadows them
      -> compliant;
    * 4.3 / 4.5: a rule redirecting outside (Audit) and one allow-listing a sender domain (AuditAndNotify) take no
      action -> compliant, both listed;
    * 4.6: the forwarding block rule is in Audit mode and a custom outbound policy lets the Sales group forward ->
      non_compliant naming both;
    * 4.4: forwarding on for the Default remote domain and the same Sales outbound policy -> non_compliant.
    """
    rule_fields = {"SenderDomainIs": None, "SetSCL": None, "BlindCopyTo": None, "CopyTo": None, "AddToRecipients": None}
    ops: list[PatchOp] = [
        *with_preset("Standard"),
        ("replace", cmdlet_pointer("Get-SafeLinksPolicy", "Name=Strict Safe Links", "AllowClickThrough"), True),
        ("replace", cmdlet_pointer("Get-SafeAttachmentPolicy", "Name=Built-In Protection Policy", "Enable"), False),
        (
            "replace",
            cmdlet_pointer("Get-AntiPhishPolicy", "Name=Office365 AntiPhish Default", "PhishThresholdLevel"),
            1,
        ),
        (
            "add",
            cmdlet_pointer("Get-TransportRule", "-"),
            {
                **rule_fields,
                "Name": "Trial: journal to archive",
                "Guid": "4b1f7a52-2f0e-4c55-9d7e-3a6b1c0d9e31",
                "State": "Enabled",
                "Mode": "Audit",
                "Priority": 1,
                "RedirectMessageTo": [EXTERNAL_ARCHIVE],
            },
        ),
        (
            "add",
            cmdlet_pointer("Get-TransportRule", "-"),
            {
                **rule_fields,
                "Name": "Trial: trust partner mail",
                "Guid": "9c2e4d61-7a3b-4e8f-b5c1-2d0f6e8a7b42",
                "State": "Enabled",
                "Mode": "AuditAndNotify",
                "Priority": 2,
                "RedirectMessageTo": None,
                "SenderDomainIs": ["northwindtraders.com"],
                "SetSCL": -1,
            },
        ),
        transport_rule_mode(FORWARDING_BLOCK, "Audit"),
        *outbound_spam_policy("Sales forwarding", auto_forwarding="On", FromMemberOf=["Sales"]),
        ("replace", cmdlet_pointer("Get-RemoteDomain", "Name=Default", "AutoForwardEnabled"), True),
    ]
    return ScanCase("presets_and_audit_rules", patch(golden_scenario(), ops))


def all_cases() -> list[ScanCase]:
    """Every live scan of tests/e2e/test_verdicts_exchange_dns.py."""
    return [
        golden_case(),
        noncompliant_case(),
        no_exchange_permission_case(),
        no_entra_role_case(),
        service_faults_case(),
        dns_failures_case(),
        no_mail_domain_case(),
        no_domain_permission_case(),
        issue9_crafted_case(),
        issue9_neighbours_case(),
        issue9_addin_in_use_case(),
        policies_that_apply_case(),
        presets_and_audit_rules_case(),
    ]


def many_domains_tenant(custom_domains: int, users: int = USERS, seed: int = 1) -> Scenario:
    """The golden tenant with `custom_domains` verified custom mail domains, each with golden Exchange and DNS data."""
    profile = golden_profile(users, seed)
    _, _, secret = tenant_identity(seed)
    specs = golden_domains(profile.root_domain, profile.initial_domain, None)
    specs += [DomainSpec(f"mail{index:02d}.contoso-brands.com") for index in range(1, custom_domains)]
    return with_exchange_and_dns(build_compliant(profile, specs, client_secret=secret))


# ------------------------------------------------------------------------------------------------ running scans
@dataclass
class ScanOutcome:
    """What one scan produced, and what the fakes saw of it."""

    name: str
    returncode: int
    output: str
    results: dict[str, dict[str, Any]]
    exchange_calls: list[InvokeCall] = field(default_factory=list)
    dns_queries: list[tuple[str, str, str]] = field(default_factory=list)
    graph_requests: list[LoggedRequest] = field(default_factory=list)
    snapshot: Path | None = None

    def result(self, recommendation_id: str) -> dict[str, Any]:
        """The results-document entry of one recommendation (KeyError with the scan output when absent)."""
        try:
            return self.results[recommendation_id]
        except KeyError:
            raise KeyError(
                f"{recommendation_id} missing from the {self.name} scan; output:\n{self.output[-3000:]}"
            ) from None

    def evidence_text(self, recommendation_id: str) -> str:
        """Every evidence item of a recommendation, one per line, for substring assertions."""
        return "\n".join(json.dumps(item, sort_keys=True) for item in self.result(recommendation_id)["evidence"])


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    # A scan reads credentials and hosts from the environment too: start from a clean slate.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "O365CIS_", "PYTEST_")) and k != "USE_RATE_LIMITER"
    }
    env.update(extra)
    return env


def _results(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    return {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))["results"]}


def _wait(process: subprocess.Popen[bytes]) -> int:
    """The exit status of a scan process (killed if it outlives SCAN_TIMEOUT)."""
    try:
        return process.wait(timeout=SCAN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def write_scan_config(workdir: Path) -> Path:
    """The --cis-config the golden tenant relies on (break-glass accounts, approved public groups)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return write_config(workdir / "cis-config.yaml", full_golden_config())


def scan_one(case: ScanCase, workdir: Path, config: Path) -> ScanOutcome:
    """Serve the case from a fresh fake cloud, run the suite against it in a child process, keep the logs."""
    out = workdir / case.name
    out.mkdir(parents=True, exist_ok=True)
    log = out / "scan.log"
    with fake_cloud([case.scenario]) as cloud, log.open("wb") as handle:
        options = [f"--cis-config={config}", "-q", *case.options]
        if case.compliance_host:
            options.append(f"--compliance-url={cloud.server.url}{COMPLIANCE_PREFIX}")
        if case.save_snapshot:
            options.append(f"--snapshot-save={out / 'snapshot.json'}")
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *scan_command(cloud, case.scenario, out, options)],
            env=_child_env({**cloud.env(case.scenario), **case.env}),
            cwd=out,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        returncode = _wait(process)
        return ScanOutcome(
            name=case.name,
            returncode=returncode,
            output=log.read_text(encoding="utf-8", errors="replace"),
            results=_results(out / "results.json"),
            exchange_calls=list(cloud.exchange.calls),
            dns_queries=list(cloud.dns.queries),
            graph_requests=[r for r in cloud.server.requests if r.path.startswith(("/v1.0/", "/beta/"))],
            snapshot=(out / "snapshot.json") if case.save_snapshot else None,
        )


def run_scans(cases: Sequence[ScanCase], workdir: Path, *, parallel: int = PARALLEL_SCANS) -> dict[str, ScanOutcome]:
    """Scan every case, `parallel` at a time, each against its own fake cloud."""
    config = write_scan_config(workdir)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="scan") as pool:
        futures = {case.name: pool.submit(scan_one, case, workdir, config) for case in cases}
        return {name: future.result() for name, future in futures.items()}


def _replay_command(snapshot: Path, config: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
        f"--snapshot={snapshot}", f"--cis-config={config}", f"--cis-json={out / 'results.json'}",
        f"--cis-csv={out / 'results.csv'}", f"--html={out / 'report.html'}", f"--junitxml={out / 'junit.xml'}",
    ]  # fmt: skip


def replay_all(snapshots: Mapping[str, Path], workdir: Path) -> dict[str, ScanOutcome]:
    """Evaluate saved snapshots offline, concurrently: no tenant, no credentials, no server listening."""
    config = write_scan_config(workdir)
    with ExitStack() as stack:
        running: list[tuple[str, subprocess.Popen[bytes], Path, Path]] = []
        for name, snapshot in snapshots.items():
            out = workdir / f"{name}-replay"
            out.mkdir(parents=True, exist_ok=True)
            log = out / "scan.log"
            process = subprocess.Popen(
                _replay_command(snapshot, config, out),
                env=_child_env({}),
                cwd=out,
                stdout=stack.enter_context(log.open("wb")),
                stderr=subprocess.STDOUT,
            )
            running.append((name, process, out, log))
        return {
            name: ScanOutcome(
                f"{name}-replay", _wait(process), log.read_text(encoding="utf-8", errors="replace"),
                _results(out / "results.json"),
            )
            for name, process, out, log in running
        }  # fmt: skip
