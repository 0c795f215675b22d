"""1.4: SharePoint modern authentication."""

from __future__ import annotations

import pytest

from o365cis.findings import Status
from o365cis.rules.account.modern_auth import sharepoint_modern_auth_required
from tests.unit.rules.account_cases import Patch, status_of, tenant


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: t["sharepoint"].update(isLegacyAuthProtocolsEnabled=True), Status.NON_COMPLIANT),
        (lambda t: t["sharepoint"].update(isLegacyAuthProtocolsEnabled=None), None),
        (lambda t: t["sharepoint"].pop("isLegacyAuthProtocolsEnabled"), None),
    ],
)
def test_sharepoint_modern_auth_required(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(sharepoint_modern_auth_required(tenant(patch)["sharepoint"])) is expected
