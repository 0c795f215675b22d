"""Transport rules in force (issue 9 item 8): State Enabled and Mode Enforce (absent Mode = Enforce) for 4.3, 4.5
and 4.6; rules in Audit or AuditAndNotify mode take no action, so they are listed and never counted."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.findings import Status
from o365cis.rules.email import transport
from tests.unit.rules.email_cases import client_rules, golden, status


def redirect_rule(mode: str | None, state: str = "Enabled") -> dict[str, Any]:
    rule: dict[str, Any] = {"Name": "Archive", "State": state, "RedirectMessageTo": ["journal@archive.example"]}
    if mode != "absent":
        rule["Mode"] = mode
    return rule


def allowlist_rule(mode: str | None, state: str = "Enabled") -> dict[str, Any]:
    rule: dict[str, Any] = {
        "Name": "Trust partner",
        "State": state,
        "SenderDomainIs": ["partner.example"],
        "SetSCL": -1,
    }
    if mode != "absent":
        rule["Mode"] = mode
    return rule


@pytest.mark.parametrize(
    ("mode", "state", "expected"),
    [
        ("Enforce", "Enabled", Status.NON_COMPLIANT),
        ("absent", "Enabled", Status.NON_COMPLIANT),  # absent Mode = Enforce
        (None, "Enabled", Status.NON_COMPLIANT),
        ("Audit", "Enabled", Status.COMPLIANT),  # non_compliant before issue 9
        ("AuditAndNotify", "Enabled", Status.COMPLIANT),
        ("Enforce", "Disabled", Status.COMPLIANT),
        ("SomethingNew", "Enabled", Status.NON_COMPLIANT),  # an undocumented mode is counted for a prohibition
    ],
)
def test_forwarding_outside_counts_only_in_force(mode: str | None, state: str, expected: Status) -> None:
    c = golden()
    c["Get-TransportRule"].append(redirect_rule(mode, state))

    decision = transport.transport_rules_do_not_forward_externally(c["Get-TransportRule"], c["Get-AcceptedDomain"])

    assert status(decision) is expected
    archive = next(e for e in decision.evidence if e.name == "Archive")
    assert ("listed only" in (archive.detail or "")) is (expected is Status.COMPLIANT)


def test_audit_mode_forwarding_rule_is_listed_with_its_mode() -> None:
    c = golden()
    c["Get-TransportRule"].append(redirect_rule("Audit"))

    decision = transport.transport_rules_do_not_forward_externally(c["Get-TransportRule"], c["Get-AcceptedDomain"])

    archive = next(e for e in decision.evidence if e.name == "Archive")
    assert "Mode Audit (takes no action)" in (archive.detail or "")


@pytest.mark.parametrize(
    ("mode", "state", "expected"),
    [
        ("Enforce", "Enabled", Status.NON_COMPLIANT),
        ("absent", "Enabled", Status.NON_COMPLIANT),
        ("Audit", "Enabled", Status.COMPLIANT),  # non_compliant before issue 9
        ("AuditAndNotify", "Enabled", Status.COMPLIANT),
        ("Enforce", "Disabled", Status.COMPLIANT),
    ],
)
def test_allow_list_counts_only_in_force(mode: str | None, state: str, expected: Status) -> None:
    c = golden()
    c["Get-TransportRule"].append(allowlist_rule(mode, state))

    decision = transport.transport_rules_do_not_allowlist_domains(c["Get-TransportRule"])

    assert status(decision) is expected
    partner = next(e for e in decision.evidence if e.name == "Trust partner")
    assert f"Mode {'Enforce' if mode in ('absent', None) else mode}" in (partner.detail or "")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("Enforce", Status.COMPLIANT),
        ("absent", Status.COMPLIANT),
        ("Audit", Status.NON_COMPLIANT),  # compliant before issue 9
        ("AuditAndNotify", Status.NON_COMPLIANT),
        ("SomethingNew", Status.NON_COMPLIANT),  # an undocumented mode is not counted for a requirement
    ],
)
def test_the_forwarding_block_must_be_in_force(mode: str, expected: Status) -> None:
    c = golden()
    rule = c["Get-TransportRule"][0]
    if mode == "absent":
        del rule["Mode"]
    else:
        rule["Mode"] = mode
    # Outbound policies do not block on their own here, so only the transport rule can decide.
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"

    decision = client_rules(c)

    assert status(decision) is expected
    if expected is Status.NON_COMPLIANT and mode != "SomethingNew":
        assert any(f"Mode {mode} (takes no action)" in (e.detail or "") for e in decision.evidence)
