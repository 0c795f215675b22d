"""A scan keeps only what its rules read, and decides exactly as it does with every object whole.

The golden tenant's mailboxes are widened to real Get-Mailbox width (properties no rule reads, around the
scenario's own). The golden, Graph-violation and Exchange-violation tenants are each scanned twice: projected (the
default) and with O365CIS_KEEP_WHOLE_OBJECTS=1. Status, reason and evidence must be identical, which they are only
if every property a rule reads of users, registration rows, mailboxes and audit-bypass associations is kept. The
projected golden scan's snapshot holds projected objects only, and replaying it decides the same again.
(test_verdict_identity.py compares the projected scans with the golden files as well.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from o365cis.collectors import reads
from o365cis.exchange.cmdlets import MAILBOX, MAILBOX_FIELDS
from o365cis.projection import KEEP_WHOLE_VARIABLE
from tests.e2e.exchange_cases import USERS, ScanCase, golden_scenario, noncompliant_case, replay_all, run_scans
from tests.e2e.test_verdict_identity import _compare_verdicts
from tests.fake_exchange.wide import wide_mailbox
from tests.fake_tenant.named import noncompliant_tenant
from tests.harness.tenants import with_exchange_and_dns


def _noise(index: int) -> dict[str, Any]:
    """The properties of a real mailbox that no rule reads."""
    box = wide_mailbox(index, f"wide{index}@contoso.com", "Wide", f"wide-{index}", "contoso.onmicrosoft.com")
    return {name: value for name, value in box.items() if name not in MAILBOX_FIELDS}


def _responses(snapshot: Path) -> dict[str, Any]:
    return dict(json.loads(snapshot.read_text(encoding="utf-8"))["responses"])


def test_projection_changes_no_verdict_and_snapshots_hold_projected_objects(tmp_path: Path) -> None:
    wide = golden_scenario()
    cmdlets = wide.extra["exchange"]["cmdlets"]
    cmdlets["Get-Mailbox"] = [{**_noise(i), **box} for i, box in enumerate(cmdlets["Get-Mailbox"])]
    assert all(len(box) > 150 for box in cmdlets["Get-Mailbox"])
    tenants = {
        "golden": wide,
        "noncompliant_graph": with_exchange_and_dns(noncompliant_tenant(USERS)),
        "noncompliant_exchange": noncompliant_case().scenario,
    }
    cases = [ScanCase(name, scenario, save_snapshot=name == "golden") for name, scenario in tenants.items()]
    cases += [ScanCase(f"{name}-whole", scenario, env={KEEP_WHOLE_VARIABLE: "1"}) for name, scenario in tenants.items()]
    tool = _compare_verdicts()

    outcomes = run_scans(cases, tmp_path)

    for name in tenants:
        projected, whole = outcomes[name], outcomes[f"{name}-whole"]
        assert projected.results, projected.output[-3000:]
        assert tool.render(tool.verdicts(projected.results)) == tool.render(tool.verdicts(whole.results)), name
    snapshot = outcomes["golden"].snapshot
    assert snapshot is not None
    [mailboxes] = [e["body"]["value"] for key, e in _responses(snapshot).items() if f" {MAILBOX.name} " in key]
    assert len(mailboxes) == len(cmdlets["Get-Mailbox"]) and all(set(m) <= set(MAILBOX_FIELDS) for m in mailboxes)
    pages = [
        e["body"] for key, e in _responses(snapshot).items() if key.startswith(f"GET {reads.REGISTRATION_DETAILS.path}")
    ]
    rows = [row for page in pages for row in page["value"]]
    assert rows and all(set(row) <= set(reads.REGISTRATION_DETAILS.keep or ()) for row in rows)

    replayed = replay_all({"golden": snapshot}, tmp_path)["golden"]
    assert tool.render(tool.verdicts(replayed.results)) == tool.render(tool.verdicts(outcomes["golden"].results))
