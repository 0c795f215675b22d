"""capped evidence lists (rules/evidence.py)."""

from __future__ import annotations

from o365cis.findings import Evidence
from o365cis.rules.evidence import capped


def test_capped_keeps_fifty_and_counts_the_rest() -> None:
    items = [Evidence(type="user", id=str(i)) for i in range(51)]
    assert capped(items[:50], "users") == items[:50]
    shown = capped(items, "users")
    assert shown[:50] == items[:50] and shown[50] == Evidence(
        type="count", name="more users", detail="1 more users not listed (51 in all)"
    )
