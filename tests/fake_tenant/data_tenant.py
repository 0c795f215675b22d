"""Tenant-level objects: organization, domains and subscribedSkus (licences and their service plans).

Shapes: https://learn.microsoft.com/graph/api/resources/organization, .../domain, .../subscribedsku.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .data_common import iso

#: Max value of Int32: Graph's "passwords never expire" for a domain.
NEVER_EXPIRES = 2147483647

# Service plans per product (a representative subset of each SKU's plans).
E5_PLANS: tuple[str, ...] = (
    "EXCHANGE_S_ENTERPRISE",
    "SHAREPOINTENTERPRISE",
    "MCOSTANDARD",
    "TEAMS1",
    "OFFICESUBSCRIPTION",
    "SWAY",
    "FORMS_PLAN_E5",
    "YAMMER_ENTERPRISE",
    "AAD_PREMIUM",
    "AAD_PREMIUM_P2",
    "MFA_PREMIUM",
    "INTUNE_A",
    "ATP_ENTERPRISE",
    "THREAT_INTELLIGENCE",
    "LOCKBOX_ENTERPRISE",
    "ADALLOM_S_STANDALONE",
    "WINDEFATP",
    "MIP_S_CLP1",
    "MIP_S_CLP2",
    "RMS_S_ENTERPRISE",
    "RMS_S_PREMIUM",
    "RMS_S_PREMIUM2",
    "M365_ADVANCED_AUDITING",
    "EQUIVIO_ANALYTICS",
    "PAM_ENTERPRISE",
    "INFORMATION_BARRIERS",
    "BI_AZURE_P2",
    "POWERAPPS_O365_P3",
    "FLOW_O365_P3",
    "STREAM_O365_E5",
    "PROJECTWORKMANAGEMENT",
    "EXCHANGE_ANALYTICS",
)
OFFICE_E3_PLANS: tuple[str, ...] = (
    "EXCHANGE_S_ENTERPRISE",
    "SHAREPOINTENTERPRISE",
    "MCOSTANDARD",
    "TEAMS1",
    "OFFICESUBSCRIPTION",
    "SWAY",
    "FORMS_PLAN_E3",
    "YAMMER_ENTERPRISE",
    "RMS_S_ENTERPRISE",
    "POWERAPPS_O365_P2",
    "FLOW_O365_P2",
    "STREAM_O365_E3",
    "PROJECTWORKMANAGEMENT",
)


@dataclass(frozen=True)
class Sku:
    """One licence product bought by the tenant."""

    part_number: str
    sku_id: str
    plans: Sequence[str]
    units: int
    consumed: int
    status: str = "Enabled"


SPE_E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
ENTERPRISEPACK = "6fd2c87f-b296-42f0-b197-1e91e994b900"
FLOW_FREE = "f30db892-07e9-47e9-837c-80727f46fd3d"


def service_plan_id(name: str) -> str:
    """A stable id for a service plan name (the fake's own; real ids are per plan GUIDs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://fake-tenant/serviceplans/{name}"))


def subscribed_skus(tenant_id: str, skus: Sequence[Sku]) -> list[dict[str, Any]]:
    """The tenant's subscribedSkus collection."""
    return [
        {
            "accountName": "fake",
            "accountId": tenant_id,
            "appliesTo": "User",
            "capabilityStatus": sku.status,
            "consumedUnits": sku.consumed,
            "id": f"{tenant_id}_{sku.sku_id}",
            "skuId": sku.sku_id,
            "skuPartNumber": sku.part_number,
            "subscriptionIds": [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{sku.sku_id}"))],
            "prepaidUnits": {"enabled": sku.units, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [
                {
                    "servicePlanId": service_plan_id(plan),
                    "servicePlanName": plan,
                    "provisioningStatus": "Success",
                    "appliesTo": "User",
                }
                for plan in sku.plans
            ],
        }
        for sku in skus
    ]


@dataclass(frozen=True)
class DomainSpec:
    """A domain name registered in the tenant."""

    name: str
    authentication: str = "Managed"  # or "Federated"
    is_default: bool = False
    is_initial: bool = False
    is_root: bool = True
    verified: bool = True
    email: bool = True
    password_validity_days: int | None = NEVER_EXPIRES


def domains(specs: Sequence[DomainSpec]) -> list[dict[str, Any]]:
    """The /domains collection."""
    result = []
    for spec in specs:
        services = ["Email", "OfficeCommunicationsOnline"] if spec.email else ["OfficeCommunicationsOnline"]
        if spec.is_default:
            services.append("Intune")
        result.append(
            {
                "authenticationType": spec.authentication,
                "availabilityStatus": None,
                "id": spec.name,
                "isAdminManaged": True,
                "isDefault": spec.is_default,
                "isInitial": spec.is_initial,
                "isRoot": spec.is_root,
                "isVerified": spec.verified,
                "supportedServices": services if spec.verified else [],
                "passwordNotificationWindowInDays": 14,
                "passwordValidityPeriodInDays": spec.password_validity_days,
                "state": None,
            }
        )
    return result


def organization(
    tenant_id: str,
    display_name: str,
    domain_specs: Sequence[DomainSpec],
    skus: Sequence[Sku],
    *,
    now: dt.datetime,
    sync_enabled: bool | None,
    last_password_sync: dt.datetime | None,
) -> list[dict[str, Any]]:
    """The /organization collection (one item: the tenant)."""
    plans = [
        {
            "assignedDateTime": iso(now - dt.timedelta(days=700)),
            "capabilityStatus": "Enabled",
            "service": plan.split("_")[0].lower(),
            "servicePlanId": service_plan_id(plan),
        }
        for sku in skus
        for plan in sku.plans
    ]
    default = next((spec.name for spec in domain_specs if spec.is_default), domain_specs[0].name)
    return [
        {
            "id": tenant_id,
            "deletedDateTime": None,
            "businessPhones": ["+44 20 7946 0000"],
            "city": "London",
            "country": None,
            "countryLetterCode": "GB",
            "createdDateTime": iso(now - dt.timedelta(days=2300)),
            "defaultUsageLocation": "GB",
            "displayName": display_name,
            "marketingNotificationEmails": [],
            "onPremisesLastSyncDateTime": iso(last_password_sync + dt.timedelta(minutes=3))
            if last_password_sync
            else None,
            "onPremisesLastPasswordSyncDateTime": iso(last_password_sync) if last_password_sync else None,
            "onPremisesSyncEnabled": sync_enabled,
            "postalCode": "EC1A 1BB",
            "preferredLanguage": "en",
            "privacyProfile": {"contactEmail": f"privacy@{default}", "statementUrl": f"https://{default}/privacy"},
            "securityComplianceNotificationMails": [f"security@{default}"],
            "securityComplianceNotificationPhones": [],
            "state": None,
            "street": "1 Example Street",
            "technicalNotificationMails": [f"it-alerts@{default}"],
            "tenantType": "AAD",
            "directorySizeQuota": {"used": 1200, "total": 300000},
            "assignedPlans": plans,
            "provisionedPlans": [],
            "verifiedDomains": [
                {
                    "capabilities": "Email, OfficeCommunicationsOnline" if spec.email else "OfficeCommunicationsOnline",
                    "isDefault": spec.is_default,
                    "isInitial": spec.is_initial,
                    "name": spec.name,
                    "type": spec.authentication,
                }
                for spec in domain_specs
                if spec.verified
            ],
        }
    ]
