"""Issue 9: GCC tenants' Defender for Office 365 and Customer Lockbox plans count (plan names from Microsoft's
"Product names and service plan identifiers for licensing", e.g. the "Office 365 GCC G5" row)."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.licensing import LOCKBOX, MDO, plan_present


def gcc_sku(*plans: str, capability: str = "Enabled", provisioning: str = "Success") -> list[dict[str, Any]]:
    return [
        {
            "skuId": "1341559b-49df-443c-8e79-fa604fed2d82",
            "skuPartNumber": "ENTERPRISEPREMIUM_NOPSTNCONF_NOPBI_GOV",
            "capabilityStatus": capability,
            "servicePlans": [{"servicePlanName": p, "provisioningStatus": provisioning} for p in plans],
        }
    ]


@pytest.mark.parametrize("plan", ["ATP_ENTERPRISE_GOV", "THREAT_INTELLIGENCE_GOV"])
def test_a_government_defender_plan_counts(plan: str) -> None:
    assert plan_present(gcc_sku(plan), MDO)


def test_the_government_lockbox_plan_counts() -> None:
    assert plan_present(gcc_sku("LOCKBOX_ENTERPRISE_GOV"), LOCKBOX)


def test_government_plans_follow_the_same_liveness_rules() -> None:
    assert not plan_present(gcc_sku("ATP_ENTERPRISE_GOV", capability="Suspended"), MDO)
    assert not plan_present(gcc_sku("LOCKBOX_ENTERPRISE_GOV", provisioning="Disabled"), LOCKBOX)


def test_a_similar_name_does_not_count() -> None:
    """GCC High SKUs such as ATP_ENTERPRISE_USGOV_GCCHIGH are SKU part numbers, not service plan names."""
    assert not plan_present(gcc_sku("ATP_ENTERPRISE_USGOV_GCCHIGH", "EQUIVIO_ANALYTICS_GOV"), MDO + LOCKBOX)
