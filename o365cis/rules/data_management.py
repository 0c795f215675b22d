"""Section 3 (Data Management): 3.6 from the SharePoint tenant settings, and the manual Teams reviews 3.3 and 3.7.

3.1, 3.2, 3.4 and 3.5 are decided over Exchange / Security & Compliance output elsewhere (rules/email_security.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from o365cis.findings import Decision, Evidence, Finding, compliant, manual, no_decision, non_compliant

#: sharepointSettings.sharingCapability values (https://learn.microsoft.com/graph/api/resources/sharepointsettings).
SHARING_DISABLED = "disabled"


def _flag(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "null" if value is None else str(value)


def external_resharing_blocked(sharepoint_settings: Mapping[str, Any] | None) -> Decision:
    """3.6: guests cannot reshare files, folders and sites they do not own."""
    settings = sharepoint_settings or {}
    capability = settings.get("sharingCapability")
    resharing = settings.get("isResharingByExternalUsersEnabled")
    evidence = [
        Evidence("setting", "sharepointSettings", "isResharingByExternalUsersEnabled", _flag(resharing)),
        Evidence("setting", "sharepointSettings", "sharingCapability", _flag(capability)),
    ]
    if isinstance(capability, str) and capability.lower() == SHARING_DISABLED:
        return compliant("External sharing is disabled, so no external user exists who could reshare", evidence)
    if resharing is False:
        return compliant("External users cannot reshare items they do not own", evidence)
    if resharing is True:
        return non_compliant(
            f"External users can reshare items they do not own (isResharingByExternalUsersEnabled is true, "
            f"sharingCapability {_flag(capability)})",
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
