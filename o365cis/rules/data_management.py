"""Section 3 (Data Management): 3.6 from the SharePoint tenant settings, 3.3 and 3.7 from the Teams admin API, and
3.1 (Customer Lockbox), 3.2 (sensitivity labels), 3.4 and 3.5 (DLP) over Exchange / Security & Compliance output.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._admin_api import find, shape, single_object
from o365cis.rules._exchange import (
    bool_value,
    configuration_switch,
    object_evidence,
    object_name,
    objects,
    powershell_text,
    prop_bool,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import json_text, plural
from o365cis.rules.evidence import EVIDENCE_CAP, capped

#: sharepointSettings.sharingCapability values (https://learn.microsoft.com/graph/api/resources/sharepointsettings).
SHARING_DISABLED = "disabled"


def external_resharing_blocked(sharepoint_settings: Mapping[str, Any] | None) -> Decision:
    """3.6: guests cannot reshare files, folders and sites they do not own."""
    settings = sharepoint_settings or {}
    capability = settings.get("sharingCapability")
    resharing = settings.get("isResharingByExternalUsersEnabled")
    evidence = [
        Evidence(EvidenceType.SETTING, "sharepointSettings", "isResharingByExternalUsersEnabled", json_text(resharing)),
        Evidence(EvidenceType.SETTING, "sharepointSettings", "sharingCapability", json_text(capability)),
    ]
    if isinstance(capability, str) and capability.lower() == SHARING_DISABLED:
        return compliant("External sharing is disabled, so no external user exists who could reshare", evidence)
    if resharing is False:
        return compliant("External users cannot reshare items they do not own", evidence)
    if resharing is True:
        return non_compliant(
            f"External users can reshare items they do not own (isResharingByExternalUsersEnabled is true, "
            f"sharingCapability {json_text(capability)})",
            evidence,
        )
    return no_decision("SharePoint settings carry no isResharingByExternalUsersEnabled value", evidence)


#: 3.7: the Teams client's third-party storage switches and the provider each one names (config spelling).
STORAGE_SWITCHES: tuple[tuple[str, str], ...] = (
    ("AllowDropBox", "dropbox"),
    ("AllowBox", "box"),
    ("AllowGoogleDrive", "googledrive"),
    ("AllowShareFile", "sharefile"),
    ("AllowEgnyte", "egnyte"),
)
#: 3.3: TenantFederationSettings properties shown as evidence beside the decisive ones.
_FEDERATION_EVIDENCE = ("BlockedDomains", "AllowPublicUsers", "AllowTeamsConsumer", "AllowTeamsConsumerInbound")
#: The PowerShell rendering of "every known domain is allowed" (Get-CsTenantFederationConfiguration).
_ALLOW_ALL = "allowallknowndomains"


def _teams_setting(source: str, name: str, value: Any) -> Evidence:
    """One Teams configuration property as evidence (lists and objects as compact JSON)."""
    shown = json.dumps(value, sort_keys=True)[:300] if isinstance(value, (list, dict)) else json_text(value)
    return Evidence(EvidenceType.SETTING, source, name, shown)


def _domain_entry(item: Any) -> str | None:
    """An allowed domain: a string, or an object with a Domain string (matched case-insensitively)."""
    if isinstance(item, str):
        return item.strip() or None
    if isinstance(item, Mapping):
        present, domain = find(item, "Domain")
        if present and isinstance(domain, str) and domain.strip():
            return domain.strip()
    return None


def _allowed_domains(value: Any) -> tuple[str, list[str]] | str:
    """("all", []) for allow-all, ("list", domains) for an allow-list, else the unrecognised shape (a str)."""
    if isinstance(value, str) and value.strip().lower() == _ALLOW_ALL:
        return "all", []
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], Mapping):
        if _domain_entry(value[0]) is None:
            value = value[0]  # a one-element array wrapping the AllowedDomains object
    if isinstance(value, Mapping):
        if not value:
            return "list", []
        present, _ = find(value, "AllowAllKnownDomains")
        if present:
            return "all", []
        present, entries = find(value, "AllowedDomain")
        if not present:
            return f"an object with {', '.join(sorted(str(k) for k in value)[:5])}"
        value = entries if isinstance(entries, list) else [entries]
    if isinstance(value, list):
        domains = [_domain_entry(item) for item in value]
        if all(domains):
            return "list", [d for d in domains if d]
        return f"a list holding {shape(next(item for item, d in zip(value, domains, strict=True) if not d))}"
    return shape(value)


def teams_external_domains_restricted(federation: Any) -> Decision:
    """3.3: Teams external access is off, or limited to an explicit allow-list of domains.

    `federation` is the Teams admin API's TenantFederationSettings/global answer (undocumented by Microsoft).
    """
    source = "TenantFederationSettings"
    obj = single_object(federation)
    if obj is None:
        return no_decision(f"the Teams admin API answered {shape(federation)} for {source}, not one object")
    evidence = []
    present, allow = find(obj, "AllowFederatedUsers")
    evidence.append(_teams_setting(source, "AllowFederatedUsers", allow))
    has_domains, domains_value = find(obj, "AllowedDomains")
    if has_domains:
        evidence.append(_teams_setting(source, "AllowedDomains", domains_value))
    for name in _FEDERATION_EVIDENCE:
        seen, value = find(obj, name)
        if seen:
            evidence.append(_teams_setting(source, name, value))
    federated = bool_value(allow) if present else None
    if federated is None:
        return no_decision(f"{source} carries no AllowFederatedUsers true/false value ({shape(allow)})", evidence)
    if federated is False:
        return compliant("Teams external access is off (AllowFederatedUsers is false)", evidence)
    if not has_domains or domains_value is None:
        return no_decision(
            f"AllowFederatedUsers is true and {source} carries no AllowedDomains value ({shape(domains_value)})",
            evidence,
        )
    parsed = _allowed_domains(domains_value)
    if isinstance(parsed, str):
        return no_decision(f"AllowedDomains has a shape this scanner does not recognise: {parsed}", evidence)
    form, domains = parsed
    if form == "all":
        return non_compliant("Teams external access is on for every external domain (AllowAllKnownDomains)", evidence)
    if not domains:
        return non_compliant(
            "Teams external access is on and AllowedDomains is empty: no allow-list limits it (BlockedDomains does "
            "not count)",
            evidence,
        )
    shown = ", ".join(domains[:10]) + (f" and {len(domains) - 10} more" if len(domains) > 10 else "")
    return compliant(
        f"Teams external access is limited to an allow-list of {plural(len(domains), 'domain')}: {shown}", evidence
    )


def teams_cloud_storage_approved(client_configuration: Any, approved: Collection[str]) -> Decision:
    """3.7: every third-party storage switch that is on names a provider in config.approved_storage_providers.

    `client_configuration` is the Teams admin API's TeamsClientConfiguration/Global answer (undocumented by
    Microsoft). An unapproved switch that is on fails even when another switch is missing.
    """
    source = "TeamsClientConfiguration"
    obj = single_object(client_configuration)
    if obj is None:
        return no_decision(f"the Teams admin API answered {shape(client_configuration)} for {source}, not one object")
    allowed = {p.lower() for p in approved}
    evidence: list[Evidence] = []
    failing: list[str] = []
    missing: list[str] = []
    for switch, provider in STORAGE_SWITCHES:
        present, raw = find(obj, switch)
        value = bool_value(raw) if present else None
        evidence.append(_teams_setting(source, switch, raw if present else None))
        if value is None:
            missing.append(switch)
        elif value and provider not in allowed:
            failing.append(f"{switch} ({provider})")
    approved_text = ", ".join(sorted(allowed)) or "none"
    evidence.append(Evidence(EvidenceType.SETTING, "config", "approved_storage_providers", approved_text))
    if failing:
        return non_compliant(
            f"Teams offers third-party storage that is not approved: {', '.join(failing)} (approved: {approved_text})",
            evidence,
        )
    if missing:
        return no_decision(f"{source} carries no true/false value for {', '.join(missing)}", evidence)
    return compliant(f"Every third-party storage switch that is on is approved (approved: {approved_text})", evidence)


def customer_lockbox_enabled(organization_config: JsonList | Json | None) -> Decision:
    """3.1: OrganizationConfig.CustomerLockBoxEnabled is True."""
    return configuration_switch(
        organization_config,
        "OrganizationConfig",
        "CustomerLockBoxEnabled",
        wanted=True,
        on="Customer Lockbox is enabled",
        off="Customer Lockbox is disabled",
    )


_LABEL_LOCATIONS = ("ExchangeLocation", "SharePointLocation", "OneDriveLocation", "ModernGroupLocation")


def sensitivity_labels_published(labels: JsonList | None, label_policies: JsonList | None) -> Decision:
    """3.2: a sensitivity label exists and an enabled label policy publishes labels."""
    label_list = objects(labels)
    policies = objects(label_policies)
    names = [object_name(label) for label in label_list]
    evidence = [
        Evidence(
            EvidenceType.LABELS,
            None,
            "sensitivity labels",
            f"{len(names)}: {', '.join(names[:EVIDENCE_CAP]) or 'none'}",
        )
    ]
    published: list[str] = []
    unread: list[str] = []
    for policy in policies:
        locations = "; ".join(
            f"{loc} {powershell_text(policy.get(loc))}" for loc in _LABEL_LOCATIONS if policy.get(loc) is not None
        )
        evidence.append(
            object_evidence(
                EvidenceType.LABEL_POLICY,
                policy,
                f"Enabled {powershell_text(policy.get('Enabled'))}; Labels {powershell_text(policy.get('Labels'))}"
                + (f"; {locations}" if locations else ""),
            )
        )
        if text_values(policy.get("Labels")):
            enabled = prop_bool(policy, "Enabled")
            if enabled is True:
                published.append(object_name(policy))
            elif enabled is None:
                unread.append(object_name(policy))
    evidence.append(
        Evidence(
            EvidenceType.NOTE,
            None,
            None,
            "Whether labels are applied to content in SharePoint cannot be measured by these reads: "
            "confirm with the data owners",
        )
    )
    evidence = capped(evidence, "label policies")
    missing = []
    if not label_list:
        missing.append("no sensitivity label exists")
    if not published:
        missing.append("no enabled label policy publishes labels")
    if missing and (not label_list or not unread):
        return non_compliant("Information protection is not set up: " + " and ".join(missing), evidence)
    if missing:
        return no_decision(
            f"No label policy is proven enabled: Enabled is missing or unreadable on {', '.join(unread)}", evidence
        )
    return compliant(f"{plural(len(label_list), 'sensitivity label')} published by {', '.join(published)}", evidence)


def _dlp_active(policy: Json) -> bool | None:
    """Whether the policy is enforced (Mode Enable and Enabled true); None when Mode or Enabled is missing, null or
    of the wrong type and the other does not already say it is not enforced."""
    mode = policy.get("Mode")
    enabled = prop_bool(policy, "Enabled")
    if (isinstance(mode, str) and mode.strip().lower() != "enable") or enabled is False:
        return False
    if not isinstance(mode, str) or enabled is None:
        return None
    return True


def _dlp_evidence(policy: Json) -> Evidence:
    workloads = powershell_text(policy.get("Workload")) if policy.get("Workload") is not None else ""
    teams = powershell_text(policy.get("TeamsLocation"))
    return object_evidence(
        EvidenceType.DLP_POLICY,
        policy,
        f"Mode {powershell_text(policy.get('Mode'))}; Enabled {powershell_text(policy.get('Enabled'))}"
        + (f"; Workload {workloads}" if workloads else "")
        + f"; TeamsLocation {teams}",
    )


def dlp_policies_enabled(dlp_policies: JsonList | None) -> Decision:
    """3.4: at least one DLP policy is turned on (Mode Enable, not disabled)."""
    policies = objects(dlp_policies)
    evidence = capped([_dlp_evidence(p) for p in policies], "DLP policies")
    active = [object_name(p) for p in policies if _dlp_active(p)]
    if active:
        return compliant(f"DLP policies enforced: {', '.join(active)}", evidence)
    if not policies:
        return non_compliant("No DLP policy exists", evidence)
    unread = [object_name(p) for p in policies if _dlp_active(p) is None]
    if unread:
        return no_decision(f"Mode or Enabled is missing or unreadable on {', '.join(unread)}", evidence)
    return non_compliant("No DLP policy is enforced (all are in test mode or disabled)", evidence)


def dlp_policies_for_teams(dlp_policies: JsonList | None) -> Decision:
    """3.5: an enforced DLP policy covers Teams (non-empty TeamsLocation)."""
    policies = objects(dlp_policies)
    evidence = capped(
        [_dlp_evidence(p) for p in policies if text_values(p.get("TeamsLocation")) or _dlp_active(p)], "DLP policies"
    )
    covering = [object_name(p) for p in policies if _dlp_active(p) and text_values(p.get("TeamsLocation"))]
    if covering:
        return compliant(f"Enforced DLP policies cover Teams: {', '.join(covering)}", evidence)
    unread = [object_name(p) for p in policies if _dlp_active(p) is None and text_values(p.get("TeamsLocation"))]
    if unread:
        return no_decision(f"Mode or Enabled is missing or unreadable on {', '.join(unread)}", evidence)
    return non_compliant("No enforced DLP policy covers Teams chat and channel messages", evidence)
