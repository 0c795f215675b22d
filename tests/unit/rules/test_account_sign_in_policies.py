"""1.1.6, 1.1.8-1.1.10 and 1.1.12: legacy authentication, risk policies, security defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from o365cis.findings import Evidence, Finding, NoDecision, Status
from o365cis.rules.account.sign_in_policies import (
    legacy_auth_blocked,
    risk_policies_enabled,
    security_defaults_disabled,
    signin_risk_policy_enabled,
    user_risk_policy_enabled,
)
from tests.unit.rules.account_cases import BG, CONFIG, EVE, Patch, drop, policy, status_of, tenant


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (
            lambda t: policy(t, "p-legacy")["conditions"].update(clientAppTypes=["exchangeActiveSync"]),
            Status.NON_COMPLIANT,
        ),
        (lambda t: policy(t, "p-legacy")["conditions"].update(clientAppTypes=["all"]), Status.NON_COMPLIANT),
        (lambda t: policy(t, "p-legacy")["grantControls"].update(builtInControls=["mfa"]), Status.NON_COMPLIANT),
        (lambda t: policy(t, "p-legacy").update(state="enabledForReportingButNotEnforced"), Status.NON_COMPLIANT),
        (
            lambda t: policy(t, "p-legacy")["conditions"]["users"].update(excludeGroups=["g-legacy-exceptions"]),
            Status.NON_COMPLIANT,
        ),
        (
            lambda t: policy(t, "p-legacy")["conditions"].update(
                platforms={"includePlatforms": ["windows"], "excludePlatforms": []}
            ),
            Status.NON_COMPLIANT,
        ),
        (lambda t: policy(t, "p-legacy").update(displayName="Anything at all"), Status.COMPLIANT),
    ],
)
def test_legacy_auth_blocked(patch: Patch | None, expected: Status) -> None:
    assert status_of(legacy_auth_blocked(tenant(patch)["policies"], CONFIG)) is expected


LEGACY_EXCEPTIONS_GROUP = "00000000-0000-4000-8000-0000000e9c00"


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        # 1.1.6 keeps its own exception: it names exchangeActiveSync and other, whatever else is listed
        (["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"], Status.COMPLIANT),
        (["other", "exchangeActiveSync"], Status.COMPLIANT),
        (["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync"], Status.NON_COMPLIANT),
    ],
)
def test_legacy_auth_client_app_types(types: list[str], expected: Status) -> None:
    t = tenant(lambda t: policy(t, "p-legacy")["conditions"].update(clientAppTypes=types))
    assert status_of(legacy_auth_blocked(t["policies"], CONFIG)) is expected


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (frozenset({LEGACY_EXCEPTIONS_GROUP}), Status.COMPLIANT),
        (frozenset(), Status.NON_COMPLIANT),
    ],
)
def test_legacy_auth_break_glass_group(configured: frozenset[str], expected: Status) -> None:
    t = tenant(lambda t: policy(t, "p-legacy")["conditions"]["users"].update(excludeGroups=[LEGACY_EXCEPTIONS_GROUP]))
    config = replace(CONFIG, break_glass_groups=configured)
    assert status_of(legacy_auth_blocked(t["policies"], config)) is expected


def test_legacy_auth_near_misses_show_report_only_copy() -> None:
    decision = legacy_auth_blocked(
        tenant(lambda t: policy(t, "p-legacy").update(state="enabledForReportingButNotEnforced"))["policies"], CONFIG
    )
    assert isinstance(decision, Finding)
    first = decision.evidence[0]
    assert (first.id, first.detail) == ("p-legacy", "report-only (state enabledForReportingButNotEnforced)")


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: drop(t, "policies", id="p-signinrisk"), None),
        (lambda t: policy(t, "p-userrisk").update(state="enabledForReportingButNotEnforced"), None),
        # one policy naming both risks applies only when both are present: it counts for neither
        (
            lambda t: (
                drop(t, "policies", id="p-signinrisk"),
                policy(t, "p-userrisk")["conditions"].update(signInRiskLevels=["high"]),
            ),
            None,
        ),
        (
            lambda t: policy(t, "p-signinrisk")["grantControls"].update(builtInControls=["block"]),
            Status.COMPLIANT,
        ),  # any grant
        (lambda t: policy(t, "p-userrisk")["conditions"]["users"].update(excludeUsers=[BG, EVE]), None),
    ],
)
def test_risk_policies_enabled(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(risk_policies_enabled(tenant(patch)["policies"], CONFIG)) is expected


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: policy(t, "p-signinrisk")["conditions"].update(signInRiskLevels=["high"]), None),
        (
            lambda t: policy(t, "p-signinrisk")["conditions"].update(signInRiskLevels=["low", "medium", "high"]),
            Status.COMPLIANT,
        ),
        (lambda t: policy(t, "p-signinrisk")["grantControls"].update(builtInControls=["block"]), Status.COMPLIANT),
        (lambda t: policy(t, "p-signinrisk")["grantControls"].update(builtInControls=["mfa", "compliantDevice"]), None),
        (lambda t: policy(t, "p-signinrisk")["conditions"].update(userRiskLevels=["high"]), None),
        (lambda t: policy(t, "p-signinrisk").update(state="disabled"), None),
    ],
)
def test_signin_risk_policy_enabled(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(signin_risk_policy_enabled(tenant(patch)["policies"], CONFIG)) is expected


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (
            lambda t: policy(t, "p-userrisk")["grantControls"].update(
                operator="OR", builtInControls=["riskRemediation"]
            ),
            Status.COMPLIANT,
        ),
        (
            lambda t: policy(t, "p-userrisk")["grantControls"].update(operator="OR", builtInControls=["block"]),
            Status.COMPLIANT,
        ),
        (lambda t: policy(t, "p-userrisk")["grantControls"].update(builtInControls=["mfa"]), None),
        (lambda t: policy(t, "p-userrisk")["conditions"].update(userRiskLevels=["medium"]), None),
        (lambda t: policy(t, "p-userrisk")["conditions"].update(servicePrincipalRiskLevels=["high"]), None),
    ],
)
def test_user_risk_policy_enabled(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(user_risk_policy_enabled(tenant(patch)["policies"], CONFIG)) is expected


def test_risk_no_decision_lists_candidate_policies() -> None:
    t = tenant(lambda t: policy(t, "p-signinrisk")["conditions"].update(signInRiskLevels=["high"]))
    decision = signin_risk_policy_enabled(t["policies"], CONFIG)
    assert isinstance(decision, NoDecision) and "legacy Identity Protection" in decision.reason
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("p-signinrisk", 'signInRiskLevels lacks "medium" and "high"')
    ]


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: t["security_defaults"].update(isEnabled=True), Status.NON_COMPLIANT),
        (lambda t: t["security_defaults"].update(isEnabled=None), None),
        (lambda t: t["security_defaults"].pop("isEnabled"), None),
    ],
)
def test_security_defaults_disabled(patch: Patch | None, expected: Status | None) -> None:
    t = tenant(patch)
    assert status_of(security_defaults_disabled(t["security_defaults"], t["policies"])) is expected


def test_security_defaults_off_without_any_enabled_ca_policy_warns() -> None:
    t = tenant(lambda t: [p.update(state="disabled") for p in t["policies"]])
    decision = security_defaults_disabled(t["security_defaults"], t["policies"])
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT
    assert "no Conditional Access policy is enabled" in decision.reason
    assert Evidence(type="count", name="enabled Conditional Access policies", detail="0") in decision.evidence
