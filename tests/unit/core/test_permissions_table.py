"""tools/permissions_table.py: README's permission table is the catalogue's, with no placeholder left in it."""

from __future__ import annotations

from pathlib import Path

from tests.harness.tools import load_tool

REPO = Path(__file__).resolve().parents[3]


tool = load_tool("permissions_table")


def test_the_table_names_no_placeholder() -> None:
    table = tool.permissions_markdown()
    assert "{compliance}" not in table and "{exchange}" not in table
    assert "Security & Compliance cmdlets" in table


def test_the_table_lists_the_pim_for_groups_permission() -> None:
    rows = [line for line in tool.permissions_markdown().splitlines() if "PrivilegedEligibilitySchedule" in line]
    assert len(rows) == 1 and "| 1.1.1, 1.1.3 |" in rows[0]


def test_readme_holds_the_current_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{tool.START}\n{tool.permissions_markdown()}\n{tool.END}" in readme, (
        "run tools/permissions_table.py --write"
    )
