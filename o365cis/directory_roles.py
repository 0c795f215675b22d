"""Who holds a directory role: active assignments, PIM eligibilities, and groups expanded to their users.

Inputs are the `value` lists of GET /roleManagement/directory/roleAssignments?$expand=principal and
roleEligibilityScheduleInstances?$expand=principal, /groups/{id}/transitiveMembers per group, and per role-holding
group its PIM for Groups eligibility (identityGovernance/privilegedAccess/group/eligibilityScheduleInstances
?$filter=groupId eq '{id}'&$expand=principal). For built-in roles roleDefinitionId is the role template id
(https://learn.microsoft.com/graph/api/resources/unifiedroleassignment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    #: Only eligible for membership of via_group (PIM for Groups): not in transitiveMembers until activated.
    eligible_member: bool = False
    #: Why an unresolved holder could not be resolved, when it is not the usual "principal not expanded".
    unresolved_because: str | None = None

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
        if self.eligible_member:
            how += " as an eligible member (PIM for Groups)"
        scope = "" if self.directory_scope_id == "/" else f", scope {self.directory_scope_id}"
        because = f"; {self.unresolved_because}" if self.unresolved_because else ""
        return f"{role_name(self.role_id)}, {self.assignment}, {how}{scope}{because}"

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


def eligible_member_groups(group_eligibility: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Ids of the groups that are eligible members of a role-holding group: their transitive members are read too."""
    found: dict[str, None] = {}
    for rows in group_eligibility.values():
        for row in _member_rows(rows):
            if principal_kind(row.get("principal")) == "group":
                found.setdefault(_principal_id(row), None)
    return [g for g in found if g]


def _member_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    # accessId "owner" rows make a principal eligible to own the group, not to hold its roles
    # (https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupeligibilityscheduleinstance).
    return [r for r in rows if isinstance(r, Mapping) and str(r.get("accessId") or "").lower() == "member"]


def _holder(
    member: Mapping[str, Any],
    kind: str,
    item: Mapping[str, Any],
    assignment: str,
    group: Mapping[str, Any] | None,
    *,
    eligible_member: bool = False,
    unresolved_because: str | None = None,
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
        eligible_member=eligible_member,
        unresolved_because=unresolved_because,
    )


@dataclass
class _Assembly:
    """Holders being collected: each principal lands in users, service principals or unresolved."""

    group_members: Mapping[str, Sequence[Mapping[str, Any]]]
    users: list[RoleHolder] = field(default_factory=list)
    service_principals: list[RoleHolder] = field(default_factory=list)
    unresolved: list[RoleHolder] = field(default_factory=list)

    def place(
        self,
        principal: Mapping[str, Any],
        item: Mapping[str, Any],
        assignment: str,
        group: Mapping[str, Any] | None,
        *,
        eligible_member: bool = False,
    ) -> str | None:
        """Add a user or service principal holder; returns the principal's kind when it is neither."""
        kind = principal_kind(principal)
        if kind == "user":
            self.users.append(_holder(principal, "user", item, assignment, group, eligible_member=eligible_member))
        elif kind == "servicePrincipal":
            self.service_principals.append(
                _holder(principal, "servicePrincipal", item, assignment, group, eligible_member=eligible_member)
            )
        else:
            return kind or "unknown"
        return None

    def expand(
        self, group_id: str, item: Mapping[str, Any], assignment: str, via: Mapping[str, Any], *, eligible: bool = False
    ) -> None:
        # transitiveMembers already lists the members of nested groups; devices and contacts hold nothing.
        for member in self.group_members[group_id]:
            self.place(member, item, assignment, via, eligible_member=eligible)

    def result(self) -> RoleHolders:
        return RoleHolders(tuple(self.users), tuple(self.service_principals), tuple(self.unresolved))


def _resolved_principal(item: Mapping[str, Any]) -> dict[str, Any]:
    principal = item.get("principal")
    principal = principal if isinstance(principal, Mapping) else {"id": _principal_id(item)}
    return {**principal, "id": principal.get("id") or _principal_id(item)}


def role_holders(
    active: Sequence[Mapping[str, Any]],
    eligible: Sequence[Mapping[str, Any]],
    group_members: Mapping[str, Sequence[Mapping[str, Any]]],
    role_ids: Iterable[str],
    *,
    tenant_scope_only: bool = False,
    group_eligibility: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> RoleHolders:
    """Everyone holding one of the roles: users (direct or via groups), service principals, unresolved principals.

    group_eligibility: PIM for Groups eligibility rows per role-holding group id. Members eligible for such a group
    hold its roles as "eligible" (a group principal among them is expanded through group_members). When a mapping is
    given, a role-holding group missing from it (its eligibility read failed) is an unresolved holder; None leaves
    PIM for Groups out (inputs that never had it).
    """
    roles = _role_filter(role_ids)
    found = _Assembly(group_members)
    for assignment, items in (("active", active), ("eligible", eligible)):
        for item in items:
            if not isinstance(item, Mapping) or not _matches(item, roles, tenant_scope_only):
                continue
            principal = _resolved_principal(item)
            if principal_kind(principal) is None and principal["id"] in group_members:
                # the collector expanded it, so it knew the principal was a group
                principal["@odata.type"] = GROUP_TYPE
            kind = found.place(principal, item, assignment, None)
            if kind is None:
                continue
            if kind == "group" and principal["id"] in group_members:
                found.expand(principal["id"], item, assignment, principal)
                if group_eligibility is not None:
                    _add_eligible_members(found, group_eligibility, (item, assignment, principal))
            else:
                found.unresolved.append(_holder(principal, kind, item, assignment, None))
    return found.result()


def _add_eligible_members(
    found: _Assembly,
    group_eligibility: Mapping[str, Sequence[Mapping[str, Any]]],
    holding: tuple[Mapping[str, Any], str, Mapping[str, Any]],
) -> None:
    """Members only eligible for the role-holding group (PIM for Groups) hold its role as "eligible".

    holding: the group's role assignment or eligibility item, "active" or "eligible", and the group principal.
    """
    item, group_assignment, group = holding
    rows = group_eligibility.get(group["id"])
    if rows is None:
        found.unresolved.append(
            _holder(
                group,
                "group",
                item,
                group_assignment,
                None,
                unresolved_because="members eligible through PIM for Groups not read",
            )
        )
        return
    for row in _member_rows(rows):
        principal = _resolved_principal(row)
        kind = found.place(principal, item, "eligible", group, eligible_member=True)
        if kind is None:
            continue
        if kind == "group" and principal["id"] in found.group_members:
            found.expand(principal["id"], item, "eligible", group, eligible=True)
        else:
            found.unresolved.append(
                _holder(
                    principal,
                    kind,
                    item,
                    "eligible",
                    group,
                    eligible_member=True,
                    unresolved_because="eligible group's members not read" if kind == "group" else None,
                )
            )
