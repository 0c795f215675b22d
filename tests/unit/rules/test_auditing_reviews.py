"""What every manual review of section 5 shares: never a verdict, unread sources named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from o365cis.findings import Finding, Status
from tests.unit.rules.auditing_cases import _all_unread


@pytest.mark.parametrize(("rec", "review", "unread", "permissions"), _all_unread(), ids=[r[0] for r in _all_unread()])
def test_nothing_read_is_still_manual_and_names_permissions(
    rec: str, review: Callable[..., Finding], unread: dict[str, Any], permissions: list[str]
) -> None:
    failure = "403 Authorization_RequestDenied: Insufficient privileges to complete the operation."
    finding = review(**unread, failures={key: failure for key in unread})
    assert finding.status is Status.MANUAL
    assert finding.reason.startswith("Review ")
    assert "Not read:" in finding.reason
    for permission in permissions:
        assert permission in finding.reason, permission
    assert failure in finding.reason
    assert all(e.type != "secureScoreControl" for e in finding.evidence)


@pytest.mark.parametrize(("rec", "review", "unread", "permissions"), _all_unread(), ids=[r[0] for r in _all_unread()])
def test_empty_reads_are_manual_and_say_so(
    rec: str, review: Callable[..., Finding], unread: dict[str, Any], permissions: list[str]
) -> None:
    finding = review(**{key: [] for key in unread})
    assert finding.status is Status.MANUAL
    assert "Read:" in finding.reason
    # every periodic review asks for a record of it; 5.13 asks whether the connector and policies are in use
    assert ("in use" if rec == "5.13" else "recorded") in finding.reason
