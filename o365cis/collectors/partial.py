"""Reads a rule can partly do without: failures are kept, so that an undecided result still names them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from o365cis.collectors import reads
from o365cis.collectors.reads import GraphRead
from o365cis.collectors.tenant import TenantReader
from o365cis.directory_roles import RoleHolders, eligible_member_groups, groups_to_expand, role_holders
from o365cis.exchange.client import ExchangeReader
from o365cis.exchange.cmdlets import CmdletCall
from o365cis.findings import Decision, FailureKind, NoDecision, ReadError


class PartialReads:
    """Attempts reads for one decision; `None` stands for a failed read and the failure is remembered."""

    def __init__(self, tenant: TenantReader) -> None:
        self.tenant = tenant
        self.failures: list[ReadError] = []

    def get(self, read: GraphRead) -> Any:
        data, failure = self.tenant.attempt(read)
        if failure is not None:
            self.failures.append(failure)
        return data

    def eligible_role_instances(self) -> list[dict[str, Any]] | None:
        """PIM eligibility with the catalogue's meaning of a licence refusal (no eligible holders)."""
        try:
            return self.tenant.eligible_role_instances()
        except ReadError as failure:
            self.failures.append(failure)
            return None

    def group_eligibility_instances(self, group_id: str) -> list[dict[str, Any]] | None:
        """PIM for Groups eligibility of one group, with the licence refusal meaning nobody is eligible."""
        try:
            return self.tenant.group_eligibility_instances(group_id)
        except ReadError as failure:
            self.failures.append(failure)
            return None

    def hand_over(self, decision: Decision) -> Decision:
        """An undecided result carries the failed reads, so the chain can end in error naming them."""
        if isinstance(decision, NoDecision) and self.failures:
            return NoDecision(decision.reason, decision.evidence, decision.failures + tuple(self.failures))
        return decision


def admin_role_holders(
    partial: PartialReads, role_ids: Iterable[str], *, active_only: bool = False
) -> RoleHolders | None:
    """Holders of the given roles, active and eligible, groups expanded (None when a role read failed).

    Each role-holding group (role-assignable by construction) is expanded to its transitive members and to the
    members eligible for it through PIM for Groups, read only for such groups. A group whose eligibility read
    failed stays an unresolved holder, so compliant cannot be proven while the users already read may still fail.
    active_only leaves PIM role eligibility out (used when it was refused and active holders can still decide).
    """
    role_ids = tuple(role_ids)
    active = partial.get(reads.ROLE_ASSIGNMENTS)
    eligible = [] if active_only else partial.eligible_role_instances()
    if active is None or eligible is None:
        return None
    groups = groups_to_expand(active, eligible, role_ids)
    group_eligibility: dict[str, list[dict[str, Any]]] = {}
    for group_id in groups:
        rows = partial.group_eligibility_instances(group_id)
        if rows is not None:
            group_eligibility[group_id] = rows
    members: dict[str, list[dict[str, Any]]] = {}
    for group_id in dict.fromkeys([*groups, *eligible_member_groups(group_eligibility)]):
        group_members = partial.get(reads.group_transitive_members(group_id))
        if group_members is not None:
            members[group_id] = group_members
    return role_holders(active, eligible, members, role_ids, group_eligibility=group_eligibility)


def only_eligibility_failed(partial: PartialReads) -> bool:
    """Whether PIM eligibility is the one read that failed (1.1.3: active holders above four still decide)."""
    return bool(partial.failures) and all(
        f.request.endswith("roleEligibilityScheduleInstances") and f.kind is not FailureKind.NOT_LICENSED
        for f in partial.failures
    )


def attempt_invoke(exchange: ExchangeReader, call: CmdletCall) -> list[dict[str, Any]] | ReadError:
    """A decisive cmdlet read a rule can partly do without: its objects, or the ReadError for the rule to weigh.

    Used where the catalogue lets data already read prove a failure without this read (4.11, 2.8).
    """
    try:
        return exchange.invoke(call.name, call.parameters)
    except ReadError as failure:
        return failure
