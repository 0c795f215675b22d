"""Decisions for CIS section 1 (Account / Authentication) that Graph, Exchange (1.2) or Secure Score can make.

Each function takes Graph-shaped JSON (the `value` list, or the object for singletons) and returns a Finding or,
when its source cannot decide by the rule, a NoDecision so the next source of the chain is tried. None of them
fetches or raises for missing data; the plan gates (Entra ID P2 for 1.1.8-1.1.11) are applied by the wiring first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.config import GLOBAL_ADMIN_ROLE_ID, ScanConfig
from o365cis.findings import Decision, Evidence, compliant, manual, no_decision, non_compliant, not_applicable
from o365cis.rules._exchange import configuration_switch
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import lowered, plural
from o365cis.rules.conditional_access import PolicyCheck, check_policies, grant_failure, grant_summary
from o365cis.rules.directory_roles import RoleHolder, RoleHolders, principal_kind, role_name
from o365cis.rules.evidence import EVIDENCE_CAP as EVIDENCE_LIMIT
from o365cis.rules.evidence import capped
from o365cis.rules.securescore import number, parse_datetime

NEAR_MISS_LIMIT = 10
PASSWORD_RULE_TEMPLATE_ID = "5cf42378-d67d-4f36-ba46-e8b86229381d"
#: Int32.MaxValue: what the admin center writes for "never expire" (https://learn.microsoft.com/graph/api/resources/domain).
NEVER_EXPIRES_DAYS = 2147483647


# ----------------------------------------------------------------------------------------------- helpers


def _lower_id(value: Any) -> str:
    return str(value or "").lower()


def _index(rows: Sequence[Json] | None) -> dict[str, Json]:
    return {_lower_id(r.get("id")): r for r in rows or [] if isinstance(r, Mapping) and r.get("id")}


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


def policy_evidence(check: PolicyCheck, detail: str | None = None) -> Evidence:
    """A CA policy as an evidence item; the detail says why it fails, or what it grants when it passes."""
    text = detail or (
        "; ".join(check.failures) if check.failures else f"qualifies; grant {grant_summary(check.policy)}"
    )
    return Evidence(type="policy", id=check.id, name=check.name, detail=text)


def near_misses(checks: Sequence[PolicyCheck], limit: int = NEAR_MISS_LIMIT) -> list[Evidence]:
    """The closest failing policies (fewest failures first) with the reason each fails."""
    failing = [c for c in checks if not c.passes]
    return capped([policy_evidence(c) for c in failing], "policies", limit)


def _no_policy(checks: Sequence[PolicyCheck], what: str) -> str:
    enabled = sum(1 for c in checks if lowered(c.policy.get("state")) == "enabled")
    examined = plural(len(checks), "policy", "policies")
    return f"No qualifying Conditional Access policy {what} ({examined} examined, {enabled} enabled)"


def _user_label(user: Json | None, fallback_id: str) -> str:
    if not user:
        return fallback_id
    return str(user.get("userPrincipalName") or user.get("displayName") or fallback_id)


# ----------------------------------------------------------------------------------------------- 1.1.1


def _mfa_policy_checks(
    policies: Sequence[Json], config: ScanConfig, required_roles: Sequence[str] | None
) -> list[PolicyCheck]:
    return check_policies(
        policies,
        config.break_glass_accounts,
        requirement=lambda p: grant_failure(p, ("mfa",)),
        required_roles=required_roles,
    )


def admins_require_mfa(
    policies: Sequence[Json],
    config: ScanConfig,
    *,
    holders: RoleHolders | None,
    users: Sequence[Json] | None,
    registrations: Sequence[Json] | None,
) -> Decision:
    """1.1.1: a qualifying CA policy requires MFA for every admin role, and every admin user in scope is MFA capable.

    holders: role_holders(...) over config.admin_role_ids; holders, users (/users) and registrations
    (userRegistrationDetails) are None when that read failed: part (a) still decides non_compliant without them.
    """
    checks = _mfa_policy_checks(policies, config, config.admin_role_ids)
    passing = [c for c in checks if c.passes]
    if not passing:
        return non_compliant(
            _no_policy(checks, "requires MFA for every admin role and all cloud apps"), near_misses(checks)
        )
    policy = passing[0]
    policy_item = policy_evidence(policy)
    unread = [
        name
        for name, value in (("role holders", holders), ("users", users), ("registration details", registrations))
        if value is None
    ]
    if unread:
        return no_decision(
            f"Policy '{policy.name}' requires MFA for every admin role, but whether every admin is MFA capable "
            f"is unknown: {', '.join(unread)} could not be read",
            [policy_item],
        )
    assert holders is not None and users is not None and registrations is not None
    user_rows = _index(users)
    registration_rows = _index(registrations)
    held = holders.by_user()
    break_glass = [uid for uid in held if uid.lower() in config.break_glass_accounts]
    not_enabled = [
        uid
        for uid in held
        if uid not in break_glass and user_rows.get(uid.lower(), {}).get("accountEnabled") is not True
    ]
    in_scope = [uid for uid in held if uid not in break_glass and uid not in not_enabled]
    failing: list[Evidence] = []
    for uid in in_scope:
        row = registration_rows.get(uid.lower())
        why = (
            "no registration row"
            if row is None
            else ("isMfaCapable false" if row.get("isMfaCapable") is not True else "")
        )
        if why:
            first = held[uid][0]
            roles = "; ".join(h.describe() for h in held[uid])
            failing.append(
                Evidence(
                    type="user",
                    id=uid,
                    name=_user_label(user_rows.get(uid.lower()), first.label),
                    detail=f"not MFA capable ({why}); {roles}",
                )
            )
    left_out = f"({len(break_glass)} break-glass and {len(not_enabled)} not enabled left out)"
    scope_note = f"{plural(len(in_scope), 'admin user')} in scope {left_out}"
    listed_sps = [h.evidence("service principal: listed, not counted") for h in holders.service_principals]
    unresolved = [h.evidence("could not be resolved to users") for h in holders.unresolved]
    if failing:
        return non_compliant(
            f"{plural(len(failing), 'admin user')} of {len(in_scope)} in scope not MFA capable "
            f"although policy '{policy.name}' requires MFA; {scope_note}",
            [
                policy_item,
                *capped(failing, "admin users"),
                *capped(unresolved, "unresolved principals"),
                *capped(listed_sps, "service principals"),
            ],
        )
    if unresolved:
        return no_decision(
            f"Policy '{policy.name}' requires MFA for every admin role, but "
            f"{plural(len(unresolved), 'role holder')} could not be "
            "resolved to users (principal not expanded or group members not read)",
            [policy_item, *capped(unresolved, "unresolved principals")],
        )
    if not in_scope:
        return manual(
            f"Policy '{policy.name}' requires MFA for every admin role, but no admin user is left in scope to "
            f"check MFA capability ({len(held)} holders: {len(break_glass)} break-glass, {len(not_enabled)} not "
            "enabled): review the admins",
            [policy_item, *capped(listed_sps, "service principals")],
        )
    return compliant(
        f"Policy '{policy.name}' requires MFA for every admin role and all cloud apps, and all "
        f"{plural(len(in_scope), 'admin user')} in scope are MFA capable "
        f"({len(break_glass)} break-glass and {len(not_enabled)} not enabled left out)",
        [policy_item, *capped(listed_sps, "service principals")],
    )


# ----------------------------------------------------------------------------------------------- 1.1.2


def _enabled_members_not_mfa_capable(
    users: Sequence[Json], registrations: Sequence[Json], break_glass: frozenset[str]
) -> list[Evidence]:
    rows = _index(registrations)
    found: list[Evidence] = []
    for user in users:
        if (
            not isinstance(user, Mapping)
            or user.get("accountEnabled") is not True
            or lowered(user.get("userType")) != "member"
        ):
            continue
        row = rows.get(_lower_id(user.get("id")))
        if row is None or row.get("isMfaCapable") is not True:
            why = "no registration row" if row is None else "isMfaCapable false"
            note = "; break-glass account" if _lower_id(user.get("id")) in break_glass else ""
            found.append(
                Evidence(
                    type="user",
                    id=str(user.get("id")),
                    name=_user_label(user, str(user.get("id"))),
                    detail=f"not MFA capable ({why}){note}",
                )
            )
    return found


def all_users_require_mfa(
    policies: Sequence[Json],
    config: ScanConfig,
    *,
    users: Sequence[Json] | None = None,
    registrations: Sequence[Json] | None = None,
) -> Decision:
    """1.1.2: a qualifying CA policy for All users requires MFA (users and registrations are evidence only)."""
    checks = _mfa_policy_checks(policies, config, None)
    passing = [c for c in checks if c.passes]
    extra: list[Evidence] = []
    note = ""
    if users is not None and registrations is not None:
        lacking = _enabled_members_not_mfa_capable(users, registrations, config.break_glass_accounts)
        extra = capped(lacking, "users")
        note = (
            f"; {plural(len(lacking), 'enabled member')} not yet MFA capable (registration is forced at next sign-in)"
        )
    if not passing:
        return non_compliant(
            _no_policy(checks, "requires MFA for All users and all cloud apps") + note, [*near_misses(checks), *extra]
        )
    return compliant(
        f"Policy '{passing[0].name}' requires MFA for All users and all cloud apps{note}",
        [policy_evidence(passing[0]), *extra],
    )


# ----------------------------------------------------------------------------------------------- 1.1.3


def _holder_detail(holder: RoleHolder, users: Mapping[str, Json] | None) -> str | None:
    if users is None:
        return None
    enabled = users.get(holder.principal_id.lower(), {}).get("accountEnabled")
    return "enabled" if enabled is True else ("disabled" if enabled is False else "enabled state unknown")


def global_admin_count_in_range(
    holders: RoleHolders,
    *,
    eligible_read: bool = True,
    users: Sequence[Json] | None = None,
) -> Decision:
    """1.1.3: 2 to 4 distinct users hold Global Administrator (active or eligible, groups expanded, tenant scope).

    eligible_read False: the eligibility read was refused for a permission (holders then carry active ones only):
    above four active holders is still non_compliant, anything else is no verdict.
    """

    def is_global_admin(h: RoleHolder) -> bool:
        return h.role_id.lower() == GLOBAL_ADMIN_ROLE_ID and h.directory_scope_id == "/"

    ga_users = [h for h in holders.users if is_global_admin(h)]
    ga_sps = [h for h in holders.service_principals if is_global_admin(h)]
    ga_unresolved = [h for h in holders.unresolved if is_global_admin(h)]
    user_rows = _index(users) if users is not None else None
    distinct = list(dict.fromkeys(h.principal_id for h in ga_users))
    count = len(distinct)
    active = len({h.principal_id for h in ga_users if h.assignment == "active"})
    eligible = len({h.principal_id for h in ga_users if h.assignment == "eligible"})
    evidence = [
        *capped([h.evidence(_holder_detail(h, user_rows)) for h in ga_users], "holdings"),
        *capped([h.evidence("service principal: listed, not counted") for h in ga_sps], "service principals"),
        *capped([h.evidence("could not be resolved to users") for h in ga_unresolved], "unresolved principals"),
    ]
    counts = f"{active} active, {eligible} eligible; {plural(len(ga_sps), 'service principal')} listed, not counted"
    if count > 4:
        unread = "" if eligible_read else "; eligible assignments could not be read, so the count may be higher"
        return non_compliant(
            f"{plural(count, 'global administrator')} assigned (2 to 4 expected; {counts}){unread}", evidence
        )
    if not eligible_read:
        return no_decision(
            f"Eligible (PIM) Global Administrator assignments could not be read; active holders alone are {count}, "
            "which cannot decide the 2-to-4 rule",
            evidence,
        )
    if ga_unresolved:
        return no_decision(
            f"{plural(count, 'global administrator')} found, but {plural(len(ga_unresolved), 'holder')} "
            "could not be resolved "
            "to users (principal not expanded or group members not read)",
            evidence,
        )
    reason = f"{plural(count, 'global administrator')} assigned (2 to 4 expected; {counts})"
    return compliant(reason, evidence) if count >= 2 else non_compliant(reason, evidence)


# ----------------------------------------------------------------------------------------------- 1.1.4


def sspr_enabled_for_all(registrations: Sequence[Json], users: Sequence[Json]) -> Decision:
    """1.1.4: every enabled member user's registration row has isSsprEnabled true (SSPR scope effectively All)."""
    user_rows = _index(users)
    in_scope = [
        r
        for r in registrations
        if isinstance(r, Mapping)
        and lowered(r.get("userType")) == "member"  # rows say "member", /users says "Member"
        and user_rows.get(_lower_id(r.get("id")), {}).get("accountEnabled") is True
    ]
    if not in_scope:
        return manual("No enabled member user in the registration details: nothing to decide; review the SSPR scope")
    failing = [
        Evidence(
            type="user",
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


# ----------------------------------------------------------------------------------------------- 1.1.5


def _organization_evidence(org: Json, *keys: str) -> Evidence:
    detail = ", ".join(f"{k} {org.get(k)}" for k in keys)
    return Evidence(
        type="organization", id=str(org.get("id") or ""), name=str(org.get("displayName") or ""), detail=detail
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
        type="note",
        detail="whether the password protection DC agents and proxy are deployed is not visible through Graph",
    )
    setting = Evidence(
        type="setting",
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


# ----------------------------------------------------------------------------------------------- 1.1.6


def _blocks_legacy_clients(policy: Json) -> list[str]:
    types = {t.lower() for t in (policy.get("conditions") or {}).get("clientAppTypes") or [] if isinstance(t, str)}
    failures = (
        [] if {"exchangeactivesync", "other"} <= types else ['clientAppTypes lacks "exchangeActiveSync" and "other"']
    )
    return failures + grant_failure(policy, ("block",))


def legacy_auth_blocked(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.6: a qualifying CA policy for All users blocks the exchangeActiveSync and other client app types."""
    checks = check_policies(
        policies, config.break_glass_accounts, requirement=_blocks_legacy_clients, allow_client_app_types=True
    )
    passing = [c for c in checks if c.passes]
    if not passing:
        return non_compliant(
            _no_policy(checks, "blocks legacy authentication (Exchange ActiveSync and other clients)"),
            near_misses(checks),
        )
    return compliant(
        f"Policy '{passing[0].name}' blocks legacy authentication for All users and all cloud apps",
        [policy_evidence(passing[0])],
    )


# ----------------------------------------------------------------------------------------------- 1.1.7


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


# ----------------------------------------------------------------------------------------------- 1.1.8 - 1.1.10


def _levels(policy: Json, key: str) -> set[str]:
    return {str(v).lower() for v in (policy.get("conditions") or {}).get(key) or []}


def _risk_checks(
    policies: Sequence[Json], config: ScanConfig, risk_list: str, requirement: Callable[[Json], list[str]]
) -> list[PolicyCheck]:
    return check_policies(
        policies, config.break_glass_accounts, requirement=requirement, allow_risk=frozenset({risk_list})
    )


def risk_policies_enabled(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.8 (Graph part): qualifying CA policies for user risk and for sign-in risk (any grant); else NoDecision."""

    def names(key: str) -> Callable[[Json], list[str]]:
        return lambda p: [] if _levels(p, key) else [f"{key} is empty"]

    user = _risk_checks(policies, config, "userRiskLevels", names("userRiskLevels"))
    signin = _risk_checks(policies, config, "signInRiskLevels", names("signInRiskLevels"))
    user_ok = [c for c in user if c.passes]
    signin_ok = [c for c in signin if c.passes]
    if user_ok and signin_ok:
        return compliant(
            f"User risk policy '{user_ok[0].name}' and sign-in risk policy '{signin_ok[0].name}' are enabled",
            [policy_evidence(user_ok[0]), policy_evidence(signin_ok[0])],
        )
    missing = [what for what, ok in (("user risk", user_ok), ("sign-in risk", signin_ok)) if not ok]
    found = [policy_evidence(c) for c in (*user_ok[:1], *signin_ok[:1])]
    candidates = [
        c
        for c in (*user, *signin)
        if not c.passes and (_levels(c.policy, "userRiskLevels") or _levels(c.policy, "signInRiskLevels"))
    ]
    return no_decision(
        f"No qualifying Conditional Access policy for {' and '.join(missing)}; a legacy Identity Protection policy "
        "(not readable in Graph v1.0) may cover it",
        [*found, *near_misses(candidates)],
    )


def _signin_risk_requirement(policy: Json) -> list[str]:
    failures = (
        []
        if {"medium", "high"} <= _levels(policy, "signInRiskLevels")
        else ['signInRiskLevels lacks "medium" and "high"']
    )
    return failures + grant_failure(policy, ("mfa", "block"))


def signin_risk_policy_enabled(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.9 (Graph part): a qualifying CA policy for medium and high sign-in risk needs MFA or blocks."""
    checks = _risk_checks(policies, config, "signInRiskLevels", _signin_risk_requirement)
    passing = [c for c in checks if c.passes]
    if passing:
        return compliant(
            f"Policy '{passing[0].name}' requires MFA or blocks on medium and high sign-in risk",
            [policy_evidence(passing[0])],
        )
    candidates = [c for c in checks if _levels(c.policy, "signInRiskLevels")]
    return no_decision(
        "No qualifying Conditional Access sign-in risk policy; a legacy Identity Protection sign-in risk policy "
        "(not readable in Graph v1.0) may cover it",
        near_misses(candidates),
    )


def _user_risk_requirement(policy: Json) -> list[str]:
    failures = [] if "high" in _levels(policy, "userRiskLevels") else ['userRiskLevels lacks "high"']
    return failures + grant_failure(policy, ("passwordChange", "block"))


def user_risk_policy_enabled(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.10 (Graph part): a qualifying CA policy for high user risk requires a password change (or risk remediation)
    or blocks; else NoDecision."""
    checks = _risk_checks(policies, config, "userRiskLevels", _user_risk_requirement)
    passing = [c for c in checks if c.passes]
    if passing:
        return compliant(
            f"Policy '{passing[0].name}' requires a password change or blocks on high user risk",
            [policy_evidence(passing[0])],
        )
    candidates = [c for c in checks if _levels(c.policy, "userRiskLevels")]
    return no_decision(
        "No qualifying Conditional Access user risk policy; a legacy Identity Protection user risk policy "
        "(not readable in Graph v1.0) may cover it",
        near_misses(candidates),
    )


# ----------------------------------------------------------------------------------------------- 1.1.11


def _principal_evidence(item: Json, detail: str) -> Evidence:
    expanded = item.get("principal")
    principal: Json = expanded if isinstance(expanded, Mapping) else {}
    kind = principal_kind(principal) or "principal"
    pid = str(item.get("principalId") or principal.get("id") or "")
    name = principal.get("userPrincipalName") or principal.get("displayName") or pid
    return Evidence(type=kind, id=pid, name=str(name), detail=detail)


def admin_roles_just_in_time(
    eligible: Sequence[Json], assignment_instances: Sequence[Json], config: ScanConfig
) -> Decision:
    """1.1.11: admin roles are held through PIM eligibility, with no permanent active assignment (break-glass excepted).

    eligible: roleEligibilityScheduleInstances; assignment_instances: roleAssignmentScheduleInstances (both
    $expand=principal). Permanent = assignmentType "Assigned" with endDateTime null.
    """
    admin_roles = {r.lower() for r in config.admin_role_ids}
    eligible_admin = [
        e for e in eligible if isinstance(e, Mapping) and _lower_id(e.get("roleDefinitionId")) in admin_roles
    ]
    per_role: dict[str, int] = {}
    for e in eligible_admin:
        per_role[_lower_id(e.get("roleDefinitionId"))] = per_role.get(_lower_id(e.get("roleDefinitionId")), 0) + 1
    eligible_items = [
        Evidence(type="role", id=rid, name=role_name(rid), detail=f"{n} eligible")
        for rid, n in sorted(per_role.items())
    ]
    permanent: list[Evidence] = []
    excepted: list[Evidence] = []
    service_principals: list[Evidence] = []
    for item in assignment_instances:
        if not isinstance(item, Mapping) or _lower_id(item.get("roleDefinitionId")) not in admin_roles:
            continue
        if lowered(item.get("assignmentType")) != "assigned" or item.get("endDateTime") is not None:
            continue  # PIM activations and time-bound assignments are just-in-time
        kind = principal_kind(item.get("principal"))
        pid = _lower_id(item.get("principalId") or (item.get("principal") or {}).get("id"))
        role = role_name(_lower_id(item.get("roleDefinitionId")))
        if kind == "servicePrincipal":
            service_principals.append(
                _principal_evidence(item, f"{role}: permanent; service principals cannot activate roles, not counted")
            )
        elif kind == "user" and pid in config.break_glass_accounts:
            excepted.append(_principal_evidence(item, f"{role}: permanent; break-glass account, excepted"))
        else:
            permanent.append(_principal_evidence(item, f"{role}: permanent active assignment"))
    evidence = [
        *capped(permanent, "permanent assignments"),
        *eligible_items,
        *capped(excepted, "break-glass accounts"),
        *capped(service_principals, "service principals"),
    ]
    problems = []
    if not eligible_admin:
        problems.append("no admin role has an eligible (PIM) assignment")
    if permanent:
        problems.append(f"{plural(len(permanent), 'permanent active admin role assignment')} to users or groups")
    if problems:
        return non_compliant("Privileged access is not just-in-time: " + "; ".join(problems), evidence)
    return compliant(
        f"Admin roles are held through PIM: {plural(len(eligible_admin), 'eligible assignment')}, no permanent active "
        f"assignment ({len(excepted)} break-glass excepted, activation settings not checked)",
        evidence,
    )


# ----------------------------------------------------------------------------------------------- 1.1.12


def security_defaults_disabled(policy: Json, ca_policies: Sequence[Json] | None = None) -> Decision:
    """1.1.12: identitySecurityDefaultsEnforcementPolicy.isEnabled is false (CA policies are evidence only)."""
    enabled = policy.get("isEnabled") if isinstance(policy, Mapping) else None
    evidence = [
        Evidence(
            type="setting",
            id=str(policy.get("id") or "") if isinstance(policy, Mapping) else None,
            name="Security defaults",
            detail=f"isEnabled {enabled}",
        )
    ]
    ca_note = ""
    if ca_policies is not None:
        on = [p for p in ca_policies if isinstance(p, Mapping) and lowered(p.get("state")) == "enabled"]
        evidence.append(Evidence(type="count", name="enabled Conditional Access policies", detail=str(len(on))))
        if enabled is False and not on:
            ca_note = "; warning: no Conditional Access policy is enabled either, so nothing replaces the defaults"
    if enabled is False:
        return compliant("Security defaults are disabled" + ca_note, evidence)
    if enabled is True:
        return non_compliant("Security defaults are enabled", evidence)
    return no_decision("identitySecurityDefaultsEnforcementPolicy did not return isEnabled", evidence)


# ----------------------------------------------------------------------------------------------- 1.1.13


def public_groups_approved(groups: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.13: every public Microsoft 365 group is in config.approved_public_groups."""
    public = [
        g
        for g in groups
        if isinstance(g, Mapping)
        and (g.get("groupTypes") is None or "unified" in {lowered(t) for t in g.get("groupTypes") or []})
        and lowered(g.get("visibility") or "Public") == "public"  # null means Public for Microsoft 365 groups
    ]
    approved = [g for g in public if _lower_id(g.get("id")) in config.approved_public_groups]
    unapproved = [g for g in public if g not in approved]
    if unapproved:
        items = [
            Evidence(
                type="group",
                id=str(g.get("id")),
                name=str(g.get("displayName") or g.get("id")),
                detail=f"visibility {g.get('visibility') or 'null (Public)'}, created {g.get('createdDateTime')}",
            )
            for g in unapproved
        ]
        return non_compliant(
            f"{plural(len(unapproved), 'public Microsoft 365 group')} not approved "
            f"({len(approved)} approved public groups)",
            capped(items, "groups"),
        )
    if not public:
        return compliant("No public Microsoft 365 groups exist")
    return compliant(f"All {plural(len(public), 'public Microsoft 365 group')} are approved")


# ----------------------------------------------------------------------------------------------- 1.1.14


def _key(mapping: Any, name: str) -> Any:
    """A JSON key read case-insensitively (the definitions are written by several tools)."""
    if not isinstance(mapping, Mapping):
        return None
    for key, value in mapping.items():
        if str(key).lower() == name.lower():
            return value
    return None


@dataclass(frozen=True)
class _InvitationRule:
    policy_id: str
    allowed: list[str]
    blocked: list[str]
    has_allowed_key: bool


def _invitation_rules(b2b_policies: Sequence[Json]) -> tuple[list[_InvitationRule], list[str]]:
    rules: list[_InvitationRule] = []
    unreadable: list[str] = []
    for policy in b2b_policies:
        if not isinstance(policy, Mapping):
            continue
        definitions = policy.get("definition") or []
        for text in [definitions] if isinstance(definitions, str) else definitions:
            try:
                document = json.loads(text) if isinstance(text, str) else text
            except ValueError:
                unreadable.append(str(policy.get("id") or "?"))
                continue
            rule = _key(_key(document, "B2BManagementPolicy"), "InvitationsAllowedAndBlockedDomainsPolicy")
            if isinstance(rule, Mapping):
                allowed = _key(rule, "AllowedDomains")
                blocked = _key(rule, "BlockedDomains")
                rules.append(
                    _InvitationRule(
                        str(policy.get("id") or ""),
                        [str(d) for d in allowed or []],
                        [str(d) for d in blocked or []],
                        allowed is not None,
                    )
                )
    return rules, unreadable


def invitations_allowed_domains_only(b2b_policies: Sequence[Json]) -> Decision:
    """1.1.14: the B2B invitation policy is a non-empty allow list with no block list (beta b2bManagementPolicies)."""
    rules, unreadable = _invitation_rules(b2b_policies)
    if not rules:
        if unreadable:
            return no_decision(f"b2bManagementPolicies definition is not valid JSON (policy {', '.join(unreadable)})")
        return non_compliant(
            "No collaboration invitation domain restriction is set: invitations can go to any domain",
            [Evidence(type="setting", name="InvitationsAllowedAndBlockedDomainsPolicy", detail="mode none")],
        )
    evidence: list[Evidence] = []
    failing: list[str] = []
    for rule in rules:
        if rule.allowed and not rule.blocked:
            mode = f"allow list: {', '.join(rule.allowed[:EVIDENCE_LIMIT])}" + (
                f" (+{len(rule.allowed) - EVIDENCE_LIMIT} more)" if len(rule.allowed) > EVIDENCE_LIMIT else ""
            )
        elif rule.blocked:
            mode = f"block list: {', '.join(rule.blocked[:EVIDENCE_LIMIT])}" + (
                f" (+{len(rule.blocked) - EVIDENCE_LIMIT} more)" if len(rule.blocked) > EVIDENCE_LIMIT else ""
            )
            if rule.allowed:
                mode += f"; allow list: {', '.join(rule.allowed[:EVIDENCE_LIMIT])}"
            failing.append("a block list is set")
        elif rule.has_allowed_key:
            mode = "allow list empty"
            failing.append("the allow list is empty")
        else:
            mode = "no allow or block list (any domain)"
            failing.append("no allow list is set")
        evidence.append(
            Evidence(type="setting", id=rule.policy_id, name="InvitationsAllowedAndBlockedDomainsPolicy", detail=mode)
        )
    if failing:
        return non_compliant(
            f"Collaboration invitations are not limited to allowed domains: {'; '.join(dict.fromkeys(failing))}",
            evidence,
        )
    return compliant("Collaboration invitations are limited to an allow list of domains", evidence)


# ----------------------------------------------------------------------------------------------- 1.4


def sharepoint_modern_auth_required(settings: Json) -> Decision:
    """1.4: SharePoint settings isLegacyAuthProtocolsEnabled is false."""
    value = settings.get("isLegacyAuthProtocolsEnabled") if isinstance(settings, Mapping) else None
    evidence = [Evidence(type="setting", name="isLegacyAuthProtocolsEnabled", detail=str(value))]
    if value is False:
        return compliant(
            "SharePoint blocks apps that do not use modern authentication (isLegacyAuthProtocolsEnabled false)",
            evidence,
        )
    if value is True:
        return non_compliant(
            "SharePoint allows apps that do not use modern authentication (isLegacyAuthProtocolsEnabled true)", evidence
        )
    return no_decision("SharePoint settings did not return isLegacyAuthProtocolsEnabled", evidence)


# ----------------------------------------------------------------------------------------------- 1.5


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
                    type="domain",
                    id=str(domain.get("id")),
                    name=str(domain.get("id")),
                    detail=f"{domain.get('authenticationType')}: follows the on-premises policy, skipped",
                )
            )
            continue
        evaluated.append((domain, number(domain.get("passwordValidityPeriodInDays"))))

    def never(days: float | None) -> bool:
        return days is None or days >= NEVER_EXPIRES_DAYS

    if not evaluated:
        return manual("No verified managed root domain to evaluate: review the password expiration policy", skipped)
    failing = [(d, days) for d, days in evaluated if not never(days)]
    passing = [(d, days) for d, days in evaluated if never(days)]

    def item(domain: Json, days: float | None) -> Evidence:
        value = domain.get("passwordValidityPeriodInDays")
        detail = f"passwordValidityPeriodInDays {value}" + (
            " (never expires)" if never(days) else " (passwords expire)"
        )
        return Evidence(type="domain", id=str(domain.get("id")), name=str(domain.get("id")), detail=detail)

    evidence = capped([item(d, days) for d, days in (*failing, *passing)], "domains") + capped(
        skipped, "federated domains"
    )
    if failing:
        names = ", ".join(f"{d.get('id')} ({days:g} days)" for d, days in failing[:10] if days is not None)
        return non_compliant(
            f"Passwords expire in {len(failing)} of {plural(len(evaluated), 'managed domain')}: {names}", evidence
        )
    return compliant(f"Passwords never expire in all {plural(len(evaluated), 'managed domain')}", evidence)


# ----------------------------------------------------------------------------------------------- Secure Score side


def exchange_modern_auth_enabled(organization_config: JsonList | Json | None) -> Decision:
    """1.2: OrganizationConfig.OAuth2ClientProfileEnabled is True."""
    return configuration_switch(
        organization_config,
        "OrganizationConfig",
        "OAuth2ClientProfileEnabled",
        wanted=True,
        on="Modern authentication is enabled for Exchange Online",
        off="Modern authentication is disabled for Exchange Online",
    )
