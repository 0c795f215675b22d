"""Section 3: external resharing (3.6) over the SharePoint settings singleton, and the manual Teams reviews."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.findings import Finding, NoDecision, Status
from o365cis.rules.data_management import (
    external_resharing_blocked,
)

# GET /v1.0/admin/sharepoint/settings (singleton, no "value" wrapper), trimmed; compliant for 3.6.
SHAREPOINT_SETTINGS: dict[str, Any] = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#admin/sharepoint/settings/$entity",
    "sharingCapability": "externalUserSharingOnly",
    "isResharingByExternalUsersEnabled": False,
    "sharingDomainRestrictionMode": "allowList",
    "sharingAllowedDomainList": ["fabrikam.com"],
    "sharingBlockedDomainList": [],
}


def patched(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    settings = copy.deepcopy(SHAREPOINT_SETTINGS)
    change(settings)
    return settings


def status_of(decision: Finding | NoDecision) -> Status | None:
    return decision.status if isinstance(decision, Finding) else None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: None, Status.COMPLIANT),
        (lambda s: s.update(isResharingByExternalUsersEnabled=True), Status.NON_COMPLIANT),
        (lambda s: s.update(sharingCapability="externalUserAndGuestSharing"), Status.COMPLIANT),
        # no external sharing at all: nobody external exists who could reshare
        (lambda s: s.update(sharingCapability="disabled", isResharingByExternalUsersEnabled=True), Status.COMPLIANT),
        (lambda s: s.update(sharingCapability="disabled", isResharingByExternalUsersEnabled=None), Status.COMPLIANT),
        (lambda s: s.update(isResharingByExternalUsersEnabled=None), None),
        (lambda s: s.pop("isResharingByExternalUsersEnabled"), None),
        (lambda s: s.clear(), None),
    ],
)
def test_external_resharing_blocked(change: Callable[[dict[str, Any]], Any], expected: Status | None) -> None:
    assert status_of(external_resharing_blocked(patched(change))) == expected


def test_resharing_evidence_lists_both_values() -> None:
    decision = external_resharing_blocked(patched(lambda s: s.update(isResharingByExternalUsersEnabled=True)))
    assert isinstance(decision, Finding)
    values = {e.name: e.detail for e in decision.evidence}
    assert values == {"isResharingByExternalUsersEnabled": "true", "sharingCapability": "externalUserSharingOnly"}


def test_missing_settings_never_comply() -> None:
    assert isinstance(external_resharing_blocked(None), NoDecision)
