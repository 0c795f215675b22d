"""4.4 rewritten and 4.6's outbound path (issue 9 item 9): (a) every outbound spam policy that applies has
AutoForwardingMode Off (the precedence walk over senders), or (b) every remote domain has AutoForwardEnabled False.
4.6 uses the same mechanism (a), so 4.4 and 4.6 never disagree about the outbound policies."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.findings import Status
from tests.unit.rules.email_cases import EVERY_DOMAIN, Cmdlets, client_rules, forwarding, golden, status


def custom_outbound(
    c: Cmdlets, name: str, mode: str, *, priority: int = 0, state: str = "Enabled", **scope: Any
) -> None:
    c["Get-HostedOutboundSpamFilterPolicy"].append(
        {"Name": name, "Identity": name, "IsDefault": False, "AutoForwardingMode": mode}
    )
    c["Get-HostedOutboundSpamFilterRule"].append(
        {"Name": name, "HostedOutboundSpamFilterPolicy": name, "State": state, "Priority": priority, **scope}
    )


def remote_forwarding_on(c: Cmdlets) -> None:
    c["Get-RemoteDomain"][0]["AutoForwardEnabled"] = True


def no_transport_rule(c: Cmdlets) -> None:
    c["Get-TransportRule"] = []


def test_a_custom_policy_allowing_forwarding_for_a_group_fails_both_4_4_and_4_6() -> None:
    c = golden()
    remote_forwarding_on(c)
    no_transport_rule(c)
    custom_outbound(c, "Sales forwarding", "On", FromMemberOf=["Sales"])

    for decide in (forwarding, client_rules):
        decision = decide(c)
        assert status(decision) is Status.NON_COMPLIANT  # compliant before issue 9 (only the default was read)
        assert "Sales forwarding" in decision.reason and "FromMemberOf Sales" in decision.reason


def test_a_custom_policy_allowing_forwarding_whose_rule_is_disabled_does_not_apply() -> None:
    c = golden()
    remote_forwarding_on(c)
    no_transport_rule(c)
    custom_outbound(c, "Sales forwarding", "On", state="Disabled", FromMemberOf=["Sales"])

    assert status(forwarding(c)) is Status.COMPLIANT
    assert status(client_rules(c)) is Status.COMPLIANT


def test_a_custom_off_policy_for_every_sender_domain_shadows_a_default_on() -> None:
    c = golden()
    remote_forwarding_on(c)
    no_transport_rule(c)
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"
    custom_outbound(c, "No forwarding", "Off", SenderDomainIs=EVERY_DOMAIN)

    assert status(forwarding(c)) is Status.COMPLIANT
    assert status(client_rules(c)) is Status.COMPLIANT


def test_a_custom_off_policy_missing_a_sender_domain_leaves_the_default_applying() -> None:
    c = golden()
    remote_forwarding_on(c)
    no_transport_rule(c)
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"
    custom_outbound(c, "No forwarding", "Off", SenderDomainIs=["contoso.com"])

    assert status(forwarding(c)) is Status.NON_COMPLIANT
    assert status(client_rules(c)) is Status.NON_COMPLIANT


def test_a_sender_exception_keeps_a_rule_from_covering_everyone() -> None:
    c = golden()
    remote_forwarding_on(c)
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"
    custom_outbound(c, "No forwarding", "Off", ExceptIfFrom=["ceo@contoso.com"])

    assert status(forwarding(c)) is Status.NON_COMPLIANT


def test_automatic_is_not_off_and_the_reason_says_microsoft_treats_it_as_off() -> None:
    c = golden()
    remote_forwarding_on(c)
    no_transport_rule(c)
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "Automatic"

    for decide in (forwarding, client_rules):
        decision = decide(c)
        assert status(decision) is Status.NON_COMPLIANT
        assert "now behaves as Off" in decision.reason
        assert "outbound-spam-policies-external-email-forwarding" in decision.reason


def test_automatic_outbound_with_every_remote_domain_off_is_compliant_and_says_so() -> None:
    c = golden()
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "Automatic"

    decision = forwarding(c)

    assert status(decision) is Status.COMPLIANT
    assert "every remote domain" in decision.reason and "now behaves as Off" in decision.reason


def test_a_specific_remote_domain_allowing_forwarding_breaks_mechanism_b() -> None:
    c = golden()
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"
    c["Get-RemoteDomain"].append({"Name": "Partner", "DomainName": "partner.example", "AutoForwardEnabled": True})

    decision = forwarding(c)

    assert status(decision) is Status.NON_COMPLIANT  # compliant before issue 9 (only the Default was read)
    assert "Partner" in decision.reason


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["Get-RemoteDomain"][0].pop("AutoForwardEnabled"),
        lambda c: c["Get-RemoteDomain"][0].update(AutoForwardEnabled="yes"),  # a wrong type is not False
        lambda c: c["Get-RemoteDomain"].clear(),
    ],
    ids=["absent", "wrong-type", "no-default-remote-domain"],
)
def test_remote_domains_that_cannot_be_read_do_not_decide(change: Any) -> None:
    c = golden()
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"
    change(c)

    assert status(forwarding(c)) is None


def test_an_outbound_policy_without_the_mode_cannot_prove_mechanism_a() -> None:
    c = golden()
    no_transport_rule(c)
    c["Get-HostedOutboundSpamFilterPolicy"][0].pop("AutoForwardingMode")
    remote_forwarding_on(c)

    assert status(forwarding(c)) is None
    assert status(client_rules(c)) is None


@pytest.mark.parametrize("mode", ["Off", "On", "Automatic"])
@pytest.mark.parametrize("custom", [None, "On", "Off"])
def test_4_4_mechanism_a_and_4_6_outbound_path_agree(mode: str, custom: str | None) -> None:
    c = golden()
    remote_forwarding_on(c)  # 4.4 then rests on mechanism (a) alone
    no_transport_rule(c)  # 4.6 then rests on mechanism (a) alone
    c["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = mode
    if custom is not None:
        custom_outbound(c, "Custom", custom, From=["adele@contoso.com"])

    assert status(forwarding(c)) is status(client_rules(c))
