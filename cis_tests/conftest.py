"""Fixtures the recommendations share beyond the plugin's (tenant, cis, secure_score, cis_config, as_of)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from o365cis.collectors import reads
from o365cis.collectors.tenant import TenantReader
from o365cis.evaluation import PlanGate
from o365cis.licensing import plan_label, plan_present


@pytest.fixture(scope="session")
def plan_gate(tenant: TenantReader) -> Callable[[Sequence[str]], PlanGate]:
    """`plan_gate(plans)`: the catalogue's "plan present" check, as the gate of cis.evaluate()."""

    def gate_for(plans: Sequence[str]) -> PlanGate:
        def gate() -> str | None:
            if plan_present(tenant.read(reads.SUBSCRIBED_SKUS), plans):
                return None
            return f"not licensed for {plan_label(plans)}: no enabled subscription provisions it (subscribedSkus)"

        return gate

    return gate_for
