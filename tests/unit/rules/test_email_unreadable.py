"""Section 4 Exchange reads that are missing, null or of the wrong type give no decision (issue 9, code defect:
"never read as the safe value"), and their well-formed neighbours keep their verdict.

Each case changes one property of the golden cmdlet output; a NoDecision names the object and the property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from o365cis.findings import Decision, NoDecision, Status
from o365cis.rules.email import threat_policies, transport
from tests.unit.rules.email_cases import (
    Cmdlets,
    anti_phish,
    client_rules,
    forwarding,
    golden,
    safe_attachments,
    safe_links,
    safe_links_office,
    status,
)

MISSING = object()
#: The unreadable values of a State: missing, null, not a string, a word that is neither Enabled nor Disabled.
UNREADABLE_STATES = [MISSING, None, 1, "Enabled-but-not"]
STATE_IDS = ["missing", "null", "wrong-type", "unknown-word"]


def put(obj: dict[str, Any], prop: str, value: Any) -> dict[str, Any]:
    if value is MISSING:
        obj.pop(prop, None)
    else:
        obj[prop] = value
    return obj


def assert_names(decision: Decision, obj: str, prop: str) -> None:
    assert isinstance(decision, NoDecision), decision
    assert f"{obj}: {prop} is" in decision.reason
    assert any(e.name == obj and (e.detail or "").startswith(f"{prop}:") for e in decision.evidence)


# ------------------------------------------------------------------------------------------------------------ 4.3
def forwarding_rules(state: Any, **extra: Any) -> list[dict[str, Any]]:
    rule = {"Name": "Archive", "Mode": "Enforce", "RedirectMessageTo": ["journal@archive.example"], **extra}
    return [put(rule, "State", state)]


def external_forwarding(rules: list[dict[str, Any]]) -> Decision:
    return transport.transport_rules_do_not_forward_externally(rules, golden()["Get-AcceptedDomain"])


@pytest.mark.parametrize("state", UNREADABLE_STATES, ids=STATE_IDS)
def test_4_3_a_forwarding_rule_whose_state_cannot_be_read_is_no_decision(state: Any) -> None:
    # Before: a State that is not "Enabled" was read as disabled, and 4.3 was compliant.
    assert_names(external_forwarding(forwarding_rules(state)), "Archive", "State")


@pytest.mark.parametrize(("state", "expected"), [("Enabled", Status.NON_COMPLIANT), ("Disabled", Status.COMPLIANT)])
def test_4_3_neighbours_with_a_readable_state_keep_their_verdict(state: str, expected: Status) -> None:
    assert status(external_forwarding(forwarding_rules(state))) is expected


def test_4_3_a_mode_that_is_not_a_string_is_no_decision_and_disabled_rules_stay_ignored() -> None:
    assert_names(external_forwarding(forwarding_rules("Enabled", Mode=5)), "Archive", "Mode")
    assert status(external_forwarding(forwarding_rules("Disabled", Mode=5))) is Status.COMPLIANT


def test_4_3_an_unreadable_rule_does_not_hide_a_rule_that_fails() -> None:
    rules = [*forwarding_rules(None), {**forwarding_rules("Enabled")[0], "Name": "Journal"}]

    decision = external_forwarding(rules)

    assert status(decision) is Status.NON_COMPLIANT and "1 transport rule in force sends" in decision.reason


def test_4_3_a_rule_that_forwards_nowhere_needs_no_state() -> None:
    rules = [put({"Name": "Disclaimer", "Mode": "Enforce"}, "State", None)]

    assert status(external_forwarding(rules)) is Status.COMPLIANT


# ------------------------------------------------------------------------------------------------------------ 4.5
def allowlist_rules(state: Any = "Enabled", scl: Any = -1) -> list[dict[str, Any]]:
    rule: dict[str, Any] = {"Name": "Trust partner", "Mode": "Enforce", "SenderDomainIs": ["partner.example"]}
    return [put(put(rule, "State", state), "SetSCL", scl)]


@pytest.mark.parametrize("state", UNREADABLE_STATES, ids=STATE_IDS)
def test_4_5_an_allow_list_rule_whose_state_cannot_be_read_is_no_decision(state: Any) -> None:
    # Before: compliant (the rule was read as disabled).
    assert_names(transport.transport_rules_do_not_allowlist_domains(allowlist_rules(state)), "Trust partner", "State")


@pytest.mark.parametrize("scl", [MISSING, True, "minus one", [-1]], ids=["missing", "boolean", "word", "list"])
def test_4_5_a_set_scl_that_cannot_be_read_is_no_decision(scl: Any) -> None:
    # Before: compliant (anything but -1 was read as "does not bypass filtering").
    decision = transport.transport_rules_do_not_allowlist_domains(allowlist_rules(scl=scl))

    assert_names(decision, "Trust partner", "SetSCL")


@pytest.mark.parametrize(
    ("state", "scl", "expected"),
    [
        ("Enabled", -1, Status.NON_COMPLIANT),
        ("Enabled", "-1", Status.NON_COMPLIANT),
        ("Enabled", None, Status.COMPLIANT),  # null: the rule has no SetSCL action
        ("Enabled", 0, Status.COMPLIANT),
        ("Disabled", -1, Status.COMPLIANT),
        ("Disabled", MISSING, Status.COMPLIANT),  # clearly disabled: nothing else is read
    ],
)
def test_4_5_neighbours_keep_their_verdict(state: str, scl: Any, expected: Status) -> None:
    decision = transport.transport_rules_do_not_allowlist_domains(allowlist_rules(state, scl))

    assert status(decision) is expected


# ------------------------------------------------------------------------------------------------------------ 4.6
def blocking_rule_state(c: Cmdlets, state: Any, auto_forwarding: str = "On") -> Cmdlets:
    put(c["Get-TransportRule"][0], "State", state)
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = auto_forwarding
    return c


@pytest.mark.parametrize("state", UNREADABLE_STATES, ids=STATE_IDS)
def test_4_6_a_blocking_rule_whose_state_cannot_be_read_is_no_decision(state: Any) -> None:
    # Before: non_compliant (the block was read as disabled) although the rule may be in force.
    decision = client_rules(blocking_rule_state(golden(), state))

    assert_names(decision, "Block client forwarding to external recipients", "State")


@pytest.mark.parametrize(
    ("state", "auto_forwarding", "expected"),
    [
        ("Enabled", "On", Status.COMPLIANT),
        ("Disabled", "On", Status.NON_COMPLIANT),
        (None, "Off", Status.COMPLIANT),  # the outbound policies decide without the rule
    ],
)
def test_4_6_neighbours_keep_their_verdict(state: Any, auto_forwarding: str, expected: Status) -> None:
    assert status(client_rules(blocking_rule_state(golden(), state, auto_forwarding))) is expected


def test_4_6_a_near_miss_with_an_unreadable_state_is_not_the_block() -> None:
    c = blocking_rule_state(golden(), None)
    c["Get-TransportRule"][0]["FromScope"] = "NotInOrganization"

    assert status(client_rules(c)) is Status.NON_COMPLIANT


# ------------------------------------------------------------------------------------------- the policies that apply
def custom_outbound(c: Cmdlets, state: Any) -> Cmdlets:
    c["Get-HostedOutboundSpamFilterPolicy"].append(
        {"Name": "Sales", "Identity": "Sales", "IsDefault": False, "AutoForwardingMode": "On"}
    )
    c["Get-HostedOutboundSpamFilterRule"].append(
        put(
            {"Name": "Sales", "HostedOutboundSpamFilterPolicy": "Sales", "Priority": 0, "From": ["s@contoso.com"]},
            "State",
            state,
        )
    )
    return c


def custom_anti_phish(c: Cmdlets, state: Any) -> Cmdlets:
    c["Get-AntiPhishPolicy"].append({"Name": "Execs", "Identity": "Execs", "IsDefault": False, "Enabled": False})
    c["Get-AntiPhishRule"].append(put({"Name": "Execs", "AntiPhishPolicy": "Execs", "Priority": 0}, "State", state))
    return c


def custom_safe_links(c: Cmdlets, state: Any) -> Cmdlets:
    put(c["Get-SafeLinksRule"][0], "State", state)
    return c


def custom_safe_attachments(c: Cmdlets, state: Any) -> Cmdlets:
    put(c["Get-SafeAttachmentRule"][0], "State", state)
    return c


@dataclass(frozen=True)
class Walked:
    """A recommendation decided over the policies that apply, one of its rules changed, and the verdict with it
    Enabled."""

    rec: str
    change: Callable[[Cmdlets, Any], Cmdlets]
    decide: Callable[[Cmdlets], Decision]
    rule: str
    enabled: Status


WALKED = [
    Walked("4.10", custom_anti_phish, anti_phish, "Execs", Status.NON_COMPLIANT),
    Walked("4.7", custom_safe_links, safe_links, "Strict Safe Links", Status.COMPLIANT),
    Walked("2.3", custom_safe_links, safe_links_office, "Strict Safe Links", Status.COMPLIANT),
    Walked("4.8", custom_safe_attachments, safe_attachments, "Strict Safe Attachments", Status.COMPLIANT),
    Walked(
        "4.6",
        custom_outbound,
        lambda c: client_rules(blocking_rule_state(c, "Disabled", "Off")),
        "Sales",
        Status.NON_COMPLIANT,
    ),
]


@pytest.mark.parametrize("state", [*UNREADABLE_STATES, "Enabled"], ids=[*STATE_IDS, "enabled"])
@pytest.mark.parametrize("case", WALKED, ids=[w.rec for w in WALKED])
def test_a_rule_whose_state_cannot_be_read_leaves_the_policies_that_apply_unknown(case: Walked, state: Any) -> None:
    decision = case.decide(case.change(golden(), state))

    if state == "Enabled":  # the well-formed neighbour keeps its verdict
        assert status(decision) is case.enabled
    else:  # before: the rule was read as disabled (its policy did not apply, the later policies did)
        assert_names(decision, case.rule, "State")


def test_a_preset_rule_whose_state_cannot_be_read_is_no_decision() -> None:
    c = golden()
    c["Get-ATPProtectionPolicyRule"].append(
        {"Name": "Strict Preset Security Policy", "SafeLinksPolicy": "Strict Safe Links", "State": None}
    )

    assert_names(safe_links(c), "Strict Preset Security Policy", "State")


@pytest.mark.parametrize(
    ("remote", "expected"), [(False, Status.COMPLIANT), (True, None)], ids=["remote-domains-off", "remote-domains-on"]
)
def test_4_4_an_unreadable_outbound_rule_leaves_the_remote_domains_to_decide(remote: bool, expected: Status) -> None:
    c = custom_outbound(golden(), None)
    c["Get-RemoteDomain"][0]["AutoForwardEnabled"] = remote

    decision = forwarding(c)

    assert status(decision) is expected
    if expected is None:
        assert "Sales: State is null" in decision.reason


# ------------------------------------------------------------------------------------------------------------ 4.1
@pytest.mark.parametrize("value", [MISSING, None, "yes", 1], ids=["missing", "null", "word", "number"])
def test_4_1_an_unreadable_file_filter_switch_is_no_decision(value: Any) -> None:
    c = golden()
    put(c["Get-MalwareFilterPolicy"][0], "EnableFileFilter", value)

    decision = threat_policies.common_attachment_filter_enabled(c["Get-MalwareFilterPolicy"])

    assert_names(decision, "Default", "EnableFileFilter")


@pytest.mark.parametrize(
    ("value", "expected"), [(True, Status.COMPLIANT), ("True", Status.COMPLIANT), (False, Status.NON_COMPLIANT)]
)
def test_4_1_neighbours_keep_their_verdict(value: Any, expected: Status) -> None:
    c = golden()
    c["Get-MalwareFilterPolicy"][0]["EnableFileFilter"] = value

    assert status(threat_policies.common_attachment_filter_enabled(c["Get-MalwareFilterPolicy"])) is expected
