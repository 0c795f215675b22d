"""Who holds a directory role: active assignments, PIM eligibilities, and groups expanded to their users.

Inputs are the `value` lists of GET /roleManagement/directory/roleAssignments?$expand=principal and
roleEligibilityScheduleInstances?$expand=principal, and /groups/{id}/transitiveMembers per group. For built-in
roles roleDefinitionId is the role template id
(https://learn.microsoft.com/graph/api/resources/unifiedroleassignment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.findings import Evidence, EvidenceType

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
SERVICE_PRINCIPAL_TYPE = "#microsoft.graph.servicePrincipal"

_KINDS = {USER_TYPE: "user", GROUP_TYPE: "group", SERVICE_PRINCIPAL_TYPE: "servicePrincipal"}

ROLE_NAMES: dict[str, str] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "d29b2b05-8046-44ba-8758-1e26182fcf32": "Directory Synchronization Accounts",
}


def role_name(role_id: str) -> str:
    """A readable name for a role template id (the id itself when unknown)."""
    return ROLE_NAMES.get(role_id.lower(), role_id)


def principal_kind(principal: Any) -> str | None:
    """ "user", "group" or "servicePrincipal" from an expanded principal's @odata.type; None when unknown."""
    if not isinstance(principal, Mapping):
        return None
    return _KINDS.get(str(principal.get("@odata.type") or ""))


@dataclass(frozen=True)
class RoleHolder:
    """One principal holding one role one way (active or eligible, directly or through a group)."""

    principal_id: str
    principal_type: str  # "user", "servicePrincipal", or for unresolved holders "group" / "unknown"
    user_principal_name: str | None
    display_name: str | None
    role_id: str
    assignment: str  # "active" or "eligible"
    via_group_id: str | None = None
    via_group_name: str | None = None
    directory_scope_id: str = "/"

    @property
    def direct(self) -> bool:
        """True when the role is held directly, not through a group."""
        return self.via_group_id is None

    @property
    def label(self) -> str:
        """UPN for users, display name for others, the id as a last resort."""
        return self.user_principal_name or self.display_name or self.principal_id

    def describe(self) -> str:
        """E.g. "Global Administrator, eligible, via group Tier0 Admins (id)"."""
        how = "direct" if self.direct else f"via group {self.via_group_name or self.via_group_id} ({self.via_group_id})"
        scope = "" if self.directory_scope_id == "/" else f", scope {self.directory_scope_id}"
        return f"{role_name(self.role_id)}, {self.assignment}, {how}{scope}"

    def evidence(self, extra: str | None = None) -> Evidence:
        """The holder as an evidence item (type user / servicePrincipal / group / principal)."""
        kind = self.principal_type if self.principal_type in ("user", "servicePrincipal", "group") else "principal"
        detail = self.describe() + (f"; {extra}" if extra else "")
        return Evidence(type=EvidenceType(kind), id=self.principal_id, name=self.label, detail=detail)


@dataclass(frozen=True)
class RoleHolders:
    """Role holders split the way the rules use them: users (counted), service principals (listed), unresolved."""

    users: tuple[RoleHolder, ...] = ()
    service_principals: tuple[RoleHolder, ...] = ()
    # Principals the data cannot resolve to users: a principal not expanded, or a group whose members were not read.
    unresolved: tuple[RoleHolder, ...] = ()

    def user_ids(self) -> list[str]:
        """Distinct user object ids, in the order first seen."""
        return list(dict.fromkeys(h.principal_id for h in self.users))

    def by_user(self) -> dict[str, list[RoleHolder]]:
        """Every holding of each user, keyed by user id."""
        grouped: dict[str, list[RoleHolder]] = {}
        for holder in self.users:
            grouped.setdefault(holder.principal_id, []).append(holder)
        return grouped


def _role_filter(role_ids: Iterable[str]) -> frozenset[str]:
    return frozenset(r.lower() for r in role_ids)


def _matches(item: Mapping[str, Any], roles: frozenset[str], tenant_scope_only: bool) -> bool:
    if str(item.get("roleDefinitionId") or "").lower() not in roles:
        return False
    return not tenant_scope_only or (item.get("directoryScopeId") or "/") == "/"


def _principal_id(item: Mapping[str, Any]) -> str:
    principal = item.get("principal")
    pid = item.get("principalId") or (principal.get("id") if isinstance(principal, Mapping) else None)
    return str(pid or "")


def groups_to_expand(
    active: Sequence[Mapping[str, Any]], eligible: Sequence[Mapping[str, Any]], role_ids: Iterable[str]
) -> list[str]:
    """Ids of the groups holding one of the roles, whose transitive members the collector must read."""
    roles = _role_filter(role_ids)
    found: dict[str, None] = {}
    for item in [*active, *eligible]:
        if (
            isinstance(item, Mapping)
            and _matches(item, roles, False)
            and principal_kind(item.get("principal")) == "group"
        ):
            found.setdefault(_principal_id(item), None)
    return [g for g in found if g]


def _holder(
    member: Mapping[str, Any], kind: str, item: Mapping[str, Any], assignment: str, group: Mapping[str, Any] | None
) -> RoleHolder:
    return RoleHolder(
        principal_id=str(member.get("id") or ""),
        principal_type=kind,
        user_principal_name=member.get("userPrincipalName"),
        display_name=member.get("displayName"),
        role_id=str(item.get("roleDefinitionId") or "").lower(),
        assignment=assignment,
        via_group_id=str(group.get("id")) if group is not None else None,
        via_group_name=group.get("displayName") if group is not None else None,
        directory_scope_id=str(item.get("directoryScopeId") or "/"),
    )


def role_holders(
    active: Sequence[Mapping[str, Any]],
    eligible: Sequence[Mapping[str, Any]],
    group_members: Mapping[str, Sequence[Mapping[str, Any]]],
    role_ids: Iterable[str],
    *,
    tenant_scope_only: bool = False,
) -> RoleHolders:
    """Everyone holding one of the roles: users (direct or via groups), service principals, unresolved principals."""
    roles = _role_filter(role_ids)
    users: list[RoleHolder] = []
    service_principals: list[RoleHolder] = []
    unresolved: list[RoleHolder] = []
    for assignment, items in (("active", active), ("eligible", eligible)):
        for item in items:
            if not isinstance(item, Mapping) or not _matches(item, roles, tenant_scope_only):
                continue
            principal = item.get("principal")
            principal = principal if isinstance(principal, Mapping) else {"id": _principal_id(item)}
            principal = {**principal, "id": principal.get("id") or _principal_id(item)}
            kind = principal_kind(principal)
            if kind is None and principal["id"] in group_members:
                kind = "group"  # the collector expanded it, so it knew the principal was a group
            if kind == "user":
                users.append(_holder(principal, "user", item, assignment, None))
            elif kind == "servicePrincipal":
                service_principals.append(_holder(principal, "servicePrincipal", item, assignment, None))
            elif kind == "group" and principal["id"] in group_members:
                for member in group_members[principal["id"]]:
                    member_kind = principal_kind(member)
                    # transitiveMembers already lists the members of nested groups; devices and contacts hold nothing.
                    if member_kind == "user":
                        users.append(_holder(member, "user", item, assignment, principal))
                    elif member_kind == "servicePrincipal":
                        service_principals.append(_holder(member, "servicePrincipal", item, assignment, principal))
            else:
                unresolved.append(_holder(principal, kind or "unknown", item, assignment, None))
    return RoleHolders(tuple(users), tuple(service_principals), tuple(unresolved))
