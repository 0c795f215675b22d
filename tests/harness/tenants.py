"""Whole fake tenants for end-to-end scans: Graph (fake_tenant) + Exchange cmdlets + DNS zone (fake_exchange) +
the Teams admin API's configuration (fake_tenant/admin_apis.py)."""

from __future__ import annotations

import copy
from typing import Any

from tests.fake_exchange.scenarios import golden_dns_zone, golden_exchange_data
from tests.fake_tenant.admin_apis import compliant_teams_data
from tests.fake_tenant.golden import golden_config, golden_tenant
from tests.fake_tenant.model import Scenario

EXCHANGE_ROLES = ["Exchange.ManageAsApp"]

#: A default mobile device mailbox policy that meets every section 7 ActiveSync threshold.
COMPLIANT_MOBILE_POLICY: dict[str, Any] = {
    "Name": "Default",
    "Identity": "Default",
    "IsDefault": True,
    "PasswordEnabled": True,
    "AlphanumericPasswordRequired": True,
    "AllowSimplePassword": False,
    "MinPasswordLength": 8,
    "PasswordHistory": 5,
    "PasswordExpiration": "Unlimited",
    "MaxPasswordFailedAttempts": 10,
    "MaxInactivityTimeLock": "00:05:00",
    "RequireDeviceEncryption": True,
}


def mail_domain_names(scenario: Scenario) -> tuple[list[str], str | None]:
    """(custom domains, initial domain) of a scenario."""
    initial = scenario.initial_domain
    return [d for d in scenario.domains if d != initial], initial


def with_exchange_and_dns(scenario: Scenario) -> Scenario:
    """The scenario with compliant Exchange cmdlet outputs and a compliant DNS zone for its domains."""
    result = copy.deepcopy(scenario)
    custom, initial = mail_domain_names(result)
    exchange = golden_exchange_data(custom, initial)
    exchange.setdefault("cmdlets", {})["Get-MobileDeviceMailboxPolicy"] = [dict(COMPLIANT_MOBILE_POLICY)]
    result.extra["exchange"] = exchange
    result.extra["dns"] = golden_dns_zone(custom, initial)
    result.extra.setdefault("teams", compliant_teams_data())
    if not result.exchange_roles and result.granted_roles:
        # A tenant that consented to Graph permissions consented to Exchange.ManageAsApp too; one with no
        # consent at all (no_consent_tenant) stays without any.
        result.exchange_roles = list(EXCHANGE_ROLES)
    return result


def full_golden_tenant(users: int = 300, seed: int = 1) -> Scenario:
    """The compliant tenant across Graph, Exchange and DNS."""
    return with_exchange_and_dns(golden_tenant(users, seed))


def full_golden_config(seed: int = 1) -> dict[str, Any]:
    """The --cis-config the golden tenant relies on (its break-glass accounts and approved groups)."""
    return golden_config(seed)
