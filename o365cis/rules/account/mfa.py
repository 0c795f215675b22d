"""1.1.1 and 1.1.2: multi-factor authentication for admin users and for all users (Conditional Access, registration)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from o365cis.config import ScanConfig
from o365cis.directory_roles import RoleHolders
from o365cis.findings import Decision, Evidence, EvidenceType, compliant, manual, no_decision, non_compliant
from o365cis.rules._types import Json
from o365cis.rules._values import index_by_id, lowered, lowered_id, plural
from o365cis.rules.conditional_access import (
    PolicyCheck,
    check_policies,
    grant_failure,
    near_misses,
    no_policy_reason,
    policy_evidence,
)
from o365cis.rules.evidence import capped


def _user_label(user: Json | None, fallback_id: str) -> str:
    if not user:
        return fallback_id
    return str(user.get("userPrincipalName") or user.get("displayName") or fallback_id)


def _mfa_policy_checks(
    policies: Sequence[Json], config: ScanConfig, required_roles: Sequence[str] | None
) -> list[PolicyCheck]:
    return check_policies(
        policies,
        config.break_glass_accounts,
        requirement=lambda p: grant_failure(p, ("mfa",)),
        required_roles=required_roles,
        break_glass_groups=config.break_glass_groups,
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
            no_policy_reason(checks, "requires MFA for every admin role and all cloud apps"), near_misses(checks)
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
    user_rows = index_by_id(users)
    registration_rows = index_by_id(registrations)
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
                    type=EvidenceType.USER,
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


def _enabled_members_not_mfa_capable(
    users: Sequence[Json], registrations: Sequence[Json], break_glass: frozenset[str]
) -> list[Evidence]:
    rows = index_by_id(registrations)
    found: list[Evidence] = []
    for user in users:
        if (
            not isinstance(user, Mapping)
            or user.get("accountEnabled") is not True
            or lowered(user.get("userType")) != "member"
        ):
            continue
        row = rows.get(lowered_id(user.get("id")))
        if row is None or row.get("isMfaCapable") is not True:
            why = "no registration row" if row is None else "isMfaCapable false"
            note = "; break-glass account" if lowered_id(user.get("id")) in break_glass else ""
            found.append(
                Evidence(
                    type=EvidenceType.USER,
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
            no_policy_reason(checks, "requires MFA for All users and all cloud apps") + note,
            [*near_misses(checks), *extra],
        )
    return compliant(
        f"Policy '{passing[0].name}' requires MFA for All users and all cloud apps{note}",
        [policy_evidence(passing[0]), *extra],
    )
