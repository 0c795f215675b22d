"""The "plan present" test over GET /v1.0/subscribedSkus."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from o365cis import licensing
from o365cis.licensing import AAD_PREMIUM_P2, INTUNE, LOCKBOX, MDO, plan_evidence, plan_label, plan_present

# Trimmed subscribedSkus value as Graph returns it: Microsoft 365 E5 with Entra ID P2 and Defender for Office 365 P2.
SKUS: list[dict[str, Any]] = [
    {
        "accountId": "tenant-1",
        "accountName": "Contoso",
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": 20,
        "id": "tenant-1_06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "skuId": "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "skuPartNumber": "SPE_E5",
        "prepaidUnits": {"enabled": 25, "suspended": 0, "warning": 0, "lockedOut": 0},
        "servicePlans": [
            {
                "servicePlanId": "eec0eb4f-6444-4f95-aba0-50c24d67f998",
                "servicePlanName": "AAD_PREMIUM_P2",
                "provisioningStatus": "Success",
                "appliesTo": "User",
            },
            {
                "servicePlanId": "8e0c0a52-6a6c-4d40-8370-dd62790dcd70",
                "servicePlanName": "THREAT_INTELLIGENCE",
                "provisioningStatus": "Success",
                "appliesTo": "User",
            },
            {
                "servicePlanId": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
                "servicePlanName": "INTUNE_A",
                "provisioningStatus": "PendingInput",
                "appliesTo": "User",
            },
        ],
    },
    {
        "capabilityStatus": "Enabled",
        "skuId": "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235",
        "skuPartNumber": "POWER_BI_STANDARD",
        "servicePlans": [{"servicePlanName": "BI_AZURE_P0", "provisioningStatus": "Success"}],
    },
]


def patched(change: Callable[[list[dict[str, Any]]], Any]) -> list[dict[str, Any]]:
    skus = copy.deepcopy(SKUS)
    change(skus)
    return skus


def test_plan_present_on_the_golden_tenant() -> None:
    assert plan_present(SKUS, AAD_PREMIUM_P2)
    assert plan_present(SKUS, MDO)  # THREAT_INTELLIGENCE alone is enough
    assert not plan_present(SKUS, LOCKBOX)
    assert not plan_present(SKUS, INTUNE)  # PendingInput is not provisioned


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s[0].update(capabilityStatus="Warning"), True),
        (lambda s: s[0].update(capabilityStatus="Suspended"), False),
        (lambda s: s[0].update(capabilityStatus="LockedOut"), False),
        (lambda s: s[0].update(capabilityStatus="Deleted"), False),
        (lambda s: s[0]["servicePlans"][0].update(provisioningStatus="Disabled"), False),
        (lambda s: s[0]["servicePlans"][0].update(servicePlanName="aad_premium_p2"), True),
        (lambda s: s[0].update(servicePlans=None), False),
        (lambda s: s.clear(), False),
    ],
)
def test_plan_present_needs_a_live_sku_and_a_provisioned_plan(
    change: Callable[[list[dict[str, Any]]], Any], expected: bool
) -> None:
    assert plan_present(patched(change), AAD_PREMIUM_P2) is expected


def test_plan_evidence_says_which_skus_count() -> None:
    skus = patched(
        lambda s: s.append(
            {**copy.deepcopy(s[0]), "skuPartNumber": "OLD_E5", "skuId": "old", "capabilityStatus": "Suspended"}
        )
    )
    items = plan_evidence(skus, AAD_PREMIUM_P2)
    assert [(i.type, i.id, i.name) for i in items] == [
        ("subscribedSku", "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5"),
        ("subscribedSku", "old", "OLD_E5"),
    ]
    assert items[0].detail is not None and items[0].detail.endswith(": counts")
    assert items[1].detail is not None and "capabilityStatus Suspended: does not count" in items[1].detail
    assert plan_evidence(SKUS, LOCKBOX) == []


def test_plan_label_names_alternatives() -> None:
    assert (
        plan_label(MDO) == "ATP_ENTERPRISE (Microsoft Defender for Office 365 Plan 1) or "
        "THREAT_INTELLIGENCE (Microsoft Defender for Office 365 Plan 2) or "
        "ATP_ENTERPRISE_GOV (Microsoft Defender for Office 365 Plan 1 for Government) or "
        "THREAT_INTELLIGENCE_GOV (Microsoft Defender for Office 365 Plan 2 for Government)"
    )
    assert plan_label(("SOMETHING",)) == "SOMETHING"


def test_intune_licence_gap_names_the_missing_plan() -> None:
    licensed = [
        {
            "capabilityStatus": "Enabled",
            "skuPartNumber": "SPE_E3",
            "servicePlans": [{"servicePlanName": "INTUNE_A", "provisioningStatus": "Success"}],
        }
    ]
    assert licensing.intune_licence_gap(licensed) is None
    unlicensed = [
        {
            "capabilityStatus": "Enabled",
            "skuPartNumber": "O365_BUSINESS",
            "servicePlans": [{"servicePlanName": "INTUNE_O365", "provisioningStatus": "Success"}],
        }
    ]
    gap = licensing.intune_licence_gap(unlicensed)
    assert gap is not None and "INTUNE_A" in gap
    suspended = [dict(licensed[0], capabilityStatus="Suspended")]
    assert licensing.intune_licence_gap(suspended) is not None
