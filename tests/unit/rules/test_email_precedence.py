"""The "policies that apply" walk (rules.email.precedence) and the verdicts of 2.3, 4.7, 4.8 and 4.10 built on it.

Crafted inputs of issue 9 item 7 and their near neighbours: the same tenant one setting away.
"""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.findings import Status
from o365cis.rules.email import precedence
from tests.fake_exchange.scenarios import preset_policies, preset_rules
from tests.unit.rules.email_cases import (
    EVERY_DOMAIN,
    GOOD_PHISH,
    INITIAL,
    Cmdlets,
    anti_phish,
    golden,
    safe_attachments,
    safe_links,
    safe_links_office,
    status,
)


def failing_default_phish() -> Cmdlets:
    c = golden()
    c["Get-AntiPhishPolicy"][0]["PhishThresholdLevel"] = 1
    return c


def custom_phish(c: Cmdlets, name: str = "Execs", *, priority: int = 0, state: str = "Enabled", **scope: Any) -> None:
    c["Get-AntiPhishPolicy"].append({"Name": name, "Identity": name, "IsDefault": False, **GOOD_PHISH})
    c["Get-AntiPhishRule"].append(
        {"Name": name, "AntiPhishPolicy": name, "State": state, "Priority": priority, **scope}
    )


def turn_on(c: Cmdlets, preset: str, *, state: str = "Enabled", **conditions: Any) -> None:
    for cmdlet, rule in preset_rules(preset, state=state, **conditions).items():
        c[cmdlet].append(rule)
    for cmdlet, policy in preset_policies(preset).items():
        c.setdefault(cmdlet, []).append(policy)


# ------------------------------------------------------------------------------------------------ 4.10 anti-phishing
def test_one_good_policy_for_one_user_does_not_rescue_a_failing_default() -> None:
    c = failing_default_phish()
    custom_phish(c, SentTo=["adele@contoso.com"])

    decision = anti_phish(c)

    assert status(decision) is Status.NON_COMPLIANT  # compliant before issue 9
    assert "Office365 AntiPhish Default" in decision.reason and "PhishThresholdLevel is 1" in decision.reason
    execs = next(e for e in decision.evidence if e.name == "Execs")
    assert "SentTo adele@contoso.com" in (execs.detail or "") and "passes" in (execs.detail or "")


def test_a_good_policy_covering_every_accepted_domain_shadows_a_bad_default() -> None:
    c = failing_default_phish()
    custom_phish(c, RecipientDomainIs=[d.upper() for d in EVERY_DOMAIN])  # domain names compare without case

    decision = anti_phish(c)

    assert status(decision) is Status.COMPLIANT
    default = next(e for e in decision.evidence if e.name == "Office365 AntiPhish Default")
    assert "does not apply" in (default.detail or "") and "shadowed by rule Execs" in (default.detail or "")


def test_a_custom_rule_without_condition_covers_everyone() -> None:
    c = failing_default_phish()
    custom_phish(c)

    assert status(anti_phish(c)) is Status.COMPLIANT


@pytest.mark.parametrize(
    ("scope", "state"),
    [
        ({"RecipientDomainIs": ["contoso.com"]}, "Enabled"),  # the *.onmicrosoft.com domain is missing
        ({"RecipientDomainIs": EVERY_DOMAIN, "SentTo": ["adele@contoso.com"]}, "Enabled"),  # a second condition
        ({"RecipientDomainIs": EVERY_DOMAIN, "ExceptIfSentTo": ["ceo@contoso.com"]}, "Enabled"),
        ({}, "Disabled"),
    ],
    ids=["one-domain-missing", "second-condition", "exception", "disabled"],
)
def test_near_neighbours_leave_the_failing_default_applying(scope: dict[str, Any], state: str) -> None:
    c = failing_default_phish()
    custom_phish(c, state=state, **scope)

    decision = anti_phish(c)

    assert status(decision) is Status.NON_COMPLIANT
    assert "Office365 AntiPhish Default" in decision.reason


def test_partial_rules_never_add_up_to_everyone() -> None:
    c = failing_default_phish()
    custom_phish(c, "Contoso", RecipientDomainIs=["contoso.com"])
    custom_phish(c, "Initial", priority=1, RecipientDomainIs=[INITIAL])

    assert status(anti_phish(c)) is Status.NON_COMPLIANT


def test_a_bad_policy_ahead_of_a_covering_good_one_still_applies() -> None:
    c = golden()
    custom_phish(c, "Everyone", priority=1)
    custom_phish(c, "Sales", priority=0, SentToMemberOf=["Sales"])
    next(p for p in c["Get-AntiPhishPolicy"] if p["Name"] == "Sales")["EnableMailboxIntelligence"] = False

    decision = anti_phish(c)

    assert status(decision) is Status.NON_COMPLIANT
    assert "Sales" in decision.reason and "SentToMemberOf Sales" in decision.reason


def test_standard_preset_for_all_recipients_shadows_a_bad_default() -> None:
    c = failing_default_phish()
    turn_on(c, "Standard")

    decision = anti_phish(c)

    assert status(decision) is Status.COMPLIANT
    assert "Standard preset" in decision.reason


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["Get-ATPProtectionPolicyRule"][0].update(SentTo=["adele@contoso.com"]),
        lambda c: c["Get-EOPProtectionPolicyRule"][0].update(ExceptIfSentToMemberOf=["Contractors"]),
        lambda c: c["Get-ATPProtectionPolicyRule"][0].update(State="Disabled"),
        lambda c: c["Get-ATPProtectionPolicyRule"].clear(),
    ],
    ids=["atp-rule-partial", "eop-rule-exception", "atp-rule-disabled", "atp-rule-missing"],
)
def test_a_preset_covers_everyone_only_when_both_of_its_rules_do(change: Any) -> None:
    # The EOP rule scopes the spoof settings, the ATP rule impersonation and mailbox intelligence: a recipient outside
    # either still gets some anti-phishing settings from the default policy.
    c = failing_default_phish()
    turn_on(c, "Standard")
    change(c)

    assert status(anti_phish(c)) is Status.NON_COMPLIANT


def test_both_preset_rules_off_means_the_preset_does_not_apply() -> None:
    c = golden()
    turn_on(c, "Strict", state="Disabled")
    next(p for p in c["Get-AntiPhishPolicy"] if p.get("RecommendedPolicyType") == "Strict")["Enabled"] = False

    decision = anti_phish(c)

    assert status(decision) is Status.COMPLIANT
    strict = next(e for e in decision.evidence if "Strict Preset" in (e.name or ""))
    assert "preset off" in (strict.detail or "")


def test_preset_values_are_read_not_trusted_from_the_name() -> None:
    c = golden()
    turn_on(c, "Standard")
    next(p for p in c["Get-AntiPhishPolicy"] if p.get("RecommendedPolicyType") == "Standard")["PhishThresholdLevel"] = 1

    assert status(anti_phish(c)) is Status.NON_COMPLIANT


def test_strict_covering_everyone_shadows_standard() -> None:
    c = golden()
    turn_on(c, "Strict")
    turn_on(c, "Standard")
    next(p for p in c["Get-AntiPhishPolicy"] if p.get("RecommendedPolicyType") == "Standard")["Enabled"] = False

    decision = anti_phish(c)

    assert status(decision) is Status.COMPLIANT
    assert "Strict preset" in decision.reason and "Standard preset" not in decision.reason


def test_a_preset_whose_policy_is_missing_cannot_decide() -> None:
    c = golden()
    turn_on(c, "Standard")
    c["Get-AntiPhishPolicy"] = [p for p in c["Get-AntiPhishPolicy"] if "RecommendedPolicyType" not in p]

    decision = anti_phish(c)

    assert status(decision) is None
    assert "missing from the response" in decision.reason


def test_no_default_policy_and_no_covering_rule_cannot_decide() -> None:
    c = golden()
    c["Get-AntiPhishPolicy"] = []

    assert status(anti_phish(c)) is None


# ------------------------------------------------------------------------------------------------ 4.7 / 2.3 Safe Links
def safe_links_all_off(c: Cmdlets) -> None:
    custom = next(p for p in c["Get-SafeLinksPolicy"] if p["Name"] == "Strict Safe Links")
    for key in ("EnableSafeLinksForEmail", "EnableSafeLinksForTeams", "EnableSafeLinksForOffice", "ScanUrls"):
        custom[key] = False
    custom["EnableForInternalSenders"] = False
    custom["AllowClickThrough"] = True
    custom["TrackClicks"] = False


def test_a_bad_custom_safe_links_policy_for_everyone_is_not_rescued_by_the_built_in_one() -> None:
    c = golden()  # "Strict Safe Links" has a rule listing every accepted domain
    safe_links_all_off(c)

    for decide in (safe_links, safe_links_office):
        decision = decide(c)
        assert status(decision) is Status.NON_COMPLIANT  # compliant before issue 9
        assert "Strict Safe Links" in decision.reason
        built_in = next(e for e in decision.evidence if e.name == "Built-In Protection Policy")
        assert "does not apply" in (built_in.detail or "")


def test_a_bad_built_in_policy_is_shadowed_by_a_good_custom_one_for_everyone() -> None:
    c = golden()
    built_in = next(p for p in c["Get-SafeLinksPolicy"] if p["Name"] == "Built-In Protection Policy")
    built_in.update(EnableSafeLinksForTeams=False, EnableSafeLinksForOffice=False)

    assert status(safe_links(c)) is Status.COMPLIANT
    assert status(safe_links_office(c)) is Status.COMPLIANT


def test_a_bad_built_in_policy_applies_when_the_custom_rule_misses_a_domain() -> None:
    c = golden()
    c["Get-SafeLinksRule"][0]["RecipientDomainIs"] = ["contoso.com"]
    built_in = next(p for p in c["Get-SafeLinksPolicy"] if p["Name"] == "Built-In Protection Policy")
    built_in.update(EnableSafeLinksForTeams=False)

    decision = safe_links(c)

    assert status(decision) is Status.NON_COMPLIANT
    assert "Built-In Protection Policy" in decision.reason


def test_the_standard_preset_for_everyone_shadows_bad_custom_and_built_in_safe_links() -> None:
    c = golden()
    safe_links_all_off(c)
    for p in c["Get-SafeLinksPolicy"]:
        p["ScanUrls"] = False
    turn_on(c, "Standard")

    decision = safe_links(c)

    assert status(decision) is Status.COMPLIANT
    assert "Standard preset" in decision.reason


def test_the_v13_atp_settings_remain_an_alternative_for_office_apps() -> None:
    c = golden()
    safe_links_all_off(c)
    c["Get-AtpPolicyForO365"][0].update(EnableSafeLinksForO365Clients=True, AllowClickThrough=False, TrackClicks=True)

    assert status(safe_links_office(c)) is Status.COMPLIANT


# ------------------------------------------------------------------------------------------------ 4.8 Safe Attachments
def test_safe_attachments_custom_for_everyone_with_dynamic_delivery_fails_despite_good_built_in() -> None:
    c = golden()
    next(p for p in c["Get-SafeAttachmentPolicy"] if p["Name"] == "Strict Safe Attachments")["Action"] = (
        "DynamicDelivery"
    )

    decision = safe_attachments(c)

    assert status(decision) is Status.NON_COMPLIANT
    assert "Action is DynamicDelivery" in decision.reason


def test_safe_attachments_rule_disabled_leaves_the_built_in_policy() -> None:
    c = golden()
    c["Get-SafeAttachmentRule"][0]["State"] = "Disabled"
    next(p for p in c["Get-SafeAttachmentPolicy"] if p["Name"] == "Strict Safe Attachments")["Enable"] = False

    decision = safe_attachments(c)

    assert status(decision) is Status.COMPLIANT
    assert "Built-In Protection Policy" in decision.reason


# ------------------------------------------------------------------------------------------------ the walk itself
def test_walk_orders_presets_then_custom_by_priority_then_default() -> None:
    c = golden()
    turn_on(c, "Standard", SentTo=["adele@contoso.com"])
    custom_phish(c, "Second", priority=2, SentTo=["b@contoso.com"])
    custom_phish(c, "First", priority=1, SentTo=["a@contoso.com"])

    result = precedence.walk(
        c["Get-AntiPhishPolicy"],
        c["Get-AntiPhishRule"],
        "AntiPhishPolicy",
        EVERY_DOMAIN,
        preset_rules=(c["Get-EOPProtectionPolicyRule"], c["Get-ATPProtectionPolicyRule"]),
        preset_key="AntiPhishPolicy",
    )

    assert [a.why.split(" (")[0] for a in result.applying] == [
        "Standard preset",
        "rule First",
        "rule Second",
        "default policy",
    ]
    assert result.covering is None


def test_covers_everyone_needs_accepted_domains_for_a_domain_list() -> None:
    rule = {"RecipientDomainIs": EVERY_DOMAIN}

    assert precedence.covers_everyone(rule, EVERY_DOMAIN)
    assert precedence.covers_everyone(rule, ["contoso.com.", "CONTOSO.onmicrosoft.com"])
    assert not precedence.covers_everyone(rule, [])
    assert not precedence.covers_everyone(rule, [*EVERY_DOMAIN, "fabrikam.com"])
    assert precedence.covers_everyone({"SentTo": None, "ExceptIfSentTo": []}, EVERY_DOMAIN)
