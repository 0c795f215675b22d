"""Section 3 (Data Management): 3.6 from the SharePoint tenant settings, the manual Teams reviews 3.3 and 3.7, and
3.1 (Customer Lockbox), 3.2 (sensitivity labels), 3.4 and 3.5 (DLP) over Exchange / Security & Compliance output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from o365cis.findings import Decision, Evidence, EvidenceType, Finding, compliant, manual, no_decision, non_compliant
from o365cis.rules._exchange import (
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


def teams_external_access_review() -> Finding:
    """3.3 (manual): Teams federation settings are outside Graph and the Exchange admin API."""
    return manual(
        "Review in the Teams admin center > Users > External access (or Get-CsTenantFederationConfiguration): "
        "AllowFederatedUsers must be False, or True only with an explicit AllowedDomains list of approved domains. "
        "Teams external access is not exposed by Graph or the Exchange admin API, so nothing was read"
    )


def teams_cloud_storage_review() -> Finding:
    """3.7 (manual): the Teams client's third-party storage switches are outside Graph and the Exchange admin API."""
    return manual(
        "Review in the Teams admin center > Teams settings > Files (or Get-CsTeamsClientConfiguration -Identity "
        "Global): AllowDropBox, AllowBox, AllowGoogleDrive, AllowShareFile and AllowEgnyte must be False unless the "
        "provider is on the organisation's approved list. The Teams client configuration is not exposed by Graph or "
        "the Exchange admin API, so nothing was read"
    )


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
