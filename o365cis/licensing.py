"""The catalogue's "plan present" test over GET /v1.0/subscribedSkus.

A subscribedSku's capabilityStatus is Enabled, Warning (grace period: the service still works), Suspended,
Deleted or LockedOut; each servicePlans[] entry has its own provisioningStatus
(https://learn.microsoft.com/graph/api/resources/subscribedsku,
https://learn.microsoft.com/graph/api/resources/serviceplaninfo).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from o365cis.findings import Evidence, EvidenceType

# Service plan names (servicePlanName), from Microsoft's "Product names and service plan identifiers for
# licensing" (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference).
AAD_PREMIUM_P2: tuple[str, ...] = ("AAD_PREMIUM_P2",)  # Microsoft Entra ID P2 (eec0eb4f-6444-4f95-aba0-50c24d67f998)
# Government (GCC) SKUs carry their own plan names, e.g. "Office 365 GCC G5" lists ATP_ENTERPRISE_GOV
# (493ff600-6a2b-4db6-ad37-a7d4eb214516), THREAT_INTELLIGENCE_GOV (900018f1-0cdb-4ecb-94d4-90281760fdc6) and
# LOCKBOX_ENTERPRISE_GOV (89b5d3b1-3855-49fe-b46c-87c66dbc1526).
MDO: tuple[str, ...] = (  # Defender for Office 365 Plan 1 / Plan 2
    "ATP_ENTERPRISE",
    "THREAT_INTELLIGENCE",
    "ATP_ENTERPRISE_GOV",
    "THREAT_INTELLIGENCE_GOV",
)
LOCKBOX: tuple[str, ...] = ("LOCKBOX_ENTERPRISE", "LOCKBOX_ENTERPRISE_GOV")  # Customer Lockbox
# Microsoft Intune Plan 1 (c1ec4a95-1f05-45b3-a911-aa3fa01094f5), the plan in M365 E3/E5, EMS and Business
# Premium. INTUNE_O365 ("Mobile Device Management for Office 365", basic mobility) is not Intune and does not count.
INTUNE: tuple[str, ...] = ("INTUNE_A",)

PLAN_LABELS: dict[str, str] = {
    "AAD_PREMIUM_P2": "Microsoft Entra ID P2",
    "ATP_ENTERPRISE": "Microsoft Defender for Office 365 Plan 1",
    "THREAT_INTELLIGENCE": "Microsoft Defender for Office 365 Plan 2",
    "LOCKBOX_ENTERPRISE": "Customer Lockbox",
    "ATP_ENTERPRISE_GOV": "Microsoft Defender for Office 365 Plan 1 for Government",
    "THREAT_INTELLIGENCE_GOV": "Microsoft Defender for Office 365 Plan 2 for Government",
    "LOCKBOX_ENTERPRISE_GOV": "Customer Lockbox for Government",
    "INTUNE_A": "Microsoft Intune Plan 1",
}

_LIVE_CAPABILITY = frozenset({"enabled", "warning"})


def _lowered(value: Any) -> str:
    # subscribedSkus spells statuses and plan names in mixed case ("Enabled", "Success").
    return str(value or "").strip().lower()


def _live_plans(
    subscribed_skus: Sequence[Mapping[str, Any]], plans: Iterable[str]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    wanted = {p.lower() for p in plans}
    found: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    for sku in subscribed_skus:
        if not isinstance(sku, Mapping) or _lowered(sku.get("capabilityStatus")) not in _LIVE_CAPABILITY:
            continue
        for plan in sku.get("servicePlans") or []:
            if (
                isinstance(plan, Mapping)
                and _lowered(plan.get("servicePlanName")) in wanted
                and _lowered(plan.get("provisioningStatus")) == "success"
            ):
                found.append((sku, plan))
    return found


def plan_present(subscribed_skus: Sequence[Mapping[str, Any]], plans: Iterable[str]) -> bool:
    """True when a live SKU (Enabled or Warning) carries one of the plans with provisioningStatus Success."""
    return bool(_live_plans(subscribed_skus, plans))


def plan_label(plans: Iterable[str]) -> str:
    """E.g. "AAD_PREMIUM_P2 (Microsoft Entra ID P2)", alternatives joined with "or"."""
    return " or ".join(f"{p} ({PLAN_LABELS[p]})" if p in PLAN_LABELS else p for p in plans)


def plan_evidence(subscribed_skus: Sequence[Mapping[str, Any]], plans: Iterable[str]) -> list[Evidence]:
    """Every SKU that lists one of the plans, with its capabilityStatus and the plan's provisioningStatus.

    Live SKUs whose plan is provisioned say so; the others show why they do not count.
    """
    wanted = {p.lower() for p in plans}
    evidence: list[Evidence] = []
    for sku in subscribed_skus:
        if not isinstance(sku, Mapping):
            continue
        for plan in sku.get("servicePlans") or []:
            if isinstance(plan, Mapping) and _lowered(plan.get("servicePlanName")) in wanted:
                counts = (
                    _lowered(sku.get("capabilityStatus")) in _LIVE_CAPABILITY
                    and _lowered(plan.get("provisioningStatus")) == "success"
                )
                evidence.append(
                    Evidence(
                        type=EvidenceType.SUBSCRIBED_SKU,
                        id=str(sku.get("skuId") or sku.get("id") or ""),
                        name=str(sku.get("skuPartNumber") or ""),
                        detail=(
                            f"{plan.get('servicePlanName')} provisioningStatus {plan.get('provisioningStatus')}, "
                            f"SKU capabilityStatus {sku.get('capabilityStatus')}: "
                            f"{'counts' if counts else 'does not count'}"
                        ),
                    )
                )
    return evidence


def intune_licence_gap(subscribed_skus: Sequence[Mapping[str, Any]]) -> str | None:
    """Why Intune reads will be refused (which service plan is absent from subscribedSkus), or None if licensed.

    Section 7 treats a refused Intune read as a failed read (its fallbacks run; named if the result is error);
    this text lets the wiring say which plan is missing.
    """
    plans = INTUNE
    if plan_present(list(subscribed_skus), plans):
        return None
    return (
        f"not licensed for Intune: no enabled subscription in subscribedSkus has the service plan "
        f"{' or '.join(plans)} provisioned"
    )
