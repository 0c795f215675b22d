"""The Exchange ActiveSync fallback (the default mobile device mailbox policy)."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.findings import NoDecision, Status
from o365cis.rules.mobile_devices import mailbox_policy
from tests.unit.rules.mobile_devices_cases import MAILBOX_POLICIES, eas, status_of


@pytest.mark.parametrize("rule", sorted(mailbox_policy.ACTIVESYNC_RULES))
def test_activesync_default_policy_complies(rule: str) -> None:
    decision = eas(rule)
    assert status_of(decision) is Status.COMPLIANT, decision.reason


@pytest.mark.parametrize("rule", sorted(mailbox_policy.ACTIVESYNC_RULES))
def test_activesync_needs_password_enabled(rule: str) -> None:
    decision = eas(rule, PasswordEnabled=False)
    assert status_of(decision) is Status.NON_COMPLIANT
    assert "PasswordEnabled" in decision.reason


@pytest.mark.parametrize("rule", sorted(mailbox_policy.ACTIVESYNC_RULES))
def test_activesync_without_default_policy_is_no_decision(rule: str) -> None:
    assert isinstance(mailbox_policy.activesync_policy_meets(rule, MAILBOX_POLICIES[1:]), NoDecision)
    assert isinstance(mailbox_policy.activesync_policy_meets(rule, []), NoDecision)
    assert isinstance(mailbox_policy.activesync_policy_meets(rule, None), NoDecision)


@pytest.mark.parametrize(
    ("rule", "values", "expected"),
    [
        ("7.2", {"PasswordHistory": 4}, Status.NON_COMPLIANT),
        ("7.2", {"PasswordHistory": "5"}, Status.COMPLIANT),
        ("7.3", {"PasswordExpiration": "90.00:00:00"}, Status.NON_COMPLIANT),
        ("7.3", {"PasswordExpiration": None}, Status.COMPLIANT),  # unset: never expires
        ("7.5", {"MaxPasswordFailedAttempts": "Unlimited"}, Status.NON_COMPLIANT),
        ("7.5", {"MaxPasswordFailedAttempts": 11}, Status.NON_COMPLIANT),
        ("7.5", {"MaxPasswordFailedAttempts": 4}, Status.COMPLIANT),
        ("7.6", {"MinPasswordLength": 5}, Status.NON_COMPLIANT),
        ("7.6", {"MinPasswordLength": None}, Status.NON_COMPLIANT),
        ("7.7", {"MaxInactivityTimeLock": "Unlimited"}, Status.NON_COMPLIANT),
        ("7.7", {"MaxInactivityTimeLock": "00:15:00"}, Status.NON_COMPLIANT),
        ("7.7", {"MaxInactivityTimeLock": "00:01:00"}, Status.COMPLIANT),
        ("7.7", {"MaxInactivityTimeLock": "1.00:00:00"}, Status.NON_COMPLIANT),
        ("7.8", {"RequireDeviceEncryption": False}, Status.NON_COMPLIANT),
        ("7.8", {"RequireDeviceEncryption": "True"}, Status.COMPLIANT),
        ("7.9", {"AlphanumericPasswordRequired": False}, Status.NON_COMPLIANT),
        ("7.10", {"AllowSimplePassword": True}, Status.NON_COMPLIANT),
        ("7.10", {"AllowSimplePassword": None}, Status.NON_COMPLIANT),
        ("7.13", {"PasswordEnabled": "True"}, Status.COMPLIANT),
    ],
)
def test_activesync_values(rule: str, values: dict[str, Any], expected: Status) -> None:
    decision = eas(rule, **values)
    assert status_of(decision) is expected, decision.reason


def test_activesync_evidence_shows_default_and_other_policies() -> None:
    decision = eas("7.6", MinPasswordLength=4)
    assert status_of(decision) is Status.NON_COMPLIANT
    assert "MinPasswordLength 4" in decision.reason
    default, other = decision.evidence
    assert default.name == "Default" and "MinPasswordLength=4" in (default.detail or "")
    assert other.name == "Executives" and "not default" in (other.detail or "")


def test_activesync_unknown_rule_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        mailbox_policy.activesync_policy_meets("7.4", MAILBOX_POLICIES)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:05:00", 300), ("1.00:00:00", 86400), ("00:00:30", 30), ("Unlimited", None), ("", None), (None, None)],
)
def test_timespan_seconds(text: str | None, seconds: int | None) -> None:
    assert mailbox_policy.timespan_seconds(text) == seconds


@pytest.mark.parametrize(
    ("rule", "values", "dropped"),
    [
        ("7.6", {}, "MinPasswordLength"),
        ("7.13", {}, "PasswordEnabled"),
        ("7.8", {"RequireDeviceEncryption": "yes"}, None),
        ("7.13", {"PasswordEnabled": 1}, None),
    ],
)
def test_activesync_missing_or_wrong_type_is_no_decision(
    rule: str, values: dict[str, Any], dropped: str | None
) -> None:
    policies = [dict(p) for p in MAILBOX_POLICIES]
    policies[0].update(values)
    if dropped:
        policies[0].pop(dropped)

    decision = mailbox_policy.activesync_policy_meets(rule, policies)

    assert isinstance(decision, NoDecision), decision.reason
    assert (dropped or next(iter(values))) in decision.reason
