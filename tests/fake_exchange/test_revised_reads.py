"""The reads the revised catalogue adds (issue 9), served by the fake admin API, and the patches that build the
crafted cases from the golden data."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.fake_exchange import fixtures
from tests.fake_exchange.exchange_handler import ExchangeHandler
from tests.fake_exchange.fixtures import DOMAINS, INITIAL_DOMAIN, TENANT_ID, exchange_scenario
from tests.fake_exchange.scenarios import (
    DEFAULT_ROLE_ASSIGNMENT_POLICY,
    dkim_signing,
    golden_dns_zone,
    mailbox_role_assignment_policy,
    outbound_spam_policy,
    preset_policy_name,
    preset_rule_setting,
    preset_rules,
    role_assignment_policy,
    transport_rule_mode,
    with_preset,
)
from tests.fake_tenant.patching import patch
from tests.fake_tenant.server import FakeTenantServer

tenant_server = fixtures.tenant_server
exchange_server = fixtures.exchange_server

Server = tuple[FakeTenantServer, ExchangeHandler]
FORWARDING_RULE = "Block client forwarding to external recipients"


def invoke(server: FakeTenantServer, name: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {server.issue_token(TENANT_ID, resource=server.url)}"}
    body = {"CmdletInput": {"CmdletName": name, "Parameters": {"ResultSize": "Unlimited"}}}
    answer = requests.post(
        f"{server.url}/adminapi/beta/{TENANT_ID}/InvokeCommand",
        json=body,
        headers=headers,
        verify=server.ca_pem_path,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["value"])


# ------------------------------------------------------------------------------------------------ the golden data


@pytest.mark.parametrize(
    "name", ["Get-ATPProtectionPolicyRule", "Get-EOPProtectionPolicyRule", "Get-HostedOutboundSpamFilterRule"]
)
def test_the_new_rule_cmdlets_are_known_and_empty_in_the_golden_tenant(exchange_server: Server, name: str) -> None:
    """No preset turned on, no custom outbound spam policy: the defaults apply to everyone."""
    server, _ = exchange_server
    assert invoke(server, name) == []


def test_golden_transport_rules_are_enforced(exchange_server: Server) -> None:
    server, _ = exchange_server
    assert {(r["State"], r["Mode"]) for r in invoke(server, "Get-TransportRule")} == {("Enabled", "Enforce")}


def test_golden_mailboxes_use_the_default_role_assignment_policy(exchange_server: Server) -> None:
    server, _ = exchange_server
    policies = invoke(server, "Get-RoleAssignmentPolicy")
    assert [p["Name"] for p in policies if p["IsDefault"]] == [DEFAULT_ROLE_ASSIGNMENT_POLICY]
    assert {m["RoleAssignmentPolicy"] for m in invoke(server, "Get-Mailbox")} == {DEFAULT_ROLE_ASSIGNMENT_POLICY}


def test_golden_dkim_signs_every_accepted_domain(exchange_server: Server) -> None:
    server, _ = exchange_server
    accepted = {d["DomainName"] for d in invoke(server, "Get-AcceptedDomain")}
    assert accepted == {*DOMAINS, INITIAL_DOMAIN}
    signing = {d["Domain"]: (d["Enabled"], d["Status"]) for d in invoke(server, "Get-DkimSigningConfig")}
    assert signing == dict.fromkeys(accepted, (True, "Valid"))


def test_golden_spf_ends_in_a_hard_fail_after_the_exchange_include() -> None:
    """RFC 7208 stops at the first `all`: the include must come before it."""
    for domain in DOMAINS:
        spf = [t for t in golden_dns_zone(DOMAINS, INITIAL_DOMAIN)[domain]["TXT"] if t.startswith("v=spf1")]
        assert spf == ["v=spf1 include:spf.protection.outlook.com -all"]


# ------------------------------------------------------------------------------------------------ the case builders


def test_with_preset_turns_a_preset_on_for_all_recipients(exchange_server: Server) -> None:
    server, _ = exchange_server
    server.add_scenario(patch(exchange_scenario(), with_preset("Strict")))
    atp, eop = invoke(server, "Get-ATPProtectionPolicyRule"), invoke(server, "Get-EOPProtectionPolicyRule")
    name = preset_policy_name("Strict")
    assert [(r["Identity"], r["State"], r["Priority"]) for r in atp] == [
        ("Strict Preset Security Policy", "Enabled", 0)
    ]
    assert atp[0]["SafeLinksPolicy"] == atp[0]["SafeAttachmentPolicy"] == name
    assert (eop[0]["AntiPhishPolicy"], eop[0]["HostedContentFilterPolicy"], eop[0]["MalwareFilterPolicy"]) == (
        name,
        name,
        name,
    )
    assert all(atp[0][key] is None for key in ("SentTo", "SentToMemberOf", "RecipientDomainIs", "ExceptIfSentTo"))
    phish = [p for p in invoke(server, "Get-AntiPhishPolicy") if p["Name"] == name]
    assert phish[0]["PhishThresholdLevel"] == 4 and phish[0]["RecommendedPolicyType"] == "Strict"
    assert any(p["Name"] == name for p in invoke(server, "Get-SafeLinksPolicy"))


def test_a_preset_can_be_scoped_overridden_and_patched(exchange_server: Server) -> None:
    server, _ = exchange_server
    ops = [
        *with_preset(
            "Standard",
            SentTo=["adele@contoso.com"],
            policy_settings={"Get-AntiPhishPolicy": {"PhishThresholdLevel": 1}},
        ),
        preset_rule_setting("Get-EOPProtectionPolicyRule", "Standard", "State", "Disabled"),
    ]
    server.add_scenario(patch(exchange_scenario(), ops))
    atp, eop = invoke(server, "Get-ATPProtectionPolicyRule"), invoke(server, "Get-EOPProtectionPolicyRule")
    assert (atp[0]["State"], atp[0]["Priority"], atp[0]["SentTo"]) == ("Enabled", 1, ["adele@contoso.com"])
    assert eop[0]["State"] == "Disabled"
    name = preset_policy_name("Standard")
    assert [p["PhishThresholdLevel"] for p in invoke(server, "Get-AntiPhishPolicy") if p["Name"] == name] == [1]


def test_a_preset_rule_knows_only_recipient_conditions() -> None:
    with pytest.raises(ValueError, match="FromMemberOf"):
        preset_rules("Standard", FromMemberOf=["sales"])


def test_an_outbound_spam_policy_comes_with_its_rule(exchange_server: Server) -> None:
    server, _ = exchange_server
    server.add_scenario(patch(exchange_scenario(), outbound_spam_policy("Sales", auto_forwarding="On", From=["a@b.c"])))
    policy = [p for p in invoke(server, "Get-HostedOutboundSpamFilterPolicy") if p["Name"] == "Sales"]
    rules = invoke(server, "Get-HostedOutboundSpamFilterRule")
    assert policy[0]["AutoForwardingMode"] == "On" and policy[0]["IsDefault"] is False
    assert [(r["HostedOutboundSpamFilterPolicy"], r["State"], r["From"], r["SenderDomainIs"]) for r in rules] == [
        ("Sales", "Enabled", ["a@b.c"], None)
    ]
    with pytest.raises(ValueError, match="SentTo"):
        outbound_spam_policy("Bad", SentTo=["x"])


@pytest.mark.parametrize("mode", ["Audit", "AuditAndNotify", None])
def test_a_transport_rule_mode_can_be_changed_or_left_out(exchange_server: Server, mode: str | None) -> None:
    server, _ = exchange_server
    server.add_scenario(patch(exchange_scenario(), [transport_rule_mode(FORWARDING_RULE, mode)]))
    rule = invoke(server, "Get-TransportRule")[0]
    assert rule.get("Mode", "absent") == (mode or "absent")


def test_a_mailbox_can_use_another_role_assignment_policy(exchange_server: Server) -> None:
    server, _ = exchange_server
    ops = [
        role_assignment_policy("No add-ins", ["MyBaseOptions"]),
        mailbox_role_assignment_policy("adele@contoso.com", "No add-ins"),
    ]
    server.add_scenario(patch(exchange_scenario(), ops))
    in_use = {m["UserPrincipalName"]: m["RoleAssignmentPolicy"] for m in invoke(server, "Get-Mailbox")}
    assert in_use == {"adele@contoso.com": "No add-ins", "secops@contoso.com": DEFAULT_ROLE_ASSIGNMENT_POLICY}
    assert {p["Name"] for p in invoke(server, "Get-RoleAssignmentPolicy")} == {
        DEFAULT_ROLE_ASSIGNMENT_POLICY,
        "No add-ins",
    }


def test_dkim_signing_can_be_switched_off_for_one_domain(exchange_server: Server) -> None:
    server, _ = exchange_server
    server.add_scenario(patch(exchange_scenario(), dkim_signing("fabrikam.com", enabled=False, status="Disabled")))
    signing = {d["Domain"]: (d["Enabled"], d["Status"]) for d in invoke(server, "Get-DkimSigningConfig")}
    assert signing["fabrikam.com"] == (False, "Disabled") and signing["contoso.com"] == (True, "Valid")
