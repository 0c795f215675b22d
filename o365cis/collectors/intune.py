"""Intune reads: a licence refusal names the missing service plan, from subscribedSkus."""

from __future__ import annotations

from typing import Any

from o365cis.collectors import reads
from o365cis.collectors.reads import GraphRead
from o365cis.collectors.tenant import TenantReader
from o365cis.findings import FailureKind, ReadError
from o365cis.licensing import intune_licence_gap


def read_intune(tenant: TenantReader, read: GraphRead) -> Any:
    """An Intune list; refused as not licensed, the ReadError says which plan subscribedSkus lacks.

    Graph answers 400 "Request not applicable to target tenant" without naming the plan, and the section 7
    chain then moves on to its Exchange ActiveSync fallback; the plan name tells the admin what to buy.
    """
    try:
        return tenant.read(read)
    except ReadError as failure:
        if failure.kind is not FailureKind.NOT_LICENSED:
            raise
        skus, _ = tenant.attempt(reads.SUBSCRIBED_SKUS)
        gap = intune_licence_gap(skus) if skus is not None else None
        if gap is None:
            raise
        raise ReadError(
            failure.kind, failure.request, f"{gap} ({failure.detail})", status=failure.status, code=failure.code
        ) from None
