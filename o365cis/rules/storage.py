"""Section 6 (Storage): 6.1-6.3 from the SharePoint tenant settings (GET /v1.0/admin/sharepoint/settings), 6.4
(OWA storage providers) from Get-OwaMailboxPolicy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant, not_applicable
from o365cis.rules._exchange import object_evidence, object_name, objects, powershell_text, prop_bool
from o365cis.rules._types import JsonList
from o365cis.rules._values import json_text, plural
from o365cis.rules.evidence import capped

#: sharepointSettings.sharingCapability values (https://learn.microsoft.com/graph/api/resources/sharepointsettings).
SHARING_DISABLED = "disabled"
SHARING_ANYONE = "externalUserAndGuestSharing"
_DOMAIN_LIST_SHOWN = 25


def _same(value: Any, expected: str) -> bool:
    return isinstance(value, str) and value.lower() == expected.lower()


def _domains(value: Any) -> list[str]:
    # Graph sends an empty collection, or null, when no domain is listed.
    return [str(item) for item in value] if isinstance(value, list) else []


def _shown(domains: list[str]) -> str:
    if not domains:
        return "empty"
    head = ", ".join(domains[:_DOMAIN_LIST_SHOWN])
    rest = len(domains) - _DOMAIN_LIST_SHOWN
    return f"{head} (and {rest} more)" if rest > 0 else head


def sharing_limited_by_domain(sharepoint_settings: Mapping[str, Any] | None) -> Decision:
    """6.1: external sharing is restricted to an allow list or away from a block list of domains."""
    settings = sharepoint_settings or {}
    capability = settings.get("sharingCapability")
    mode = settings.get("sharingDomainRestrictionMode")
    allowed = _domains(settings.get("sharingAllowedDomainList"))
    blocked = _domains(settings.get("sharingBlockedDomainList"))
    evidence = [
        Evidence(EvidenceType.SETTING, "sharepointSettings", "sharingCapability", json_text(capability)),
        Evidence(EvidenceType.SETTING, "sharepointSettings", "sharingDomainRestrictionMode", json_text(mode)),
        Evidence(EvidenceType.SETTING, "sharepointSettings", "sharingAllowedDomainList", _shown(allowed)),
        Evidence(EvidenceType.SETTING, "sharepointSettings", "sharingBlockedDomainList", _shown(blocked)),
    ]
    if _same(capability, SHARING_DISABLED):
        return compliant("External sharing is disabled, so nothing is shared with any outside domain", evidence)
    if not isinstance(mode, str):
        return no_decision("SharePoint settings carry no sharingDomainRestrictionMode value", evidence)
    if _same(mode, "allowList"):
        if allowed:
            return compliant(f"External sharing is limited to an allow list of {len(allowed)} domain(s)", evidence)
        return non_compliant("sharingDomainRestrictionMode is allowList but the allowed domain list is empty", evidence)
    if _same(mode, "blockList"):
        if blocked:
            return compliant(f"External sharing is blocked for a list of {len(blocked)} domain(s)", evidence)
        return non_compliant("sharingDomainRestrictionMode is blockList but the blocked domain list is empty", evidence)
    return non_compliant(
        f"External sharing ({json_text(capability)}) is not limited by domain (sharingDomainRestrictionMode is {mode})",
        evidence,
    )


def unmanaged_sync_blocked(sharepoint_settings: Mapping[str, Any] | None) -> Decision:
    """6.2: the OneDrive sync app only runs on domain-joined PCs of the listed domains, and Mac sync is off."""
    settings = sharepoint_settings or {}
    restricted = settings.get("isUnmanagedSyncAppForTenantRestricted")
    guids_value = settings.get("allowedDomainGuidsForSyncApp")
    guids = _domains(guids_value)
    mac = settings.get("isMacSyncAppEnabled")
    evidence = [
        Evidence(
            EvidenceType.SETTING, "sharepointSettings", "isUnmanagedSyncAppForTenantRestricted", json_text(restricted)
        ),
        Evidence(EvidenceType.SETTING, "sharepointSettings", "allowedDomainGuidsForSyncApp", _shown(guids)),
        Evidence(EvidenceType.SETTING, "sharepointSettings", "isMacSyncAppEnabled", json_text(mac)),
    ]
    failures = []
    if restricted is False:
        failures.append("sync is not restricted to managed devices (isUnmanagedSyncAppForTenantRestricted false)")
    if isinstance(guids_value, list) and not guids:
        failures.append("no allowed domain GUID is listed (allowedDomainGuidsForSyncApp empty)")
    if mac is True:
        # The domain-GUID restriction only recognises domain-joined Windows PCs, so Mac sync bypasses it
        # (https://learn.microsoft.com/sharepoint/allow-syncing-only-on-specific-domains).
        failures.append("the Mac sync app is allowed (isMacSyncAppEnabled true)")
    if failures:
        return non_compliant("OneDrive sync from unmanaged devices is not blocked: " + "; ".join(failures), evidence)
    if not isinstance(restricted, bool) or not isinstance(mac, bool) or not isinstance(guids_value, list):
        return no_decision("SharePoint settings lack one of the three sync restriction values", evidence)
    return compliant(
        f"OneDrive sync is restricted to {len(guids)} trusted domain(s) and the Mac sync app is blocked", evidence
    )


def anyone_link_expiry_applies(sharepoint_settings: Mapping[str, Any] | None) -> Decision:
    """6.3: not applicable unless Anyone links are allowed; otherwise Graph cannot see the expiry (next source)."""
    capability = (sharepoint_settings or {}).get("sharingCapability")
    evidence = [Evidence(EvidenceType.SETTING, "sharepointSettings", "sharingCapability", json_text(capability))]
    if not isinstance(capability, str):
        return no_decision("SharePoint settings carry no sharingCapability value", evidence)
    if not _same(capability, SHARING_ANYONE):
        return not_applicable(
            f"Anyone links are off (sharingCapability is {capability}), so no anonymous link can need an expiry",
            evidence,
        )
    return no_decision(
        "Anyone links are allowed (sharingCapability is externalUserAndGuestSharing); their expiry "
        "(RequireAnonymousLinksExpireInDays) is only in the SharePoint admin API, not in Graph",
        evidence,
    )


def owa_storage_providers_restricted(owa_mailbox_policies: JsonList | None) -> Decision:
    """6.4: no OWA mailbox policy offers additional storage providers."""
    policies = objects(owa_mailbox_policies)
    if not policies:
        return no_decision(
            "Get-OwaMailboxPolicy returned no policy (every tenant has a default one): no verdict from Exchange"
        )
    evidence = capped(
        [
            object_evidence(
                EvidenceType.OWA_MAILBOX_POLICY,
                p,
                f"IsDefault {powershell_text(p.get('IsDefault'))}; "
                f"AdditionalStorageProvidersAvailable {powershell_text(p.get('AdditionalStorageProvidersAvailable'))}",
            )
            for p in policies
        ],
        "policies",
    )
    allowing = [object_name(p) for p in policies if prop_bool(p, "AdditionalStorageProvidersAvailable") is True]
    if allowing:
        return non_compliant(
            f"Additional storage providers are available in Outlook on the web through {', '.join(allowing)}", evidence
        )
    unknown = [object_name(p) for p in policies if prop_bool(p, "AdditionalStorageProvidersAvailable") is None]
    if unknown:
        return no_decision(f"AdditionalStorageProvidersAvailable is absent on {', '.join(unknown)}", evidence)
    return compliant(
        f"No OWA mailbox policy offers additional storage providers ({plural(len(policies), 'policy')} checked)",
        evidence,
    )
