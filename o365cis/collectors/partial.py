"""Reads a rule can partly do without: failures are kept, so that an undecided result still names them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from o365cis.collectors import reads
from o365cis.collectors.reads import GraphRead
from o365cis.collectors.tenant import TenantReader
from o365cis.directory_roles import RoleHolders, groups_to_expand, role_holders
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

    def hand_over(self, decision: Decision) -> Decision:
        """An undecided result carries the failed reads, so the chain can end in error naming them."""
        if isinstance(decision, NoDecision) and self.failures:
            return NoDecision(decision.reason, decision.evidence, decision.failures + tuple(self.failures))
        return decision


def admin_role_holders(
    partial: PartialReads, role_ids: Iterable[str], *, active_only: bool = False
) -> RoleHolders | None:
    """Holders of the given roles, active and eligible, groups expanded (None when a role read failed).

    active_only leaves PIM eligibility out (used when it was refused and active holders can still decide).
    """
    role_ids = tuple(role_ids)
    active = partial.get(reads.ROLE_ASSIGNMENTS)
    eligible = [] if active_only else partial.eligible_role_instances()
    if active is None or eligible is None:
        return None
    members: dict[str, list[dict[str, Any]]] = {}
    for group_id in groups_to_expand(active, eligible, role_ids):
        group_members = partial.get(reads.group_transitive_members(group_id))
        if group_members is not None:
            members[group_id] = group_members
    return role_holders(active, eligible, members, role_ids)


def only_eligibility_failed(partial: PartialReads) -> bool:
    """Whether PIM eligibility is the one read that failed (1.1.3: active holders above four still decide)."""
    return bool(partial.failures) and all(
        f.request.endswith("roleEligibilityScheduleInstances") and f.kind is not FailureKind.NOT_LICENSED
        for f in partial.failures
    )
