"""Modern authentication: 1.2 for Exchange Online (Get-OrganizationConfig) and 1.4 for SharePoint (tenant settings)."""

from __future__ import annotations

from collections.abc import Mapping

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._exchange import configuration_switch
from o365cis.rules._types import Json, JsonList


def sharepoint_modern_auth_required(settings: Json) -> Decision:
    """1.4: SharePoint settings isLegacyAuthProtocolsEnabled is false."""
    value = settings.get("isLegacyAuthProtocolsEnabled") if isinstance(settings, Mapping) else None
    evidence = [Evidence(type=EvidenceType.SETTING, name="isLegacyAuthProtocolsEnabled", detail=str(value))]
    if value is False:
        return compliant(
            "SharePoint blocks apps that do not use modern authentication (isLegacyAuthProtocolsEnabled false)",
            evidence,
        )
    if value is True:
        return non_compliant(
            "SharePoint allows apps that do not use modern authentication (isLegacyAuthProtocolsEnabled true)", evidence
        )
    return no_decision("SharePoint settings did not return isLegacyAuthProtocolsEnabled", evidence)


def exchange_modern_auth_enabled(organization_config: JsonList | Json | None) -> Decision:
    """1.2: OrganizationConfig.OAuth2ClientProfileEnabled is True."""
    return configuration_switch(
        organization_config,
        "OrganizationConfig",
        "OAuth2ClientProfileEnabled",
        wanted=True,
        on="Modern authentication is enabled for Exchange Online",
        off="Modern authentication is disabled for Exchange Online",
    )
