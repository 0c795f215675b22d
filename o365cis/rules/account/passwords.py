"""Passwords: 1.1.4 self-service password reset, 1.1.5 on-premises password protection, 1.1.7 password hash sync, 1.5
passwords set never to expire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from o365cis.config import ScanConfig
from o365cis.findings import (
    Decision,
    Evidence,
    EvidenceType,
    compliant,
    manual,
    no_decision,
    non_compliant,
    not_applicable,
)
from o365cis.rules._types import Json
from o365cis.rules._values import index_by_id, lowered, lowered_id, plural
from o365cis.rules.evidence import capped
from o365cis.rules.securescore import number, parse_datetime

PASSWORD_RULE_TEMPLATE_ID = "5cf42378-d67d-4f36-ba46-e8b86229381d"


#: Int32.MaxValue: what the admin center writes for "never expire" (https://learn.microsoft.com/graph/api/resources/domain).
NEVER_EXPIRES_DAYS = 2147483647


def _single(obj: Json | Sequence[Json] | None) -> Json:
    """Singleton reads arrive either as the object or as a collection of one (GET /organization)."""
    if isinstance(obj, Mapping):
        values = obj.get("value")
        if isinstance(values, list) and values and isinstance(values[0], Mapping):
            return values[0]
        return obj
    if isinstance(obj, Sequence) and obj and isinstance(obj[0], Mapping):
        return obj[0]
    return {}


def sspr_enabled_for_all(registrations: Sequence[Json], users: Sequence[Json]) -> Decision:
    """1.1.4: every enabled member user's registration row has isSsprEnabled true (SSPR scope effectively All)."""
    user_rows = index_by_id(users)
    in_scope = [
        r
        for r in registrations
        if isinstance(r, Mapping)
        and lowered(r.get("userType")) == "member"  # rows say "member", /users says "Member"
        and user_rows.get(lowered_id(r.get("id")), {}).get("accountEnabled") is True
    ]
    if not in_scope:
        return manual("No enabled member user in the registration details: nothing to decide; review the SSPR scope")
    failing = [
        Evidence(
            type=EvidenceType.USER,
            id=str(r.get("id")),
            name=str(r.get("userPrincipalName") or r.get("id")),
            detail=f"isSsprEnabled {r.get('isSsprEnabled')}",
        )
        for r in in_scope
        if r.get("isSsprEnabled") is not True
    ]
    if failing:
        return non_compliant(
            f"Self-service password reset is not enabled for {len(failing)} of "
            f"{plural(len(in_scope), 'enabled member user')}",
            capped(failing, "users"),
        )
    return compliant(f"Self-service password reset is enabled for all {plural(len(in_scope), 'enabled member user')}")


def _organization_evidence(org: Json, *keys: str) -> Evidence:
    detail = ", ".join(f"{k} {org.get(k)}" for k in keys)
    return Evidence(
        type=EvidenceType.ORGANIZATION,
        id=str(org.get("id") or ""),
        name=str(org.get("displayName") or ""),
        detail=detail,
    )


def _synced(org: Json) -> bool:
    return org.get("onPremisesSyncEnabled") is True


def password_protection_enforced_on_premises(
    organization: Json | Sequence[Json], group_settings: Sequence[Json]
) -> Decision:
    """1.1.5: banned-password checks on-premises enabled in Enforce mode (Password Rule Settings group setting)."""
    org = _single(organization)
    org_item = _organization_evidence(org, "onPremisesSyncEnabled")
    if not _synced(org):
        return not_applicable(
            "Cloud-only tenant (onPremisesSyncEnabled is not true): no on-premises Active Directory to protect",
            [org_item],
        )
    item = next(
        (
            s
            for s in group_settings
            if isinstance(s, Mapping) and lowered(s.get("templateId")) == PASSWORD_RULE_TEMPLATE_ID
        ),
        None,
    )
    values = {
        lowered(v.get("name")): v.get("value") for v in (item or {}).get("values") or [] if isinstance(v, Mapping)
    }
    enabled = values.get("enablebannedpasswordcheckonpremises")
    mode = values.get("bannedpasswordcheckonpremisesmode")
    note = Evidence(
        type=EvidenceType.NOTE,
        detail="whether the password protection DC agents and proxy are deployed is not visible through Graph",
    )
    setting = Evidence(
        type=EvidenceType.SETTING,
        id=str((item or {}).get("id") or ""),
        name="Password Rule Settings",
        detail="defaults (not configured: Audit mode)"
        if item is None
        else f"EnableBannedPasswordCheckOnPremises {enabled}, BannedPasswordCheckOnPremisesMode {mode}",
    )
    ok = lowered(enabled) == "true" and lowered(mode).startswith("enforce")
    if ok:
        return compliant(
            "Password protection for on-premises Active Directory is enabled in Enforce mode", [org_item, setting, note]
        )
    why = (
        "the Password Rule Settings are not configured (defaults: Audit mode)"
        if item is None
        else (f"EnableBannedPasswordCheckOnPremises is {enabled or 'unset'} and the mode is {mode or 'unset (Audit)'}")
    )
    return non_compliant(
        f"Password protection for on-premises Active Directory is not enforced: {why}", [org_item, setting, note]
    )


def password_hash_sync_recent(organization: Json | Sequence[Json], config: ScanConfig, now: dt.datetime) -> Decision:
    """1.1.7: the last password hash sync is within config.phs_max_age_hours of the scan start."""
    org = _single(organization)
    keys = ("onPremisesSyncEnabled", "onPremisesLastSyncDateTime", "onPremisesLastPasswordSyncDateTime")
    if not _synced(org):
        return not_applicable(
            "Cloud-only tenant (onPremisesSyncEnabled is not true): no password hash sync to check",
            [_organization_evidence(org, *keys)],
        )
    if "onPremisesLastPasswordSyncDateTime" not in org:
        # The property is not in the documented organization schema; a response without it tells nothing.
        return no_decision(
            "organization did not return onPremisesLastPasswordSyncDateTime", [_organization_evidence(org, *keys)]
        )
    raw = org.get("onPremisesLastPasswordSyncDateTime")
    if raw is None:
        return non_compliant(
            "Directory sync is on but no password hash sync was ever received "
            "(onPremisesLastPasswordSyncDateTime is null)",
            [_organization_evidence(org, *keys)],
        )
    last = parse_datetime(raw)
    if last is None:
        return no_decision(
            f"onPremisesLastPasswordSyncDateTime {raw!r} is not a date", [_organization_evidence(org, *keys)]
        )
    now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    hours = (now - last).total_seconds() / 3600
    item = _organization_evidence(org, *keys)
    item = Evidence(item.type, item.id, item.name, f"{item.detail}, age {hours:.1f} hours")
    limit = config.phs_max_age_hours
    if hours <= limit:
        return compliant(f"Password hash sync last ran {hours:.1f} hours ago (within {limit:g} hours)", [item])
    return manual(
        f"Password hash sync last ran {hours:.1f} hours ago (more than {limit:g} hours): it was on, but may be "
        "broken or "
        "switched off; check Microsoft Entra Connect",
        [item],
    )


def passwords_never_expire(domains: Sequence[Json]) -> Decision:
    """1.5: every verified managed root domain (onmicrosoft.com included) has passwords set to never expire."""
    evaluated: list[tuple[Json, float | None]] = []
    skipped: list[Evidence] = []
    for domain in domains:
        if not isinstance(domain, Mapping) or domain.get("isVerified") is not True or domain.get("isRoot") is not True:
            continue  # unverified domains sign no one in; subdomains inherit their root's policy
        if lowered(domain.get("authenticationType")) != "managed":
            skipped.append(
                Evidence(
                    type=EvidenceType.DOMAIN,
                    id=str(domain.get("id")),
                    name=str(domain.get("id")),
                    detail=f"{domain.get('authenticationType')}: follows the on-premises policy, skipped",
                )
            )
            continue
        evaluated.append((domain, number(domain.get("passwordValidityPeriodInDays"))))

    def never(days: float | None) -> bool:
        # An unset (null) value is not "never": the domain resource documents that when passwordValidityPeriodInDays
        # isn't set, the default of 90 days is used (https://learn.microsoft.com/graph/api/resources/domain).
        return days is not None and days >= NEVER_EXPIRES_DAYS

    def expiry(domain: Json, days: float | None) -> str:
        if days is not None:
            return f"{days:g} days"
        if domain.get("passwordValidityPeriodInDays") is None:
            return "not set: Graph documents the 90-day default"
        return f"unreadable value {domain.get('passwordValidityPeriodInDays')!r}"

    if not evaluated:
        return manual("No verified managed root domain to evaluate: review the password expiration policy", skipped)
    failing = [(d, days) for d, days in evaluated if not never(days)]
    passing = [(d, days) for d, days in evaluated if never(days)]

    def item(domain: Json, days: float | None) -> Evidence:
        value = domain.get("passwordValidityPeriodInDays")
        if never(days):
            state = "never expires"
        else:
            state = "passwords expire" if days is not None else expiry(domain, days)
        detail = f"passwordValidityPeriodInDays {value} ({state})"
        return Evidence(type=EvidenceType.DOMAIN, id=str(domain.get("id")), name=str(domain.get("id")), detail=detail)

    evidence = capped([item(d, days) for d, days in (*failing, *passing)], "domains") + capped(
        skipped, "federated domains"
    )
    if failing:
        names = ", ".join(f"{d.get('id')} ({expiry(d, days)})" for d, days in failing[:10])
        return non_compliant(
            f"Passwords expire in {len(failing)} of {plural(len(evaluated), 'managed domain')}: {names}", evidence
        )
    return compliant(f"Passwords never expire in all {plural(len(evaluated), 'managed domain')}", evidence)
