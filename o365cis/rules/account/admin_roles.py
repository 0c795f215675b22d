"""1.1.3 (two to four Global Administrators) and 1.1.11 (admin roles held just in time through PIM)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from o365cis.config import GLOBAL_ADMIN_ROLE_ID, ScanConfig
from o365cis.directory_roles import RoleHolder, RoleHolders, principal_kind, role_name
from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._types import Json
from o365cis.rules._values import index_by_id, lowered, lowered_id, plural
from o365cis.rules.evidence import capped


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
    user_rows = index_by_id(users) if users is not None else None
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


def _principal_evidence(item: Json, detail: str) -> Evidence:
    expanded = item.get("principal")
    principal: Json = expanded if isinstance(expanded, Mapping) else {}
    kind = principal_kind(principal) or "principal"
    pid = str(item.get("principalId") or principal.get("id") or "")
    name = principal.get("userPrincipalName") or principal.get("displayName") or pid
    return Evidence(type=EvidenceType(kind), id=pid, name=str(name), detail=detail)


def admin_roles_just_in_time(
    eligible: Sequence[Json], assignment_instances: Sequence[Json], config: ScanConfig
) -> Decision:
    """1.1.11: admin roles are held through PIM eligibility, with no permanent active assignment (break-glass excepted).

    eligible: roleEligibilityScheduleInstances; assignment_instances: roleAssignmentScheduleInstances (both
    $expand=principal). Permanent = assignmentType "Assigned" with endDateTime null.
    """
    admin_roles = {r.lower() for r in config.admin_role_ids}
    eligible_admin = [
        e for e in eligible if isinstance(e, Mapping) and lowered_id(e.get("roleDefinitionId")) in admin_roles
    ]
    per_role: dict[str, int] = {}
    for e in eligible_admin:
        per_role[lowered_id(e.get("roleDefinitionId"))] = per_role.get(lowered_id(e.get("roleDefinitionId")), 0) + 1
    eligible_items = [
        Evidence(type=EvidenceType.ROLE, id=rid, name=role_name(rid), detail=f"{n} eligible")
        for rid, n in sorted(per_role.items())
    ]
    permanent: list[Evidence] = []
    excepted: list[Evidence] = []
    service_principals: list[Evidence] = []
    for item in assignment_instances:
        if not isinstance(item, Mapping) or lowered_id(item.get("roleDefinitionId")) not in admin_roles:
            continue
        if lowered(item.get("assignmentType")) != "assigned" or item.get("endDateTime") is not None:
            continue  # PIM activations and time-bound assignments are just-in-time
        kind = principal_kind(item.get("principal"))
        pid = lowered_id(item.get("principalId") or (item.get("principal") or {}).get("id"))
        role = role_name(lowered_id(item.get("roleDefinitionId")))
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
