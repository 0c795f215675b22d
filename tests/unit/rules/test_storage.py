"""Section 6: domain-limited sharing (6.1), unmanaged sync (6.2), Anyone-link expiry (6.3) over SharePoint settings."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.findings import Finding, NoDecision, Status
from o365cis.rules.storage import anyone_link_expiry_applies, sharing_limited_by_domain, unmanaged_sync_blocked

# GET /v1.0/admin/sharepoint/settings (singleton), trimmed; compliant for 6.1 and 6.2, not_applicable for 6.3.
SHAREPOINT_SETTINGS: dict[str, Any] = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#admin/sharepoint/settings/$entity",
    "sharingCapability": "externalUserSharingOnly",
    "sharingDomainRestrictionMode": "allowList",
    "sharingAllowedDomainList": ["fabrikam.com", "contoso-partner.com"],
    "sharingBlockedDomainList": [],
    "isUnmanagedSyncAppForTenantRestricted": True,
    "allowedDomainGuidsForSyncApp": ["3a8b2b1c-6e8f-4b0d-9f5e-1c2d3e4f5a6b"],
    "isMacSyncAppEnabled": False,
    "isResharingByExternalUsersEnabled": False,
}


def patched(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    settings = copy.deepcopy(SHAREPOINT_SETTINGS)
    change(settings)
    return settings


def status_of(decision: Finding | NoDecision) -> Status | None:
    return decision.status if isinstance(decision, Finding) else None


# ------------------------------------------------------------------------------------------------ 6.1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: None, Status.COMPLIANT),
        (lambda s: s.update(sharingDomainRestrictionMode="none"), Status.NON_COMPLIANT),
        (lambda s: s.update(sharingAllowedDomainList=[]), Status.NON_COMPLIANT),
        (lambda s: s.update(sharingAllowedDomainList=None), Status.NON_COMPLIANT),
        (lambda s: s.update(sharingDomainRestrictionMode="blockList"), Status.NON_COMPLIANT),  # block list empty
        (
            lambda s: s.update(sharingDomainRestrictionMode="blockList", sharingBlockedDomainList=["evil.example"]),
            Status.COMPLIANT,
        ),
        (lambda s: s.update(sharingCapability="disabled", sharingDomainRestrictionMode="none"), Status.COMPLIANT),
        (lambda s: s.update(sharingCapability="disabled", sharingDomainRestrictionMode=None), Status.COMPLIANT),
        (lambda s: s.pop("sharingDomainRestrictionMode"), None),
        (lambda s: s.update(sharingDomainRestrictionMode=None), None),
        (lambda s: s.clear(), None),
    ],
)
def test_sharing_limited_by_domain(change: Callable[[dict[str, Any]], Any], expected: Status | None) -> None:
    assert status_of(sharing_limited_by_domain(patched(change))) == expected


def test_domain_list_is_in_the_evidence() -> None:
    decision = sharing_limited_by_domain(SHAREPOINT_SETTINGS)
    assert isinstance(decision, Finding)
    values = {e.name: e.detail for e in decision.evidence}
    assert values["sharingAllowedDomainList"] == "fabrikam.com, contoso-partner.com"
    assert values["sharingDomainRestrictionMode"] == "allowList"
    assert "2 domain(s)" in decision.reason


def test_long_domain_list_is_capped_but_counted() -> None:
    domains = [f"d{i}.example" for i in range(40)]
    decision = sharing_limited_by_domain(patched(lambda s: s.update(sharingAllowedDomainList=domains)))
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT
    shown = {e.name: e.detail for e in decision.evidence}["sharingAllowedDomainList"] or ""
    assert shown.endswith("(and 15 more)")
    assert "40 domain(s)" in decision.reason


# ------------------------------------------------------------------------------------------------ 6.2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: None, Status.COMPLIANT),
        (lambda s: s.update(isUnmanagedSyncAppForTenantRestricted=False), Status.NON_COMPLIANT),
        (lambda s: s.update(allowedDomainGuidsForSyncApp=[]), Status.NON_COMPLIANT),
        (lambda s: s.update(isMacSyncAppEnabled=True), Status.NON_COMPLIANT),
        # a proven failure decides even when another value is missing
        (
            lambda s: s.update(isMacSyncAppEnabled=True, isUnmanagedSyncAppForTenantRestricted=None),
            Status.NON_COMPLIANT,
        ),
        (lambda s: s.update(isUnmanagedSyncAppForTenantRestricted=None), None),
        (lambda s: s.pop("isMacSyncAppEnabled"), None),
        (lambda s: s.pop("allowedDomainGuidsForSyncApp"), None),
        (lambda s: s.clear(), None),
    ],
)
def test_unmanaged_sync_blocked(change: Callable[[dict[str, Any]], Any], expected: Status | None) -> None:
    assert status_of(unmanaged_sync_blocked(patched(change))) == expected


def test_sync_reason_names_every_failure() -> None:
    decision = unmanaged_sync_blocked(
        patched(lambda s: s.update(isUnmanagedSyncAppForTenantRestricted=False, isMacSyncAppEnabled=True))
    )
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert "isUnmanagedSyncAppForTenantRestricted false" in decision.reason
    assert "isMacSyncAppEnabled true" in decision.reason
    guids = {e.name: e.detail for e in decision.evidence}["allowedDomainGuidsForSyncApp"]
    assert guids == "3a8b2b1c-6e8f-4b0d-9f5e-1c2d3e4f5a6b"


# ------------------------------------------------------------------------------------------------ 6.3


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("externalUserSharingOnly", Status.NOT_APPLICABLE),
        ("existingExternalUserSharingOnly", Status.NOT_APPLICABLE),
        ("disabled", Status.NOT_APPLICABLE),
        ("externalUserAndGuestSharing", None),  # Anyone links on: only the SharePoint admin API knows the expiry
        (None, None),
    ],
)
def test_anyone_link_expiry_applies(capability: str | None, expected: Status | None) -> None:
    decision = anyone_link_expiry_applies(patched(lambda s: s.update(sharingCapability=capability)))
    assert status_of(decision) == expected
    assert decision.evidence[0].name == "sharingCapability"


def test_anyone_links_on_hand_over_with_the_reason() -> None:
    decision = anyone_link_expiry_applies(patched(lambda s: s.update(sharingCapability="externalUserAndGuestSharing")))
    assert isinstance(decision, NoDecision)
    assert "RequireAnonymousLinksExpireInDays" in decision.reason


def test_anyone_link_expiry_never_decides_without_settings() -> None:
    assert isinstance(anyone_link_expiry_applies(None), NoDecision)
